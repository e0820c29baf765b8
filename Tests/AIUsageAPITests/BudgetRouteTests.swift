import AIUsage
import AIUsageAPI
import Testing

/// How the handler routes budget work by event shape, and refuses what it does not know.
struct BudgetRouteTests {
    let configured = ["DYNAMODB_TABLE_NAME": "Usage", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "never-printed"]

    func handler(_ changes: [String: String] = [:]) -> AIUsageHandler {
        AIUsageHandler(environment: configured.merging(changes) { $1 }, log: { _ in })
    }

    @Test func anUnknownTaskIsRefusedNamingTheTasks() async throws {
        let unknown = await handler().invoke(Array(#"{"ai_usage_task":"compact-everything"}"#.utf8))
        #expect(unknown.failed)
        let body = try JSONValue.parse(try JSONValue.parse(unknown.body)["body"]?.stringValue ?? "")
        #expect(body["error"]?.stringValue == "unknown ai_usage_task 'compact-everything'; valid: rollup, budget_check")
        let notText = await handler().invoke(Array(#"{"ai_usage_task":5}"#.utf8))
        #expect(notText.failed)
        #expect(String(decoding: notText.body, as: UTF8.self).contains("ai_usage_task must be a string; valid: rollup, budget_check"))
    }

    @Test func aBudgetCheckWithoutATableFailsWithTheFixedMessage() async throws {
        let handler = AIUsageHandler(environment: ["AWS_REGION": "us-east-1"], log: { _ in })
        let result = await handler.invoke(Array(#"{"ai_usage_task":"budget_check"}"#.utf8), requestId: "req-9")
        #expect(result.failed)
        #expect(String(decoding: result.body, as: UTF8.self)
            == #"{"task":"budget_check","status":"failed","error":"the function is not configured, see its log","code":"ConfigurationError","request_id":"req-9"}"#)
    }

    @Test func theBudgetsRouteTakesNoParameters() async throws {
        let event = Array(#"{"rawPath":"/prod/ai_usage/budgets","rawQueryString":"scope=x","queryStringParameters":{"scope":"x"},"requestContext":{"http":{"method":"GET","path":"/prod/ai_usage/budgets"}},"version":"2.0","routeKey":"$default"}"#.utf8)
        let answer = try JSONValue.parse(await handler().handle(event))
        #expect(answer["statusCode"]?.intValue == 400)
        #expect(answer["body"]?.stringValue?.contains("unknown parameter 'scope': GET /ai_usage/budgets takes none") == true)
    }

    @Test(arguments: [
        (["AI_USAGE_ALERT_SECRET": "short"], "AI_USAGE_ALERT_SECRET must be at least 16 bytes (its value is not shown)"),
        (["AI_USAGE_ALERT_CHANNELS": "email:ops@example.com"], "AI_USAGE_ALERT_CHANNELS: unknown channel type 'email'; use webhook:<url>, slack:<url> or stdout"),
        (["AI_USAGE_ALERT_MAX_ATTEMPTS": "0"], "AI_USAGE_ALERT_MAX_ATTEMPTS must be a whole number from 1 to 50, got '0'"),
        (["AI_USAGE_REPORT_URL": "ftp://x"], "AI_USAGE_REPORT_URL must be an http(s) URL without spaces, query or fragment, e.g. https://api.example.com/prod/ai_usage/report"),
    ])
    func badAlertSettingsAreConfigurationErrorsNamingTheVariable(_ environment: [String: String], _ message: String) {
        #expect(handler(environment).configurationError == message)
    }
}
