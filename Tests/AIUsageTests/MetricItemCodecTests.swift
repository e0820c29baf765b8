import AIUsage
import DynamoDB
import Testing

@Suite struct MetricItemCodecTests {
    static let at = UTCTimestamp(microsecondsSinceEpoch: 1_764_008_661_833_072)  // 2025-11-24T18:24:21.833072Z

    @Test func timestampFormats() {
        #expect(Self.at.iso8601 == "2025-11-24T18:24:21.833072+00:00")
        #expect(Self.at.dateText == "2025-11-24")
        #expect(Self.at.monthText == "2025-11")
        #expect(Self.at.hourText == "2025-11-24-18")
        #expect(UTCTimestamp(iso8601: "2025-11-24T18:24:21.833072+00:00") == Self.at)
        #expect(UTCTimestamp(iso8601: "2025-11-24T20:24:21.833072+02:00") == Self.at)
        #expect(UTCTimestamp(iso8601: "2025-11-24T18:24:21.833072Z") == Self.at)
        #expect(UTCTimestamp(iso8601: "2025-11-24T18:24:21")?.iso8601 == "2025-11-24T18:24:21.000000+00:00")
        #expect(UTCTimestamp(iso8601: "2025-02-30T00:00:00") == nil)
        #expect(UTCTimestamp(iso8601: "yesterday") == nil)
        #expect(UTCTimestamp(microsecondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00.000000+00:00")
        #expect(UTCTimestamp(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, microsecond: 999_999).iso8601 == "2024-02-29T23:59:59.999999+00:00")
        #expect(CivilDate("2026-12-01")?.adding(days: -30).text == "2026-11-01")
        #expect(CivilDate("2026-13-01") == nil)
    }

    /// An OpenAI completion in a job and a batch: every attribute, exactly.
    @Test func goldenOpenAICompletionWithJobAndBatch() throws {
        let metric = AIUsageMetric(
            service: "OpenAI", model: "gpt-4o-2024-08-06", operation: "completion",
            timestamp: Self.at, requestId: "req-openai-1",
            inputTokens: 1000, outputTokens: 500, costUSD: ExactDecimal("0.0125"), latencyMs: 842,
            jobId: "job-42", batchId: "batch-7", environment: "production",
            metadata: ["function": .s("extract_receipt"), "temperature": .n("0.7"), "max_tokens": .null]
        )
        let item = try MetricItemCodec.item(for: metric)
        #expect(item == [
            "PK": .s("AI_USAGE#openai#gpt-4o-2024-08-06"),
            "SK": .s("USAGE#2025-11-24T18:24:21.833072+00:00#req-openai-1"),
            "GSI1PK": .s("AI_USAGE#openai"), "GSI1SK": .s("DATE#2025-11-24"),
            "GSI2PK": .s("AI_USAGE_COST"), "GSI2SK": .s("COST#2025-11-24#openai"),
            "GSI3PK": .s("JOB#job-42"), "GSI3SK": .s("AI_USAGE#2025-11-24T18:24:21.833072+00:00"),
            "TYPE": .s("AIUsageMetric"),
            "service": .s("openai"), "model": .s("gpt-4o-2024-08-06"), "operation": .s("completion"),
            "timestamp": .s("2025-11-24T18:24:21.833072+00:00"), "request_id": .s("req-openai-1"),
            "api_calls": .n("1"), "input_tokens": .n("1000"), "output_tokens": .n("500"), "total_tokens": .n("1500"),
            "cost_usd": .n("0.0125"), "latency_ms": .n("842"),
            "job_id": .s("job-42"), "batch_id": .s("batch-7"), "environment": .s("production"),
            "date": .s("2025-11-24"), "month": .s("2025-11"), "hour": .s("2025-11-24-18"),
            "metadata": .m(["function": .s("extract_receipt"), "temperature": .n("0.7"), "max_tokens": .null]),
        ])
        #expect(item["REQUIRED_KEYS"] == nil)
        #expect(try MetricItemCodec.metric(from: item) == AIUsageMetric(
            service: "openai", model: "gpt-4o-2024-08-06", operation: "completion", timestamp: Self.at, requestId: "req-openai-1",
            inputTokens: 1000, outputTokens: 500, costUSD: ExactDecimal("0.0125"), latencyMs: 842, jobId: "job-42", batchId: "batch-7",
            environment: "production", metadata: ["function": .s("extract_receipt"), "temperature": .n("0.7"), "max_tokens": .null]
        ))
    }

    /// An Anthropic call for a user, with a GitHub PR: GSI3 is the user's.
    @Test func goldenAnthropicCallWithAUser() throws {
        let metric = AIUsageMetric(
            service: "anthropic", model: "claude-3-5-sonnet-20241022", operation: "code_review",
            timestamp: Self.at, requestId: "req-anthropic-1",
            inputTokens: 3500, outputTokens: 1500, costUSD: ExactDecimal("0.033"), latencyMs: 5120,
            userId: "github-actions", githubPR: 1234
        )
        let item = try MetricItemCodec.item(for: metric)
        #expect(item == [
            "PK": .s("AI_USAGE#anthropic#claude-3-5-sonnet-20241022"),
            "SK": .s("USAGE#2025-11-24T18:24:21.833072+00:00#req-anthropic-1"),
            "GSI1PK": .s("AI_USAGE#anthropic"), "GSI1SK": .s("DATE#2025-11-24"),
            "GSI2PK": .s("AI_USAGE_COST"), "GSI2SK": .s("COST#2025-11-24#anthropic"),
            "GSI3PK": .s("USER#github-actions"), "GSI3SK": .s("AI_USAGE#2025-11-24T18:24:21.833072+00:00"),
            "TYPE": .s("AIUsageMetric"),
            "service": .s("anthropic"), "model": .s("claude-3-5-sonnet-20241022"), "operation": .s("code_review"),
            "timestamp": .s("2025-11-24T18:24:21.833072+00:00"), "request_id": .s("req-anthropic-1"),
            "api_calls": .n("1"), "input_tokens": .n("3500"), "output_tokens": .n("1500"), "total_tokens": .n("5000"),
            "cost_usd": .n("0.033"), "latency_ms": .n("5120"), "user_id": .s("github-actions"), "github_pr": .n("1234"),
            "date": .s("2025-11-24"), "month": .s("2025-11"), "hour": .s("2025-11-24-18"),
        ])
    }

    /// A Places lookup: no tokens, priced per call, scoped by batch only.
    @Test func goldenPlacesLookup() throws {
        let item = try MetricItemCodec.item(for: AIUsageMetric(
            service: "google_places", model: "places_api", operation: "place_details",
            timestamp: Self.at, requestId: "req-places-1", costUSD: ExactDecimal("0.017"), latencyMs: 95, batchId: "batch-9"
        ))
        #expect(item == [
            "PK": .s("AI_USAGE#google_places#places_api"),
            "SK": .s("USAGE#2025-11-24T18:24:21.833072+00:00#req-places-1"),
            "GSI1PK": .s("AI_USAGE#google_places"), "GSI1SK": .s("DATE#2025-11-24"),
            "GSI2PK": .s("AI_USAGE_COST"), "GSI2SK": .s("COST#2025-11-24#google_places"),
            "GSI3PK": .s("BATCH#batch-9"), "GSI3SK": .s("AI_USAGE#2025-11-24T18:24:21.833072+00:00"),
            "TYPE": .s("AIUsageMetric"),
            "service": .s("google_places"), "model": .s("places_api"), "operation": .s("place_details"),
            "timestamp": .s("2025-11-24T18:24:21.833072+00:00"), "request_id": .s("req-places-1"),
            "api_calls": .n("1"), "cost_usd": .n("0.017"), "latency_ms": .n("95"), "batch_id": .s("batch-9"),
            "date": .s("2025-11-24"), "month": .s("2025-11"), "hour": .s("2025-11-24-18"),
        ])
    }

    /// A failed call: an error, a latency, no tokens, no cost; GSI3 falls back to the environment.
    @Test func goldenErrorCall() throws {
        let item = try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: "gpt-4o-mini", operation: "completion", timestamp: Self.at, requestId: "req-error-1",
            latencyMs: 30001, environment: "staging", error: "APITimeoutError: Request timed out"
        ))
        #expect(item == [
            "PK": .s("AI_USAGE#openai#gpt-4o-mini"),
            "SK": .s("USAGE#2025-11-24T18:24:21.833072+00:00#req-error-1"),
            "GSI1PK": .s("AI_USAGE#openai"), "GSI1SK": .s("DATE#2025-11-24"),
            "GSI2PK": .s("AI_USAGE_COST"), "GSI2SK": .s("COST#2025-11-24#openai"),
            "GSI3PK": .s("ENV#staging"), "GSI3SK": .s("AI_USAGE#2025-11-24T18:24:21.833072+00:00"),
            "TYPE": .s("AIUsageMetric"),
            "service": .s("openai"), "model": .s("gpt-4o-mini"), "operation": .s("completion"),
            "timestamp": .s("2025-11-24T18:24:21.833072+00:00"), "request_id": .s("req-error-1"),
            "api_calls": .n("1"), "latency_ms": .n("30001"), "environment": .s("staging"),
            "error": .s("APITimeoutError: Request timed out"),
            "date": .s("2025-11-24"), "month": .s("2025-11"), "hour": .s("2025-11-24-18"),
        ])
    }

    @Test func scopePriorityIsJobUserBatchEnvironment() {
        func scope(_ job: String?, _ user: String?, _ batch: String?, _ env: String?) -> String? {
            AIUsageMetric(service: "s", model: "m", operation: "o", userId: user, jobId: job, batchId: batch, environment: env).scopeKey
        }
        #expect(scope("j", "u", "b", "e") == "JOB#j")
        #expect(scope(nil, "u", "b", "e") == "USER#u")
        #expect(scope(nil, nil, "b", "e") == "BATCH#b")
        #expect(scope(nil, nil, nil, "e") == "ENV#e")
        #expect(scope(nil, nil, nil, nil) == nil)
    }

    /// A 645-generation item (camelCase), as the original tracker wrote it.
    @Test func readsTheOlderCamelCaseGeneration() throws {
        let item: Item = [
            "PK": .s("AI_USAGE#openai#gpt-4o"), "SK": .s("USAGE#2025-11-24T18:24:21.833072+00:00#abc"),
            "GSI1PK": .s("AI_USAGE#openai"), "GSI1SK": .s("DATE#2025-11-24"), "TYPE": .s("AIUsageMetric"),
            "service": .s("openai"), "model": .s("gpt-4o"), "operation": .s("completion"),
            "timestamp": .s("2025-11-24T18:24:21.833072+00:00"), "requestId": .s("abc"), "apiCalls": .n("1"),
            "inputTokens": .n("1000"), "outputTokens": .n("500"), "totalTokens": .n("1500"), "costUSD": .n("0.0125"),
            "latencyMs": .n("0"), "userId": .s("default"), "jobId": .s("job-1"), "batchId": .s("b-1"), "githubPR": .n("7"),
            "date": .s("2025-11-24"), "month": .s("2025-11"), "hour": .s("2025-11-24-18"),
            "metadata": .m(["environment": .s("development"), "max_tokens": .null]),
        ]
        let metric = try MetricItemCodec.metric(from: item)
        #expect(metric == AIUsageMetric(
            service: "openai", model: "gpt-4o", operation: "completion", timestamp: Self.at, requestId: "abc",
            inputTokens: 1000, outputTokens: 500, totalTokens: 1500, costUSD: ExactDecimal("0.0125"), latencyMs: 0,
            userId: "default", jobId: "job-1", batchId: "b-1", githubPR: 7,
            metadata: ["environment": .s("development"), "max_tokens": .null]
        ))
        // Written back, it is in today's layout.
        let rewritten = try MetricItemCodec.item(for: metric)
        #expect(rewritten["cost_usd"] == .n("0.0125"))
        #expect(rewritten["costUSD"] == nil)
        #expect(rewritten["GSI3PK"] == .s("JOB#job-1"))
    }

    @Test func snakeCaseWinsWhenBothGenerationsArePresent() throws {
        var item = try MetricItemCodec.item(for: AIUsageMetric(service: "openai", model: "m", operation: "o", timestamp: Self.at, requestId: "r", costUSD: ExactDecimal("0.5")))
        item["costUSD"] = .n("9")
        #expect(try MetricItemCodec.metric(from: item).costUSD == ExactDecimal("0.5"))
    }

    @Test(arguments: [
        (AIUsageMetric(service: "", model: "m", operation: "o"), "service must not be empty"),
        (AIUsageMetric(service: "s", model: "", operation: "o"), "model must not be empty"),
        (AIUsageMetric(service: "s", model: "m", operation: ""), "operation must not be empty"),
        (AIUsageMetric(service: "s", model: "m", operation: "o", inputTokens: -1), "input_tokens must be a non-negative integer, got -1"),
        (AIUsageMetric(service: "s", model: "m", operation: "o", apiCalls: 0), "api_calls must be at least 1, got 0"),
        (AIUsageMetric(service: "s", model: "m", operation: "o", costUSD: ExactDecimal("-0.01")), "cost_usd must not be negative, got -0.01"),
    ])
    func invalidMetricsAreClearErrors(_ metric: AIUsageMetric, _ message: String) {
        #expect(throws: AIUsageMetric.ValidationError(message)) { try MetricItemCodec.item(for: metric) }
    }

    @Test func unreadableItemsAreClearErrors() throws {
        let good = try MetricItemCodec.item(for: AIUsageMetric(service: "s", model: "m", operation: "o", timestamp: Self.at, requestId: "r"))
        var noService = good
        noService["service"] = nil
        #expect(throws: MetricItemCodec.DecodingError("the item has no service")) { try MetricItemCodec.metric(from: noService) }
        var badCost = good
        badCost["cost_usd"] = .s("cheap")
        #expect(throws: MetricItemCodec.DecodingError(#"cost_usd is not a number: s("cheap")"#)) { try MetricItemCodec.metric(from: badCost) }
        var fractionalTokens = good
        fractionalTokens["input_tokens"] = .n("1.5")
        #expect(throws: MetricItemCodec.DecodingError(#"input_tokens is not an integer: n("1.5")"#)) { try MetricItemCodec.metric(from: fractionalTokens) }
        var negative = good
        negative["output_tokens"] = .n("-3")
        #expect(throws: MetricItemCodec.DecodingError("the item breaks a rule: output_tokens must be a non-negative integer, got -3")) { try MetricItemCodec.metric(from: negative) }
    }

    @Test func zeroTokensStillGiveATotal() {
        #expect(AIUsageMetric(service: "s", model: "m", operation: "o", inputTokens: 0, outputTokens: 0).totalTokens == 0)
        #expect(AIUsageMetric(service: "s", model: "m", operation: "o", inputTokens: 7).totalTokens == 7)
        #expect(AIUsageMetric(service: "s", model: "m", operation: "o").totalTokens == nil)
        #expect(AIUsageMetric(service: "s", model: "m", operation: "o", inputTokens: 1, outputTokens: 2, totalTokens: 10).totalTokens == 10)
    }

    @Test func metricJSONIsExact() {
        let metric = AIUsageMetric(service: "openai", model: "gpt-4o", operation: "completion", timestamp: Self.at, requestId: "r",
                                   inputTokens: 1000, outputTokens: 500, costUSD: ExactDecimal("0.0125"), jobId: "j")
        #expect(metric.json.serialized() == #"{"service":"openai","model":"gpt-4o","operation":"completion","timestamp":"2025-11-24T18:24:21.833072+00:00","request_id":"r","api_calls":1,"input_tokens":1000,"output_tokens":500,"total_tokens":1500,"cost_usd":0.0125,"job_id":"j"}"#)
    }
}
