import AIUsage
import AIUsageTracker
import DynamoDB
import Foundation

/// A spill file of its own per tracker, so the bench never touches the user's
/// `ai-usage-spill.jsonl`; removed when the bench is done with it.
func benchSpillFile(_ label: String) -> SpillFile {
    let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    return SpillFile(path: "\(directory)/ai-usage-bench-\(getpid())-\(label).jsonl")
}

func removeSpillFile(_ file: SpillFile) {
    try? FileManager.default.removeItem(atPath: file.path)
}

/// The outcome of one timed run.
struct Run {
    var elapsed: Duration
    var stats: TrackerStats
    var recordsPerSecond: Double
    /// The slowest single `record` call of the run (a call that spills pays for the spill).
    var slowestCall: Duration
}

/// How the tracker's own counters looked over all the runs of one measurement.
struct RunCounts: Codable {
    var written: Int
    var spilled: Int
    var rejected: Int
    var lost: Int
    /// The slowest single `record` call over every run, in ms.
    var slowestCallMilliseconds: Double
}

enum TrackerBench {
    /// `tracker.record` for every call, from `tasks` concurrent tasks (each its own contiguous
    /// slice), then `await tracker.flush()`: the timed part. A fresh tracker into `NullSink`.
    /// `yieldEvery` > 0: each task calls `await Task.yield()` after that many records, as a
    /// caller doing real work between calls would suspend now and then.
    static func nullSinkRun(_ calls: [Call], tasks: Int, yieldEvery: Int = 0, label: String) async -> Run {
        let spill = benchSpillFile(label)
        defer { removeSpillFile(spill) }
        let tracker = Tracker(sink: NullSink(), configuration: TrackerConfiguration(spillFile: spill))
        let clock = ContinuousClock()
        let started = clock.now
        var slowest = Duration.zero
        if tasks <= 1 {
            for call in calls {
                let before = clock.now
                record(call, into: tracker)
                slowest = max(slowest, clock.now - before)
            }
        } else {
            let slice = (calls.count + tasks - 1) / tasks
            slowest = await withTaskGroup(of: Duration.self) { group in
                for index in 0..<tasks {
                    let range = (index * slice)..<min(calls.count, (index + 1) * slice)
                    group.addTask {
                        var worst = Duration.zero
                        for position in range {
                            let before = clock.now
                            record(calls[position], into: tracker)
                            worst = max(worst, clock.now - before)
                            if yieldEvery > 0, (position - range.lowerBound) % yieldEvery == yieldEvery - 1 { await Task.yield() }
                        }
                        return worst
                    }
                }
                var worst = Duration.zero
                for await taskWorst in group { worst = max(worst, taskWorst) }
                return worst
            }
        }
        await tracker.flush()
        let elapsed = clock.now - started
        await tracker.shutdown()
        return Run(elapsed: elapsed, stats: tracker.stats(), recordsPerSecond: Double(calls.count) / elapsed.seconds, slowestCall: slowest)
    }

    /// `runs` timed runs after one untimed warm-up; a short pause between runs lets the
    /// previous tracker's leftover tasks drain.
    static func throughput(_ calls: [Call], tasks: Int, yieldEvery: Int = 0, runs: Int, report: (Int, Run) -> Void) async -> (Throughput, RunCounts) {
        // (Every record() call is timed too, for the slowest: two clock reads, ~0.03 µs, per call.)
        _ = await nullSinkRun(Array(calls.prefix(20_000)), tasks: tasks, yieldEvery: yieldEvery, label: "warmup")
        var rates: [Double] = []
        var counts = RunCounts(written: 0, spilled: 0, rejected: 0, lost: 0, slowestCallMilliseconds: 0)
        for index in 1...runs {
            try? await Task.sleep(for: .milliseconds(150))
            let run = await nullSinkRun(calls, tasks: tasks, yieldEvery: yieldEvery, label: "run\(index)")
            rates.append(run.recordsPerSecond)
            counts.written += run.stats.written
            counts.spilled += run.stats.spilled
            counts.rejected += run.stats.rejected
            counts.lost += run.stats.lost
            counts.slowestCallMilliseconds = max(counts.slowestCallMilliseconds, rounded(run.slowestCall.seconds * 1000, places: 2))
            report(index, run)
        }
        return (Throughput(runs: rates), counts)
    }

    /// ContinuousClock around each `record` call, one task, into `NullSink`.
    static func latency(_ calls: [Call]) async -> (Latency, TrackerStats) {
        let spill = benchSpillFile("latency")
        defer { removeSpillFile(spill) }
        let tracker = Tracker(sink: NullSink(), configuration: TrackerConfiguration(spillFile: spill))
        var samples = [Int64](repeating: 0, count: calls.count)
        let clock = ContinuousClock()
        for (index, call) in calls.enumerated() {
            let started = clock.now
            record(call, into: tracker)
            samples[index] = (clock.now - started).nanoseconds
        }
        await tracker.shutdown()
        return (Latency(nanoseconds: samples), tracker.stats())
    }

    /// What one spill costs: `SpillFile.append` of `count` items (what the `record` call that
    /// finds the buffer full does, inline), median of `runs`, in ms; and the wire writer
    /// (`item.wire.serializedBytes()`) over the same items alone (the encoding a spill line gets), in ms.
    static func spillAppend(_ calls: [Call], count: Int, runs: Int = 3) -> (appendMilliseconds: Double, encodeMilliseconds: Double, bytes: Int) {
        let items: [Item] = calls.prefix(count).compactMap { call in
            var metric = call.metric
            if let context = call.context {
                metric.jobId = metric.jobId ?? context.jobId
                metric.batchId = metric.batchId ?? context.batchId
            }
            return try? MetricItemCodec.item(for: metric)
        }
        let clock = ContinuousClock()
        var times: [Double] = []
        var bytes = 0
        for run in 1...runs {
            let file = benchSpillFile("spill-append-\(run)")
            removeSpillFile(file)
            let started = clock.now
            try? file.append(items)
            times.append((clock.now - started).seconds * 1000)
            bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            removeSpillFile(file)
        }
        var encoded = 0
        let started = clock.now
        for item in items { encoded &+= item.wire.serializedBytes().count }
        let encode = (clock.now - started).seconds * 1000
        precondition(encoded > 0)
        return (rounded(Throughput(runs: times).median, places: 1), rounded(encode, places: 1), bytes)
    }

    /// What the clock itself costs: two `ContinuousClock.now` back to back, in microseconds (p50).
    static func clockOverhead(samples: Int = 100_000) -> Double {
        var values = [Int64](repeating: 0, count: samples)
        let clock = ContinuousClock()
        for index in 0..<samples {
            let started = clock.now
            values[index] = (clock.now - started).nanoseconds
        }
        return Latency(nanoseconds: values).p50
    }

    /// `MetricItemCodec.item(for:)` alone (context applied as `record` does), single task:
    /// how much of `record`'s cost is building the DynamoDB item.
    static func encodeOnly(_ calls: [Call]) -> Double {
        let clock = ContinuousClock()
        var kept = 0
        let started = clock.now
        for call in calls {
            var metric = call.metric
            if let context = call.context {
                metric.jobId = metric.jobId ?? context.jobId
                metric.batchId = metric.batchId ?? context.batchId
            }
            if let item = try? MetricItemCodec.item(for: metric) { kept &+= item.count }
        }
        let elapsed = clock.now - started
        precondition(kept > 0)
        return Double(calls.count) / elapsed.seconds
    }
}
