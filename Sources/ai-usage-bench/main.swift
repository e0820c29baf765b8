// ai-usage-bench: what the tracker costs the caller, how fast metrics reach a local
// DynamoDB-compatible server, and the report path of `GET /ai_usage` (Query pages decoded and
// aggregated in-process against a raw parse; the handler end to end for 1, 7 and 30 days, with
// peak RSS), and the runtime (no-op invocations through the emulator against the bare loopback
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
// Re-run by part 5 as the process that answers one range (see HandlerPathBench.swift).
if CommandLine.arguments.dropFirst().first == HandlerChild.flag { await HandlerChild.main() }

let nullSinkRecords = 100_000
let latencyRecords = 100_000
let serverRecords = 5_000
let runsPerMeasurement = 5
let concurrentTasks = 4
let yieldEvery = 1_000
let firstDay = CivilDate(year: 2026, month: 11, day: 24)
let dayCount = 7
let lastDay = firstDay.adding(days: dayCount - 1)

/// The report path (parts 4 and 5): 30 days of 3,000 items a day, ending here.
let reportLastDay = CivilDate(year: 2026, month: 11, day: 30)
let reportPerDay = 3_000
let reportDays = 30
let reportLevels: [AggregationLevel] = [.day, .service, .model, .operation, .hour]
let parseRuns = 3

/// The promises we hold ourselves to.
enum Target {
    /// The original Python system: more than 100 records/s ...
    static let pythonRecordsPerSecond = 100.0
    /// ... and less than 10 ms per record.
    static let pythonMillisecondsPerRecord = 10.0
    /// This port: at least 10,000 records/s of tracker overhead (null sink).
    static let trackerRecordsPerSecond = 10_000.0
    /// The report path: decode + aggregate at least half as fast as a raw parse of the same bytes.
    static let aggregateToParseRatio = 0.5
    /// Memory flat as the range grows: 30 days (4.3x the items of 7 days, 8 segments in flight
    /// instead of 7) may add at most 1.25x the peak RSS growth of 7 days.
    static let monthToWeekGrowth = 1.25
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
    /// The bound, for the ratio column (nil: worked out from the unit, as before).
    var limit: Double? = nil
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
    var reportParse: ParseFigures
    var reportRanges: [RangeFigures]
    var reportSkipped: [String]
    /// RSS the bench's own process took on to build the report pages (the replay server's data).
    var replayPagesRSSKB: Int
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

// 4 and 5. The report path: the Query pages of 1, 7 and 30 days, built before timing.
let reportFirstDay = reportLastDay.adding(days: -(reportDays - 1))
say("building the report path's table: \(reportDays) days x \(grouped(Double(reportPerDay))) items (\(reportFirstDay) .. \(reportLastDay)), and every range's Query pages ...")
let memoryBeforePages = memoryStatus().rss
struct ReportRange {
    var label: String
    var days: Int
    var start: CivilDate
    var end: CivilDate
    var segments: [SegmentPages]
    var expected: ExpectedTotals
    var event: String
}
/// Every range's pages, and the last day's items (to seed moto with); the table itself is
/// dropped once they are built.
func buildReportRanges() throws -> (ranges: [ReportRange], oneSegment: [ReportRange], lastDayItems: [UsageItem]) {
    let usageTable = UsageTable(firstDay: reportFirstDay, days: reportDays, perDay: reportPerDay, seed: 20261130)
    // The segments the handler will ask for (UsageFetcher's own split, 8 at most).
    let ranges: [ReportRange] = [1, 7, 30].map { days in
        let start = reportLastDay.adding(days: -(days - 1))
        let query = UsageQuery(start: start, end: reportLastDay, aggregation: reportLevels)
        let segments = UsageFetcher.segments(of: query, concurrency: 8).map { PageBuilder.segment(usageTable, from: $0.first, to: $0.last) }
        return ReportRange(
            label: days == 1 ? "1 day" : "\(days) days", days: days, start: start, end: reportLastDay, segments: segments,
            expected: PageBuilder.expected(usageTable.items(from: start, through: reportLastDay)),
            event: restEvent(start: start, end: reportLastDay)
        )
    }
    // 7 and 30 days as one segment each (AI_USAGE_QUERY_CONCURRENCY=1): memory without parallel segments.
    let oneSegment = ranges.filter { $0.days > 1 }.map { range in
        var single = range
        single.segments = [PageBuilder.segment(usageTable, from: range.start, to: range.end)]
        return single
    }
    return (ranges, oneSegment, usageTable.items(from: reportLastDay, through: reportLastDay))
}
let (reportRanges, oneSegmentRanges, lastDayItems) = try buildReportRanges()
let replayPagesRSSKB = memoryStatus().rss - memoryBeforePages
for range in reportRanges {
    let pages = range.segments.reduce(0) { $0 + $1.pages.count }
    let bytes = range.segments.reduce(0) { $0 + $1.bytes }
    say("  \(range.label) (\(range.start) .. \(range.end)): \(grouped(Double(range.expected.items))) items (\(grouped(Double(range.expected.legacy))) camelCase), "
        + "\(range.segments.count) segment\(range.segments.count == 1 ? "" : "s"), \(pages) pages of <= 1 MB stored size, \(fixed(Double(bytes) / 1e6, 1)) MB of response JSON")
}
say("  (this process's RSS grew by \(fixed(Double(replayPagesRSSKB) / 1024, 0)) MB building them; the handler runs in processes of its own)")
say()

// 4. In-process: raw parse against decode + aggregate.
let month = reportRanges[2]
let monthPages = month.segments.flatMap(\.pages)
say("4. report path in-process: the \(month.label)' \(monthPages.count) Query pages (\(grouped(Double(month.expected.items))) items), \(parseRuns) interleaved runs after a warm-up")
say("   raw parse = JSONValue.parse of each page; real path = each page decoded as DynamoDBClient.queryPage does (JSONValue.parse, AttributeValue(wire:) for every attribute) + UsageAggregate.add for every item (5 levels), then report + JSON;")
say("   and the same through DynamoDBClient.queryPage itself on an in-memory transport (request signed, response CRC32 checked)")
let parse = try await ReportBench.run(monthPages, expected: month.expected, start: month.start, end: month.end, runs: parseRuns)
say("   report: \(grouped(Double(parse.reportBytes))) bytes; totals \(parse.verified ? "match the items (calls, cost, tokens)" : "DO NOT MATCH the items")")
do {
    let b = parse.breakdown
    func share(_ part: Double) -> String { "\(fixed(part * 1000, 0)) ms (\(fixed(part / b.totalSeconds * 100, 0))%)" }
    say("   decode + aggregate runs at \(fixed(parse.ratio * 100, 0))% of raw parse speed (goal >= \(fixed(Target.aggregateToParseRatio * 100, 0))%: \(parse.ratio >= Target.aggregateToParseRatio ? "met" : "NOT MET")); "
        + "through DynamoDBClient.queryPage \(fixed(parse.clientRatio * 100, 0))%. Where the time goes (median run, \(fixed(b.totalSeconds * 1000, 0)) ms):")
    say("     JSONValue.parse           \(share(b.parseSeconds))")
    say("     items (AttributeValue)    \(share(b.buildSeconds))  parse + build = \(grouped(b.decodeItemsPerSecond)) items/s")
    say("     UsageAggregate.add        \(share(b.aggregateSeconds))  = \(grouped(Double(parse.items) / b.aggregateSeconds)) items/s; alone on 12 pages: \(grouped(b.addItemsPerSecond)) items/s, of which UsageRow(item:) alone \(grouped(b.rowReadItemsPerSecond)) items/s")
    say("     report + JSON             \(share(b.reportSeconds))")
    say("     freeing pages, the loop   \(share(b.otherSeconds))")
    say("     for comparison, the previous decoder (JSONDecoder into QueryPage): \(grouped(b.jsonDecoderItemsPerSecond)) items/s (12 pages)")
}
say()

// 5. End to end.
say("5. GET /ai_usage end to end: AIUsageHandler.handle on a REST v1 event, aggregation=day,service,model,operation,hour, cache off;")
say("   each range in a process of its own (this binary re-run), \(HandlerPathBench.runs) runs in it, median; RSS from its /proc/self/status")
var rangeFigures: [RangeFigures] = []
var reportSkipped: [String] = []
func showRange(_ figure: RangeFigures) {
    say("   \(figure.range) via \(figure.server)\(figure.concurrency == 8 ? "" : ", concurrency \(figure.concurrency)"): \(figure.runsMilliseconds.map { fixed($0, 0) }.joined(separator: " / ")) ms -> median \(fixed(figure.medianMilliseconds, 0)) ms, "
        + "\(grouped(figure.itemsPerSecond)) items/s; \(figure.pagesPerRun.map { "\($0) pages" } ?? "pages not counted") in \(figure.segments) segment\(figure.segments == 1 ? "" : "s"); "
        + "RSS \(fixed(Double(figure.rssBeforeKB) / 1024, 1)) MB before, peak \(fixed(Double(figure.peakRSSKB) / 1024, 1)) MB (+\(fixed(Double(figure.growthKB) / 1024, 1)) MB"
        + "; after run 1: +\(fixed(Double(figure.peakAfterFirstRunKB - figure.rssBeforeKB) / 1024, 1)) MB)"
        + "; CPU \(fixed(figure.cpuSecondsMedian, 2)) s a run"
        + "; total_api_calls \(figure.totalAPICalls.map { String($0) }.joined(separator: "/")) of \(figure.items) -> \(figure.verified ? "OK" : "MISMATCH")")
}
/// One measured range, or why it could not be measured.
enum RangeOutcome {
    case measured(RangeFigures)
    case failed(String)
}
func childFigures(_ range: ReportRange, server: String, environment: [String: String], concurrency: Int = 8, served: () -> ReplayServer.Counts?) -> RangeOutcome {
    let (result, finished) = HandlerPathBench.child(event: range.event, environment: environment)
    guard let result, result.error == nil else {
        let why = result?.error ?? "exit \(finished.status): \(finished.errors.suffix(400))"
        say("   \(range.label) via \(server): FAILED: \(why)")
        return .failed("\(range.label) via \(server): \(why)")
    }
    let figure = HandlerPathBench.figures(
        range: range.label, days: range.days, server: server, expected: range.expected, segments: range.segments.count,
        concurrency: concurrency, child: result, served: served()
    )
    showRange(figure)
    return .measured(figure)
}
@MainActor func collect(_ outcomes: [RangeOutcome]) {
    for outcome in outcomes {
        switch outcome {
        case .measured(let figure): rangeFigures.append(figure)
        case .failed(let why): reportSkipped.append(why)
        }
    }
}

// 1 day on moto, seeded with that day's items.
if let endpoint = environment["AWS_ENDPOINT_URL_DYNAMODB"], !endpoint.isEmpty {
    let day = reportRanges[0]
    var motoEnvironment: [String: String] = ["AI_USAGE_CACHE_TTL_SECONDS": "0"]
    for name in ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        if let value = environment[name] { motoEnvironment[name] = value }
    }
    let server = environment["AI_USAGE_TEST_SERVER"] ?? "local server"
    do {
        let environmentForMoto = motoEnvironment
        let outcomes = try await HandlerPathBench.withSeededTable(lastDayItems, environment: environment) { table, seconds in
            say("   seeded \(server) table \(table) with \(grouped(Double(day.expected.items))) items in \(fixed(seconds, 2)) s (BatchWriteItem)")
            var withTable = environmentForMoto
            withTable["DYNAMODB_TABLE_NAME"] = table
            return [childFigures(day, server: server, environment: withTable, served: { nil })]
        }
        collect(outcomes)
    } catch {
        reportSkipped.append("1 day via \(server): \(error)")
        say("   1 day via \(server): FAILED: \(error)")
    }
} else {
    reportSkipped.append("1 day via a local server: AWS_ENDPOINT_URL_DYNAMODB is not set")
    say("   1 day via a local server: skipped, AWS_ENDPOINT_URL_DYNAMODB is not set")
}

// 1, 7 and 30 days from the replay server.
do {
    let replay = try ReplayServer(segments: (reportRanges + oneSegmentRanges).flatMap(\.segments))
    say("   replay server on \(replay.endpoint)")
    let replayEnvironment = HandlerPathBench.replayEnvironment(replay)
    for range in reportRanges {
        replay.resetCounts()
        collect([childFigures(range, server: "replay", environment: replayEnvironment, served: { replay.counts })])
        if let refusal = replay.counts.firstRefusal { say("   the replay server refused a request: \(refusal)") }
    }
    say("   the same without parallel segments (AI_USAGE_QUERY_CONCURRENCY=1: one Query walks the whole range):")
    var oneAtATime = replayEnvironment
    oneAtATime["AI_USAGE_QUERY_CONCURRENCY"] = "1"
    for range in oneSegmentRanges {
        replay.resetCounts()
        collect([childFigures(range, server: "replay", environment: oneAtATime, concurrency: 1, served: { replay.counts })])
        if let refusal = replay.counts.firstRefusal { say("   the replay server refused a request: \(refusal)") }
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

var reportRows: [[String]] = [
    ["report path", "value", "unit", "notes"],
    ["raw parse (JSONValue.parse), median of \(parseRuns)", grouped(parse.rawParse.median), "items/s",
     "\(fixed(parse.rawParseMBPerSecond, 1)) MB/s; \(parse.pages) pages, \(grouped(Double(parse.items))) items, \(fixed(Double(parse.bytes) / 1e6, 1)) MB; spread \(fixed(parse.rawParse.spreadPercent, 0))%"],
    ["decode + aggregate + report, median of \(parseRuns)", grouped(parse.decodeAggregate.median), "items/s",
     "\(fixed(parse.decodeAggregateMBPerSecond, 1)) MB/s; spread \(fixed(parse.decodeAggregate.spreadPercent, 0))%; totals \(parse.verified ? "match" : "MISMATCH")"],
    ["  ratio (real path / raw parse)", fixed(parse.ratio * 100, 0), "%", "goal >= \(fixed(Target.aggregateToParseRatio * 100, 0))%"],
    ["through DynamoDBClient.queryPage, median", grouped(parse.clientAggregate.median), "items/s",
     "\(fixed(parse.clientRatio * 100, 0))% of raw parse; in-memory transport, signing + CRC32 included; spread \(fixed(parse.clientAggregate.spreadPercent, 0))%"],
    ["  parse + build items (decode)", grouped(parse.breakdown.decodeItemsPerSecond), "items/s",
     "parse \(fixed(parse.breakdown.parseSeconds * 1000, 0)) + build \(fixed(parse.breakdown.buildSeconds * 1000, 0)) of \(fixed(parse.breakdown.totalSeconds * 1000, 0)) ms (\(fixed((parse.breakdown.parseSeconds + parse.breakdown.buildSeconds) / parse.breakdown.totalSeconds * 100, 0))%)"],
    ["  UsageAggregate.add alone", grouped(Double(parse.items) / parse.breakdown.aggregateSeconds), "items/s",
     "\(fixed(parse.breakdown.aggregateSeconds * 1000, 0)) ms (\(fixed(parse.breakdown.aggregateSeconds / parse.breakdown.totalSeconds * 100, 0))%); UsageRow(item:) alone \(grouped(parse.breakdown.rowReadItemsPerSecond)) items/s"],
    ["  report + JSON", fixed(parse.breakdown.reportSeconds * 1000, 1), "ms", "\(grouped(Double(parse.reportBytes))) bytes"],
    ["  freeing decoded pages, loop", fixed(parse.breakdown.otherSeconds * 1000, 0), "ms", ""],
    ["  previous decoder: JSONDecoder", grouped(parse.breakdown.jsonDecoderItemsPerSecond), "items/s", "for comparison, 12 pages"],
]
for figure in rangeFigures {
    reportRows.append([
        "\(figure.range), \(figure.server)\(figure.concurrency == 8 ? "" : ", 1 segment")", fixed(figure.medianMilliseconds, 0), "ms",
        "\(grouped(Double(figure.items))) items, \(grouped(figure.itemsPerSecond)) items/s; peak RSS \(fixed(Double(figure.peakRSSKB) / 1024, 1)) MB (+\(fixed(Double(figure.growthKB) / 1024, 1)) MB); calls \(figure.verified ? "OK" : "MISMATCH")",
    ])
}
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
    Check(name: "tracker overhead, 1 task (null sink)", ours: single.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: single.median >= Target.trackerRecordsPerSecond && singleCounts.spilled == 0),
    Check(name: "tracker overhead, \(concurrentTasks) tasks (null sink)", ours: concurrent.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: concurrent.median >= Target.trackerRecordsPerSecond && concurrentCounts.spilled == 0),
    Check(name: "tracker overhead, \(concurrentTasks) tasks yielding (null sink)", ours: yielding.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: yielding.median >= Target.trackerRecordsPerSecond && yieldingCounts.spilled == 0),
    Check(name: "tracker overhead vs the Python promise", ours: single.median, unit: "records/s", target: "> 100 records/s (Python)", met: single.median > Target.pythonRecordsPerSecond),
    Check(name: "record() p99.9 vs the Python promise", ours: rounded(latency.p999 / 1000, places: 4), unit: "ms", target: "< 10 ms per record (Python)", met: latency.p999 / 1000 < Target.pythonMillisecondsPerRecord),
    Check(name: "record() max vs the Python promise", ours: rounded(latency.max / 1000, places: 4), unit: "ms", target: "< 10 ms per record (Python)", met: latency.max / 1000 < Target.pythonMillisecondsPerRecord),
    // The call that spills pays for the whole backlog's append.
    Check(name: "slowest record(), \(concurrentTasks) tasks (spilling), vs the Python promise", ours: concurrentCounts.slowestCallMilliseconds, unit: "ms", target: "< 10 ms per record (Python)", met: concurrentCounts.slowestCallMilliseconds < Target.pythonMillisecondsPerRecord),
]
if let endToEnd {
    checks.append(Check(name: "end to end into \(endToEnd.server) vs the Python promise", ours: endToEnd.recordsPerSecond, unit: "records/s", target: "> 100 records/s (Python)", met: endToEnd.recordsPerSecond > Target.pythonRecordsPerSecond))
    checks.append(Check(name: "end to end per record vs the Python promise", ours: endToEnd.msPerRecord, unit: "ms", target: "< 10 ms per record (Python)", met: endToEnd.msPerRecord < Target.pythonMillisecondsPerRecord))
}
checks.append(Check(
    name: "report path: decode + aggregate vs raw parse", ours: rounded(parse.ratio * 100, places: 1), unit: "%",
    target: ">= 50% of raw parse speed (ours)", met: parse.ratio >= Target.aggregateToParseRatio && parse.verified
))
let replayHandlerPath = rangeFigures.filter { $0.server == "replay" && $0.concurrency == 8 }
if let week = replayHandlerPath.first(where: { $0.days == 7 }), let month = replayHandlerPath.first(where: { $0.days == 30 }) {
    let ratio = week.growthKB > 0 ? Double(month.growthKB) / Double(week.growthKB) : .infinity
    checks.append(Check(
        name: "report path: peak RSS growth, 30 days / 7 days", ours: rounded(ratio, places: 2), unit: "x",
        target: "<= 1.25x (4.3x the items; ours)", met: ratio <= Target.monthToWeekGrowth
    ))
}
let oneSegmentFigures = rangeFigures.filter { $0.server == "replay" && $0.concurrency == 1 }
if let week = oneSegmentFigures.first(where: { $0.days == 7 }), let month = oneSegmentFigures.first(where: { $0.days == 30 }) {
    let ratio = week.growthKB > 0 ? Double(month.growthKB) / Double(week.growthKB) : .infinity
    checks.append(Check(
        name: "report path: peak RSS growth, 30 / 7 days, 1 segment", ours: rounded(ratio, places: 2), unit: "x",
        target: "<= 1.25x (4.3x the items; ours)", met: ratio <= Target.monthToWeekGrowth
    ))
}
checks.append(Check(
    name: "report path: total_api_calls = items served", ours: Double(rangeFigures.filter(\.verified).count), unit: "ranges",
    target: "every range (\(rangeFigures.count) measured)", met: !rangeFigures.isEmpty && rangeFigures.allSatisfy(\.verified)
))

if let runtime = runtimeFigures {
    checks.append(Check(
        name: "runtime: per-invocation overhead (p50 / loopback round trip p50)", ours: runtime.roundTripsPerInvocation, unit: "round trips",
        target: "<= 2.5 loopback round trips (ours)", met: runtime.roundTripsPerInvocation <= Target.roundTripsPerInvocation && runtime.noop.failures == 0,
        limit: Target.roundTripsPerInvocation
    ))
    if let boot = runtime.bootstrap {
        checks.append(Check(
            name: "runtime: bootstrap cold start, spawn to first response", ours: boot.spawnToResponse.median, unit: "ms",
            target: "< 20 ms (ours)", met: boot.spawnToResponse.median < Target.coldStartMilliseconds && boot.verified,
            limit: Target.coldStartMilliseconds
        ))
    }
}

say("against the targets")
var checkRows = [["check", "ours", "target", "ratio", "met"]]
for check in checks {
    let ours: String
    let ratio: Double?
    switch check.unit {
    case "records/s":
        let limit = check.target.contains("10,000") ? Target.trackerRecordsPerSecond : Target.pythonRecordsPerSecond
        ours = "\(grouped(check.ours)) records/s"
        ratio = check.ours / limit
    case "ms":
        ours = "\(fixed(check.ours, check.ours >= 10 ? 1 : 4)) ms"
        ratio = check.ours > 0 ? (check.limit ?? Target.pythonMillisecondsPerRecord) / check.ours : .infinity
    case "round trips":
        ours = "\(fixed(check.ours, 2)) round trips"
        ratio = check.ours > 0 ? (check.limit ?? 1) / check.ours : .infinity
    case "%":
        ours = "\(fixed(check.ours, 1))%"
        ratio = check.ours / (Target.aggregateToParseRatio * 100)
    case "x":
        ours = "\(fixed(check.ours, 2))x"
        ratio = check.ours > 0 ? Target.monthToWeekGrowth / check.ours : .infinity
    default:
        ours = "\(grouped(check.ours)) \(check.unit)"
        ratio = nil
    }
    checkRows.append([check.name, ours, check.target, ratio.map { "\(fixed($0, $0 < 10 ? 2 : 0))x" } ?? "", check.met ? "yes" : "NO"])
}
say(table(checkRows))
say("(ratio: how many times better than the target; for ms, RSS growth and round trips, target / ours)")
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
    reportParse: parse,
    reportRanges: rangeFigures,
    reportSkipped: reportSkipped,
    replayPagesRSSKB: replayPagesRSSKB,
    runtime: runtimeFigures,
    runtimeSkipped: runtimeSkipped,
    checks: checks,
    loadAverageAtEnd: loadAtEnd,
    totalSeconds: rounded(totalSeconds, places: 1)
)
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
if let json = try? encoder.encode(report) {
    say(String(decoding: json, as: UTF8.self))
}
if let endToEnd, !endToEnd.verified { exit(1) }
if !parse.verified || !rangeFigures.allSatisfy(\.verified) { exit(1) }
if let runtime = runtimeFigures, runtime.noop.failures + runtime.bareUnderEmulator.failures + runtime.runtimeAgainstTiny.failures > 0 || runtime.bootstrap?.verified == false { exit(1) }
