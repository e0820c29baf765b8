import AIUsage
import AIUsageAPI
import AIUsageBudgets
import DynamoDB
import Foundation
import Testing

/// The handler's newer routes through an HTTP API v2 event, in process, against the real server:
/// `/ai_usage/report` as JSON and as CSV, `/ai_usage/budgets`, `/ai_usage/trends`.
@Suite struct RouteIntegrationTests {
    static let today = CivilDate(year: 2026, month: 12, day: 1)

    func get(_ handler: AIUsageHandler, _ path: String, _ query: [String: String]) async throws -> (status: Int, headers: [String: String], body: String) {
        let members = query.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: .string($0.value)) }
        let event = JSONValue.object([
            .init(key: "version", value: "2.0"), .init(key: "routeKey", value: "$default"), .init(key: "rawPath", value: .string(path)),
            .init(key: "rawQueryString", value: .string(query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&"))),
            .init(key: "queryStringParameters", value: .object(members)),
            .init(key: "requestContext", value: .object([.init(key: "http", value: .object([.init(key: "method", value: "GET"), .init(key: "path", value: .string(path))]))])),
        ])
        let result = try JSONValue.parse(await handler.handle(event.serializedBytes()))
        var headers: [String: String] = [:]
        for member in result["headers"]?.objectMembers ?? [] { headers[member.key] = member.value.stringValue }
        return (result["statusCode"]?.intValue ?? -1, headers, result["body"]?.stringValue ?? "")
    }

    @Test func reportBudgetsAndTrendsThroughTheHandler() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let calls: [(String, String, String?, String?)] = [("0.5", "2026-11-20T10:00:00Z", "nightly", "alice"), ("0.25", "2026-11-20T11:30:00Z", "nightly", nil), ("1", "2026-11-21T09:00:00Z", nil, "alice")]
            var items = try calls.enumerated().map { index, call in
                try MetricItemCodec.item(for: AIUsageMetric(
                    service: "openai", model: "gpt-4o", operation: "completion", timestamp: UTCTimestamp(iso8601: call.1)!, requestId: "r\(index)",
                    inputTokens: 10, outputTokens: 5, costUSD: ExactDecimal(call.0)!, userId: call.3, jobId: call.2
                ))
            }
            // Two calls of the job without a cost: one the catalogue could not price (stored with no
            // `cost_usd`), one that failed (not billed, so not unpriced).
            for (id, error) in [("u0", nil), ("f0", "RateLimitError")] as [(String, String?)] {
                items.append(try MetricItemCodec.item(for: AIUsageMetric(
                    service: "openai", model: "gpt-next", operation: "completion", timestamp: UTCTimestamp(iso8601: "2026-11-20T12:00:00Z")!,
                    requestId: id, inputTokens: 10, outputTokens: 5, jobId: "nightly", error: error,
                    metadata: ["cost_note": .s("no price for openai gpt-next")]
                )))
            }
            #expect(items[3]["cost_usd"] == nil && items[4]["cost_usd"] == nil)
            #expect(await client.batchWriteItem(tableName: table, requests: items.map { .put($0) }).isComplete)
            var environment = IntegrationEnvironment.environment
            environment["DYNAMODB_TABLE_NAME"] = table
            let handler = AIUsageHandler(environment: environment, today: { Self.today }, log: { _ in })

            let range = ["start_date": "2026-11-01", "end_date": "2026-11-30"]
            let json = try await get(handler, "/prod/ai_usage/report", range.merging(["job_id": "nightly"]) { $1 })
            #expect(json.status == 200, "\(json.body)")
            #expect(json.headers["Content-Type"] == "application/json")
            let report = try JSONValue.parse(Array(json.body.utf8))
            #expect(report["summary"]?["total_cost_usd"]?.numberText == "0.75")  // 0.5 + 0.25
            #expect(report["summary"]?["total_api_calls"]?.intValue == 4)
            #expect(report["summary"]?["unpriced_calls"]?.intValue == 1)          // u0, not the failed f0
            #expect(report["aggregations"]?["by_model"]?["gpt-next"]?["unpriced_calls"]?.intValue == 1)
            #expect(report["aggregations"]?["by_model"]?["gpt-4o"]?["unpriced_calls"]?.intValue == 0)
            #expect(report["activity"]?["error_count"]?.intValue == 1)
            // `GET /ai_usage` says so in its summary; its groups keep the original members.
            let usage = try await get(handler, "/prod/ai_usage", range.merging(["job_id": "nightly"]) { $1 })
            #expect(usage.status == 200, "\(usage.body)")
            let body = try JSONValue.parse(Array(usage.body.utf8))
            #expect(body["summary"]?["total_cost_usd"]?.numberText == "0.75")
            #expect(body["summary"]?["unpriced_calls"]?.intValue == 1)
            #expect(body["aggregations"]?.serialized().contains("unpriced") == false)

            let csv = try await get(handler, "/prod/ai_usage/report", range.merging(["user_id": "alice", "format": "csv"]) { $1 })
            #expect(csv.status == 200, "\(csv.body)")
            #expect(csv.headers["Content-Type"] == "text/csv; charset=utf-8")
            #expect(csv.headers["Content-Disposition"] == #"attachment; filename="ai-usage-report-user-alice-2026-11-01-2026-11-30.csv""#)
            #expect(csv.body.contains("\r\n"))
            #expect(csv.body.contains("1.5"))  // alice: 0.5 inside the job + 1 outside it

            let refused = try await get(handler, "/prod/ai_usage/report", range)
            #expect(refused.status == 400)

            try await BudgetStore(client: client, tableName: table).set(Budget(scope: BudgetScope(kind: .global), period: .monthly, limit: 10))
            let budgets = try await get(handler, "/prod/ai_usage/budgets", [:])
            #expect(budgets.status == 200, "\(budgets.body)")
            let listing = try JSONValue.parse(Array(budgets.body.utf8))
            #expect(listing["budgets"]?[0]?["scope"]?.stringValue == "global")
            #expect(listing["budgets"]?[0]?["limit_usd"]?.numberText == "10")
            #expect(listing["status"]?.arrayValue?.count == 1)

            let trends = try await get(handler, "/prod/ai_usage/trends", ["end_date": "2026-11-30"])
            #expect(trends.status == 200, "\(trends.body)")
            #expect(try JSONValue.parse(Array(trends.body.utf8))["unpriced_calls"]?.intValue == 1)
        }
    }
}
