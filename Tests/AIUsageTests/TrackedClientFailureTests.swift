import AIUsage
import AIUsageTracker
import CurlHTTP
import DynamoDB
import Testing
import TestSupport

/// Failed and interrupted calls against the fake provider: what each one's single metric
/// records (`docs/tracker.md`, "Failed and interrupted calls"), and streamed calls.
///
/// Prices (built in): gpt-4o-mini $0.15 / $0.60 per 1M tokens (0.00000015 / 0.0000006 per
/// token); claude-3-5-sonnet $3 / $15 per 1M (0.000003 / 0.000015), cache reads $0.30 per 1M
/// (0.0000003).
extension TrackedClientTests {
    // MARK: - Stream fixtures (the providers' documented event shapes)

    static let openAIChunks = [
        #"{"id":"chatcmpl-B1","object":"chat.completion.chunk","created":1733400000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-B1","object":"chat.completion.chunk","created":1733400000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":[{"index":0,"delta":{"content":"The capital"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-B1","object":"chat.completion.chunk","created":1733400000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":[{"index":0,"delta":{"content":" of France is"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-B1","object":"chat.completion.chunk","created":1733400000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":[{"index":0,"delta":{"content":" Paris."},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-B1","object":"chat.completion.chunk","created":1733400000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
        #"{"id":"chatcmpl-B1","object":"chat.completion.chunk","created":1733400000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
    ]

    static func sse(_ chunks: ArraySlice<String>) -> String { chunks.map { "data: \($0)\n\n" }.joined() }

    static let anthropicEvents: [(String, String)] = [
        ("message_start", #"{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":200,"output_tokens":1}}}"#),
        ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ("ping", #"{"type": "ping"}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello! How can"}}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" I help"}}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" you today?"}}"#),
        ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
        ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}"#),
        ("message_stop", #"{"type":"message_stop"}"#),
    ]

    static func anthropicSSE(_ events: ArraySlice<(String, String)>) -> String {
        events.map { "event: \($0.0)\ndata: \($0.1)\n\n" }.joined()
    }

    static let eventStream = ["Content-Type": "text/event-stream"]

    // MARK: - OpenAI failures

    @Test func openAIServerErrorIsNotBilledButRecordsTheEstimatedInput() async throws {
        let body = #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#
        let server = try FaultResponder(script: [.respond(status: 500, headers: Self.json, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.miniRequest) }
        #expect(thrown?.status == 500)

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s("openai HTTP 500 server_error: The server had an error while processing your request. Sorry about that!"))
        #expect(item["model"] == .s("gpt-4o-mini"))
        // ⌈44 bytes ÷ 4⌉ = 11 (see miniRequest); not billed, so cost exactly 0.
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["output_tokens"] == .n("0"))
        #expect(item["total_tokens"] == .n("11"))
        #expect(item["cost_usd"] == .n("0"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["cost_note"] == .s("not billed: openai answered HTTP 500"))
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["usage_reported"] == .bool(false))
        #expect(metadata["cost_estimated"] == nil)
    }

    @Test func openAIErrorBodyWithUsageIsPricedFromIt() async throws {
        let body = #"{"error":{"message":"Invalid 'max_tokens'","type":"invalid_request_error","param":"max_tokens","code":null},"usage":{"prompt_tokens":12,"completion_tokens":0,"total_tokens":12}}"#
        let server = try FaultResponder(script: [.respond(status: 400, headers: Self.json, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.miniRequest) }

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s("openai HTTP 400 invalid_request_error: Invalid 'max_tokens'"))
        #expect(item["input_tokens"] == .n("12"))
        #expect(item["output_tokens"] == .n("0"))
        // Reported usage, priced normally: 12 × 0.00000015 = 0.0000018.
        #expect(item["cost_usd"] == .n("0.0000018"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["usage_reported"] == .bool(true))
        #expect(metadata["usage_estimated"] == .bool(false))
        #expect(metadata["cost_note"] == nil)
        #expect(metadata["cost_estimated"] == nil)
    }

    @Test func aRefusedConnectionSentNothingAndIsNotBilled() async throws {
        let port = try RefusingPort()
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: port.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletion(body: Self.miniRequest) }
        guard case .transport(let transport) = try #require(thrown) else {
            Issue.record("expected a transport error, got \(String(describing: thrown))")
            return
        }
        #expect(transport.kind == .connectionRefused)

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s(try #require(thrown?.description)))
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["cost_usd"] == .n("0"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["cost_note"] == .s("not billed: nothing was sent (connection refused)"))
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["usage_reported"] == .bool(false))
    }

    // MARK: - OpenAI streams

    @Test func openAIStreamIsPricedFromItsUsageChunk() async throws {
        let body = Self.sse(Self.openAIChunks[...]) + "data: [DONE]\n\n"
        let server = try FaultResponder(script: [.respond(status: 200, headers: Self.eventStream, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)
        let request = ProviderRequest.with(ProviderRequest.with(Self.miniRequest, "stream", false), "stream_options", ["include_obfuscation": false])

        let reply = try await client.chatCompletionStream(body: request)
        #expect(reply.text == "The capital of France is Paris.")
        #expect(reply.model == "gpt-4o-mini-2024-07-18")
        #expect(reply.stopReason == "stop")
        #expect(reply.isComplete)
        #expect(reply.events == 7)
        #expect(reply.usage == TokenUsage(inputTokens: 11, outputTokens: 7, totalTokens: 18, cachedInputTokens: 0, reasoningTokens: 0, model: "gpt-4o-mini-2024-07-18"))

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == nil)
        #expect(item["model"] == .s("gpt-4o-mini-2024-07-18"))
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["output_tokens"] == .n("7"))
        #expect(item["total_tokens"] == .n("18"))
        // 11 × 0.00000015 + 7 × 0.0000006 = 0.00000165 + 0.0000042 = 0.00000585.
        #expect(item["cost_usd"] == .n("0.00000585"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["usage_reported"] == .bool(true))
        #expect(metadata["usage_estimated"] == .bool(false))
        #expect(metadata["requested_model"] == .s("gpt-4o-mini"))
        #expect(metadata["cost_note"] == nil)

        // The request asked for a stream with usage, and kept the caller's other options.
        let sent = try JSONValue.parse(try #require(server.requests.first).body)
        #expect(sent["stream"] == true)
        #expect(sent.objectMembers?.filter { $0.key == "stream" }.count == 1)
        #expect(sent["stream_options"] == ["include_obfuscation": false, "include_usage": true])
        #expect(sent["messages"] == Self.miniRequest["messages"])
    }

    @Test func openAIStreamCutMidwayRecordsTheEstimateOfWhatArrived() async throws {
        // Three whole events, then the fourth is cut inside its JSON and the connection closes.
        let body = Self.sse(Self.openAIChunks[0..<3]) + "data: " + Self.openAIChunks[3].prefix(60)
        let server = try FaultResponder(script: [.cut(status: 200, headers: Self.eventStream, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletionStream(body: Self.miniRequest) }
        guard case .streamInterrupted(let service, let received, let reason) = try #require(thrown) else {
            Issue.record("expected streamInterrupted, got \(String(describing: thrown))")
            return
        }
        #expect(service == "openai")
        #expect(received.text == "The capital of France is")
        #expect(received.events == 3)
        #expect(!received.isComplete)
        #expect(reason.hasPrefix("transport failure: connection reset for \(server.endpoint)/chat/completions: "))
        #expect(thrown?.isRetryable == true)
        let description = try #require(thrown?.description)
        #expect(description.hasPrefix("openai stream cut after 3 events: transport failure: connection reset for \(server.endpoint)/chat/completions: "))
        // Input ⌈44 ÷ 4⌉ = 11 from the request; output from "The capital of France is": 24
        // bytes, ⌈24 ÷ 4⌉ = 6.
        let estimate = TokenUsage(inputTokens: 11, outputTokens: 6, totalTokens: 17, isEstimated: true, model: "gpt-4o-mini-2024-07-18")
        #expect(received.usage == estimate)

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s(description))
        #expect(item["model"] == .s("gpt-4o-mini-2024-07-18"))
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["output_tokens"] == .n("6"))
        #expect(item["total_tokens"] == .n("17"))
        // 11 × 0.00000015 + 6 × 0.0000006 = 0.00000165 + 0.0000036 = 0.00000525.
        #expect(item["cost_usd"] == .n("0.00000525"))
        #expect(item["cost_usd"] == (try expectedCost(tracker, "openai", "gpt-4o-mini-2024-07-18", "completion", estimate)))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["usage_reported"] == .bool(false))
        #expect(metadata["cost_estimated"] == .bool(true))
        #expect(metadata["cost_note"] == .s("estimated: the stream was cut after 3 events before openai reported usage; input estimated from the request, output from the text received"))
    }

    @Test func openAIStreamThatGotItsUsageBeforeEndingEarlyIsPricedFromIt() async throws {
        // Every chunk, the usage one included, but the body ends without `data: [DONE]`.
        let server = try FaultResponder(script: [.respond(status: 200, headers: Self.eventStream, body: Array(Self.sse(Self.openAIChunks[...]).utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.chatCompletionStream(body: Self.miniRequest) }
        #expect(thrown?.description == "openai stream cut after 6 events: the body ended before data: [DONE]")

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s("openai stream cut after 6 events: the body ended before data: [DONE]"))
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["output_tokens"] == .n("7"))
        // Reported: 11 × 0.00000015 + 7 × 0.0000006 = 0.00000585.
        #expect(item["cost_usd"] == .n("0.00000585"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["usage_reported"] == .bool(true))
        #expect(metadata["usage_estimated"] == .bool(false))
        #expect(metadata["cost_estimated"] == nil)
        #expect(metadata["cost_note"] == nil)
    }

    @Test func openAIStreamWithoutAUsageChunkIsEstimated() async throws {
        // A compatible endpoint that ignores include_usage: the stream ends, with no usage.
        let body = Self.sse(Self.openAIChunks[0..<5]) + "data: [DONE]\n\n"
        let server = try FaultResponder(script: [.respond(status: 200, headers: Self.eventStream, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = OpenAIClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let reply = try await client.chatCompletionStream(body: Self.miniRequest)
        #expect(reply.text == "The capital of France is Paris.")
        // Input ⌈44 ÷ 4⌉ = 11; output "The capital of France is Paris.": 31 bytes, ⌈31 ÷ 4⌉ = 8.
        #expect(reply.usage == TokenUsage(inputTokens: 11, outputTokens: 8, totalTokens: 19, isEstimated: true, model: "gpt-4o-mini-2024-07-18"))

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == nil)
        #expect(item["input_tokens"] == .n("11"))
        #expect(item["output_tokens"] == .n("8"))
        // 11 × 0.00000015 + 8 × 0.0000006 = 0.00000165 + 0.0000048 = 0.00000645.
        #expect(item["cost_usd"] == .n("0.00000645"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["usage_reported"] == .bool(false))
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["cost_estimated"] == .bool(true))
        #expect(metadata["cost_note"] == .s("estimated: the stream carried no usage; input estimated from the request, output from the text received"))
    }

    // MARK: - Anthropic streams

    @Test func anthropicStreamIsPricedFromItsUsageEvents() async throws {
        let server = try FaultResponder(script: [.respond(status: 200, headers: Self.eventStream, body: Array(Self.anthropicSSE(Self.anthropicEvents[...]).utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = AnthropicClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let reply = try await client.messagesStream(body: Self.anthropicRequest)
        #expect(reply.text == "Hello! How can I help you today?")
        #expect(reply.model == "claude-3-5-sonnet-20241022")
        #expect(reply.stopReason == "end_turn")
        #expect(reply.events == 9)
        #expect(reply.usage?.isEstimated == false)

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == nil)
        #expect(item["model"] == .s("claude-3-5-sonnet-20241022"))
        #expect(item["input_tokens"] == .n("25"))
        #expect(item["output_tokens"] == .n("12"))
        #expect(item["total_tokens"] == .n("237"))  // 25 + 12 + 200 cache reads
        // 25 × 0.000003 + 12 × 0.000015 + 200 × 0.0000003 = 0.000075 + 0.00018 + 0.00006 = 0.000315.
        #expect(item["cost_usd"] == .n("0.000315"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["cache_read_input_tokens"] == .n("200"))
        #expect(metadata["usage_reported"] == .bool(true))
        #expect(metadata["usage_estimated"] == .bool(false))

        let sent = try JSONValue.parse(try #require(server.requests.first).body)
        #expect(sent["stream"] == true)
        #expect(sent["max_tokens"] == 1024)
    }

    @Test func anthropicStreamCutMidwayKeepsTheReportedInputAndEstimatesTheOutput() async throws {
        // message_start, content_block_start, ping and two text deltas, then a cut inside the third.
        let body = Self.anthropicSSE(Self.anthropicEvents[0..<5]) + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" you"
        let server = try FaultResponder(script: [.cut(status: 200, headers: Self.eventStream, body: Array(body.utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = AnthropicClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.messagesStream(body: Self.anthropicRequest) }
        guard case .streamInterrupted(_, let received, _) = try #require(thrown) else {
            Issue.record("expected streamInterrupted, got \(String(describing: thrown))")
            return
        }
        #expect(received.text == "Hello! How can I help")
        #expect(received.events == 5)
        let description = try #require(thrown?.description)
        #expect(description.hasPrefix("anthropic stream cut after 5 events: transport failure: connection reset for \(server.endpoint)/messages: "))

        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s(description))
        #expect(item["model"] == .s("claude-3-5-sonnet-20241022"))
        // message_start reported the input (25) and cache reads (200); the output is estimated
        // from "Hello! How can I help": 21 bytes, ⌈21 ÷ 4⌉ = 6 (more than message_start's 1).
        #expect(item["input_tokens"] == .n("25"))
        #expect(item["output_tokens"] == .n("6"))
        #expect(item["total_tokens"] == .n("231"))  // 25 + 6 + 200
        // 25 × 0.000003 + 6 × 0.000015 + 200 × 0.0000003 = 0.000075 + 0.00009 + 0.00006 = 0.000225.
        #expect(item["cost_usd"] == .n("0.000225"))
        let metadata = try #require(item["metadata"]?.map)
        #expect(metadata["usage_reported"] == .bool(true))
        #expect(metadata["usage_estimated"] == .bool(true))
        #expect(metadata["cost_estimated"] == .bool(true))
        #expect(metadata["cache_read_input_tokens"] == .n("200"))
        #expect(metadata["cost_note"] == .s("estimated: the stream was cut after 5 events before its final usage; output estimated from the text received"))
    }

    @Test func anthropicStreamCutBeforeMessageStartIsEstimatedFromTheRequest() async throws {
        let server = try FaultResponder(script: [.cut(status: 200, headers: Self.eventStream, body: Array("event: message_start\ndata: {\"type\":\"mess".utf8))])
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        let client = AnthropicClient(apiKey: key, baseURL: server.endpoint, tracker: tracker)

        let thrown = await #expect(throws: ProviderError.self) { try await client.messagesStream(body: Self.anthropicRequest) }
        #expect(thrown?.description.hasPrefix("anthropic stream cut after 0 events: transport failure: connection reset for ") == true)

        let item = try await onlyItem(sink, tracker: tracker)
        // "Hello, Claude": 13 bytes, ⌈13 ÷ 4⌉ = 4 input tokens; nothing generated arrived.
        #expect(item["input_tokens"] == .n("4"))
        #expect(item["output_tokens"] == .n("0"))
        // 4 × 0.000003 = 0.000012.
        #expect(item["cost_usd"] == .n("0.000012"))
        #expect(item["metadata"]?.map?["usage_reported"] == .bool(false))
        #expect(item["metadata"]?.map?["cost_estimated"] == .bool(true))
    }

    // MARK: - The tracker's own entry points

    @Test func trackRecordsWhatFailureUsageSays() async throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }
        let sink = RecordingSink()
        let tracker = makeTracker(sink)
        await #expect(throws: Refused.self) {
            try await tracker.track(service: "openai", model: "gpt-4o-mini", operation: "completion", usage: { (_: String) in TokenUsage() },
                                    failureUsage: { _ in CallUsage(usage: UsageEstimate.usage(inputTokens: 100), isReported: false, billing: .priced(note: "sent")) }) {
                throw Refused()
            }
        }
        let item = try await onlyItem(sink, tracker: tracker)
        #expect(item["error"] == .s("refused"))
        #expect(item["input_tokens"] == .n("100"))
        #expect(item["cost_usd"] == .n("0.000015"))  // 100 × 0.00000015
        #expect(item["metadata"]?.map?["cost_note"] == .s("sent"))
        #expect(item["metadata"]?.map?["cost_estimated"] == .bool(true))
    }

    @Test func metricBillingCases() {
        let tracker = makeTracker(RecordingSink())
        let estimate = UsageEstimate.usage(inputTokens: 11)

        let notBilled = tracker.metric(service: "openai", model: "gpt-4o-mini", operation: "completion", usage: nil, error: "e",
                                       billing: .notBilled(reason: "not billed: r"))
        #expect(notBilled.costUSD == .zero)
        #expect(notBilled.metadata["cost_note"] == .s("not billed: r"))

        let unknown = tracker.metric(service: "openai", model: "gpt-4o-mini", operation: "completion", usage: estimate, error: "e",
                                     billing: .unknown(reason: "unknown: r"), usageReported: false)
        #expect(unknown.costUSD == nil)
        #expect(unknown.inputTokens == 11)
        #expect(unknown.metadata["cost_note"] == .s("unknown: r"))
        #expect(unknown.metadata["usage_estimated"] == .bool(true))
        #expect(unknown.metadata["usage_reported"] == .bool(false))

        // An error without a billing keeps the old rule: no cost.
        let unpriced = tracker.metric(service: "openai", model: "gpt-4o-mini", operation: "completion", usage: estimate, error: "e")
        #expect(unpriced.costUSD == nil)
        #expect(unpriced.metadata["cost_note"] == nil)

        // A success with an estimated usage is priced and says so.
        let success = tracker.metric(service: "openai", model: "gpt-4o-mini", operation: "completion", usage: estimate)
        #expect(success.costUSD == ExactDecimal("0.00000165"))
        #expect(success.metadata["cost_estimated"] == .bool(true))
        #expect(success.metadata["usage_estimated"] == .bool(true))
        #expect(success.metadata["usage_reported"] == nil)

        // A success with reported usage and no flags asked for: only the cost's breakdown
        // (1 × 0.00000015 input + 1 × 0.0000006 output) and the catalogue that priced it.
        let plain = tracker.metric(service: "openai", model: "gpt-4o-mini", operation: "completion", usage: TokenUsage(inputTokens: 1, outputTokens: 1))
        #expect(plain.costUSD == ExactDecimal("0.00000075"))
        #expect(plain.metadata == ["cost_breakdown": .m(["input": .n("0.00000015"), "output": .n("0.0000006")])])
        #expect(plain.pricedWith == PricingCatalogue.builtIn.version)
    }
}

/// Building requests in tests.
enum ProviderRequest {
    static func with(_ request: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = request else { return request }
        members.append(JSONValue.Member(key: key, value: value))
        return .object(members)
    }
}

// MARK: - The estimate rule

@Suite struct UsageEstimateTests {
    @Test func tokensAreUTF8BytesOverFourRoundedUp() {
        #expect(UsageEstimate.tokens(utf8Count: 0) == 0)
        #expect(UsageEstimate.tokens(utf8Count: 1) == 1)
        #expect(UsageEstimate.tokens(utf8Count: 4) == 1)
        #expect(UsageEstimate.tokens(utf8Count: 5) == 2)
        #expect(UsageEstimate.tokens(utf8Count: 44) == 11)
        // h é(2) l l o ␠ w ö(2) r l d ␠ 🌍(4) = 18 bytes → 5.
        #expect(UsageEstimate.tokens(text: "héllo wörld 🌍") == 5)
    }

    @Test func onlyPromptTextCounts() {
        // Anthropic: system blocks, text parts and tool results count; the image's data, the
        // tool call's input, roles, types, ids and the tools' definitions do not.
        let anthropic: JSONValue = [
            "model": "claude-3-5-sonnet-20241022",
            "max_tokens": 1024,
            "system": [["type": "text", "text": "Be brief."]],  // 9 bytes
            "messages": [
                ["role": "user", "content": [
                    ["type": "text", "text": "Describe this:"],  // 14
                    ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"]],
                ]],
                ["role": "assistant", "content": [["type": "tool_use", "id": "toolu_01", "name": "lookup", "input": ["query": "png"]]]],
                ["role": "user", "content": [["type": "tool_result", "tool_use_id": "toolu_01", "content": "A red square."]]],  // 13
            ],
            "tools": [["name": "lookup", "description": "Looks things up", "input_schema": ["type": "object"]]],
        ]
        // 9 + 14 + 13 = 36 bytes → 9.
        #expect(UsageEstimate.inputTokens(request: anthropic) == 9)

        // OpenAI: content parts' text counts, an image URL does not; instructions count.
        let openAI: JSONValue = [
            "model": "gpt-4o-mini",
            "instructions": "Answer in French.",  // 17
            "messages": [["role": "user", "content": [
                ["type": "text", "text": "What is this?"],  // 13
                ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]],
            ]]],
        ]
        // 17 + 13 = 30 bytes → 8.
        #expect(UsageEstimate.inputTokens(request: openAI) == 8)
        #expect(UsageEstimate.inputTokens(requestBody: openAI.serializedBytes()) == 8)
    }

    @Test func embeddingInputsAndTokenIDs() {
        #expect(UsageEstimate.inputTokens(request: ["model": "text-embedding-3-small", "input": "The food was delicious"]) == 6)  // 22 bytes
        #expect(UsageEstimate.inputTokens(request: ["model": "text-embedding-3-small", "input": ["ab", "cd"]]) == 1)  // 4 bytes, rounded once
        #expect(UsageEstimate.inputTokens(request: ["model": "text-embedding-3-small", "input": [[101, 2023, 2003], [102]]]) == 4)  // token ids
        #expect(UsageEstimate.inputTokens(request: ["model": "gpt-3.5-turbo-instruct", "prompt": "abcdefghi"]) == 3)
        #expect(UsageEstimate.inputTokens(requestBody: Array("not json".utf8)) == 0)
        #expect(UsageEstimate.inputTokens(request: ["model": "gpt-4o"]) == 0)
    }
}

// MARK: - Server-sent events and streamed completions

@Suite struct StreamedCompletionTests {
    @Test func serverSentEventsFollowTheFormat() {
        let body = ": comment\r\nevent: one\r\ndata: a\r\ndata:b\r\n\r\nevent: empty\n\ndata: {\"x\":1}\rid: 7\r\rdata: last complete line\ndata: cut mid"
        #expect(ServerSentEvents.parse(Array(body.utf8)) == [
            ServerSentEvent(event: "one", data: "a\nb"),
            ServerSentEvent(data: #"{"x":1}"#),
            ServerSentEvent(data: "last complete line"),
        ])
        #expect(ServerSentEvents.parse([]) == [])
    }

    @Test func openAIChoiceZeroIsTheTextAndEverythingGeneratedIsCounted() {
        let body = """
        data: {"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":"Hi"}}]}

        data: {"model":"gpt-4o-mini-2024-07-18","choices":[{"index":1,"delta":{"content":"Hey there"}}]}

        data: {"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"q\\":\\"x\\"}"}}]},"finish_reason":"tool_calls"}]}

        data: not json

        data: [DONE]


        """
        let completion = StreamedCompletion.read(service: "openai", body: Array(body.utf8))
        #expect(completion.text == "Hi")
        #expect(completion.generatedUTF8Count == 2 + 9 + 9)
        #expect(completion.events == 5)
        #expect(completion.isComplete)
        #expect(completion.stopReason == "tool_calls")
        #expect(completion.usage == nil)
        let recorded = completion.recordedUsage(estimatedInputTokens: 3)
        // ⌈20 ÷ 4⌉ = 5 output tokens.
        #expect(recorded.usage == TokenUsage(inputTokens: 3, outputTokens: 5, totalTokens: 8, isEstimated: true, model: "gpt-4o-mini-2024-07-18"))
        #expect(!recorded.isReported)
    }

    @Test func openAIErrorChunkIsTheStreamsError() {
        let body = #"data: {"error":{"message":"The server had an error","type":"server_error"}}"# + "\n\n"
        let completion = StreamedCompletion.read(service: "openai", body: Array(body.utf8))
        #expect(completion.error == "server_error: The server had an error")
        #expect(!completion.isComplete)
    }

    @Test func anthropicErrorEventAfterMessageStart() {
        let body = """
        event: message_start
        data: {"type":"message_start","message":{"type":"message","model":"claude-3-haiku-20240307","usage":{"input_tokens":10,"output_tokens":1}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abc"}}

        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}


        """
        let completion = StreamedCompletion.read(service: "anthropic", body: Array(body.utf8))
        #expect(completion.error == "overloaded_error: Overloaded")
        #expect(!completion.isComplete)
        #expect(!completion.hasFinalUsage)
        #expect(completion.usage?.inputTokens == 10)
        let recorded = completion.recordedUsage(estimatedInputTokens: 99)
        // The reported input stays; output max(1, ⌈3 ÷ 4⌉ = 1) = 1.
        #expect(recorded.usage == TokenUsage(inputTokens: 10, outputTokens: 1, totalTokens: 11, isEstimated: true, model: "claude-3-haiku-20240307"))
        #expect(recorded.isReported)
    }

    @Test func anthropicMessageDeltaCountsAreCumulative() {
        let body = """
        event: message_start
        data: {"type":"message_start","message":{"type":"message","model":"claude-sonnet-4-20250514","usage":{"input_tokens":0,"output_tokens":1}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm"}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":30,"cache_read_input_tokens":5,"output_tokens":9}}

        event: message_stop
        data: {"type":"message_stop"}


        """
        let completion = StreamedCompletion.read(service: "anthropic", body: Array(body.utf8))
        #expect(completion.isComplete)
        #expect(completion.hasFinalUsage)
        #expect(completion.text == "")
        #expect(completion.generatedUTF8Count == 3)
        #expect(completion.usage == TokenUsage(inputTokens: 30, outputTokens: 9, totalTokens: 44, cacheReadInputTokens: 5, model: "claude-sonnet-4-20250514"))
        let recorded = completion.recordedUsage(estimatedInputTokens: 99)
        #expect(recorded.usage == completion.usage)
        #expect(recorded.isReported)
    }
}
