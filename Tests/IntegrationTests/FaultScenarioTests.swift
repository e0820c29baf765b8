import AIUsage
import AIUsageAPI
import AIUsageTracker
import CurlHTTP
import DynamoDB
import Foundation
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

            let items = try await client.query(QueryInput(
                tableName: table, indexName: "GSI2", keyConditionExpression: "GSI2PK = :p",
                expressionAttributeValues: [":p": .s(MetricItemCodec.costIndexPartition)]
            )).allItems()
            #expect(items.count == 300)
            #expect(Set(items.compactMap { $0["request_id"]?.string }) == Set(all.map(\.requestId)))
            let expected = all.reduce(ExactDecimal.zero) { $0 + $1.costUSD! }
            #expect(items.reduce(ExactDecimal.zero) { $0 + ExactDecimal($1["cost_usd"]!.numberText!)! } == expected)
        }
    }
}
