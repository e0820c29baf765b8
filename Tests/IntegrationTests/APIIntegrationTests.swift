import AIUsage
import AIUsageReports
import AIUsageTracker
import AIUsageAPI
import DynamoDB
import Foundation
import TestSupport
import Testing

/// `GET /ai_usage` end to end against the real server: golden answers for a table of known
/// contents (both item generations, decimal traps), every filter, paging past 1 MB, and the laws.
@Suite struct APIIntegrationTests {
    static func at(_ text: String) -> UTCTimestamp { UTCTimestamp(iso8601: text)! }

    /// Five calls over 2026-11-02 and 2026-11-03; the third is an older camelCase item.
    static func knownItems() throws -> [Item] {
        var items: [Item] = []
        items.append(try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: "gpt-4o", operation: "completion", timestamp: at("2026-11-02T09:15:00Z"), requestId: "r1",
            inputTokens: 60, outputTokens: 40, costUSD: ExactDecimal("0.1"), jobId: "j1")))
        items.append(try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: "gpt-4o", operation: "completion", timestamp: at("2026-11-02T10:00:00Z"), requestId: "r2",
            totalTokens: 200, costUSD: ExactDecimal("0.2"), jobId: "j1", batchId: "b1")))
        items.append([  // as the original (645) tracker wrote it
            "PK": .s("AI_USAGE#anthropic#claude-3-haiku-20240307"), "SK": .s("USAGE#2026-11-03T10:30:00.000000+00:00#r3"),
            "GSI1PK": .s("AI_USAGE#anthropic"), "GSI1SK": .s("DATE#2026-11-03"),
            "GSI2PK": .s("AI_USAGE_COST"), "GSI2SK": .s("COST#2026-11-03#anthropic"),
            "GSI3PK": .s("USER#u1"), "GSI3SK": .s("AI_USAGE#2026-11-03T10:30:00.000000+00:00"), "TYPE": .s("AIUsageMetric"),
            "service": .s("anthropic"), "model": .s("claude-3-haiku-20240307"), "operation": .s("completion"),
            "timestamp": .s("2026-11-03T10:30:00.000000+00:00"), "requestId": .s("r3"), "apiCalls": .n("2"),
            "totalTokens": .n("50"), "costUSD": .n("10.123456789"), "userId": .s("u1"),
            "date": .s("2026-11-03"), "month": .s("2026-11"), "hour": .s("2026-11-03-10"),
        ])
        items.append(try MetricItemCodec.item(for: AIUsageMetric(
            service: "google_places", model: "places_api", operation: "place_details", timestamp: at("2026-11-03T23:59:59Z"), requestId: "r4",
            apiCalls: 3, costUSD: ExactDecimal("0.00005"), environment: "production")))
        var embedding = try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: "text-embedding-3-small", operation: "embedding", timestamp: at("2026-11-03T00:00:01Z"), requestId: "r5",
            inputTokens: 7, costUSD: ExactDecimal("0.00015"), userId: "u1"))
        embedding["total_tokens"] = nil  // tokens then come from input + output
        items.append(embedding)
        return items
    }

    func withKnownTable(_ extra: [Item] = [], _ body: (DynamoDBClient, String) async throws -> Void) async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let result = await client.batchWriteItem(tableName: table, requests: (try Self.knownItems() + extra).map { .put($0) })
            #expect(result.isComplete)
            try await body(client, table)
        }
    }

    func ask(_ table: String, _ parameters: [String: String]) async throws -> (status: Int, body: String, json: JSONValue?) {
        let answer = try await askRaw(table, parameters)
        return (answer.status, answer.body, try? JSONValue.parse(answer.body))
    }

    static let range = ["start_date": "2026-11-02", "end_date": "2026-11-03"]

    @Test func goldenAnswerForEveryAggregation() async throws {
        try await withKnownTable { _, table in
            let answer = try await ask(table, Self.range.merging(["aggregation": "day,service,model,operation,hour"]) { $1 })
            #expect(answer.status == 200)
            let expected = [
                #"{"summary":{"total_cost_usd":10.4237,"total_tokens":357,"total_api_calls":8,"average_cost_per_call":1.302957,"date_range":{"start":"2026-11-02","end":"2026-11-03"},"invalid_items":0,"unpriced_calls":0},"aggregations":{"#,
                #""by_day":{"2026-11-02":{"cost_usd":0.3,"tokens":300,"api_calls":2,"services":["openai"]},"2026-11-03":{"cost_usd":10.1237,"tokens":57,"api_calls":6,"services":["anthropic","google_places","openai"]}},"#,
                #""by_service":{"anthropic":{"cost_usd":10.1235,"tokens":50,"api_calls":2,"models":["claude-3-haiku-20240307"],"operations":["completion"],"average_cost_per_call":5.061728},"google_places":{"cost_usd":0,"tokens":0,"api_calls":3,"models":["places_api"],"operations":["place_details"],"average_cost_per_call":0.000017},"openai":{"cost_usd":0.3002,"tokens":307,"api_calls":3,"models":["gpt-4o","text-embedding-3-small"],"operations":["completion","embedding"],"average_cost_per_call":0.10005}},"#,
                #""by_model":{"claude-3-haiku-20240307":{"cost_usd":10.1235,"tokens":50,"api_calls":2,"service":"anthropic","average_tokens_per_call":25},"gpt-4o":{"cost_usd":0.3,"tokens":300,"api_calls":2,"service":"openai","average_tokens_per_call":150},"places_api":{"cost_usd":0,"tokens":0,"api_calls":3,"service":"google_places","average_tokens_per_call":0},"text-embedding-3-small":{"cost_usd":0.0002,"tokens":7,"api_calls":1,"service":"openai","average_tokens_per_call":7}},"#,
                #""by_operation":{"completion":{"cost_usd":10.4235,"tokens":350,"api_calls":4,"services":["anthropic","openai"]},"embedding":{"cost_usd":0.0002,"tokens":7,"api_calls":1,"services":["openai"]},"place_details":{"cost_usd":0,"tokens":0,"api_calls":3,"services":["google_places"]}},"#,
                #""by_hour":{"00":{"cost_usd":0.0002,"api_calls":1},"09":{"cost_usd":0.1,"api_calls":1},"10":{"cost_usd":10.3235,"api_calls":3},"23":{"cost_usd":0,"api_calls":3}}},"#,
                #""query":{"service":null,"operation":null,"model":null,"job_id":null,"batch_id":null,"user_id":null,"environment":null,"start_date":"2026-11-02","end_date":"2026-11-03","aggregation":["day","service","model","operation","hour"]}}"#,
            ].joined()
            #expect(answer.body == expected)
        }
    }

    /// `aggregation=user,job`, read raw (jobs are not rollup dimensions) with the user and job
    /// ids projected. u1 made r3 (camelCase `userId`: 10.123456789, 50 tokens, 2 calls) and r5
    /// (0.00015, 7 tokens): 10.123606789 → 10.1236, 57 tokens, 3 calls, 10.123606789 / 3 =
    /// 3.3745355963… → 3.374536. The rest have no user: r1 + r2 + r4 = 0.3 + 0.00005 = 0.30005,
    /// a tie that rounds half-even to 0.3, 300 tokens, 5 calls, 0.06001 a call. j1 ran r1 and
    /// r2: 0.3, 300 tokens, 2 calls, 0.15 a call; r3 + r4 + r5 have no job: 10.123656789 →
    /// 10.1237, 57 tokens, 6 calls, 1.6872761315 → 1.687276 a call.
    @Test func goldenAnswerByUserAndByJob() async throws {
        try await withKnownTable { _, table in
            let answer = try await ask(table, Self.range.merging(["aggregation": "job, user"]) { $1 })
            #expect(answer.status == 200)
            let expected = [
                #"{"summary":{"total_cost_usd":10.4237,"total_tokens":357,"total_api_calls":8,"average_cost_per_call":1.302957,"date_range":{"start":"2026-11-02","end":"2026-11-03"},"invalid_items":0,"unpriced_calls":0},"aggregations":{"#,
                #""by_user":{"u1":{"cost_usd":10.1236,"tokens":57,"api_calls":3,"services":["anthropic","openai"],"models":["claude-3-haiku-20240307","text-embedding-3-small"],"average_cost_per_call":3.374536},"#,
                #""unknown":{"cost_usd":0.3,"tokens":300,"api_calls":5,"services":["google_places","openai"],"models":["gpt-4o","places_api"],"average_cost_per_call":0.06001}},"#,
                #""by_job":{"j1":{"cost_usd":0.3,"tokens":300,"api_calls":2,"services":["openai"],"models":["gpt-4o"],"average_cost_per_call":0.15},"#,
                #""unknown":{"cost_usd":10.1237,"tokens":57,"api_calls":6,"services":["anthropic","google_places","openai"],"models":["claude-3-haiku-20240307","places_api","text-embedding-3-small"],"average_cost_per_call":1.687276}}},"#,
                #""query":{"service":null,"operation":null,"model":null,"job_id":null,"batch_id":null,"user_id":null,"environment":null,"start_date":"2026-11-02","end_date":"2026-11-03","aggregation":["job","user"]}}"#,
            ].joined()
            #expect(answer.body == expected)
            // The CSV rows do not change with the levels asked for.
            let csv = try await askRaw(table, Self.range.merging(["aggregation": "user,job", "format": "csv"]) { $1 })
            let plain = try await askRaw(table, Self.range.merging(["format": "csv"]) { $1 })
            #expect(csv.status == 200)
            #expect(csv.body == plain.body)
        }
    }

    /// `format=csv`: the golden rows of the known table (one per day × service × model ×
    /// operation, hours merged: r1 + r2 are 0.1 + 0.2 = 0.3, 60 + 40 + 200 = 300 tokens, 2 calls),
    /// with exact costs that add up to the JSON total: 0.3 + 10.123456789 + 0.00005 + 0.00015 =
    /// 10.423656789, which rounds half-even to the JSON answer's 10.4237.
    @Test func csvGivesTheGoldenRowsAndItsCostsAddUpToTheJSONTotal() async throws {
        try await withKnownTable { _, table in
            let csv = try await askRaw(table, Self.range.merging(["format": "csv"]) { $1 })
            #expect(csv.status == 200)
            #expect(csv.headers["Content-Type"] == "text/csv; charset=utf-8")
            #expect(csv.headers["Content-Disposition"] == #"attachment; filename="ai-usage-2026-11-02-2026-11-03.csv""#)
            let golden = [
                "date,service,model,operation,cost_usd,tokens,api_calls,unpriced_calls",
                "2026-11-02,openai,gpt-4o,completion,0.3,300,2,0",
                "2026-11-03,anthropic,claude-3-haiku-20240307,completion,10.123456789,50,2,0",
                "2026-11-03,google_places,places_api,place_details,0.00005,0,3,0",
                "2026-11-03,openai,text-embedding-3-small,embedding,0.00015,7,1,0",
            ].map { $0 + "\r\n" }.joined()
            #expect(csv.body == golden)

            // Parse back: the cost column's exact sum, against the JSON total.
            let rows = csv.body.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            var total = ExactDecimal.zero
            for row in rows {
                let cost = try #require(ExactDecimal(row[4]))
                total = try #require(total.adding(cost))
            }
            #expect(total == ExactDecimal("10.423656789"))
            let json = try await ask(table, Self.range)
            let jsonTotal = try #require(json.json?["summary"]?["total_cost_usd"]?.numberText)
            #expect(total.rounded(scale: UsageAggregate.costScale).description == jsonTotal)
            #expect(rows.reduce(0) { $0 + Int($1[6])! } == json.json?["summary"]?["total_api_calls"]?.intValue)
            #expect(rows.reduce(0) { $0 + Int($1[5])! } == json.json?["summary"]?["total_tokens"]?.intValue)

            // An empty range has the header row only; a wrong format is a 400.
            let empty = try await askRaw(table, ["start_date": "2026-10-01", "end_date": "2026-10-02", "format": "CSV"])
            #expect(empty.body == "date,service,model,operation,cost_usd,tokens,api_calls,unpriced_calls\r\n")
            let wrong = try await ask(table, ["format": "xml"])
            #expect(wrong.status == 400)
            #expect(wrong.json?["error"]?.stringValue == "format must be json or csv, got 'xml'")
        }
    }

    /// `ai-usage report` without a scope: `--format csv` prints the API's CSV byte for byte, the
    /// table its rows with costs rounded to 4 places, and a filter narrows both alike.
    @Test func theReportCommandWithoutAScopeGivesTheSameRowsAsTheAPI() async throws {
        try await withKnownTable { _, table in
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ai-usage").path
            let range = ["report", "--from", "2026-11-02", "--to", "2026-11-03", "--table", table]
            let csv = try await ChildProcessRunner.runOffPool(executable, range + ["--format", "csv"])
            #expect(csv.status == 0, "\(csv.stderr)")
            #expect(csv.stdout == (try await askRaw(table, Self.range.merging(["format": "csv"]) { $1 })).body)

            let openai = try await ChildProcessRunner.runOffPool(executable, range + ["--format", "csv", "--service", "openai"])
            #expect(openai.stdout == (try await askRaw(table, Self.range.merging(["format": "csv", "service": "openai"]) { $1 })).body)
            #expect(openai.stdout.split(separator: "\r\n").count == 3)

            let text = try await ChildProcessRunner.runOffPool(executable, range)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.hasPrefix("Usage of the whole table, 2026-11-02 .. 2026-11-03 (UTC)\n\nTotal cost  10.4237 USD\nTokens      357\nAPI calls   8\n"), "\(text.stdout)")
            #expect(text.stdout.contains("2026-11-03  anthropic      claude-3-haiku-20240307  completion     10.1235   50      2\n"), "\(text.stdout)")

            let json = try await ChildProcessRunner.runOffPool(executable, range + ["--format", "json"])
            let answer = try JSONValue.parse(Array(json.stdout.utf8))
            #expect(answer["summary"]?["total_cost_usd"]?.numberText == "10.4237")
            #expect(answer["aggregations"]?["by_operation"]?["embedding"]?["api_calls"]?.intValue == 1)
        }
    }

    /// The proxy response itself: status, headers (REST v1 `headers`), body.
    func askRaw(_ table: String, _ parameters: [String: String]) async throws -> (status: Int, headers: [String: String], body: String) {
        var environment = IntegrationEnvironment.environment
        environment["DYNAMODB_TABLE_NAME"] = table
        environment["AI_USAGE_CACHE_TTL_SECONDS"] = "0"
        let handler = AIUsageHandler(environment: environment, today: { CivilDate(year: 2026, month: 12, day: 1) }, log: { _ in })
        let members = parameters.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: .string($0.value)) }
        let event = JSONValue.object([.init(key: "queryStringParameters", value: .object(members))])
        let result = try JSONValue.parse(await handler.handle(event.serializedBytes()))
        var headers: [String: String] = [:]
        if case .object(let members)? = result["headers"] {
            for member in members { headers[member.key] = member.value.stringValue }
        }
        return (result["statusCode"]?.intValue ?? -1, headers, result["body"]?.stringValue ?? "")
    }

    /// Each filter, with the summary it must give (`user_id` matches the camelCase `userId` too).
    @Test func goldenSummaryForEveryFilter() async throws {
        try await withKnownTable { _, table in
            let cases: [([String: String], String, Int, Int)] = [
                (["service": "OpenAI"], "0.3002", 307, 3),
                (["operation": "completion"], "10.4235", 350, 4),
                (["model": "gpt-4o"], "0.3", 300, 2),
                (["job_id": "j1"], "0.3", 300, 2),
                (["batch_id": "b1"], "0.2", 200, 1),
                (["user_id": "u1"], "10.1236", 57, 3),
                (["environment": "production"], "0", 0, 3),
                (["service": "anthropic", "user_id": "u1"], "10.1235", 50, 2),
                (["service": "mistral"], "0", 0, 0),
            ]
            for (filter, cost, tokens, calls) in cases {
                let answer = try await ask(table, Self.range.merging(filter) { $1 })
                let summary = answer.json?["summary"]
                #expect(answer.status == 200, "\(filter)")
                #expect(summary?["total_cost_usd"]?.numberText == cost, "\(filter)")
                #expect(summary?["total_tokens"]?.intValue == tokens, "\(filter)")
                #expect(summary?["total_api_calls"]?.intValue == calls, "\(filter)")
            }
        }
    }

    @Test func anEmptyRangeIsZeros() async throws {
        try await withKnownTable { _, table in
            let answer = try await ask(table, ["start_date": "2026-10-01", "end_date": "2026-10-05", "aggregation": "service,hour"])
            #expect(answer.body == #"{"summary":{"total_cost_usd":0,"total_tokens":0,"total_api_calls":0,"average_cost_per_call":0,"date_range":{"start":"2026-10-01","end":"2026-10-05"},"invalid_items":0,"unpriced_calls":0},"aggregations":{"by_service":{},"by_hour":{}},"query":{"service":null,"operation":null,"model":null,"job_id":null,"batch_id":null,"user_id":null,"environment":null,"start_date":"2026-10-01","end_date":"2026-10-05","aggregation":["service","hour"]}}"#)
        }
    }

    @Test func aMissingTableIs502() async throws {
        let answer = try await ask("it-no-such-table", Self.range)
        #expect(answer.status == 502)
        #expect(answer.json?["code"]?.stringValue == "ResourceNotFoundException")
    }

    /// More than 1 MB of items in one day: every page is followed, whatever the page size, and
    /// the groups add up to the totals at every level.
    @Test func pagingAndTheLaws() async throws {
        let blob = String(repeating: "x", count: 100_000)
        let big = try (0..<12).map { index -> Item in
            var item = try MetricItemCodec.item(for: AIUsageMetric(
                service: index % 2 == 0 ? "openai" : "anthropic", model: "m\(index % 3)", operation: "completion",
                timestamp: UTCTimestamp(microsecondsSinceEpoch: Self.at("2026-11-03T12:00:00Z").microsecondsSinceEpoch + Int64(index)),
                requestId: "big\(index)", inputTokens: 1000 + index, outputTokens: 10, costUSD: ExactDecimal("0.000123456789")))
            item["padding"] = .s(blob)
            return item
        }
        try await withKnownTable(big) { client, table in
            let query = try UsageQuery.parse(Self.range.merging(["aggregation": "day,service,model,operation,hour,user,job"]) { $1 }.map { (name: $0.key, values: [$0.value]) },
                                             today: CivilDate(year: 2026, month: 12, day: 1))
            var reports: [String] = []
            var pageCounts: [Int] = []
            for (limit, concurrency) in [(nil, 8), (1, 1), (3, 2), (5, 8)] as [(Int?, Int)] {
                let outcome = try await UsageFetcher(client: client, tableName: table, concurrency: concurrency, pageLimit: limit).aggregate(query, today: CivilDate(year: 2026, month: 12, day: 1))
                reports.append(outcome.aggregate.report(start: query.start, end: query.end, query: query.echo).serialized())
                pageCounts.append(outcome.pages)
                #expect(outcome.aggregate.totalAPICalls == 20)
                #expect(outcome.aggregate.itemCount == 17)
                for level in AggregationLevel.allCases {
                    let groups = outcome.aggregate.groups(level)
                    #expect(groups.reduce(ExactDecimal.zero) { $0 + $1.cost } == outcome.aggregate.totalCost, "\(level)")
                    #expect(groups.reduce(0) { $0 + $1.apiCalls } == outcome.aggregate.totalAPICalls, "\(level)")
                    #expect(groups.reduce(0) { $0 + $1.tokens } == outcome.aggregate.totalTokens, "\(level)")
                }
            }
            #expect(Set(reports).count == 1)
            #expect(pageCounts[1] >= 17)  // Limit 1: at least one page per item
            #expect(pageCounts[0] >= 2)   // 1.2 MB for one day: DynamoDB splits it
            let total = try #require(try JSONValue.parse(reports[0])["summary"]?["total_cost_usd"]?.numberText)
            #expect(total == "10.4251")  // 10.423656789 + 12 × 0.000123456789 = 10.425138270468
        }
    }

    /// Random metrics recorded through the tracker come back as exactly the report of the same
    /// items aggregated in memory.
    @Test func theAnswerIsTheAggregateOfWhatWasRecorded() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            var generator = SystemRandomNumberGenerator()
            let tracker = Tracker(sink: DynamoDBSink(client: client, tableName: table),
                                  configuration: TrackerConfiguration(spillFile: SpillFile(path: FileManager.default.temporaryDirectory.appendingPathComponent("it-api-\(UUID().uuidString)").path)))
            let models = [("openai", "gpt-4o-mini"), ("openai", "gpt-4.1"), ("anthropic", "claude-3-5-sonnet-20241022"), ("google_places", "places_api")]
            var local = UsageAggregate(levels: AggregationLevel.allCases)
            for index in 0..<200 {
                let (service, model) = models[Int.random(in: 0..<models.count, using: &generator)]
                let day = Int.random(in: 1...7, using: &generator)
                let hour = Int.random(in: 0...23, using: &generator)
                var metric = tracker.metric(service: service, model: model, operation: service == "google_places" ? "place_details" : "completion",
                                            usage: TokenUsage(inputTokens: Int.random(in: 0...5000, using: &generator), outputTokens: Int.random(in: 0...900, using: &generator)))
                metric.timestamp = UTCTimestamp(year: 2026, month: 11, day: day, hour: hour, minute: index % 60)
                metric.requestId = "law-\(index)"
                metric.userId = [nil, "alice", "bob"][Int.random(in: 0..<3, using: &generator)]
                metric.jobId = [nil, "nightly", "backfill"][Int.random(in: 0..<3, using: &generator)]
                let stored = try #require(tracker.record(metric))
                local.add(try MetricItemCodec.item(for: stored))
            }
            await tracker.shutdown()
            let levels = "day,service,model,operation,hour,user,job"
            let answer = try await ask(table, ["start_date": "2026-11-01", "end_date": "2026-11-07", "aggregation": levels])
            let query = try UsageQuery.parse([("start_date", ["2026-11-01"]), ("end_date", ["2026-11-07"]), ("aggregation", [levels])],
                                             today: CivilDate(year: 2026, month: 12, day: 1))
            #expect(answer.body == local.report(start: query.start, end: query.end, query: query.echo).serialized())
            #expect(answer.json?["summary"]?["total_api_calls"]?.intValue == 200)
        }
    }
}
