import AIUsage
import AIUsageAPI
import CurlHTTP
import DynamoDB
import Foundation
import SigV4
import Synchronization
import TestSupport
import Testing

/// Collects the handler's log lines.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

/// The handler against a scripted DynamoDB endpoint on 127.0.0.1, and on the recorded `events/`.
@Suite struct HandlerTests {
    static let events = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("events")
    static let today = CivilDate(year: 2026, month: 12, day: 1)
    static let secret = "SECRET-never-printed-0123456789"

    func handler(_ server: (any LoopbackEndpoint)?, environment: [String: String] = [:], log: LogLines = LogLines()) -> AIUsageHandler {
        var env = ["DYNAMODB_TABLE_NAME": "Usage", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": Self.secret,
                   "AWS_SESSION_TOKEN": "TOKEN-never-printed", "AI_USAGE_QUERY_CONCURRENCY": "2",
                   // These tests script the raw Queries; RollupReadTests covers the rollup read.
                   "AI_USAGE_ROLLUPS": "off"]
        env.merge(environment) { $1 }
        let client = server.map { server in
            DynamoDBClient(
                configuration: try! DynamoDBConfiguration(
                    region: "us-east-1",
                    credentials: Credentials(accessKeyId: "AKIDTEST", secretAccessKey: Self.secret, sessionToken: "TOKEN-never-printed"),
                    endpoint: Endpoint(server.endpoint),
                    retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxBackoff: .milliseconds(20))
                ),
                transport: CurlHTTPClient(maxConnections: 2)
            )
        }
        return AIUsageHandler(environment: env, client: client, today: { Self.today }, log: { log.append($0) })
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSONValue?
    }

    func answer(_ bytes: [UInt8]) throws -> Answer {
        let result = try JSONValue.parse(bytes)
        var headers: [String: String] = [:]
        for member in result["headers"]?.objectMembers ?? [] { headers[member.key] = member.value.stringValue }
        let body = result["body"]?.stringValue ?? ""
        return Answer(status: result["statusCode"]?.intValue ?? -1, headers: headers, body: body, json: try? JSONValue.parse(body))
    }

    func event(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.events.appendingPathComponent(name)))
    }

    static let onePage = #"{"Items":[{"service":{"S":"openai"},"model":{"S":"gpt-4o"},"operation":{"S":"completion"},"date":{"S":"2026-11-20"},"hour":{"S":"2026-11-20-09"},"cost_usd":{"N":"0.1"},"total_tokens":{"N":"1500"},"api_calls":{"N":"1"}},{"service":{"S":"openai"},"model":{"S":"gpt-4o"},"operation":{"S":"completion"},"date":{"S":"2026-11-20"},"hour":{"S":"2026-11-20-10"},"cost_usd":{"N":"0.2"},"total_tokens":{"N":"500"}}],"Count":2,"ScannedCount":2}"#

    @Test func aReportFromOnePage() async throws {
        let server = try FaultResponder { _, _ in .dynamoJSON(Self.onePage) }
        let direct = Array(#"{"queryStringParameters":{"start_date":"2026-11-20","end_date":"2026-11-20","aggregation":"day,hour"}}"#.utf8)
        let result = try answer(await handler(server).handle(direct))
        #expect(result.status == 200)
        #expect(result.headers == ["Content-Type": "application/json", "Access-Control-Allow-Origin": "*"])
        #expect(result.body == #"{"summary":{"total_cost_usd":0.3,"total_tokens":2000,"total_api_calls":2,"average_cost_per_call":0.15,"date_range":{"start":"2026-11-20","end":"2026-11-20"},"invalid_items":0,"unpriced_calls":0},"aggregations":{"by_day":{"2026-11-20":{"cost_usd":0.3,"tokens":2000,"api_calls":2,"services":["openai"]}},"by_hour":{"09":{"cost_usd":0.1,"api_calls":1},"10":{"cost_usd":0.2,"api_calls":1}}},"query":{"service":null,"operation":null,"model":null,"job_id":null,"batch_id":null,"user_id":null,"environment":null,"start_date":"2026-11-20","end_date":"2026-11-20","aggregation":["day","hour"]}}"#)
        // One day: one Query, on GSI2, projected, signed.
        let request = try #require(server.requests.first)
        #expect(server.requests.count == 1)
        #expect(request.header("X-Amz-Target") == "DynamoDB_20120810.Query")
        let body = try JSONValue.parse(request.body)
        #expect(body["IndexName"]?.stringValue == "GSI2")
        #expect(body["KeyConditionExpression"]?.stringValue == "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to")
        #expect(body["ExpressionAttributeValues"]?[":to"]?["S"]?.stringValue == "COST#2026-11-20#~")
        #expect(body["ProjectionExpression"]?.stringValue?.contains("#cost_usd, #costUSD") == true)
        #expect(body["FilterExpression"] == nil)
    }

    @Test func filtersBecomeAServerSideExpressionForBothGenerations() async throws {
        let server = try FaultResponder { _, _ in .dynamoJSON(#"{"Items":[],"Count":0,"ScannedCount":0}"#) }
        let direct = Array(#"{"queryStringParameters":{"service":"OpenAI","job_id":"j1","user_id":"u1","model":"gpt-4o","end_date":"2026-11-20","start_date":"2026-11-20"}}"#.utf8)
        let result = try answer(await handler(server).handle(direct))
        #expect(result.status == 200, "\(result.body)")
        let body = try JSONValue.parse(try #require(server.requests.first).body)
        #expect(body["IndexName"]?.stringValue == "GSI1")
        #expect(body["ExpressionAttributeValues"]?[":pk"]?["S"]?.stringValue == "AI_USAGE#openai")
        #expect(body["FilterExpression"]?.stringValue == "#model = :model AND (#job_id = :job OR #jobId = :job) AND (#user_id = :user OR #userId = :user)")
        #expect(result.json?["query"]?["service"]?.stringValue == "openai")
    }

    @Test func longRangesRunInParallelSegments() async throws {
        // The first Query is answered only once the second has arrived: a fetcher that ran the
        // segments one after another would never send the second, and the first would time out.
        let arrived = DispatchSemaphore(value: 0)
        let server = try FaultResponder { _, index in
            if index == 0 {
                guard arrived.wait(timeout: .now() + 60) == .success else { return .dynamoError(status: 400, code: "ValidationException", message: "the second segment never came") }
            } else {
                arrived.signal()
            }
            return .dynamoJSON(#"{"Items":[],"Count":0,"ScannedCount":0}"#)
        }
        let direct = Array(#"{"queryStringParameters":{"start_date":"2026-11-01","end_date":"2026-11-30"}}"#.utf8)
        let result = try answer(await handler(server, environment: ["AI_USAGE_QUERY_CONCURRENCY": "2"]).handle(direct))
        #expect(result.status == 200, "\(result.body)")
        #expect(server.requests.count == 2)
        let ranges = try server.requests.map { request -> String in
            let values = try JSONValue.parse(request.body)["ExpressionAttributeValues"]
            return "\(values?[":from"]?["S"]?.stringValue ?? "")..\(values?[":to"]?["S"]?.stringValue ?? "")"
        }.sorted()
        #expect(ranges == ["COST#2026-11-01..COST#2026-11-15#~", "COST#2026-11-16..COST#2026-11-30#~"])
    }

    @Test func throttlingThatOutlastsTheRetriesIs503WithRetryAfter() async throws {
        let server = try FaultResponder { _, _ in .dynamoError(code: "ProvisionedThroughputExceededException", message: "slow down") }
        let log = LogLines()
        let result = try answer(await handler(server, log: log).handle(try event("format-rest-v1-no-parameters.json")))
        #expect(result.status == 503)
        #expect(result.headers["Retry-After"] == "2")
        #expect(result.json?["code"]?.stringValue == "ProvisionedThroughputExceededException")
        #expect(result.json?["statusCode"]?.intValue == 503)
        #expect(result.json?["error"]?.stringValue == "the usage table is busy, retry shortly")
        #expect(!result.body.contains("slow down"))  // what DynamoDB wrote stays in the log
        #expect(log.all.contains { $0.contains("ProvisionedThroughputExceededException: slow down") })
        #expect(server.requests.count >= 3)
        #expect(!(log.all.joined() + result.body).contains(Self.secret))
    }

    @Test func anUnreachableTableIs503() async throws {
        let closed = try RefusingPort()
        let result = try answer(await handler(closed).handle(try event("format-rest-v1-no-parameters.json")))
        #expect(result.status == 503)
        #expect(result.headers["Retry-After"] == "5")
        #expect(result.json?["code"]?.stringValue == "TransportError")
    }

    @Test func aRefusedRequestIs502WithItsCode() async throws {
        let server = try FaultResponder { _, _ in .dynamoError(code: "ResourceNotFoundException", message: "Requested resource not found") }
        let log = LogLines()
        let result = try answer(await handler(server, log: log).handle(try event("format-http-v2-repeated-aggregation.json"), requestId: "req-1"))
        #expect(result.status == 502)
        #expect(result.body == #"{"error":"the usage table does not exist","code":"ResourceNotFoundException","request_id":"req-1","statusCode":502}"#)
        // The log line has the detail and the same request id.
        #expect(log.all.contains { $0.contains("502 ResourceNotFoundException (request req-1): DynamoDB Query failed: ResourceNotFoundException: Requested resource not found") })
        #expect(server.requests.count == 2)  // one per segment of the 30-day default range, none retried
        #expect(log.all.contains { $0.contains("→ 502") })
        for line in log.all + [result.body] {
            #expect(!line.contains(Self.secret))
            #expect(!line.contains("TOKEN-never-printed"))
            #expect(!line.contains("Signature="))
        }
    }

    @Test func aMissingTableNameIs500() async throws {
        let handler = AIUsageHandler(environment: ["AWS_REGION": "us-east-1"], today: { Self.today }, log: { _ in })
        #expect(handler.configurationError == "DYNAMODB_TABLE_NAME is not set: set it to the usage table's name")
        let result = try answer(await handler.handle(try event("format-rest-v1-no-parameters.json"), requestId: "req-2"))
        #expect(result.status == 500)
        #expect(result.body == #"{"error":"the function is not configured, see its log","code":"ConfigurationError","request_id":"req-2","statusCode":500}"#)
        // Validation still comes first: a bad request is the caller's to fix whatever the setup.
        #expect(try answer(await handler.handle(try event("bad-date-impossible.json"))).status == 400)
    }

    @Test func missingCredentialsAre500NamingTheVariable() async throws {
        let log = LogLines()
        let handler = AIUsageHandler(environment: ["DYNAMODB_TABLE_NAME": "Usage", "AWS_REGION": "us-east-1"], today: { Self.today }, log: { log.append($0) })
        #expect(handler.configurationError?.hasPrefix("AWS_ACCESS_KEY_ID is not set") == true)
        let result = try answer(await handler.handle(try event("format-rest-v1-no-parameters.json")))
        #expect(result.status == 500)
        #expect(result.json?["code"]?.stringValue == "ConfigurationError")
        #expect(log.all.contains { $0.contains("AWS_ACCESS_KEY_ID is not set") })
    }

    /// Every recorded refusal in events/ gets exactly its message, and DynamoDB is never asked.
    @Test(arguments: [
        ("bad-date-malformed.json", 400, "start_date must be a real date as YYYY-MM-DD, got 'yesterday'"),
        ("bad-date-impossible.json", 400, "end_date must be a real date as YYYY-MM-DD, got '2026-02-30'"),
        ("bad-start-after-end.json", 400, "start_date 2026-11-30 is after end_date 2026-11-01"),
        ("bad-range-over-366-days.json", 400, "the range 2025-01-01..2026-06-01 is 517 days; at most 366 are allowed"),
        ("bad-aggregation-unknown.json", 400, "unknown aggregation 'week'; valid: day, service, model, operation, hour, user, job"),
        ("bad-service-key-injection.json", 400, "service must match [a-z0-9_.:-]{1,64}, got 'openai#x'"),
        ("bad-filter-value.json", 400, "job_id must match [a-z0-9_.:-]{1,64}, got 'Job 42'"),
        ("bad-unknown-parameter.json", 400, "unknown parameter 'servce'; valid: start_date, end_date, service, operation, model, job_id, batch_id, user_id, environment, aggregation, format"),
        ("bad-repeated-parameter.json", 400, "service is given 2 times; give it once"),
        ("bad-not-an-http-event.json", 400, "the event is not an HTTP event (it looks like an S3 notification)"),
        ("route-post-not-allowed.json", 405, "method POST is not allowed: use GET"),
        ("route-unknown-path.json", 404, "no route for /ai_usage_export: the API answers GET /ai_usage, /ai_usage/report, /ai_usage/trends, /ai_usage/budgets and /ai_usage/dashboard"),
    ])
    func recordedRefusals(_ file: String, _ status: Int, _ message: String) async throws {
        let server = try FaultResponder(script: [])
        let result = try answer(await handler(server).handle(try event(file)))
        #expect(result.status == status)
        #expect(result.json?["error"]?.stringValue == message)
        #expect(result.json?["statusCode"]?.intValue == status)
        #expect(result.headers["Access-Control-Allow-Origin"] == "*")
        #expect(server.requests.isEmpty)
        if status == 405 { #expect(result.headers["Allow"] == "GET, OPTIONS") }
    }

    @Test func preflightIs204WithCORS() async throws {
        let result = try answer(await handler(nil).handle(try event("route-options-preflight.json")))
        #expect(result.status == 204)
        #expect(result.body.isEmpty)
        #expect(result.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS")
        #expect(result.headers["Access-Control-Allow-Origin"] == "*")
    }

    @Test func everyRecordedEventIsAnsweredInItsOwnFormat() async throws {
        let server = try FaultResponder { _, _ in .dynamoJSON(Self.onePage) }
        let handler = handler(server)
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.events.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count >= 28)
        for name in names {
            let raw = try JSONValue.parse(try event(name))
            let result = try JSONValue.parse(await handler.handle(try event(name)))
            let isV2 = raw["version"]?.stringValue == "2.0"
            #expect((result["multiValueHeaders"] != nil) == !isV2, "\(name): response format")
            #expect(result["isBase64Encoded"]?.boolValue == false, "\(name)")
            let status = result["statusCode"]?.intValue ?? 0
            #expect(name.hasPrefix("bad-") ? status == 400 : [200, 204, 404, 405].contains(status), "\(name): \(status)")
        }
    }

    @Test func closedRangesAreCachedAndTodayIsNot() async throws {
        let server = try FaultResponder { _, _ in .dynamoJSON(Self.onePage) }
        let handler = handler(server)
        let closed = Array(#"{"queryStringParameters":{"start_date":"2026-11-20","end_date":"2026-11-20"}}"#.utf8)
        let first = try answer(await handler.handle(closed))
        let second = try answer(await handler.handle(closed))
        #expect(first.body == second.body)
        #expect(server.requests.count == 1)
        let open = Array(#"{"queryStringParameters":{"start_date":"2026-12-01"}}"#.utf8)
        _ = await handler.handle(open)
        _ = await handler.handle(open)
        #expect(server.requests.count == 3)

        let uncached = try FaultResponder { _, _ in .dynamoJSON(Self.onePage) }
        let noCache = self.handler(uncached, environment: ["AI_USAGE_CACHE_TTL_SECONDS": "0"])
        _ = await noCache.handle(closed)
        _ = await noCache.handle(closed)
        #expect(uncached.requests.count == 2)
    }

    @Test func unreadableItemsAreCountedAndLogged() async throws {
        let page = #"{"Items":[{"service":{"S":"openai"},"date":{"S":"2026-11-20"},"cost_usd":{"S":"cheap"}},{"service":{"S":"openai"},"date":{"S":"2026-11-20"},"cost_usd":{"N":"0.5"}}],"Count":2,"ScannedCount":2}"#
        let server = try FaultResponder { _, _ in .dynamoJSON(page) }
        let log = LogLines()
        let result = try answer(await handler(server, log: log).handle(Array(#"{"queryStringParameters":{"start_date":"2026-11-20","end_date":"2026-11-20"}}"#.utf8)))
        #expect(result.json?["summary"]?["invalid_items"]?.intValue == 1)
        #expect(result.json?["summary"]?["total_cost_usd"]?.numberText == "0.5")
        #expect(log.all.contains { $0.hasPrefix("left out 1 unreadable items: cost_usd") })
    }

    @Test func callsWithoutAPriceAreCountedInTheSummary() async throws {
        // Three items: priced (0.5, 1 call), unpriced (no cost, 2 calls), failed without a cost (not
        // billed, so not unpriced). unpriced_calls = 2; the total is the priced 0.5 and the calls 1 + 2 + 1 = 4.
        let page = #"{"Items":[{"service":{"S":"openai"},"date":{"S":"2026-11-20"},"cost_usd":{"N":"0.5"}},{"service":{"S":"openai"},"date":{"S":"2026-11-20"},"api_calls":{"N":"2"},"metadata":{"M":{"cost_note":{"S":"no price for model 'x'"}}}},{"service":{"S":"openai"},"date":{"S":"2026-11-20"},"error":{"S":"HTTP 500"}}],"Count":3,"ScannedCount":3}"#
        let server = try FaultResponder { _, _ in .dynamoJSON(page) }
        let result = try answer(await handler(server).handle(Array(#"{"queryStringParameters":{"start_date":"2026-11-20","end_date":"2026-11-20"}}"#.utf8)))
        #expect(result.json?["summary"]?["unpriced_calls"]?.intValue == 2)
        #expect(result.json?["summary"]?["total_api_calls"]?.intValue == 4)
        #expect(result.json?["summary"]?["total_cost_usd"]?.numberText == "0.5")
    }
}
