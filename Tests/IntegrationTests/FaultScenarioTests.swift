import AIUsage
import AIUsageAPI
import AIUsageBudgets
import AIUsageReports
import AIUsageTracker
import CurlHTTP
import DynamoDB
import Foundation
import Synchronization
import TestSupport
import Testing

/// Faults injected between our client and the real server: a `FaultResponder` proxy on
/// 127.0.0.1 relays to the server `make test` started (signatures still verified there) and
/// alters what the script says. The handler must answer the exact report when the faults pass,
/// a 503 in bounded time when they do not, and never a partial sum; the tracker must end with
/// exactly the items it was given.
@Suite struct FaultScenarioTests {
    /// The port of the server behind `AWS_ENDPOINT_URL_DYNAMODB`.
    static func upstreamPort() throws -> Int {
        let endpoint = try #require(IntegrationEnvironment.environment["AWS_ENDPOINT_URL_DYNAMODB"])
        return try #require(endpoint.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
    }

    static func proxy(_ handler: @escaping @Sendable (RecordedRequest, Int) -> FaultAction) throws -> FaultResponder {
        try FaultResponder(upstreamPort: upstreamPort(), handler: handler)
    }

    /// The known table of `APIIntegrationTests`, asked through `proxy` (or directly when `nil`).
    func ask(
        _ table: String, through proxy: FaultResponder?, deadline: ContinuousClock.Instant? = nil,
        _ parameters: [String: String] = ["start_date": "2026-11-02", "end_date": "2026-11-03", "aggregation": "day,service,model"]
    ) async throws -> (status: Int, body: String) {
        var environment = IntegrationEnvironment.environment
        environment["DYNAMODB_TABLE_NAME"] = table
        environment["AI_USAGE_CACHE_TTL_SECONDS"] = "0"
        if let proxy { environment["AWS_ENDPOINT_URL_DYNAMODB"] = proxy.endpoint }
        let handler = AIUsageHandler(environment: environment, today: { CivilDate(year: 2026, month: 12, day: 1) }, log: { _ in })
        let members = parameters.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: .string($0.value)) }
        let event = JSONValue.object([.init(key: "queryStringParameters", value: .object(members))])
        let result = try JSONValue.parse(await handler.invoke(event.serializedBytes(), deadline: deadline).body)
        return (result["statusCode"]?.intValue ?? -1, result["body"]?.stringValue ?? "")
    }

    func withKnownTable(_ body: (String) async throws -> Void) async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            #expect(await client.batchWriteItem(tableName: table, requests: try APIIntegrationTests.knownItems().map { .put($0) }).isComplete)
            try await body(table)
        }
    }

    /// One fault on the first request, then a faithful relay: the retry gives the exact answer.
    static let transientFaults: [(String, FaultAction)] = [
        ("reset before the answer", .reset),
        ("reset after the headers", .forward(.resetAfterHeaders)),
        ("body truncated", .forward(.truncated(keep: 7))),
        ("wrong x-amz-crc32", .forward(.wrongCRC)),
        ("ProvisionedThroughputExceededException", .dynamoError(code: "ProvisionedThroughputExceededException")),
        ("ThrottlingException", .dynamoError(code: "ThrottlingException")),
        ("500", .dynamoError(status: 500, code: "InternalServerError")),
        ("503", .respond(status: 503, headers: [:], body: Array("Service Unavailable".utf8))),
        ("300 ms latency", .forward(.delayed(milliseconds: 300))),
    ]

    @Test(arguments: transientFaults.indices)
    func aTransientFaultGivesTheExactAnswer(_ index: Int) async throws {
        let (name, fault) = Self.transientFaults[index]
        try await withKnownTable { table in
            let expected = try await ask(table, through: nil)
            #expect(expected.status == 200)
            let proxy = try Self.proxy { _, request in request == 0 ? fault : .forward(.faithfully) }
            let answer = try await ask(table, through: proxy)
            #expect(answer.status == 200, "\(name)")
            #expect(answer.body == expected.body, "\(name)")
            #expect(proxy.requests.count >= 2, "\(name): the fault was not injected")
        }
    }

    /// Every request fails: a 503 with `Retry-After`, well before the deadline, and no numbers.
    static let persistentFaults: [(String, FaultAction)] = [
        ("reset", .reset),
        ("truncated", .forward(.truncated(keep: 7))),
        ("wrong x-amz-crc32", .forward(.wrongCRC)),
        ("ThrottlingException", .dynamoError(code: "ThrottlingException")),
        ("503", .respond(status: 503, headers: [:], body: [])),
        ("never answers", .noAnswer),
    ]

    @Test(arguments: persistentFaults.indices)
    func aPersistentFaultIsA503InBoundedTime(_ index: Int) async throws {
        let (name, fault) = Self.persistentFaults[index]
        try await withKnownTable { table in
            let proxy = try Self.proxy { _, _ in fault }
            defer { proxy.stop() }
            let started = ContinuousClock.now
            let answer = try await ask(table, through: proxy, deadline: started + .seconds(6))
            let elapsed = started.duration(to: .now)
            #expect(answer.status == 503, "\(name)")
            let body = try JSONValue.parse(Array(answer.body.utf8))
            #expect(body["summary"] == nil, "\(name)")
            #expect(body["error"]?.stringValue?.hasPrefix("the usage table is") == true, "\(name)")
            // The deadline bounds it (6 s); the slack is for a loaded machine, not for the retries.
            #expect(elapsed < .seconds(9), "\(name): \(elapsed)")
        }
    }

    /// The first request of the report succeeds and every later one fails: the answer is a 503,
    /// never a 200 with the part that was read.
    @Test func aFaultAfterPartOfTheReadIsNeverAPartialSum() async throws {
        try await withKnownTable { table in
            let proxy = try Self.proxy { _, request in request == 0 ? .forward(.faithfully) : .dynamoError(status: 500, code: "InternalServerError") }
            let answer = try await ask(table, through: proxy, deadline: .now + .seconds(6))
            #expect(proxy.requests.count >= 2)
            #expect(answer.status == 503)
            #expect(!answer.body.contains("total_cost_usd"))
        }
    }

    /// 300 records through a proxy that, by turns, resets after the server wrote, claims every
    /// item unprocessed after the server wrote it, answers 500, corrupts the checksum or throttles.
    /// What the client retries is rewritten under the same key; what outlasts the retries spills,
    /// and its replay lands it. The table ends with exactly the 300 items and their exact cost.
    @Test func everyRecordLandsExactlyOnceThroughFaults() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let proxy = try Self.proxy { request, index in
                guard request.header("X-Amz-Target")?.hasSuffix("BatchWriteItem") == true else { return .forward(.faithfully) }
                switch index % 6 {
                case 0: return .forward(.resetAfterForwarding)
                case 1: return .forward(.claimingUnprocessed)
                case 2: return .dynamoError(status: 500, code: "InternalServerError")
                case 3: return .forward(.wrongCRC)
                case 4: return .dynamoError(code: "ProvisionedThroughputExceededException")
                default: return .forward(.faithfully)
                }
            }
            var configuration = try IntegrationEnvironment.configuration()
            configuration.endpoint = try #require(Endpoint(proxy.endpoint))
            configuration.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxBackoff: .milliseconds(20))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-faults-\(UUID().uuidString).jsonl").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let tracker = Tracker(sink: DynamoDBSink(client: DynamoDBClient(configuration: configuration), tableName: table),
                                  configuration: TrackerConfiguration(spillFile: SpillFile(path: path)))
            let day = UTCTimestamp(year: 2026, month: 11, day: 20, hour: 9)
            let all = (0..<300).map { index in
                var metric = tracker.metric(service: "openai", model: "gpt-4o-mini-2024-07-18", operation: "completion",
                                            usage: TokenUsage(inputTokens: 1000 + index, outputTokens: 100))
                metric.timestamp = UTCTimestamp(microsecondsSinceEpoch: day.microsecondsSinceEpoch + Int64(index))
                metric.requestId = "fault-\(index)"
                return metric
            }
            for metric in all { tracker.record(metric) }
            await tracker.shutdown()
            let stats = tracker.stats()
            #expect(stats.lost == 0)
            #expect(stats.written + stats.spilled == 300)
            #expect(proxy.requests.count > 12, "the faults were not injected")

            // What spilled is replayed straight to the server.
            let replayer = Tracker(sink: DynamoDBSink(client: client, tableName: table),
                                   configuration: TrackerConfiguration(spillFile: SpillFile(path: path)))
            let replay = try await replayer.replaySpill()
            #expect(replay.replayed == stats.spilled)
            #expect(replay.remaining == 0)

            let items = try await IntegrationEnvironment.metricItems(client, table)
            #expect(items.count == 300)
            #expect(Set(items.compactMap { $0["request_id"]?.string }) == Set(all.map(\.requestId)))
            let expected = all.reduce(ExactDecimal.zero) { $0 + $1.costUSD! }
            #expect(items.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1["cost_usd"]!.numberText!)! } == expected)
        }
    }

    /// Every fourth request gets one of the faults in turn, whatever it is: a reset after the
    /// server did the work, a 500, a wrong checksum, throttling, `UnprocessedItems` after a write.
    static func everyFourthFaulted(_ request: RecordedRequest, _ index: Int) -> FaultAction {
        guard index % 4 == 0 else { return .forward(.faithfully) }
        switch (index / 4) % 5 {
        case 0: return .forward(.resetAfterForwarding)
        case 1: return .dynamoError(status: 500, code: "InternalServerError")
        case 2: return .forward(.wrongCRC)
        case 3: return .dynamoError(code: "ThrottlingException")
        default:
            return request.header("X-Amz-Target")?.hasSuffix("BatchWriteItem") == true ? .forward(.claimingUnprocessed) : .forward(.resetAfterHeaders)
        }
    }

    /// A client through `proxy` that retries quickly.
    static func faultedClient(_ proxy: FaultResponder) throws -> DynamoDBClient {
        var configuration = try IntegrationEnvironment.configuration()
        configuration.endpoint = try #require(Endpoint(proxy.endpoint))
        configuration.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxBackoff: .milliseconds(20))
        return DynamoDBClient(configuration: configuration)
    }

    /// Compaction through faults: whatever it managed to write, every answer from rollups is the
    /// answer from raw items; a clean run then compacts what is left, still equal.
    @Test func compactionThroughFaultsNeverLeavesAWrongRollup() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let sink = DynamoDBSink(client: client, tableName: table, now: { RollupIntegrationTests.now })
            #expect(await sink.write(try RollupIntegrationTests.month(perDay: 6)).unwritten.isEmpty)

            let proxy = try Self.proxy(Self.everyFourthFaulted)
            let faulted = RollupCompactor(source: DynamoDBUsageSource(client: try Self.faultedClient(proxy), tableName: table),
                                          settleSeconds: 0, now: { RollupIntegrationTests.now })
            var failures = 0
            for day in 1...29 {
                do { _ = try await faulted.compact(day: CivilDate(year: 2026, month: 11, day: day)) } catch { failures += 1 }
            }
            #expect(proxy.requests.count > 40, "the faults were not injected")
            for question in RollupIntegrationTests.questions {
                let raw = try await RollupIntegrationTests.ask(table, question, rollups: false)
                let rolled = try await RollupIntegrationTests.ask(table, question, rollups: true)
                #expect(rolled.body == raw.body, "\(question), after \(failures) failed days")
            }

            let clean = RollupCompactor(source: DynamoDBUsageSource(client: client, tableName: table), settleSeconds: 0, now: { RollupIntegrationTests.now })
            _ = try await clean.compact(from: CivilDate(year: 2026, month: 11, day: 1), to: CivilDate(year: 2026, month: 11, day: 29))
            let settled = try await RollupIntegrationTests.ask(table, RollupIntegrationTests.questions[0], rollups: true)
            #expect(settled.body == (try await RollupIntegrationTests.ask(table, RollupIntegrationTests.questions[0], rollups: false)).body)
            #expect(settled.read.contains("rollups 29 days"), "\(settled.read)")
        }
    }

    /// Budget checks through faults: some fail, none sends an alert twice, and once the faults
    /// stop every alert has been delivered exactly once.
    @Test func budgetChecksThroughFaultsDeliverEachAlertOnce() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let hook = try FaultResponder { _, _ in .respond(status: 200, headers: [:], body: []) }
            defer { hook.stop() }
            let channel = AlertChannel.webhook(url: "http://127.0.0.1:\(hook.port)/hook")
            let store = BudgetStore(client: client, tableName: table)
            for (scope, limit) in [("global", "10"), ("user:a", "1"), ("user:b", "2"), ("service:openai", "4")] {
                try await store.set(Budget(scope: try BudgetScope(parsing: scope), period: .monthly, limit: ExactDecimal(limit)!, channels: [channel]))
            }
            let now = UTCTimestamp.now()
            let day = UTCTimestamp(year: now.civilDate.year, month: now.civilDate.month, day: now.civilDate.day)
            let items = try [("a", "1.5"), ("b", "1.9"), ("a", "0.75"), ("b", "0.5")].enumerated().map { index, row in
                try MetricItemCodec.item(for: AIUsageMetric(service: "openai", model: "gpt-4o", operation: "completion",
                    timestamp: day, requestId: "budget-fault-\(index)", inputTokens: 1, outputTokens: 1, costUSD: ExactDecimal(row.1)!, userId: row.0))
            }
            #expect(await client.batchWriteItem(tableName: table, requests: items.map { .put($0) }).isComplete)

            func checker(_ client: DynamoDBClient) -> BudgetChecker {
                var settings = AlertSettings()
                settings.signer = AlertSigner(secret: "integration-secret-0123456789")
                return AIUsageHandler.makeBudgetChecker(
                    client: client, tableName: table, sharding: .single, fetcher: UsageFetcher(client: client, tableName: table),
                    alerts: settings, transport: CurlHTTPClient(maxConnections: 1), standardOutput: { _ in }, log: { _ in })
            }
            let proxy = try Self.proxy(Self.everyFourthFaulted)
            let faulted = checker(try Self.faultedClient(proxy))
            var failed = 0
            for _ in 0..<6 {
                do { _ = try await faulted.check(at: UTCTimestamp.now(), send: true) } catch { failed += 1 }
            }
            // A check that failed midway may hold an alert's lease (120 s) or have put off its next
            // attempt (300 s): the clean checks come after both, as the next scheduled ones would.
            let later = UTCTimestamp(microsecondsSinceEpoch: UTCTimestamp.now().microsecondsSinceEpoch + 400_000_000)
            _ = try await checker(client).check(at: later, send: true)
            _ = try await checker(client).check(at: UTCTimestamp(microsecondsSinceEpoch: later.microsecondsSinceEpoch + 1_000_000), send: true)

            let delivered = hook.requests.compactMap { $0.header("X-AI-Usage-Alert-Id") }
            let entries = try await AlertOutbox(client: client, tableName: table).recent()
            #expect(!entries.isEmpty)
            #expect(Set(delivered).count == delivered.count, "an alert was sent twice: \(delivered)")
            #expect(Set(delivered) == Set(entries.map(\.id)), "after \(failed) failed checks")
            #expect(entries.allSatisfy { $0.status == .sent }, "\(entries.map { "\($0.id) \($0.status)" })")
        }
    }
}
