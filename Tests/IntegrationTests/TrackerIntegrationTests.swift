import AIUsage
import AIUsageTracker
import CurlHTTP
import DynamoDB
import Foundation
import SigV4
import TestSupport
import Testing

/// The tracker against the real server: exact counts and sums, contexts, spill and replay.
@Suite struct TrackerIntegrationTests {
    func allItems(_ client: DynamoDBClient, _ table: String) async throws -> [Item] {
        try await IntegrationEnvironment.metricItems(client, table)
    }

    func spillPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-it-spill-\(UUID().uuidString).jsonl").path
    }

    static let day = UTCTimestamp(year: 2026, month: 11, day: 20, hour: 9)

    func metrics(_ tracker: Tracker, task: Int, count: Int) -> [AIUsageMetric] {
        (0..<count).map { index in
            var metric = tracker.metric(service: "openai", model: "gpt-4o-mini-2024-07-18", operation: "completion",
                                        usage: TokenUsage(inputTokens: 1234 + index, outputTokens: 321))
            metric.timestamp = UTCTimestamp(microsecondsSinceEpoch: Self.day.microsecondsSinceEpoch + Int64(task * 100_000 + index))
            metric.requestId = "t\(task)-\(index)"
            return metric
        }
    }

    @Test func aThousandRecordsFromTenTasksLandExactly() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let tracker = Tracker(sink: DynamoDBSink(client: client, tableName: table),
                                  configuration: TrackerConfiguration(spillFile: SpillFile(path: spillPath())))
            let perTask = (0..<10).map { metrics(tracker, task: $0, count: 100) }
            let expected = perTask.joined().reduce(ExactDecimal.zero) { $0 + $1.costUSD! }
            await withTaskGroup(of: Void.self) { group in
                for (task, batch) in perTask.enumerated() {
                    group.addTask {
                        await TrackingContext.with(jobId: "job-\(task)") {
                            for metric in batch {
                                tracker.record(metric)
                                if metric.requestId.hasSuffix("0") { await Task.yield() }
                            }
                        }
                    }
                }
            }
            await tracker.shutdown()
            #expect(tracker.stats().written == 1000)
            #expect(tracker.stats().spilled == 0)

            let items = try await allItems(client, table)
            #expect(items.count == 1000)
            let total = items.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1["cost_usd"]!.numberText!)! }
            #expect(total == expected)
            #expect(total.description == "0.385125")  // 10 × Σ_{i<100} ((1234+i)·0.15 + 321·0.6) / 1M
            for item in items {
                let task = item["request_id"]!.string!.dropFirst().prefix { $0 != "-" }
                #expect(item["job_id"] == .s("job-\(task)"))
                #expect(item["GSI3PK"] == .s("JOB#job-\(task)"))
            }
            // The same metrics again overwrite the same keys: still 1000.
            for metric in perTask[0] { tracker.record(metric) }
            await tracker.flush()
            #expect(try await allItems(client, table).count == 1000)
        }
    }

    @Test func nestedContextsReachTheRightIndexes() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let tracker = Tracker(sink: DynamoDBSink(client: client, tableName: table),
                                  configuration: TrackerConfiguration(spillFile: SpillFile(path: spillPath())))
            let batch = metrics(tracker, task: 0, count: 4)
            await TrackingContext.with(userId: "alice") {
                tracker.record(batch[0])
                await TrackingContext.with(jobId: "nightly") {
                    tracker.record(batch[1])
                    await TrackingContext.with(batchId: "b-1") { tracker.record(batch[2]) }
                }
                tracker.record(batch[3])
            }
            await tracker.shutdown()
            func scope(_ key: String) async throws -> [String] {
                try await client.query(QueryInput(tableName: table, indexName: "GSI3", keyConditionExpression: "GSI3PK = :p",
                                                  expressionAttributeValues: [":p": .s(key)])).allItems().compactMap { $0["request_id"]?.string }.sorted()
            }
            #expect(try await scope("USER#alice") == ["t0-0", "t0-3"])
            #expect(try await scope("JOB#nightly") == ["t0-1", "t0-2"])
            #expect(try await scope("BATCH#b-1") == [])
            let items = try await allItems(client, table)
            #expect(items.first { $0["request_id"] == .s("t0-2") }?["batch_id"] == .s("b-1"))
            #expect(items.first { $0["request_id"] == .s("t0-2") }?["user_id"] == .s("alice"))
        }
    }

    /// DynamoDB throttles every request for a while: everything spills; replay writes each item once.
    @Test func anOutageSpillsThenReplayLandsEveryItemOnce() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let outage = try FaultResponder { _, _ in .dynamoError(code: "ThrottlingException", message: "Rate of requests exceeds the allowed throughput.") }
            var configuration = try IntegrationEnvironment.configuration()
            configuration.endpoint = try #require(Endpoint(outage.endpoint))
            configuration.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxBackoff: .milliseconds(20))
            let path = spillPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let throttled = Tracker(sink: DynamoDBSink(client: DynamoDBClient(configuration: configuration), tableName: table),
                                    configuration: TrackerConfiguration(spillFile: SpillFile(path: path)))
            let all = (0..<10).flatMap { metrics(throttled, task: $0, count: 100) }
            for metric in all { throttled.record(metric) }
            await throttled.shutdown()
            #expect(throttled.stats().spilled == 1000)
            #expect(throttled.stats().written == 0)
            #expect(outage.requests.count >= 10)
            #expect(try await allItems(client, table).isEmpty)
            #expect(try SpillFile(path: path).read().items.count == 1000)

            // DynamoDB is back: replay from the spill file, twice.
            let replayer = Tracker(sink: DynamoDBSink(client: client, tableName: table),
                                   configuration: TrackerConfiguration(spillFile: SpillFile(path: path)))
            let first = try await replayer.replaySpill()
            #expect(first.replayed == 1000)
            #expect(first.remaining == 0)
            let second = try await replayer.replaySpill()
            #expect(second.replayed == 0)
            let items = try await allItems(client, table)
            #expect(items.count == 1000)
            #expect(Set(items.compactMap { $0["request_id"]?.string }) == Set(all.map(\.requestId)))
            let expected = all.reduce(ExactDecimal.zero) { $0 + $1.costUSD! }
            #expect(items.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1["cost_usd"]!.numberText!)! } == expected)
        }
    }
}
