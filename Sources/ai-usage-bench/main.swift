// ai-usage-bench: what the tracker costs the caller, how fast metrics reach a local
// DynamoDB-compatible server, the report path of `GET /ai_usage` (Query pages decoded and
// aggregated in-process by `addPage` against the previous path and a raw parse; the handler end
// to end for 30 days from raw items and from rollups; the real bootstrap's peak RSS for 7 and
// 30 days), and the runtime (no-op invocations through the emulator against the bare loopback
// round trip; the real bootstrap's cold start and size). `make bench` builds it in release mode
// and runs it under scripts/with-local-dynamodb; the results are written up in
// docs/benchmarks.md.
//
// Prints a human-readable report, then one final line of JSON with every figure.

import AIUsage
import AIUsageReports
import AIUsageTracker
import DynamoDB
import Foundation

// Re-run by part 6 as a no-op custom runtime under the emulator (see RuntimeBench.swift).
if NoopRuntime.requested { NoopRuntime.main() }
// `ai-usage-bench --runtime-only`: part 6 alone, its lines and its JSON.
if CommandLine.arguments.dropFirst().first == RuntimeBench.onlyFlag { await RuntimeBench.standalone() }
// `ai-usage-bench --decoder-only`: part 4 alone, its lines and its JSON.
if CommandLine.arguments.dropFirst().first == ReportBench.onlyFlag { await ReportBench.standalone() }

let nullSinkRecords = 100_000
let latencyRecords = 100_000
let serverRecords = 5_000
let runsPerMeasurement = 5
let concurrentTasks = 4
let yieldEvery = 1_000
let firstDay = CivilDate(year: 2026, month: 11, day: 24)
let dayCount = 7
let lastDay = firstDay.adding(days: dayCount - 1)


/// The promises we hold ourselves to.
enum Target {
    /// The original Python system: more than 100 records/s ...
    static let pythonRecordsPerSecond = 100.0
    /// ... and less than 10 ms per record.
    static let pythonMillisecondsPerRecord = 10.0
    /// This port: at least 10,000 records/s of tracker overhead (null sink).
    static let trackerRecordsPerSecond = 10_000.0
    /// The report path's decoder: `addPage` + report, one core, items/s.
    static let decoderItemsPerSecond = 1_000_000.0
    /// `GET /ai_usage` for 30 days (90,000 items), in-process against the replay server: from
    /// raw items, and with rollups.
    static let rawMonthMilliseconds = 100.0
    static let rollupMonthMilliseconds = 20.0
    /// The real bootstrap's peak RSS (VmHWM, MB of 10^6 bytes) for 7 and 30 days, and 30 days
    /// over 7 days (4.3x the items).
    static let bootstrapPeakMB = 30.0
    static let bootstrapMonthToWeek = 1.1
    /// The runtime: an invocation through emulator + runtime may cost at most 2.5 bare loopback
    /// HTTP round trips (the floor is 2: the `/next` answer and the `/response` post).
    static let roundTripsPerInvocation = 2.5
    /// The real bootstrap: process start to its first response under 20 ms.
    static let coldStartMilliseconds = 20.0
}

struct Check: Codable {
    var name: String
    var ours: Double
    var unit: String
    var target: String
    var met: Bool
    /// The bound, for the ratio column.
    var limit: Double
    /// Whether a higher figure is better (a rate) or a lower one (a time, a size, a ratio).
    var higherIsBetter: Bool
}

/// The previous report's figures (docs/benchmarks.md, 2026-12-01), for ratios.
enum Previous {
    /// `GET /ai_usage`, 30 days, replay server, 8 segments (then in a child process).
    static let monthMilliseconds = 1_041.0
}

struct Report: Codable {
    var machine: Machine
    var clockOverheadMicroseconds: Double
    var encodeOnlyRecordsPerSecond: Double
    var nullSinkRecords: Int
    var nullSinkSingleTask: Throughput
    var nullSinkSingleTaskCounts: RunCounts
    var nullSinkConcurrent: Throughput
    var nullSinkConcurrentTasks: Int
    var nullSinkConcurrentCounts: RunCounts
    var nullSinkConcurrentYielding: Throughput
    var nullSinkConcurrentYieldEvery: Int
    var nullSinkConcurrentYieldingCounts: RunCounts
    var recordLatencyMicroseconds: Latency
    var recordLatencySpilled: Int
    var endToEnd: EndToEnd?
    var endToEndSkipped: String?
    /// RSS the bench's own process took on to build the report table and its rollups.
    var reportTableRSSKB: Int
    var compaction: CompactionFigures?
    var decoder: DecoderFigures?
    var handlerPath: [HandlerFigures]
    /// 30 days: raw median / rollups median.
    var rawToRollups: Double?
    /// 30 days from raw items: the previous report's 1,041 ms / this median.
    var rawToPreviousReport: Double?
    /// The proxy answers' bodies from raw items and from rollups are the same bytes.
    var rawAndRollupAnswersIdentical: Bool?
    var bootstrapMemory: [BootstrapMemoryFigures]
    /// Bootstrap peak RSS: 30 days / 7 days, from raw items.
    var bootstrapMonthToWeek: Double?
    /// The replay server refused a Query it cannot route, and the handler did not answer 200.
    var replayRefusesUnroutable: Bool?
    var reportSkipped: [String]
    var runtime: RuntimeFigures?
    var runtimeSkipped: String?
    var checks: [Check]
    var loadAverageAtEnd: String
    var totalSeconds: Double
}

let benchStarted = ContinuousClock.now
let environment = ProcessInfo.processInfo.environment
let machine = Machine.current()

say("ai-usage-bench")
say("machine: \(machine.line)")
say()

say("building \(grouped(Double(nullSinkRecords))) + \(grouped(Double(serverRecords))) metrics (\(firstDay) .. \(lastDay)) before timing ...")
let calls = Workload.calls(count: nullSinkRecords, firstDay: firstDay, days: dayCount, seed: 20261201)
let serverCalls = Workload.calls(count: serverRecords, firstDay: firstDay, days: dayCount, seed: 5000)
let withContext = calls.filter { $0.context != nil }.count
let services = Set(calls.map(\.metric.service)).count
let models = Set(calls.map(\.metric.model)).count
say("  \(services) services, \(models) models, \(grouped(Double(withContext))) of \(grouped(Double(calls.count))) recorded inside a job/batch TrackingContext")
say()

let clockOverhead = TrackerBench.clockOverhead()
let encodeOnly = TrackerBench.encodeOnly(calls)

// 1. Tracker overhead into NullSink.
say("1. tracker overhead into NullSink: \(grouped(Double(nullSinkRecords))) x record() + await flush(), \(runsPerMeasurement) runs after a warm-up")
func show(_ label: String) -> (Int, Run) -> Void {
    { index, run in
        say("   \(label) run \(index): \(grouped(run.recordsPerSecond)) records/s (\(fixed(run.elapsed.seconds * 1000, 1)) ms; slowest record() \(fixed(run.slowestCall.seconds * 1000, 2)) ms; \(run.stats))")
    }
}
let ((single, singleCounts), singleLog, singleFirst) = await capturingStandardError("single") {
    await TrackerBench.throughput(calls, tasks: 1, runs: runsPerMeasurement, report: show("1 task "))
}
reportLog(singleLog, singleFirst)
let ((concurrent, concurrentCounts), concurrentLog, concurrentFirst) = await capturingStandardError("concurrent") {
    await TrackerBench.throughput(calls, tasks: concurrentTasks, runs: runsPerMeasurement, report: show("\(concurrentTasks) tasks"))
}
reportLog(concurrentLog, concurrentFirst)
let spillBatch = TrackerConfiguration(spillFile: benchSpillFile("unused")).maxBuffered + 1
let spill = TrackerBench.spillAppend(calls, count: spillBatch)
say("   one spill alone: SpillFile.append of \(grouped(Double(spillBatch))) items (what the record() call that finds the buffer full does): "
    + "\(fixed(spill.appendMilliseconds, 1)) ms (median of 3, \(fixed(spill.appendMilliseconds * 1000 / Double(spillBatch), 1)) µs an item, \(fixed(Double(spill.bytes) / 1e6, 1)) MB); "
    + "the wire writer (sorted keys) of those items alone: \(fixed(spill.encodeMilliseconds, 1)) ms")
say("   the same, each task calling `await Task.yield()` every \(yieldEvery) records (a caller that suspends now and then):")
let ((yielding, yieldingCounts), yieldingLog, yieldingFirst) = await capturingStandardError("yielding") {
    await TrackerBench.throughput(calls, tasks: concurrentTasks, yieldEvery: yieldEvery, runs: runsPerMeasurement, report: show("\(concurrentTasks) tasks, yielding"))
}
reportLog(yieldingLog, yieldingFirst)
say()

func reportLog(_ lines: Int, _ first: String?) {
    guard lines > 0 else { return }
    say("   (the tracker logged \(grouped(Double(lines))) lines to stderr, not shown; the first: \(first ?? ""))")
}

// 2. record() latency.
say("2. record() latency: ContinuousClock around each of \(grouped(Double(latencyRecords))) calls, 1 task, NullSink")
let ((latency, latencyStats), latencyLog, latencyFirst) = await capturingStandardError("latency") {
    await TrackerBench.latency(Array(calls.prefix(latencyRecords)))
}
reportLog(latencyLog, latencyFirst)
say("   \(latencyStats)")
say()

// 3. End to end into the local server.
var endToEnd: EndToEnd?
var skipped: String?
say("3. end to end into a local DynamoDB-compatible server: \(grouped(Double(serverRecords))) records, first record() to the return of shutdown()")
if let endpoint = environment["AWS_ENDPOINT_URL_DYNAMODB"], !endpoint.isEmpty {
    do {
        let result = try await LocalServerBench.run(serverCalls, firstDay: firstDay, lastDay: lastDay, environment: environment)
        endToEnd = result
        say("   server \(result.server) at \(result.endpoint), table \(result.table) (created in \(fixed(result.createTableSeconds, 2)) s, deleted afterwards: \(result.tableDeleted ? "yes" : "NO"))")
        say("   tracker: written \(result.written), spilled \(result.spilled), lost \(result.lost); this process used \(fixed(result.clientCPUSeconds, 2)) s of CPU in \(fixed(result.seconds, 2)) s of wall time")
        say("   check: Query GSI2 (GSI2PK = AI_USAGE_COST AND GSI2SK BETWEEN COST#\(firstDay) AND COST#\(lastDay)#~): "
            + "\(result.itemsFound) items, \(result.distinctRequestIdsFound) distinct request ids, in \(result.queryPages) pages (\(fixed(result.querySeconds, 2)) s) "
            + "-> \(result.verified ? "OK, exactly the \(result.records) recorded" : "MISMATCH, expected exactly \(result.records)")")
    } catch {
        skipped = "failed: \(error)"
        say("   FAILED: \(error)")
    }
} else {
    skipped = "AWS_ENDPOINT_URL_DYNAMODB is not set"
    say("   skipped: AWS_ENDPOINT_URL_DYNAMODB is not set. Run `make bench` (it starts moto under scripts/with-local-dynamodb), or scripts/with-local-dynamodb <path to ai-usage-bench>.")
}
say()

// 4 and 5. The report path: a month of raw items, compacted into rollups, served from memory.
let reportFirstDay = ReportSetup.firstDay
let reportLastDay = ReportSetup.lastDay
say("building the report path's table: \(ReportSetup.days) days x \(grouped(Double(ReportSetup.perDay))) items (\(reportFirstDay) .. \(reportLastDay)), and its rollups ...")
let memoryBeforeTable = memoryStatus().rss
let weekStart = reportLastDay.adding(days: -6)
let (reportStore, monthExpected, weekExpected) = ReportSetup.store(weekStart: weekStart)
say("  \(grouped(Double(monthExpected.items))) items (\(grouped(Double(monthExpected.legacy))) in the camelCase generation), each as MetricItemCodec writes it (keys, GSI1/GSI2 keys, environment, user_id, error, metadata ...)")
var reportSkipped: [String] = []
var compaction: CompactionFigures?
do {
    let figures = try await Compaction.run(store: reportStore, from: reportFirstDay, to: reportLastDay)
    compaction = figures
    say("  RollupCompactor (settle 0 s) over the store as a UsageSource: \(figures.days) days, \(figures.written) written, \(grouped(Double(figures.rawItemsRead))) raw items read, "
        + "\(grouped(Double(figures.groups))) groups -> \(grouped(Double(figures.rollupItems))) rollup items, in \(fixed(figures.seconds, 2)) s")
} catch {
    reportSkipped.append("compaction: \(error)")
    say("  compaction FAILED: \(error) (the rollup rows are skipped)")
}
let reportTableRSSKB = memoryStatus().rss - memoryBeforeTable
say("  (this process's RSS grew by \(fixed(Double(reportTableRSSKB) * 1024 / 1e6, 0)) MB building them; the replay server answers from them)")
say()

// 4. The decoder, in-process.
let monthPages = ReportBench.monthPages(reportStore, start: reportFirstDay, end: reportLastDay)
say("4. the report path's decoder in-process: the 30 days' \(monthPages.count) Query pages (UsageFetcher's 8 segments, 1 MB of stored size each), all five levels, \(ReportSetup.decoderRuns) interleaved runs after a warm-up:")
say("   addPage = UsageAggregate.addPage(body) for every page, then report + JSON (the goal's figure, one core); (b) the previous path = JSONValue.parse + AttributeValue(wire:) + add(item), then report + JSON;")
say("   (a) raw parse = JSONValue.parse; scan only = QueryPageDecoder.decode skipping every item; (c) = UsageFetcher over DynamoDBUsageSource on an in-memory transport (signing, CRC32, budget; no socket);")
say("   (c') the same with rollups on (the closed days' rollup items instead of the raw ones)")
var decoder: DecoderFigures?
do {
    let figures = try await ReportBench.run(monthPages, store: reportStore, expected: monthExpected, start: reportFirstDay, end: reportLastDay, runs: ReportSetup.decoderRuns)
    decoder = figures
    ReportBench.show(figures)
} catch {
    reportSkipped.append("decoder: \(error)")
    say("   FAILED: \(error)")
}
say()

// 5. End to end.
say("5. GET /ai_usage end to end, 30 days, aggregation=day,service,model,operation,hour, cache off, against the replay server (127.0.0.1, in this process):")
say("   (i) AIUsageHandler.handle in this process, 1 warm-up + \(HandlerPathBench.runs) runs, median; (ii) the real bootstrap, a fresh process per range, \(BootstrapMemoryBench.requests) requests, its VmHWM")
var handlerFigures: [HandlerFigures] = []
var rawToRollups: Double?
var rawToPreviousReport: Double?
var answersIdentical: Bool?
var bootstrapMemory: [BootstrapMemoryFigures] = []
var bootstrapMonthToWeek: Double?
var replayRefusesUnroutable: Bool?
func showHandler(_ figure: HandlerFigures) {
    let served = figure.servedRaw.first.flatMap { raw in figure.servedRollup.first.map { rollup in
        "served \(grouped(Double(raw.items))) raw items in \(raw.pages) pages, \(grouped(Double(rollup.items))) rollup items in \(rollup.pages) pages"
    } } ?? "nothing served"
    say("   \(figure.range) \(figure.mode == "raw" ? "from raw items (AI_USAGE_ROLLUPS=off)" : "with rollups (AI_USAGE_ROLLUPS=on)"): "
        + "\(figure.runsMilliseconds.map { fixed($0, 1) }.joined(separator: " / ")) ms -> median \(fixed(figure.medianMilliseconds, 1)) ms (goal <= \(fixed(figure.goalMilliseconds, 0)) ms: \(figure.medianMilliseconds <= figure.goalMilliseconds ? "met" : "NOT MET")); "
        + "CPU \(fixed(figure.cpuMillisecondsMedian, 1)) ms a run (handler + server)")
    say("     read \(figure.read.first?.line ?? "?"); \(served); total_api_calls \(figure.totalAPICalls.map(String.init).joined(separator: "/")) of \(figure.items) -> \(figure.verified ? "OK" : "PROBLEM")")
    for problem in figure.problems { say("     PROBLEM: \(problem)") }
}
do {
    let replay = try ReplayServer(store: reportStore)
    let refusal = await HandlerPathBench.refusal(server: replay, start: reportLastDay, end: reportLastDay)
    say("   replay server on \(replay.endpoint); a Query it cannot route (GSI1, service=openai): \(refusal.refused) refused with 400 -> the handler answered \(refusal.status) (\(refusal.reason ?? "no reason"))")
    replayRefusesUnroutable = refusal.refused > 0 && refusal.status != 200
    let (raw, rawBodies) = await HandlerPathBench.inProcess(
        range: "30 days", days: ReportSetup.days, start: reportFirstDay, end: reportLastDay, expected: monthExpected, server: replay, rollups: false,
        goalMilliseconds: Target.rawMonthMilliseconds
    )
    showHandler(raw)
    handlerFigures.append(raw)
    if compaction != nil {
        let (rollup, rollupBodies) = await HandlerPathBench.inProcess(
            range: "30 days", days: ReportSetup.days, start: reportFirstDay, end: reportLastDay, expected: monthExpected, server: replay, rollups: true,
            goalMilliseconds: Target.rollupMonthMilliseconds
        )
        showHandler(rollup)
        handlerFigures.append(rollup)
        if raw.medianMilliseconds > 0, rollup.medianMilliseconds > 0 { rawToRollups = rounded(raw.medianMilliseconds / rollup.medianMilliseconds, places: 1) }
        if let first = rawBodies.first, let second = rollupBodies.first {
            answersIdentical = proxyBody(first) == proxyBody(second) && proxyBody(first) != nil
        }
    }
    if raw.medianMilliseconds > 0 { rawToPreviousReport = rounded(Previous.monthMilliseconds / raw.medianMilliseconds, places: 1) }
    say("   ratios: 30 days raw / rollups \(rawToRollups.map { fixed($0, 1) + "x" } ?? "n/a"); the previous report's 30 days (\(grouped(Previous.monthMilliseconds)) ms) / raw now \(rawToPreviousReport.map { fixed($0, 1) + "x" } ?? "n/a"); "
        + "the answer's body from raw items and from rollups: \(answersIdentical.map { $0 ? "byte-identical" : "DIFFERENT" } ?? "not compared")")

    if let bootstrap = RuntimeBench.findBootstrap() {
        say("   (ii) \(bootstrap), default concurrency (8), pages in this process:")
        var runs: [(String, Int, Bool)] = [("7 days", 7, false), ("30 days", ReportSetup.days, false)]
        if compaction != nil { runs.append(("30 days", ReportSetup.days, true)) }
        for (label, days, rollups) in runs {
            let start = reportLastDay.adding(days: -(days - 1))
            let figure = BootstrapMemoryBench.run(
                bootstrap: bootstrap, range: label, days: days, start: start, end: reportLastDay,
                expected: days == 7 ? weekExpected : monthExpected, server: replay, rollups: rollups
            )
            BootstrapMemoryBench.show(figure)
            bootstrapMemory.append(figure)
        }
        if let week = bootstrapMemory.first(where: { $0.days == 7 && $0.diagnostic == nil }),
           let month = bootstrapMemory.first(where: { $0.days == 30 && $0.mode == "raw" && $0.diagnostic == nil }), week.peakKB > 0 {
            bootstrapMonthToWeek = rounded(Double(month.peakKB) / Double(week.peakKB), places: 2)
            say("   peak RSS 30 days / 7 days (raw): \(fixed(bootstrapMonthToWeek!, 2))x (goal <= \(fixed(Target.bootstrapMonthToWeek, 1))x); over the RSS at the first /next: "
                + "+\(fixed(Double(week.peakKB - week.rssAtFirstNextKB) * 1024 / 1e6, 1)) MB and +\(fixed(Double(month.peakKB - month.rssAtFirstNextKB) * 1024 / 1e6, 1)) MB (MB = 10^6 bytes)")
        }
        // What the bootstrap's malloc tuning (2 arenas, 256 KiB mmap threshold) is worth: the same
        // two ranges with glibc's defaults (MALLOC_ARENA_MAX given, so the bootstrap leaves malloc
        // alone; 16 is glibc's own limit on 2 cores, 8 per core).
        say("   diagnostic, not a goal's figure: the same with glibc's malloc defaults (MALLOC_ARENA_MAX=16: the bootstrap's tuning off):")
        var diagnostics: [BootstrapMemoryFigures] = []
        for days in [7, ReportSetup.days] {
            let figure = BootstrapMemoryBench.run(
                bootstrap: bootstrap, range: "\(days) days", days: days, start: reportLastDay.adding(days: -(days - 1)), end: reportLastDay,
                expected: days == 7 ? weekExpected : monthExpected, server: replay, rollups: false, extraEnvironment: ["MALLOC_ARENA_MAX": "16"]
            )
            BootstrapMemoryBench.show(figure)
            diagnostics.append(figure)
        }
        if diagnostics.count == 2, diagnostics[0].peakKB > 0 {
            say("   with glibc's defaults, 30 days / 7 days: \(fixed(Double(diagnostics[1].peakKB) / Double(diagnostics[0].peakKB), 2))x")
        }
        bootstrapMemory += diagnostics
    } else {
        reportSkipped.append("bootstrap peak RSS: no bootstrap next to this binary (build it: swift build -c release --product bootstrap, or set BENCH_BOOTSTRAP)")
        say("   (ii) skipped: no bootstrap next to this binary; build it with swift build -c release --product bootstrap, or set BENCH_BOOTSTRAP")
    }
    replay.stop()
} catch {
    reportSkipped.append("replay server: \(error)")
    say("   replay server: FAILED to start: \(error)")
}
say()

// 6. The runtime.
say("6. the runtime: \(grouped(Double(RuntimeBench.invocationsPerRun))) no-op invocations x \(RuntimeBench.runs) runs through LambdaEmulator.invoke and a LambdaRuntime loop (this binary as the bootstrap),")
say("   interleaved with \(grouped(Double(RuntimeBench.roundTripsPerRun))) bare loopback HTTP/1.1 round trips per run (CurlConnection, and a raw socket, against a tiny keep-alive server);")
say("   then the real bootstrap's cold start (an OPTIONS event, 204, no DynamoDB) and size")
var runtimeFigures: RuntimeFigures?
var runtimeSkipped: String?
do {
    let bootstrapPath = RuntimeBench.findBootstrap()
    if bootstrapPath == nil { say("   (no bootstrap next to this binary: build it with swift build -c release --product bootstrap, or set BENCH_BOOTSTRAP; its rows are skipped)") }
    runtimeFigures = try await RuntimeBench.run(bootstrapPath: bootstrapPath)
} catch {
    runtimeSkipped = "failed: \(error)"
    say("   FAILED: \(error)")
}
say()

// Results.
func throughputNotes(_ figure: Throughput, _ counts: RunCounts) -> String {
    let total = runsPerMeasurement * nullSinkRecords
    let spilled = counts.spilled == 0 ? "none spilled" : "SPILLED \(grouped(Double(counts.spilled))) of \(grouped(Double(total))) (\(fixed(Double(counts.spilled) * 100 / Double(total), 0))%)"
    return "min \(grouped(figure.min)), max \(grouped(figure.max)), spread \(fixed(figure.spreadPercent, 0))%; \(spilled); slowest call \(fixed(counts.slowestCallMilliseconds, 1)) ms"
}
var rows: [[String]] = [
    ["figure", "value", "unit", "notes"],
    ["null sink, 1 task (median of \(runsPerMeasurement))", grouped(single.median), "records/s", throughputNotes(single, singleCounts)],
    ["null sink, \(concurrentTasks) tasks (median of \(runsPerMeasurement))", grouped(concurrent.median), "records/s", throughputNotes(concurrent, concurrentCounts)],
    ["null sink, \(concurrentTasks) tasks yielding /\(yieldEvery) (median)", grouped(yielding.median), "records/s", throughputNotes(yielding, yieldingCounts)],
    ["item encoding alone (MetricItemCodec.item)", grouped(encodeOnly), "records/s", "1 task, 1 pass, no tracker"],
    ["one spill: SpillFile.append of \(grouped(Double(spillBatch))) items", fixed(spill.appendMilliseconds, 1), "ms", "median of 3; wire writer alone \(fixed(spill.encodeMilliseconds, 1)) ms"],
    ["record() p50", fixed(latency.p50, 2), "µs", "\(grouped(Double(latency.calls))) calls; clock pair costs \(fixed(clockOverhead, 2)) µs"],
    ["record() p99", fixed(latency.p99, 2), "µs", ""],
    ["record() p99.9", fixed(latency.p999, 2), "µs", ""],
    ["record() max", fixed(latency.max, 2), "µs", "mean \(fixed(latency.mean, 2)) µs; \(latencyStats.spilled) spilled"],
]
if let endToEnd {
    rows.append(["end to end into \(endToEnd.server)", grouped(endToEnd.recordsPerSecond), "records/s", "\(endToEnd.records) records in \(fixed(endToEnd.seconds, 2)) s"])
    rows.append(["end to end, per record", fixed(endToEnd.msPerRecord, 3), "ms", "wall time / records"])
    rows.append(["end to end, client CPU", fixed(endToEnd.clientCPUSeconds, 2), "s", "of \(fixed(endToEnd.seconds, 2)) s wall (\(fixed(endToEnd.clientCPUSeconds / endToEnd.seconds * 100, 0))%); the rest is waiting for the server"])
    rows.append(["GSI2 check", endToEnd.verified ? "OK" : "MISMATCH", "", "\(endToEnd.itemsFound) of \(endToEnd.records) found"])
} else {
    rows.append(["end to end into a local server", "skipped", "", skipped ?? ""])
}
say("results")
say(table(rows))
say()

var reportRows: [[String]] = [["report path", "value", "unit", "notes"]]
if let decoder {
    reportRows += [
        ["addPage + report, median of \(decoder.runs)", grouped(decoder.addPage.median), "items/s",
         "one core; \(fixed(decoder.addPageMBPerSecond, 1)) MB/s; \(decoder.pages) pages, \(grouped(Double(decoder.items))) items, \(fixed(Double(decoder.bytes) / 1e6, 1)) MB; spread \(fixed(decoder.addPage.spreadPercent, 0))%; goal >= \(grouped(Target.decoderItemsPerSecond))"],
        ["(b) previous path + report, same run", grouped(decoder.previousPath.median), "items/s",
         "JSONValue.parse + AttributeValue(wire:) + add(item); spread \(fixed(decoder.previousPath.spreadPercent, 0))%"],
        ["  addPage / (b)", fixed(decoder.addPageToPrevious, 2), "x", "addPage / the previous report's (b) (\(grouped(ReportBench.previousReportItemsPerSecond)) items/s): \(fixed(decoder.addPageToPreviousReport, 2))x"],
        ["(a) raw parse, JSONValue.parse", grouped(decoder.rawParse.median), "items/s", "addPage / (a) \(fixed(decoder.addPageToRawParse, 2))x; (b) / (a) \(fixed(decoder.previousToRawParse * 100, 1))%"],
        ["scan only, QueryPageDecoder", grouped(decoder.scanOnly.median), "items/s", "every item skipped; \(fixed(decoder.addPage.median / decoder.scanOnly.median * 100, 0))% of addPage's time"],
        ["(c) UsageFetcher, in-memory transport", grouped(decoder.fetcherInMemory.median), "items/s", "8 segments, 2 cores; CPU \(fixed(decoder.fetcherCPUMilliseconds, 1)) ms a run"],
        ["report JSON of (b), addPage, (c)\(decoder.fetcherRollupsMilliseconds == nil ? "" : ", (c')")", decoder.reportsIdentical ? "identical" : "DIFFER", "", "\(grouped(Double(decoder.reportBytes))) bytes; totals \(decoder.verified ? "match the items" : "MISMATCH")"],
    ]
    if let rollups = decoder.fetcherRollupsMilliseconds {
        reportRows.insert(["(c') the same fetcher from rollups", fixed(rollups.median, 1), "ms", "in memory, no socket; CPU \(fixed(decoder.fetcherRollupsCPUMilliseconds ?? 0, 1)) ms a run"], at: reportRows.count - 2)
    }
}
if let compaction {
    reportRows.append(["rollups (RollupCompactor over the store)", grouped(Double(compaction.rollupItems)), "items",
                       "\(compaction.days) days, \(grouped(Double(compaction.groups))) groups from \(grouped(Double(compaction.rawItemsRead))) raw items, \(fixed(compaction.seconds, 2)) s"])
}
for figure in handlerFigures {
    let read = figure.read.first
    reportRows.append([
        "GET /ai_usage \(figure.range), \(figure.mode == "raw" ? "raw items" : "rollups"), in-process", fixed(figure.medianMilliseconds, 1), "ms",
        "goal <= \(fixed(figure.goalMilliseconds, 0)); runs \(figure.runsMilliseconds.map { fixed($0, 1) }.joined(separator: " / ")); "
            + "read \(grouped(Double(read?.rawItems ?? 0))) raw + \(grouped(Double(read?.rollupItems ?? 0))) rollup items; totals \(figure.verified ? "OK" : "MISMATCH")",
    ])
}
if let rawToRollups { reportRows.append(["  30 days: raw / rollups", fixed(rawToRollups, 1), "x", ""]) }
if let rawToPreviousReport { reportRows.append(["  30 days raw: previous report / now", fixed(rawToPreviousReport, 1), "x", "previous: \(grouped(Previous.monthMilliseconds)) ms"]) }
if let answersIdentical { reportRows.append(["  answer body, raw vs rollups", answersIdentical ? "identical" : "DIFFERENT", "", ""]) }
for figure in bootstrapMemory {
    reportRows.append([
        "bootstrap peak RSS, \(figure.range), \(figure.mode == "raw" ? "raw items" : "rollups")\(figure.diagnostic.map { ", \($0)" } ?? "")", fixed(figure.peakMB, 1), "MB",
        "VmHWM after \(figure.requests) requests, MB = 10^6 bytes; \(fixed(Double(figure.rssAtFirstNextKB) * 1024 / 1e6, 1)) MB at its first /next; requests \(figure.requestMilliseconds.map { fixed($0, 0) }.joined(separator: " / ")) ms; \(figure.verified ? "OK" : "PROBLEM")",
    ])
}
if let bootstrapMonthToWeek { reportRows.append(["  bootstrap peak, 30 days / 7 days", fixed(bootstrapMonthToWeek, 2), "x", "goal <= \(fixed(Target.bootstrapMonthToWeek, 1))"]) }
for skipped in reportSkipped { reportRows.append(["skipped", "", "", skipped]) }
say(table(reportRows))
say()

var runtimeRows: [[String]] = [["runtime", "value", "unit", "notes"]]
if let runtime = runtimeFigures {
    let curl = runtime.curlRoundTripMicroseconds
    let raw = runtime.rawRoundTripMicroseconds
    func pathRows(_ path: InvocationPath, goal: Bool) -> [[String]] {
        [
            [path.name + " (median of \(runtime.runs))", grouped(path.throughput.median), "invocations/s",
             "min \(grouped(path.throughput.min)), max \(grouped(path.throughput.max)), spread \(fixed(path.throughput.spreadPercent, 0))%; \(path.failures) failed"],
            ["  per invocation: 1/rate, p50, p99", "\(fixed(path.microsecondsPerInvocation, 1)) / \(fixed(path.latency.p50, 1)) / \(fixed(path.latency.p99, 1))", "µs",
             "mean \(fixed(path.latency.mean, 1)), max \(fixed(path.latency.max, 0)); \(grouped(Double(path.latency.calls))) timed"],
            ["  p50 / curl round trip p50", fixed(path.roundTrips, 2), "round trips", goal ? "goal <= \(fixed(Target.roundTripsPerInvocation, 1)); floor 2; mean / mean \(fixed(runtime.roundTripsPerInvocationMean, 2)); vs raw socket \(fixed(runtime.rawRoundTripsPerInvocation, 2))" : ""],
            ["  CPU per invocation: bench / runtime", "\(fixed(path.benchCPUMicroseconds, 1)) / \(path.runtimeCPUMicroseconds.map { fixed($0, 1) } ?? "-")", "µs", "user + system over the timed runs"],
        ]
    }
    runtimeRows += pathRows(runtime.noop, goal: true)
    runtimeRows += pathRows(runtime.bareUnderEmulator, goal: false)
    runtimeRows += pathRows(runtime.runtimeAgainstTiny, goal: false)
    runtimeRows += pathRows(runtime.bareAgainstTiny, goal: false)
    runtimeRows += [
        ["loopback round trip, CurlConnection p50", fixed(curl.p50, 1), "µs", "p99 \(fixed(curl.p99, 1)), mean \(fixed(curl.mean, 1)); run medians \(runtime.curlRoundTripRunMedians.map { fixed($0, 1) }.joined(separator: " / ")); CPU both ends \(fixed(runtime.curlCPUMicrosecondsPerRoundTrip, 1)) µs"],
        ["loopback round trip, raw socket p50", fixed(raw.p50, 1), "µs", "p99 \(fixed(raw.p99, 1)), mean \(fixed(raw.mean, 1)); CPU both ends \(fixed(runtime.rawCPUMicrosecondsPerRoundTrip, 1)) µs"],
        ["no-op runtime's first invocation", fixed(runtime.noopFirstInvokeMilliseconds, 1), "ms", "this binary starting as the bootstrap (full Foundation, NIO linked)"],
    ]
    if let boot = runtime.bootstrap {
        runtimeRows += [
            ["bootstrap size, release", grouped(Double(boot.bytes)), "bytes", boot.path],
            ["bootstrap size, stripped", boot.strippedBytes.map { grouped(Double($0)) } ?? "n/a", "bytes", boot.stripProblem ?? "strip -o of a copy"],
            ["process floor: /bin/true spawned + reaped", fixed(boot.binTrueSpawnToExit.median, 2), "ms", "median of \(boot.binTrueSpawnToExit.runs.count); \(boot.sharedObjectsAtFirstNext.map(String.init) ?? "?") shared objects mapped by the bootstrap at its first /next"],
            ["cold start: spawn -> first /next", fixed(boot.spawnToNext.median, 2), "ms", "median of \(boot.spawnToNext.runs.count); min \(fixed(boot.spawnToNext.min, 2)), p90 \(fixed(boot.spawnToNext.p90, 2)), max \(fixed(boot.spawnToNext.max, 2))"],
            ["cold start: spawn -> first /response", fixed(boot.spawnToResponse.median, 2), "ms", "median of \(boot.spawnToResponse.runs.count); min \(fixed(boot.spawnToResponse.min, 2)), p90 \(fixed(boot.spawnToResponse.p90, 2)), max \(fixed(boot.spawnToResponse.max, 2)); goal < \(fixed(Target.coldStartMilliseconds, 0)) ms"],
        ]
        if let next = boot.strippedSpawnToNext, let response = boot.strippedSpawnToResponse {
            runtimeRows.append(["  stripped copy: /next, /response", "\(fixed(next.median, 2)) / \(fixed(response.median, 2))", "ms", "medians; /response max \(fixed(response.max, 2))"])
        }
        runtimeRows += [
            ["cold start through the emulator", fixed(boot.emulatorFirstInvoke.median, 2), "ms", "a new LambdaEmulator's first invoke; min \(fixed(boot.emulatorFirstInvoke.min, 2)), max \(fixed(boot.emulatorFirstInvoke.max, 2))"],
            ["warm OPTIONS through emulator + bootstrap", grouped(boot.warmInvocationsPerSecond), "invocations/s", "p50 \(fixed(boot.warmLatencyMicroseconds.p50, 1)) µs; handler logs a line each"],
            ["answers checked", boot.verified ? "OK" : "PROBLEMS", "", "\(grouped(Double(boot.responsesChecked))) answers, all 204\(boot.problems.first.map { "; first problem: \($0)" } ?? "")"],
        ]
    } else {
        runtimeRows.append(["bootstrap", "skipped", "", runtime.bootstrapSkipped ?? ""])
    }
} else {
    runtimeRows.append(["runtime", "skipped", "", runtimeSkipped ?? ""])
}
say(table(runtimeRows))
say()

var checks: [Check] = [
    // A run that spilled did not buffer what it was given: it does not meet the target, however fast.
    Check(name: "tracker overhead, 1 task (null sink)", ours: single.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: single.median >= Target.trackerRecordsPerSecond && singleCounts.spilled == 0, limit: Target.trackerRecordsPerSecond, higherIsBetter: true),
    Check(name: "tracker overhead, \(concurrentTasks) tasks (null sink)", ours: concurrent.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: concurrent.median >= Target.trackerRecordsPerSecond && concurrentCounts.spilled == 0, limit: Target.trackerRecordsPerSecond, higherIsBetter: true),
    Check(name: "tracker overhead, \(concurrentTasks) tasks yielding (null sink)", ours: yielding.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: yielding.median >= Target.trackerRecordsPerSecond && yieldingCounts.spilled == 0, limit: Target.trackerRecordsPerSecond, higherIsBetter: true),
    Check(name: "tracker overhead vs the Python promise", ours: single.median, unit: "records/s", target: "> 100 records/s (Python)", met: single.median > Target.pythonRecordsPerSecond, limit: Target.pythonRecordsPerSecond, higherIsBetter: true),
    Check(name: "record() p99.9 vs the Python promise", ours: rounded(latency.p999 / 1000, places: 4), unit: "ms", target: "< 10 ms per record (Python)", met: latency.p999 / 1000 < Target.pythonMillisecondsPerRecord, limit: Target.pythonMillisecondsPerRecord, higherIsBetter: false),
    Check(name: "record() max vs the Python promise", ours: rounded(latency.max / 1000, places: 4), unit: "ms", target: "< 10 ms per record (Python)", met: latency.max / 1000 < Target.pythonMillisecondsPerRecord, limit: Target.pythonMillisecondsPerRecord, higherIsBetter: false),
    // The call that spills pays for the whole backlog's append.
    Check(name: "slowest record(), \(concurrentTasks) tasks (spilling), vs the Python promise", ours: concurrentCounts.slowestCallMilliseconds, unit: "ms", target: "< 10 ms per record (Python)", met: concurrentCounts.slowestCallMilliseconds < Target.pythonMillisecondsPerRecord, limit: Target.pythonMillisecondsPerRecord, higherIsBetter: false),
]
if let endToEnd {
    checks.append(Check(name: "end to end into \(endToEnd.server) vs the Python promise", ours: endToEnd.recordsPerSecond, unit: "records/s", target: "> 100 records/s (Python)", met: endToEnd.recordsPerSecond > Target.pythonRecordsPerSecond, limit: Target.pythonRecordsPerSecond, higherIsBetter: true))
    checks.append(Check(name: "end to end per record vs the Python promise", ours: endToEnd.msPerRecord, unit: "ms", target: "< 10 ms per record (Python)", met: endToEnd.msPerRecord < Target.pythonMillisecondsPerRecord, limit: Target.pythonMillisecondsPerRecord, higherIsBetter: false))
}
if let decoder {
    checks.append(Check(
        name: "report path: addPage decode + aggregate (5 levels) + report, one core", ours: decoder.addPage.median, unit: "items/s",
        target: ">= 1,000,000 items/s (ours)", met: decoder.addPage.median >= Target.decoderItemsPerSecond && decoder.verified,
        limit: Target.decoderItemsPerSecond, higherIsBetter: true
    ))
    checks.append(Check(
        name: "report path: report JSON of (b) = addPage = fetcher (raw and from rollups)", ours: decoder.reportsIdentical ? 1 : 0, unit: "identical",
        target: "byte for byte (ours)", met: decoder.reportsIdentical, limit: 1, higherIsBetter: true
    ))
}
for figure in handlerFigures {
    checks.append(Check(
        name: "report path: GET /ai_usage \(figure.range) from \(figure.mode == "raw" ? "raw items" : "rollups"), in-process", ours: figure.medianMilliseconds, unit: "ms",
        target: "<= \(fixed(figure.goalMilliseconds, 0)) ms, totals = the items' (ours)", met: figure.medianMilliseconds <= figure.goalMilliseconds && figure.verified,
        limit: figure.goalMilliseconds, higherIsBetter: false
    ))
}
for figure in bootstrapMemory where figure.mode == "raw" && figure.diagnostic == nil {
    checks.append(Check(
        name: "report path: bootstrap peak RSS, \(figure.range) from raw items", ours: figure.peakMB, unit: "MB",
        target: "<= 30 MB (10^6 bytes), totals = the items' (ours)", met: figure.peakMB <= Target.bootstrapPeakMB && figure.peakMB > 0 && figure.verified,
        limit: Target.bootstrapPeakMB, higherIsBetter: false
    ))
}
if let bootstrapMonthToWeek {
    checks.append(Check(
        name: "report path: bootstrap peak RSS, 30 days / 7 days", ours: bootstrapMonthToWeek, unit: "x",
        target: "<= 1.1x (4.3x the items; ours)", met: bootstrapMonthToWeek <= Target.bootstrapMonthToWeek,
        limit: Target.bootstrapMonthToWeek, higherIsBetter: false
    ))
}

if let runtime = runtimeFigures {
    checks.append(Check(
        name: "runtime: per-invocation overhead (p50 / loopback round trip p50)", ours: runtime.roundTripsPerInvocation, unit: "round trips",
        target: "<= 2.5 loopback round trips (ours)", met: runtime.roundTripsPerInvocation <= Target.roundTripsPerInvocation && runtime.noop.failures == 0,
        limit: Target.roundTripsPerInvocation, higherIsBetter: false
    ))
    if let boot = runtime.bootstrap {
        checks.append(Check(
            name: "runtime: bootstrap cold start, spawn to first response", ours: boot.spawnToResponse.median, unit: "ms",
            target: "< 20 ms (ours)", met: boot.spawnToResponse.median < Target.coldStartMilliseconds && boot.verified,
            limit: Target.coldStartMilliseconds, higherIsBetter: false
        ))
    }
}

say("against the targets")
var checkRows = [["check", "ours", "target", "ratio", "met"]]
for check in checks {
    let ours: String
    switch check.unit {
    case "records/s", "items/s": ours = "\(grouped(check.ours)) \(check.unit)"
    case "ms": ours = "\(fixed(check.ours, check.ours >= 10 ? 1 : 4)) ms"
    case "round trips": ours = "\(fixed(check.ours, 2)) round trips"
    case "MB": ours = "\(fixed(check.ours, 1)) MB"
    case "x": ours = "\(fixed(check.ours, 2))x"
    case "identical": ours = check.ours == 1 ? "identical" : "DIFFER"
    default: ours = "\(grouped(check.ours)) \(check.unit)"
    }
    let ratio: Double? = check.unit == "identical" ? nil
        : check.higherIsBetter ? check.ours / check.limit : (check.ours > 0 ? check.limit / check.ours : .infinity)
    checkRows.append([check.name, ours, check.target, ratio.map { "\(fixed($0, $0 < 10 ? 2 : 0))x" } ?? "", check.met ? "yes" : "NO"])
}
say(table(checkRows))
say("(ratio: how many times better than the target; for rates ours / target, for ms, MB, round trips and ratios target / ours)")
say()

let totalSeconds = (ContinuousClock.now - benchStarted).seconds
let loadAtEnd = Machine.currentLoadAverage()
say("total bench time: \(fixed(totalSeconds, 1)) s; load average at the end \(loadAtEnd) (at the start \(machine.loadAverage))")

let report = Report(
    machine: machine,
    clockOverheadMicroseconds: clockOverhead,
    encodeOnlyRecordsPerSecond: rounded(encodeOnly),
    nullSinkRecords: nullSinkRecords,
    nullSinkSingleTask: single,
    nullSinkSingleTaskCounts: singleCounts,
    nullSinkConcurrent: concurrent,
    nullSinkConcurrentTasks: concurrentTasks,
    nullSinkConcurrentCounts: concurrentCounts,
    nullSinkConcurrentYielding: yielding,
    nullSinkConcurrentYieldEvery: yieldEvery,
    nullSinkConcurrentYieldingCounts: yieldingCounts,
    recordLatencyMicroseconds: latency,
    recordLatencySpilled: latencyStats.spilled,
    endToEnd: endToEnd,
    endToEndSkipped: skipped,
    reportTableRSSKB: reportTableRSSKB,
    compaction: compaction,
    decoder: decoder,
    handlerPath: handlerFigures,
    rawToRollups: rawToRollups,
    rawToPreviousReport: rawToPreviousReport,
    rawAndRollupAnswersIdentical: answersIdentical,
    bootstrapMemory: bootstrapMemory,
    bootstrapMonthToWeek: bootstrapMonthToWeek,
    replayRefusesUnroutable: replayRefusesUnroutable,
    reportSkipped: reportSkipped,
    runtime: runtimeFigures,
    runtimeSkipped: runtimeSkipped,
    checks: checks,
    loadAverageAtEnd: loadAtEnd,
    totalSeconds: rounded(totalSeconds, places: 1)
)
if let decoder, !decoder.verified || !decoder.reportsIdentical {
    say("FAILED: the report path's decoder: \(decoder.problems.joined(separator: "; "))")
}
for figure in handlerFigures where !figure.verified { say("FAILED: GET /ai_usage \(figure.range) \(figure.mode): \(figure.problems.joined(separator: "; "))") }
for figure in bootstrapMemory where !figure.verified { say("FAILED: bootstrap \(figure.range) \(figure.mode): \(figure.problems.joined(separator: "; "))") }
if answersIdentical == false { say("FAILED: the answers from raw items and from rollups differ") }
if replayRefusesUnroutable == false { say("FAILED: the replay server answered a Query it cannot route") }
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
if let json = try? encoder.encode(report) {
    say(String(decoding: json, as: UTF8.self))
}
if let endToEnd, !endToEnd.verified { exit(1) }
if decoder?.verified != true || decoder?.reportsIdentical != true || !handlerFigures.allSatisfy(\.verified) || !bootstrapMemory.allSatisfy(\.verified) || answersIdentical == false || replayRefusesUnroutable == false { exit(1) }
if let runtime = runtimeFigures, runtime.noop.failures + runtime.bareUnderEmulator.failures + runtime.runtimeAgainstTiny.failures + runtime.bareAgainstTiny.failures > 0 || runtime.bootstrap?.verified == false { exit(1) }
