import AIUsage
import AIUsageAPI
import AIUsageReports
import AIUsageTracker
import DynamoDB
import Foundation
import Synchronization
import Testing

/// Rollups and sharding against the real server (moto with signature checks on): seed a month,
/// compact, answer, write a late item, answer again; items of every shard and of the original
/// partition are all found.
@Suite struct RollupIntegrationTests {
    /// The writers' and the handler's clock: 1 December 2026, noon UTC. 29 November is the last
    /// closed day; the 30th is still open.
    static let now = UTCTimestamp(year: 2026, month: 12, day: 1, hour: 12)
    static let today = CivilDate(year: 2026, month: 12, day: 1)
    static let levels = "day,service,model,operation,hour"

    /// `count` calls a day over November, some in the older camelCase generation.
    static func month(perDay count: Int, sharding: IndexSharding = .single) throws -> [Item] {
        let models = [("openai", "gpt-4o"), ("openai", "text-embedding-3-small"), ("anthropic", "claude-3-haiku"), ("google_places", "places_api")]
        var items: [Item] = []
        for day in 1...30 {
            for index in 0..<count {
                let (service, model) = models[(day + index) % models.count]
                var item = try MetricItemCodec.item(for: AIUsageMetric(
                    service: service, model: model, operation: index % 3 == 0 ? "embedding" : "completion",
                    timestamp: UTCTimestamp(year: 2026, month: 11, day: day, hour: (index * 7) % 24, minute: index % 60),
                    requestId: "r-\(day)-\(index)", inputTokens: 100 + index, outputTokens: index,
                    costUSD: ExactDecimal("0.000\(index + 1)7"), userId: index % 4 == 0 ? "alice" : nil,
                    environment: ["production", "staging"][index % 2]), sharding: sharding)
                if index % 5 == 0 {
                    for (snake, camel) in [("cost_usd", "costUSD"), ("api_calls", "apiCalls"), ("user_id", "userId")] {
                        if let value = item.removeValue(forKey: snake) { item[camel] = value }
                    }
                }
                items.append(item)
            }
        }
        return items
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var last: String? { lines.withLock { $0.last { $0.hasPrefix("read ") } } }
    }

    /// The handler's answer body for `parameters`, and its "read …" log line.
    static func ask(_ table: String, _ parameters: [String: String], rollups: Bool, shards: Int = 1) async throws -> (body: String, read: String) {
        var environment = IntegrationEnvironment.environment
        environment["DYNAMODB_TABLE_NAME"] = table
        environment["AI_USAGE_CACHE_TTL_SECONDS"] = "0"
        environment["AI_USAGE_ROLLUPS"] = rollups ? "on" : "off"
        environment["AI_USAGE_INDEX_SHARDS"] = String(shards)
        let log = Lines()
        let handler = AIUsageHandler(environment: environment, today: { today }, log: { log.add($0) })
        let members = parameters.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: .string($0.value)) }
        let event = JSONValue.object([.init(key: "queryStringParameters", value: .object(members))])
        let result = try JSONValue.parse(await handler.handle(event.serializedBytes()))
        #expect(result["statusCode"]?.intValue == 200, "\(result)")
        return (result["body"]?.stringValue ?? "", log.last ?? "")
    }

    static let questions: [[String: String]] = [
        ["start_date": "2026-11-01", "end_date": "2026-11-30", "aggregation": levels],
        ["start_date": "2026-11-05", "end_date": "2026-11-30", "service": "openai", "aggregation": levels],
        ["start_date": "2026-11-01", "end_date": "2026-11-30", "user_id": "alice", "environment": "production", "aggregation": levels],
        ["start_date": "2026-11-01", "end_date": "2026-11-29", "model": "claude-3-haiku", "operation": "completion", "aggregation": "hour"],
    ]

    @Test func seedCompactAnswerThenALateItem() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            // Written as the tracker writes: every day is before the writer's today, so each
            // day is marked dirty first.
            let sink = DynamoDBSink(client: client, tableName: table, now: { Self.now })
            let items = try Self.month(perDay: 24)
            for start in stride(from: 0, to: items.count, by: 100) {
                let outcome = await sink.write(Array(items[start..<min(start + 100, items.count)]))
                #expect(outcome.unwritten.isEmpty, "\(outcome.failure ?? "")")
            }

            let source = DynamoDBUsageSource(client: client, tableName: table)
            let compactor = RollupCompactor(source: source, settleSeconds: 0, now: { Self.now })
            let outcomes = try await compactor.compact(from: CivilDate(year: 2026, month: 11, day: 1), to: CivilDate(year: 2026, month: 11, day: 30))
            #expect(outcomes.filter { $0.result == .written }.count == 29)
            #expect(outcomes.last?.result == .open)
            #expect(outcomes.reduce(0) { $0 + $1.rawItems } == 29 * 24)

            for question in Self.questions {
                let raw = try await Self.ask(table, question, rollups: false)
                let rolled = try await Self.ask(table, question, rollups: true)
                #expect(rolled.body == raw.body, "\(question)")
                #expect(raw.read.contains("rollups 0 days"), "\(raw.read)")
            }
            let first = try await Self.ask(table, Self.questions[0], rollups: true)
            #expect(first.read.hasPrefix("read raw 1 days (24 items"), "\(first.read)")
            #expect(first.read.contains("rollups 29 days"), "\(first.read)")
            #expect(first.body.contains(#""total_api_calls":720"#))

            // Compacting again writes nothing.
            let again = try await compactor.compact(from: CivilDate(year: 2026, month: 11, day: 1), to: CivilDate(year: 2026, month: 11, day: 29))
            #expect(again.allSatisfy { $0.result == .unchanged })

            // A replayed spill: a late item for the 10th, through the sink (marker first).
            let late = try MetricItemCodec.item(for: AIUsageMetric(
                service: "openai", model: "gpt-4o", operation: "completion", timestamp: UTCTimestamp(year: 2026, month: 11, day: 10, hour: 3),
                requestId: "late-1", inputTokens: 1, outputTokens: 1, costUSD: ExactDecimal("1000")))
            #expect(await sink.write([late]).unwritten.isEmpty)
            let after = try await Self.ask(table, Self.questions[0], rollups: true)
            #expect(after.body == (try await Self.ask(table, Self.questions[0], rollups: false)).body)
            #expect(after.body.contains(#""total_api_calls":721"#))
            #expect(after.read.contains("rollups 28 days"), "\(after.read)")

            // Compacted again, the 10th comes from rollups, with the late item in it.
            let redo = try await compactor.compact(day: CivilDate(year: 2026, month: 11, day: 10))
            #expect(redo.result == .written)
            let settled = try await Self.ask(table, Self.questions[0], rollups: true)
            #expect(settled.body == after.body)
            #expect(settled.read.contains("rollups 29 days"), "\(settled.read)")
        }
    }

    @Test func theScheduledEventCompactsThroughTheHandler() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let items = try Self.month(perDay: 3)
            #expect(await client.batchWriteItem(tableName: table, requests: items.map { .put($0) }).isComplete)
            var environment = IntegrationEnvironment.environment
            environment["DYNAMODB_TABLE_NAME"] = table
            let handler = AIUsageHandler(environment: environment, today: { Self.today }, log: { _ in })
            let event = Array(#"{"ai_usage_task": "rollup", "from": "2026-11-20", "to": "2026-11-30"}"#.utf8)
            let (body, failed) = await handler.invoke(event, requestId: "sched-1")
            #expect(!failed)
            let answer = try JSONValue.parse(body)
            #expect(answer["status"]?.stringValue == "ok")
            // 20 … 29 November are closed: 10 days written; the 30th is still open.
            let results = answer["days"]?.arrayValue?.compactMap { $0["result"]?.stringValue } ?? []
            #expect(results == Array(repeating: "written", count: 10), "\(answer)")
        }
    }

    @Test func everyShardAndTheOriginalPartitionAreRead() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let sharded = try Self.month(perDay: 8, sharding: IndexSharding(count: 4)!)
            // Items written before sharding, under the original keys.
            let original = try (1...30).map { day in
                try MetricItemCodec.item(for: AIUsageMetric(
                    service: "openai", model: "gpt-4o", operation: "completion", timestamp: UTCTimestamp(year: 2026, month: 11, day: day, hour: 1),
                    requestId: "old-\(day)", costUSD: ExactDecimal("0.5")))
            }
            #expect(await client.batchWriteItem(tableName: table, requests: (sharded + original).map { .put($0) }).isComplete)
            let partitions = Set(sharded.compactMap { $0["GSI2PK"]?.string })
            #expect(partitions == ["AI_USAGE_COST#S00", "AI_USAGE_COST#S01", "AI_USAGE_COST#S02", "AI_USAGE_COST#S03"])

            let all = try await Self.ask(table, ["start_date": "2026-11-01", "end_date": "2026-11-30"], rollups: false, shards: 4)
            #expect(all.body.contains(#""total_api_calls":270"#), "\(all.body)")  // 240 sharded + 30 original
            let openai = try await Self.ask(table, ["start_date": "2026-11-01", "end_date": "2026-11-30", "service": "openai"], rollups: false, shards: 4)
            // openai: days where (day + index) % 4 is 0 or 1 → half of the 240, plus the 30 original.
            #expect(openai.body.contains(#""total_api_calls":150"#), "\(openai.body)")
            // A reader that does not know the shards finds only the original partition.
            let unsharded = try await Self.ask(table, ["start_date": "2026-11-01", "end_date": "2026-11-30"], rollups: false, shards: 1)
            #expect(unsharded.body.contains(#""total_api_calls":30"#), "\(unsharded.body)")
        }
    }
}
