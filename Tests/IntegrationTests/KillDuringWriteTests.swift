import AIUsage
import AIUsageTracker
import DynamoDB
import Foundation
import TestSupport
import Testing

/// What survives a `kill -9` while writes are in flight (docs/tracker.md, "Killed mid-write").
/// A proxy in front of the real server forwards each write at once and holds the answer back, so
/// the process is killed after DynamoDB has done the work but before it has heard so.
@Suite struct KillDuringWriteTests {
    func environment(_ table: String, endpoint: String? = nil, spill: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DYNAMODB_TABLE_NAME"] = table
        environment["AI_USAGE_SPILL_FILE"] = spill
        if let endpoint { environment["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint }
        return environment
    }

    func spillPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-kill-\(UUID().uuidString).jsonl").path
    }

    /// `ai-usage replay` killed after some of its batches reached DynamoDB: the spill file still
    /// holds every line (it is rewritten only after the writes), and replaying again ends with
    /// exactly the 300 items, none lost, none doubled.
    @Test func aReplayKilledMidwayLosesNothingAndReplayingAgainLandsEachItemOnce() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let day = UTCTimestamp(year: 2026, month: 11, day: 20, hour: 9)
            let metrics = (0..<300).map { index in
                AIUsageMetric(service: "openai", model: "gpt-4o", operation: "completion",
                              timestamp: UTCTimestamp(microsecondsSinceEpoch: day.microsecondsSinceEpoch + Int64(index)),
                              requestId: "kill-\(index)", inputTokens: 100 + index, outputTokens: 10, costUSD: ExactDecimal("0.00\(index % 10)1")!)
            }
            let path = spillPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try SpillFile(path: path).append(try metrics.map { try MetricItemCodec.item(for: $0) })

            let proxy = try FaultScenarioTests.proxy { request, _ in
                request.header("X-Amz-Target")?.hasSuffix("BatchWriteItem") == true ? .forward(.delayed(milliseconds: 400)) : .forward(.faithfully)
            }
            let replay = try ChildProcessRunner.start(CLIIntegrationTests.executable.path, ["replay", path],
                                                      environment: environment(table, endpoint: proxy.endpoint, spill: path))
            let deadline = ContinuousClock.now + .seconds(60)
            while proxy.requests.filter({ $0.header("X-Amz-Target")?.hasSuffix("BatchWriteItem") == true }).count < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let killed = replay.stop()  // SIGKILL, mid-batch
            #expect(killed.status != 0)
            let landed = try await IntegrationEnvironment.metricItems(client, table).count
            #expect(landed >= 50 && landed < 300, "\(landed) items had landed when the replay was killed")
            #expect(try SpillFile(path: path).read().items.count == 300, "the spill file lost lines")

            let again = try await ChildProcessRunner.runOffPool(CLIIntegrationTests.executable.path, ["replay", path],
                                                                environment: environment(table, spill: path))
            #expect(again.status == 0, "\(again.stderr)")
            let all = try await IntegrationEnvironment.metricItems(client, table)
            #expect(all.count == 300)
            #expect(Set(all.compactMap { $0["request_id"]?.string }) == Set(metrics.map(\.requestId)))
            #expect(all.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1["cost_usd"]!.numberText!)! } == metrics.reduce(ExactDecimal.zero) { $0 + $1.costUSD! })
            #expect(try SpillFile(path: path).read().items.isEmpty)
        }
    }

    /// `ai-usage record` killed after its write reached DynamoDB but before the answer came back:
    /// the item is there once, and nothing was spilled (the process never learned of a failure).
    @Test func aRecordKilledAfterItsWriteLandedLeavesTheItemOnce() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let proxy = try FaultScenarioTests.proxy { request, _ in
                request.header("X-Amz-Target")?.hasSuffix("BatchWriteItem") == true ? .forward(.delayed(milliseconds: 30_000)) : .forward(.faithfully)
            }
            let path = spillPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = try ChildProcessRunner.start(CLIIntegrationTests.executable.path, [
                "record", "--service", "openai", "--model", "gpt-4o", "--operation", "completion",
                "--input-tokens", "1000", "--output-tokens", "500", "--job-id", "killed",
            ], environment: environment(table, endpoint: proxy.endpoint, spill: path))
            let deadline = ContinuousClock.now + .seconds(60)
            var landed: [Item] = []
            while landed.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                landed = try await IntegrationEnvironment.metricItems(client, table)
            }
            let killed = record.stop()
            #expect(killed.status != 0, "record finished before it was killed: \(killed.stdout)")
            #expect(landed.count == 1)
            #expect(try await IntegrationEnvironment.metricItems(client, table).count == 1)
            #expect(landed.first?["job_id"] == .s("killed"))
            let spilled = FileManager.default.fileExists(atPath: path) ? try SpillFile(path: path).read().items.count : 0
            #expect(spilled == 0)
        }
    }
}
