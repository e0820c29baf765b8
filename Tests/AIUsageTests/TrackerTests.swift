import AIUsage
import AIUsageTracker
import DynamoDB
import Foundation
import Synchronization
import Testing

/// A sink that keeps what it is given, and can be told to fail.
final class RecordingSink: MetricSink {
    private let state = Mutex<(items: [Item], calls: Int, failing: Bool)>(([], 0, false))
    var items: [Item] { state.withLock { $0.items } }
    var calls: Int { state.withLock { $0.calls } }
    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    func write(_ items: [Item]) async -> SinkOutcome {
        state.withLock { state in
            state.calls += 1
            if state.failing { return SinkOutcome(unwritten: items, failure: "injected outage") }
            state.items += items
            return .complete
        }
    }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-\(name)-\(UUID().uuidString).jsonl").path
}

@Suite struct TrackerTests {
    func metric(_ index: Int = 0, cost: String = "0.000225") -> AIUsageMetric {
        AIUsageMetric(service: "openai", model: "gpt-4o-mini", operation: "completion", requestId: "r\(index)", inputTokens: 10, outputTokens: 5, costUSD: ExactDecimal(cost))
    }

    func tracker(_ sink: RecordingSink, batchSize: Int = 25, interval: Duration = .seconds(60), maxBuffered: Int = 10_000, spill: String = temporaryPath("spill")) -> Tracker {
        Tracker(sink: sink, configuration: TrackerConfiguration(batchSize: batchSize, flushInterval: interval, maxBuffered: maxBuffered, spillFile: SpillFile(path: spill)))
    }

    @Test func flushWritesEverythingAndCounts() async {
        let sink = RecordingSink()
        let tracker = tracker(sink)
        for index in 0..<60 { tracker.record(metric(index)) }
        await tracker.flush()
        #expect(sink.items.count == 60)
        #expect(Set(sink.items.compactMap { $0["request_id"]?.string }).count == 60)
        let stats = tracker.stats()
        #expect(stats.written == 60)
        #expect(stats.queued == 0)
        #expect(stats.spilled == 0)
    }

    @Test func aFullBufferFlushesWithoutBeingAsked() async throws {
        let sink = RecordingSink()
        let tracker = tracker(sink, batchSize: 10)
        for index in 0..<10 { tracker.record(metric(index)) }
        for _ in 0..<200 where sink.items.count < 10 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.items.count == 10)
    }

    @Test func theIntervalFlushesAPartialBuffer() async throws {
        let sink = RecordingSink()
        let tracker = tracker(sink, batchSize: 25, interval: .milliseconds(50))
        tracker.record(metric())
        for _ in 0..<200 where sink.items.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.items.count == 1)
        await tracker.shutdown()
    }

    @Test func invalidMetricsAreRefusedNotThrown() async {
        let sink = RecordingSink()
        let tracker = tracker(sink)
        #expect(tracker.record(AIUsageMetric(service: "openai", model: "", operation: "completion")) == nil)
        await tracker.flush()
        #expect(tracker.stats().rejected == 1)
        #expect(sink.items.isEmpty)
    }

    @Test func contextsNestAndRestore() async throws {
        let sink = RecordingSink()
        let tracker = tracker(sink)
        func stored(_ id: String) -> Item? { sink.items.first { $0["request_id"]?.string == id } }
        await TrackingContext.with(jobId: "job-1", userId: "alice") {
            tracker.record(metric(1))
            await TrackingContext.with(batchId: "batch-9", userId: "bob") {
                tracker.record(metric(2))
            }
            tracker.record(metric(3))
        }
        tracker.record(metric(4))
        await tracker.flush()
        #expect(stored("r1")?["job_id"] == .s("job-1"))
        #expect(stored("r1")?["user_id"] == .s("alice"))
        #expect(stored("r1")?["batch_id"] == nil)
        #expect(stored("r2")?["job_id"] == .s("job-1"))
        #expect(stored("r2")?["user_id"] == .s("bob"))
        #expect(stored("r2")?["batch_id"] == .s("batch-9"))
        #expect(stored("r3")?["user_id"] == .s("alice"))
        #expect(stored("r3")?["batch_id"] == nil)
        #expect(stored("r4")?["job_id"] == nil)
        #expect(stored("r4")?["GSI3PK"] == nil)
        // A context survives a failure in its scope and is gone afterwards.
        await #expect(throws: CancellationError.self) {
            try await TrackingContext.with(jobId: "doomed") { throw CancellationError() }
        }
        #expect(TrackingContext.current == TrackingContext())
    }

    @Test func concurrentTasksKeepTheirOwnContexts() async {
        let sink = RecordingSink()
        let tracker = tracker(sink)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<10 {
                group.addTask {
                    await TrackingContext.with(jobId: "job-\(task)") {
                        for index in 0..<20 {
                            await Task.yield()
                            tracker.record(metric(task * 100 + index))
                        }
                    }
                }
            }
        }
        await tracker.flush()
        #expect(sink.items.count == 200)
        for item in sink.items {
            let id = Int(item["request_id"]!.string!.dropFirst())!
            #expect(item["job_id"] == .s("job-\(id / 100)"))
        }
    }

    @Test func anOutageSpillsAndReplayWritesEachItemOnce() async throws {
        let sink = RecordingSink()
        let path = temporaryPath("outage")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tracker = tracker(sink, spill: path)
        sink.setFailing(true)
        for index in 0..<40 { tracker.record(metric(index)) }
        await tracker.flush()
        var stats = tracker.stats()
        #expect(stats.spilled == 40)
        #expect(stats.written == 0)
        #expect(stats.retried == 40)
        #expect(stats.queued == 0)
        #expect(try SpillFile(path: path).read().items.count == 40)

        // Still down: replay keeps everything in the file.
        let stillDown = try await tracker.replaySpill()
        #expect(stillDown.replayed == 0)
        #expect(stillDown.remaining == 40)

        sink.setFailing(false)
        let replayed = try await tracker.replaySpill()
        #expect(replayed.replayed == 40)
        #expect(replayed.remaining == 0)
        #expect(try SpillFile(path: path).read().items.isEmpty)
        let again = try await tracker.replaySpill()
        #expect(again.replayed == 0)
        stats = tracker.stats()
        #expect(stats.replayed == 40)
        #expect(Set(sink.items.compactMap { $0["SK"]?.string }).count == 40)
        #expect(sink.items.count == 40)
    }

    @Test func aFullBufferSpillsInsteadOfGrowing() async throws {
        let sink = RecordingSink()
        let path = temporaryPath("bounded")
        defer { try? FileManager.default.removeItem(atPath: path) }
        sink.setFailing(true)
        let tracker = tracker(sink, batchSize: 1000, maxBuffered: 1000, spill: path)
        for index in 0..<1500 { tracker.record(metric(index)) }
        // However the flush task and the overflow path share the work, nothing is kept beyond
        // the bound and nothing is lost.
        await tracker.flush()
        #expect(tracker.stats().spilled == 1500)
        #expect(try SpillFile(path: path).read().items.count == 1500)
    }

    @Test func malformedSpillLinesAreKeptAndCounted() async throws {
        let path = temporaryPath("malformed")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let good = try MetricItemCodec.item(for: metric(1))
        try SpillFile(path: path).append([good])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("not json\n".utf8))
        handle.closeFile()
        let sink = RecordingSink()
        let result = try await tracker(sink, spill: path).replaySpill()
        #expect(result.replayed == 1)
        #expect(result.malformed == 1)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not json\n")
    }

    @Test func sumsOfRecordedCostsAreExact() async {
        let sink = RecordingSink()
        let tracker = tracker(sink)
        for index in 0..<10_000 { tracker.record(metric(index, cost: "0.000225")) }
        await tracker.flush()
        let total = sink.items.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1["cost_usd"]!.numberText!)! }
        #expect(total.description == "2.25")
    }

    @Test func trackRecordsSuccessAndFailureAndRethrows() async throws {
        struct ProviderDown: Error, CustomStringConvertible { var description: String { "RateLimitError: 429" } }
        let sink = RecordingSink()
        let tracker = tracker(sink)
        let answer = await tracker.track(service: "openai", model: "gpt-4o", operation: "completion", usage: { (_: String) in
            TokenUsage(inputTokens: 1000, outputTokens: 500, model: "gpt-4o-2024-08-06")
        }) { "ok" }
        #expect(answer == "ok")
        await #expect(throws: ProviderDown.self) {
            try await tracker.track(service: "openai", model: "gpt-4o", operation: "completion", usage: { (_: String) in TokenUsage() }) {
                throw ProviderDown()
            }
        }
        await tracker.flush()
        let items = sink.items
        #expect(items.count == 2)
        let success = try #require(items.first { $0["error"] == nil })
        #expect(success["model"] == .s("gpt-4o-2024-08-06"))
        let priced = tracker.calculator.cost(service: "openai", model: "gpt-4o-2024-08-06", operation: "completion", usage: TokenUsage(inputTokens: 1000, outputTokens: 500))
        #expect(success["cost_usd"] == priced.costUSD.map { .n($0.description) })
        #expect(success["cost_usd"] != nil)
        #expect(success["metadata"]?.map?["requested_model"] == .s("gpt-4o"))
        #expect(success["latency_ms"]?.numberText != nil)
        let failure = try #require(items.first { $0["error"] != nil })
        #expect(failure["error"] == .s("RateLimitError: 429"))
        #expect(failure["cost_usd"] == nil)
        #expect(failure["latency_ms"]?.numberText != nil)
    }

    @Test func unknownModelsHaveNoCostAndSayWhy() {
        let tracker = tracker(RecordingSink())
        let metric = tracker.metric(service: "openai", model: "gpt-99-ultra", operation: "completion", usage: TokenUsage(inputTokens: 10, outputTokens: 10))
        #expect(metric.costUSD == nil)
        #expect(metric.metadata["cost_note"]?.string?.contains("gpt-99-ultra") == true)
    }

    @Test func environmentDetectionFollowsTheOriginal() {
        #expect(EnvironmentDetector.detect(["ENVIRONMENT": "Staging", "CI": "true"]) == "staging")
        #expect(EnvironmentDetector.detect(["GITHUB_ACTIONS": "true"]) == "cicd")
        #expect(EnvironmentDetector.detect(["AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023", "PULUMI_STACK_NAME": "prod"]) == "production")
        #expect(EnvironmentDetector.detect(["AWS_EXECUTION_ENV": "x", "PULUMI_STACK_NAME": "stage"]) == "staging")
        #expect(EnvironmentDetector.detect(["AWS_EXECUTION_ENV": "x", "AWS_SAM_LOCAL": "true", "PULUMI_STACK_NAME": "prod"]) == "development")
        #expect(EnvironmentDetector.detect([:]) == "development")
    }

    @Test func configurationComesFromTheEnvironment() {
        let configuration = TrackerConfiguration.fromEnvironment([
            "AI_USAGE_SPILL_FILE": "/var/tmp/spill.jsonl", "TRACK_TO_FILE": "TRUE", "USER_ID": "carol", "GITHUB_ACTIONS": "true",
        ])
        #expect(configuration.spillFile.path == "/var/tmp/spill.jsonl")
        #expect(configuration.mirrorFile == "/tmp/ai_usage.jsonl")
        #expect(configuration.defaults == TrackingContext(userId: "carol", environment: "cicd"))
        let quiet = TrackerConfiguration.fromEnvironment(["TMPDIR": "/scratch/"])
        #expect(quiet.spillFile.path == "/scratch/ai-usage-spill.jsonl")
        #expect(quiet.mirrorFile == nil)
        #expect(quiet.defaults.environment == "development")
    }

    @Test func theMirrorFileGetsOneJSONLinePerMetric() async throws {
        let mirror = temporaryPath("mirror")
        defer { try? FileManager.default.removeItem(atPath: mirror) }
        let tracker = Tracker(sink: RecordingSink(), configuration: TrackerConfiguration(spillFile: SpillFile(path: temporaryPath("unused")), mirrorFile: mirror))
        tracker.record(metric(1, cost: "0.0125"))
        tracker.record(metric(2))
        await tracker.flush()
        let lines = try String(contentsOfFile: mirror, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""request_id":"r1""#))
        #expect(lines[0].hasSuffix(#""total_tokens":15,"cost_usd":0.0125}"#))
        #expect(lines[1].contains(#""request_id":"r2""#))
    }
}
