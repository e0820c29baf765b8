// ai-usage-bench: what the tracker costs the caller, and how fast metrics reach a local
// DynamoDB-compatible server. `make bench` builds it in release mode and runs it under
// scripts/with-local-dynamodb; the results are written up in docs/benchmarks.md.
//
// Prints a human-readable report, then one final line of JSON with every figure.

import AIUsage
import DynamoDB
import Foundation

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
}

struct Check: Codable {
    var name: String
    var ours: Double
    var unit: String
    var target: String
    var met: Bool
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
    var checks: [Check]
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
        say("   \(label) run \(index): \(grouped(run.recordsPerSecond)) records/s (\(fixed(run.elapsed.seconds * 1000, 1)) ms; \(run.stats))")
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

// Results.
func throughputNotes(_ figure: Throughput, _ counts: RunCounts) -> String {
    let total = runsPerMeasurement * nullSinkRecords
    let spilled = counts.spilled == 0 ? "none spilled" : "SPILLED \(grouped(Double(counts.spilled))) of \(grouped(Double(total))) (\(fixed(Double(counts.spilled) * 100 / Double(total), 0))%)"
    return "min \(grouped(figure.min)), max \(grouped(figure.max)), spread \(fixed(figure.spreadPercent, 0))%; \(spilled)"
}
var rows: [[String]] = [
    ["figure", "value", "unit", "notes"],
    ["null sink, 1 task (median of \(runsPerMeasurement))", grouped(single.median), "records/s", throughputNotes(single, singleCounts)],
    ["null sink, \(concurrentTasks) tasks (median of \(runsPerMeasurement))", grouped(concurrent.median), "records/s", throughputNotes(concurrent, concurrentCounts)],
    ["null sink, \(concurrentTasks) tasks yielding /\(yieldEvery) (median)", grouped(yielding.median), "records/s", throughputNotes(yielding, yieldingCounts)],
    ["item encoding alone (MetricItemCodec.item)", grouped(encodeOnly), "records/s", "1 task, 1 pass, no tracker"],
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

var checks: [Check] = [
    // A run that spilled did not buffer what it was given: it does not meet the target, however fast.
    Check(name: "tracker overhead, 1 task (null sink)", ours: single.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: single.median >= Target.trackerRecordsPerSecond && singleCounts.spilled == 0),
    Check(name: "tracker overhead, \(concurrentTasks) tasks (null sink)", ours: concurrent.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: concurrent.median >= Target.trackerRecordsPerSecond && concurrentCounts.spilled == 0),
    Check(name: "tracker overhead, \(concurrentTasks) tasks yielding (null sink)", ours: yielding.median, unit: "records/s", target: ">= 10,000 records/s, none spilled (ours)", met: yielding.median >= Target.trackerRecordsPerSecond && yieldingCounts.spilled == 0),
    Check(name: "tracker overhead vs the Python promise", ours: single.median, unit: "records/s", target: "> 100 records/s (Python)", met: single.median > Target.pythonRecordsPerSecond),
    Check(name: "record() p99.9 vs the Python promise", ours: rounded(latency.p999 / 1000, places: 4), unit: "ms", target: "< 10 ms per record (Python)", met: latency.p999 / 1000 < Target.pythonMillisecondsPerRecord),
    Check(name: "record() max vs the Python promise", ours: rounded(latency.max / 1000, places: 4), unit: "ms", target: "< 10 ms per record (Python)", met: latency.max / 1000 < Target.pythonMillisecondsPerRecord),
]
if let endToEnd {
    checks.append(Check(name: "end to end into \(endToEnd.server) vs the Python promise", ours: endToEnd.recordsPerSecond, unit: "records/s", target: "> 100 records/s (Python)", met: endToEnd.recordsPerSecond > Target.pythonRecordsPerSecond))
    checks.append(Check(name: "end to end per record vs the Python promise", ours: endToEnd.msPerRecord, unit: "ms", target: "< 10 ms per record (Python)", met: endToEnd.msPerRecord < Target.pythonMillisecondsPerRecord))
}
say("against the targets")
var checkRows = [["check", "ours", "target", "ratio", "met"]]
for check in checks {
    let isRate = check.unit == "records/s"
    let limit = isRate ? (check.target.contains("10,000") ? Target.trackerRecordsPerSecond : Target.pythonRecordsPerSecond) : Target.pythonMillisecondsPerRecord
    let ratio = isRate ? check.ours / limit : (check.ours > 0 ? limit / check.ours : .infinity)
    let ours = isRate ? "\(grouped(check.ours)) records/s" : "\(fixed(check.ours, 4)) ms"
    checkRows.append([check.name, ours, check.target, "\(fixed(ratio, ratio < 10 ? 2 : 0))x", check.met ? "yes" : "NO"])
}
say(table(checkRows))
say("(ratio: how many times better than the target; for ms, target / ours)")
say()

let totalSeconds = (ContinuousClock.now - benchStarted).seconds
say("total bench time: \(fixed(totalSeconds, 1)) s")

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
    checks: checks,
    totalSeconds: rounded(totalSeconds, places: 1)
)
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
if let json = try? encoder.encode(report) {
    say(String(decoding: json, as: UTF8.self))
}
if let endToEnd, !endToEnd.verified { exit(1) }
