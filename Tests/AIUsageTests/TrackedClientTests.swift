import AIUsage
import AIUsageTracker
import CurlHTTP
import DynamoDB
import Foundation
import Testing
import TestSupport

/// `OpenAIClient` and `AnthropicClient` against a `FaultResponder` standing in for the provider.
@Suite struct TrackedClientTests {
    let key = "sk-test-\(UUID().uuidString)"

    // MARK: - Fixtures (recorded response shapes)

    static let chatResponse = #"""
    {
      "id": "chatcmpl-A9xQ2bR7kLmN3oPq4RsT5uVw6XyZ",
      "object": "chat.completion",
      "created": 1727385600,
      "model": "gpt-4o-2024-08-06",
      "choices": [
        {
          "index": 0,
          "message": {"role": "assistant", "content": "Paris is the capital of France.", "refusal": null},
          "logprobs": null,
          "finish_reason": "stop"
        }
      ],
      "usage": {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
      },
      "system_fingerprint": "fp_7568d46099"
    }
    """#

    static let embeddingsResponse = #"""
    {
      "object": "list",
      "data": [{"object": "embedding", "index": 0, "embedding": [-0.006929283, -0.005336422, 0.00047350125, -0.024047505]}],
      "model": "text-embedding-3-small",
      "usage": {"prompt_tokens": 8, "total_tokens": 8}
    }
    """#

    static let anthropicResponse = #"""
    {
      "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
      "type": "message",
      "role": "assistant",
      "model": "claude-3-5-sonnet-20241022",
      "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
      "stop_reason": "end_turn",
      "stop_sequence": null,
      "usage": {"input_tokens": 3500, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 200, "output_tokens": 1500}
    }
    """#

    static let rateLimitMessage = "Rate limit reached for gpt-4o in organization org-a1b2c3 on tokens per min (TPM): Limit 30000, Used 30000, Requested 1000. Please try again in 2s. Visit https://platform.openai.com/account/rate-limits to learn more."
    static let rateLimitBody = #"{"error":{"message":"\#(rateLimitMessage)","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#

    static let chatRequest: JSONValue = [
        "model": "gpt-4o",
        "messages": [["role": "user", "content": "What is the capital of France?"]],
    ]

    /// 11 estimated input tokens: "You are terse." (14 UTF-8 bytes) + "What is the capital of
    /// France?" (30) = 44 bytes, ⌈44 ÷ 4⌉ = 11 (roles are not counted).
    static let miniRequest: JSONValue = [
        "model": "gpt-4o-mini",
        "messages": [["role": "system", "content": "You are terse."], ["role": "user", "content": "What is the capital of France?"]],
    ]

    static let anthropicRequest: JSONValue = [
        "model": "claude-3-5-sonnet-20241022",
        "max_tokens": 1024,
        "messages": [["role": "user", "content": "Hello, Claude"]],
    ]

    static let json = ["Content-Type": "application/json"]

    // MARK: - Helpers

    func makeTracker(_ sink: RecordingSink) -> Tracker {
        Tracker(sink: sink, configuration: TrackerConfiguration(flushInterval: .seconds(60), spillFile: SpillFile(path: temporaryPath("clients-spill"))))
    }

    func latency(_ item: Item) -> Int? { item["latency_ms"]?.numberText.flatMap { Int($0) } }

    /// The one item the sink holds; fails the test unless there is exactly one.
    func onlyItem(_ sink: RecordingSink, tracker: Tracker) async throws -> Item {
        await tracker.flush()
        let items = sink.items
        #expect(items.count == 1)
        return try #require(items.first)
    }

    func expectedCost(_ tracker: Tracker, _ service: String, _ model: String, _ operation: String, _ usage: TokenUsage) throws -> AttributeValue {
        let cost = try #require(tracker.calculator.cost(service: service, model: model, operation: operation, usage: usage).costUSD)
        return .n(cost.description)
    }

    // MARK: - OpenAI

    @Test func openAIChatSuccessRecordsOneMetric() async throws {
        let server = try FaultResponder(script: [.delayed(milliseconds: 50, status: 200, headers: Self.json, body: Array(Self.chatResponse.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let reply = try await client.chatCompletion(body: Self.chatRequest)
        #expect(reply["id"] == "chatcmpl-A9xQ2bR7kLmN3oPq4RsT5uVw6XyZ")
        #expect(reply["choices"]?[0]?["message"]?["content"] == "Paris is the capital of France.")

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["service"] == .s("openai"))
        #expect(item["model"] == .s("gpt-4o-2024-08-06"))
        #expect(item["operation"] == .s("completion"))
        #expect(item["input_tokens"] == .n("1000"))
        #expect(item["output_tokens"] == .n("500"))
        #expect(item["total_tokens"] == .n("1500"))
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 500, totalTokens: 1500, cachedInputTokens: 0, model: "gpt-4o-2024-08-06")
        #expect(item["cost_usd"] == (try expectedCost(tracker, "openai", "gpt-4o-2024-08-06", "completion", usage)))
        // gpt-4o-2024-08-06 is $2.50 / $10.00 per 1M tokens: 1000 × 2.5e-6 + 500 × 1e-5.
        #expect(item["cost_usd"] == .n("0.0075"))
        #expect(item["error"] == nil)
        #expect(item["metadata"]?.map?["requested_model"] == .s("gpt-4o"))
        #expect(item["metadata"]?.map?["cached_input_tokens"] == .n("0"))
        #expect(try #require(latency(item)) >= 50)

        let requests = server.requests
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/chat/completions")
        #expect(request.header("Authorization") == "Bearer \(key)")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.body == Self.chatRequest.serializedBytes())
    }

    @Test func openAIRateLimitThrowsHTTPErrorAndRecordsIt() async throws {
        let server = try FaultResponder(script: [.respond(status: 429, headers: ["Content-Type": "application/json", "retry-after": "20"], body: Array(Self.rateLimitBody.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint + "/", tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.chatRequest) }
        let error = try #require(thrown)
        #expect(error == .http(service: "openai", status: 429, type: "tokens", code: "rate_limit_exceeded", message: Self.rateLimitMessage, retryAfter: .seconds(20)))
        #expect(error.retryAfter == .seconds(20))
        #expect(error.status == 429)
        #expect(error.isRetryable)
        let expectedText = "openai HTTP 429 rate_limit_exceeded: \(Self.rateLimitMessage)"
        #expect(error.description == expectedText)

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s(expectedText))
        #expect(item["model"] == .s("gpt-4o"))
        #expect(item["operation"] == .s("completion"))
        // Not billed: cost exactly 0. The input is still recorded, estimated from the request:
        // "What is the capital of France?" is 30 UTF-8 bytes, ⌈30 ÷ 4⌉ = 8 tokens.
        #expect(item["cost_usd"] == .n("0"))
        #expect(item["input_tokens"] == .n("8"))
        #expect(item["output_tokens"] == .n("0"))
        #expect(item["total_tokens"] == .n("8"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["cost_note"] == .s("not billed: openai answered HTTP 429"))
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["usage_reported"] == .bool(false))
        #expect(metadata["cost_estimated"] == nil)
        #expect(latency(item) != nil)
        // A trailing slash on the base URL does not double the path's.
        #expect(server.requests.first?.path == "/chat/completions")
    }

    @Test func openAITimeoutThrowsTransportErrorAndRecordsIt() async throws {
        // The provider never answers; the 300 ms limit ends the call.
        let server = try FaultResponder(script: [.noAnswer])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker, timeouts: HTTPTimeouts(connect: .seconds(2), total: .milliseconds(300)))

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.miniRequest) }
        guard case .transport(let transport) = try #require(thrown) else {
            Issue.record("expected a transport error, got \(String(describing: thrown))")
            return
        }
        #expect(transport.kind == .timedOut)
        #expect(thrown?.isRetryable == true)

        let item = try await onlyItem(sink, tracker: tracker)
        let recorded = try #require(item["error"]?.string)
        #expect(recorded.hasPrefix("transport failure: timed out for \(server.endpoint)/chat/completions"))
        #expect(recorded == thrown?.description)
        // The request was sent: OpenAI bills its input. Estimated: "You are terse." (14 bytes) +
        // "What is the capital of France?" (30) = 44 bytes, ⌈44 ÷ 4⌉ = 11 tokens; output 0.
        #expect(item["model"] == .s("gpt-4o-mini"))
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["output_tokens"] == .n("0"))
        #expect(item["total_tokens"] == .n("11"))
        // gpt-4o-mini input $0.15 per 1M = 0.00000015 per token: 11 × 0.00000015 = 0.00000165.
        #expect(item["cost_usd"] == .n("0.00000165"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["cost_estimated"] == .bool(true))
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["usage_reported"] == .bool(false))
        #expect(metadata["cost_note"] == .s("estimated: the request was sent and the call failed (timed out) before openai reported usage; input estimated from the request"))
        #expect(latency(item) != nil)  // no bound: libcurl's timer may fire a millisecond early
    }

    @Test func openAIEmbeddingsRecordInputTokensOnly() async throws {
        let server = try FaultResponder(script: [.respond(status: 200, headers: Self.json, body: Array(Self.embeddingsResponse.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)
        let body = Array(#"{"model":"text-embedding-3-small","input":"The food was delicious and the waiter..."}"#.utf8)

        let reply = try await client.embeddings(body: body)
        #expect(reply["data"]?[0]?["embedding"]?[0] == .number("-0.006929283"))

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["service"] == .s("openai"))
        #expect(item["model"] == .s("text-embedding-3-small"))
        #expect(item["operation"] == .s("embedding"))
        #expect(item["input_tokens"] == .n("8"))
        #expect(item["output_tokens"] == .n("0"))
        #expect(item["total_tokens"] == .n("8"))
        let usage = TokenUsage(inputTokens: 8, outputTokens: 0, totalTokens: 8, model: "text-embedding-3-small")
        #expect(item["cost_usd"] == (try expectedCost(tracker, "openai", "text-embedding-3-small", "embedding", usage)))
        #expect(item["cost_usd"] == .n("0.00000016"))
        #expect(item["metadata"]?.map?["requested_model"] == nil)
        #expect(server.requests.first?.path == "/embeddings")
        #expect(server.requests.first?.body == body)
    }

    @Test func aNonJSONSuccessBodyIsAnInvalidResponse() async throws {
        let server = try FaultResponder(script: [.respond(status: 200, headers: ["Content-Type": "text/html"], body: Array("<html>maintenance</html>".utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.chatRequest) }
        guard case .invalidResponse(let service, let status, let reason) = try #require(thrown) else {
            Issue.record("expected invalidResponse, got \(String(describing: thrown))")
            return
        }
        #expect(service == "openai")
        #expect(status == 200)
        #expect(reason.hasPrefix("body is not JSON ("))
        #expect(reason.hasSuffix("): <html>maintenance</html>"))

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s(try #require(thrown?.description)))
        // Whether a 200 that cannot be read was billed cannot be told: no cost (never 0), the
        // input estimated (⌈30 ÷ 4⌉ = 8).
        #expect(item["cost_usd"] == nil)
        #expect(item["input_tokens"] == .n("8"))
        #expect(item["metadata"]?.map?["cost_note"] == .s("unknown: openai answered HTTP 200 with a body that could not be read"))
        #expect(item["metadata"]?.map?["usage_reported"] == .bool(false))
    }

    @Test func aNonJSONErrorBodyKeepsTheStatusAndQuotesTheBody() async throws {
        let server = try FaultResponder(script: [
            .respond(status: 502, headers: ["Content-Type": "text/html"], body: Array("<html>\n502 Bad Gateway\n</html>\n".utf8)),
            .respond(status: 503, headers: ["retry-after-ms": "1500", "retry-after": "2"], body: Array(#"{"error":{"message":"The engine is currently overloaded","type":"server_error","param":null,"code":null}}"#.utf8)),
        ])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let gateway = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.chatRequest) }
        #expect(gateway == .http(service: "openai", status: 502, type: nil, code: nil, message: "<html> 502 Bad Gateway </html>", retryAfter: nil))
        #expect(gateway?.description == "openai HTTP 502: <html> 502 Bad Gateway </html>")

        let overloaded = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.chatRequest) }
        #expect(overloaded == .http(service: "openai", status: 503, type: "server_error", code: nil, message: "The engine is currently overloaded", retryAfter: .milliseconds(1500)))

        await tracker.flush()
        #expect(Set(sink.items.compactMap { $0["error"]?.string }) == [
            "openai HTTP 502: <html> 502 Bad Gateway </html>",
            "openai HTTP 503 server_error: The engine is currently overloaded",
        ])
    }

    // MARK: - Anthropic

    @Test func anthropicSuccessRecordsTokensCacheAndCost() async throws {
        let server = try FaultResponder(script: [.respond(status: 200, headers: Self.json, body: Array(Self.anthropicResponse.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = AnthropicClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let reply = try await client.messages(body: Self.anthropicRequest)
        #expect(reply["content"]?[0]?["text"] == "Hello! How can I help you today?")

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["service"] == .s("anthropic"))
        #expect(item["model"] == .s("claude-3-5-sonnet-20241022"))
        #expect(item["operation"] == .s("completion"))
        #expect(item["input_tokens"] == .n("3500"))
        #expect(item["output_tokens"] == .n("1500"))
        #expect(item["total_tokens"] == .n("5200"))
        let usage = TokenUsage(inputTokens: 3500, outputTokens: 1500, totalTokens: 5200, cacheCreationInputTokens: 0, cacheReadInputTokens: 200, model: "claude-3-5-sonnet-20241022")
        #expect(item["cost_usd"] == (try expectedCost(tracker, "anthropic", "claude-3-5-sonnet-20241022", "completion", usage)))
        // 3500 × $3/M + 1500 × $15/M + 200 cache reads × $0.30/M.
        #expect(item["cost_usd"] == .n("0.03306"))
        #expect(item["metadata"]?.map?["cache_read_input_tokens"] == .n("200"))
        #expect(item["error"] == nil)

        let request = try #require(server.requests.first)
        #expect(request.path == "/messages")
        #expect(request.header("x-api-key") == key)
        #expect(request.header("anthropic-version") == "2023-06-01")
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("Authorization") == nil)
        #expect(request.body == Self.anthropicRequest.serializedBytes())
    }

    @Test func anthropicOverloadedThrowsAndRecordsIt() async throws {
        let body = #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
        let server = try FaultResponder(script: [.respond(status: 529, headers: Self.json, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = AnthropicClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.messages(body: Self.anthropicRequest) }
        #expect(thrown == .http(service: "anthropic", status: 529, type: "overloaded_error", code: nil, message: "Overloaded", retryAfter: nil))
        #expect(thrown?.isRetryable == true)

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s("anthropic HTTP 529 overloaded_error: Overloaded"))
        #expect(item["service"] == .s("anthropic"))
        #expect(item["model"] == .s("claude-3-5-sonnet-20241022"))
        // 529 without usage: not billed. "Hello, Claude" is 13 bytes: ⌈13 ÷ 4⌉ = 4 input tokens.
        #expect(item["cost_usd"] == .n("0"))
        #expect(item["input_tokens"] == .n("4"))
        #expect(item["metadata"]?.map?["cost_note"] == .s("not billed: anthropic answered HTTP 529"))
        #expect(latency(item) != nil)
    }

    // MARK: - Context and secrecy

    @Test func concurrentCallsKeepTheirOwnContexts() async throws {
        // Each reply's counts say which task and call asked: input 10 + task, output = call + 1.
        let server = try FaultResponder { request, _ in
            let body = try? JSONValue.parse(request.body)
            let task = Int(body?["user"]?.stringValue?.dropFirst("job-".count) ?? "") ?? -1
            let output = body?["max_completion_tokens"]?.intValue ?? -1
            let reply = #"{"object":"chat.completion","model":"gpt-4o-mini-2024-07-18","usage":{"prompt_tokens":\#(10 + task),"completion_tokens":\#(output),"total_tokens":\#(10 + task + output)}}"#
            return .delayed(milliseconds: 5, status: 200, headers: ["Content-Type": "application/json"], body: Array(reply.utf8))
        }
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<10 {
                group.addTask {
                    try await TrackingContext.with(jobId: "job-\(task)") {
                        for call in 0..<3 {
                            await Task.yield()
                            let body: JSONValue = ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "hi"]],
                                                   "user": .string("job-\(task)"), "max_completion_tokens": .number(call + 1)]
                            _ = try await client.chatCompletion(body: body)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        await tracker.flush()

        let items = sink.items
        #expect(items.count == 30)
        var seen: Set<String> = []
        for item in items {
            let input = try #require(item["input_tokens"]?.numberText.flatMap { Int($0) })
            let output = try #require(item["output_tokens"]?.numberText.flatMap { Int($0) })
            #expect(item["job_id"] == .s("job-\(input - 10)"))
            seen.insert("job-\(input - 10)/\(output)")
        }
        #expect(seen.count == 30)
        #expect(TrackingContext.current == TrackingContext())
    }

    @Test func theAPIKeyAppearsInNoMetricAndNoError() async throws {
        let echo = #"{"error":{"message":"Incorrect API key provided: \#(key). You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#
        let anthropicEcho = #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key \#(key)"}}"#
        let server = try FaultResponder(script: [
            .respond(status: 200, headers: Self.json, body: Array(Self.chatResponse.utf8)),
            .respond(status: 401, headers: Self.json, body: Array(echo.utf8)),
            .respond(status: 200, headers: ["Content-Type": "text/plain"], body: Array("not json, but it has the key: \(key)".utf8)),
            .respond(status: 401, headers: Self.json, body: Array(anthropicEcho.utf8)),
            .respond(status: 500, headers: ["Content-Type": "text/plain"], body: Array(String(repeating: "x", count: 195).appending(key).utf8)),
        ])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let openai = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)
        let anthropic = AnthropicClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        _ = try await openai.chatCompletion(body: Self.chatRequest)
        var errors: [ProviderError] = []
        func collect(_ call: () async throws(ProviderError) -> JSONValue) async {
            do throws(ProviderError) {
                _ = try await call()
                Issue.record("the call should have failed")
            } catch {
                errors.append(error)
            }
        }
        await collect { () async throws(ProviderError) in try await openai.chatCompletion(body: Self.chatRequest) }
        await collect { () async throws(ProviderError) in try await openai.embeddings(body: ["model": "text-embedding-3-small", "input": "x"]) }
        await collect { () async throws(ProviderError) in try await anthropic.messages(body: Self.anthropicRequest) }
        await collect { () async throws(ProviderError) in try await anthropic.messages(body: Self.anthropicRequest) }
        server.stop()
        await collect { () async throws(ProviderError) in try await openai.chatCompletion(body: Self.chatRequest) }

        #expect(errors.count == 5)
        #expect(errors.first == .http(service: "openai", status: 401, type: "invalid_request_error", code: "invalid_api_key",
                                      message: "Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.",
                                      retryAfter: nil))
        #expect(errors[3].description == "anthropic HTTP 500: \(String(repeating: "x", count: 195))[reda…")
        for error in errors {
            #expect(!String(describing: error).contains(key))
            #expect(!String(reflecting: error).contains(key))
        }
        if case .transport(let transport) = errors.last {
            #expect(transport.kind == .connectionRefused || transport.kind == .connectionReset)
        } else {
            Issue.record("expected a transport error last, got \(String(describing: errors.last))")
        }

        await tracker.flush()
        let items = sink.items
        #expect(items.count == 6)
        #expect(items.compactMap { $0["error"]?.string }.count == 5)
        for item in items {
            #expect(!String(describing: item).contains(key))
        }
        for text in [String(describing: openai), String(reflecting: openai), String(describing: anthropic), String(reflecting: anthropic)] {
            #expect(!text.contains(key))
        }
        var dumped = ""
        dump(openai, to: &dumped)
        dump(anthropic, to: &dumped)
        #expect(!dumped.contains(key))
        #expect(dumped.contains(server.endpoint))
    }
}
