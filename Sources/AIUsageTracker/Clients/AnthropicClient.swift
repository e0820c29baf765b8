import AIUsage
import CurlHTTP
import DynamoDB

/// An Anthropic Messages API client whose every call is recorded by a ``Tracker``.
///
/// Each call records exactly one metric through the tracker (service `anthropic`, operation
/// `completion`): on success the tokens `UsageExtractor` reads from the response (cache writes
/// and reads go to the metric's metadata and into the cost) and the cost the tracker's
/// calculator gives for the model the response names; on failure the error, the latency, and
/// what the call cost by the policy of ``CallBilling`` (an error status without usage, 529
/// included, is not billed: cost 0, input tokens estimated). The metric takes the task-local
/// ``TrackingContext``.
///
/// The client does **not retry**: a failure (Anthropic's 529 "overloaded" included) is thrown
/// at once as a ``ProviderError`` so the caller decides. Streamed messages go through
/// ``messagesStream(body:metadata:)``.
///
/// The API key goes only into the `x-api-key` header: it never appears in an error, a log
/// line, a metric, or this value's description.
///
/// ```swift
/// let claude = AnthropicClient(apiKey: key, tracker: tracker)
/// let reply = try await claude.messages(body: ["model": "claude-3-5-sonnet-20241022", "max_tokens": 1024,
///                                              "messages": [["role": "user", "content": "Hi"]]])
/// ```
public struct AnthropicClient: Sendable {
    /// The metric's `service`.
    public static let service = "anthropic"
    /// The `anthropic-version` header sent unless another is given.
    public static let defaultVersion = "2023-06-01"
    /// 10 s to connect, 10 minutes in all.
    public static let defaultTimeouts = ProviderCall.defaultTimeouts

    private let apiKey: String
    /// `https://api.anthropic.com/v1`, or a compatible endpoint; paths are appended to it.
    public let baseURL: String
    public let tracker: Tracker
    public let transport: any HTTPTransport
    public let timeouts: HTTPTimeouts
    /// Ask `tracker.blockedScope` before each call and refuse it with
    /// `ProviderError.budgetExhausted` when a hard budget covering it is exhausted.
    public let preflight: Bool
    /// The `anthropic-version` header.
    public let version: String

    public init(
        apiKey: String,
        baseURL: String = "https://api.anthropic.com/v1",
        tracker: Tracker,
        transport: any HTTPTransport = CurlHTTPClient(),
        timeouts: HTTPTimeouts = AnthropicClient.defaultTimeouts,
        version: String = AnthropicClient.defaultVersion,
        preflight: Bool = false
    ) {
        self.preflight = preflight
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.tracker = tracker
        self.transport = transport
        self.timeouts = timeouts
        self.version = version
    }

    /// `POST {baseURL}/messages`, recorded as operation `completion`.
    ///
    /// - Parameters:
    ///   - body: the request, as Anthropic documents it; its `model` names the metric's model
    ///     until the response names one.
    ///   - isBatch: the call is billed at the Message Batches rate (sent through a batching
    ///     gateway, say): it is priced with the batch discount and marked `is_batch`.
    ///   - metadata: extra values stored in the metric's `metadata`.
    /// - Returns: the response body.
    /// - Throws: ``ProviderError``, once the failed call is recorded; never retried.
    public func messages(body: JSONValue, isBatch: Bool = false, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> JSONValue {
        try await post(body: body.serializedBytes(), model: ProviderCall.model(inRequest: body), isBatch: isBatch, metadata: metadata)
    }

    /// `POST {baseURL}/messages` with a body already encoded as JSON.
    public func messages(body: [UInt8], isBatch: Bool = false, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> JSONValue {
        try await post(body: body, model: ProviderCall.model(inRequest: body), isBatch: isBatch, metadata: metadata)
    }

    /// `POST {baseURL}/messages` as a stream (`"stream": true` is set), recorded as operation
    /// `completion`.
    ///
    /// The whole reply is read, then its server-sent events (``StreamedCompletion``):
    /// `message_start` gives the model and the input and cache counts, `content_block_delta` the
    /// text, `message_delta` the final output count, `message_stop` the end. The metric is priced
    /// from that usage (`usage_reported: true`).
    ///
    /// - Returns: the text, the model and the usage the metric recorded.
    /// - Throws: ``ProviderError``, once the failed call is recorded; never retried. A stream
    ///   that stops before `message_stop` (the connection dropped, or the body ended) or sends an
    ///   `error` event throws ``ProviderError/streamInterrupted(service:received:reason:)`` with
    ///   what arrived; its metric records `message_start`'s counts when they arrived, with the
    ///   output estimated from the text received unless `message_delta` gave it, else the
    ///   estimated input and output, priced.
    public func messagesStream(body: JSONValue, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> StreamedCompletion {
        let model = ProviderCall.model(inRequest: body)
        let call = makeCall(body: ProviderCall.setting("stream", to: true, in: body).serializedBytes(), model: model, isBatch: false, metadata: metadata)
        if preflight, let scope = await tracker.blockedScope(service: Self.service, model: model) {
            throw .budgetExhausted(service: Self.service, scope: scope)
        }
        return try await call.sendStream(tracker: tracker, transport: transport)
    }

    private func post(body: [UInt8], model: String, isBatch: Bool, metadata: [String: AttributeValue]) async throws(ProviderError) -> JSONValue {
        let call = makeCall(body: body, model: model, isBatch: isBatch, metadata: metadata)
        if preflight, let scope = await tracker.blockedScope(service: Self.service, model: model) {
            throw .budgetExhausted(service: Self.service, scope: scope)
        }
        return try await call.send(tracker: tracker, transport: transport)
    }

    private func makeCall(body: [UInt8], model: String, isBatch: Bool, metadata: [String: AttributeValue]) -> ProviderCall {
        ProviderCall(
            service: Self.service,
            operation: "completion",
            url: ProviderCall.join(baseURL, "messages"),
            headers: ["x-api-key": apiKey, "anthropic-version": version, "content-type": "application/json"],
            body: body,
            model: model,
            isBatch: isBatch,
            metadata: metadata,
            timeouts: timeouts,
            secret: apiKey,
            errorDetails: Self.errorDetails
        )
    }

    /// Anthropic's error body: `{"type": "error", "error": {"type": …, "message": …}}`.
    static func errorDetails(_ body: JSONValue) -> (type: String?, code: String?, message: String?)? {
        guard let error = body["error"], case .object = error else { return nil }
        return (error["type"]?.stringValue, nil, error["message"]?.stringValue)
    }
}

extension AnthropicClient: CustomStringConvertible, CustomReflectable {
    /// The base URL only: never the key.
    public var description: String { "AnthropicClient(baseURL: \(baseURL))" }
    public var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL, "version": version, "timeouts": timeouts], displayStyle: .struct) }
}
