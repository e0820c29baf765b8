import AIUsage
import CurlHTTP
import DynamoDB

/// An OpenAI API client whose every call is recorded by a ``Tracker``: the Swift counterpart
/// of the original system's wrapped OpenAI client.
///
/// Each call records exactly one metric through the tracker (service `openai`): on success the
/// tokens `UsageExtractor` reads from the response and the cost the tracker's calculator gives
/// for the model the response names; on failure the error, the latency, and what the call cost
/// by the policy of ``CallBilling``: usage the provider reported is priced; without it the input
/// tokens are estimated from the request (``UsageEstimate``) and the cost is 0 when OpenAI
/// answered an error status or nothing was sent, the priced estimate when the request was sent
/// and the transfer failed. The metric takes the task-local ``TrackingContext`` (job, batch,
/// user, …).
///
/// The client does **not retry**: a failure is thrown at once as a ``ProviderError`` so the
/// caller decides (``ProviderError/isRetryable`` and ``ProviderError/retryAfter`` help).
/// Streamed completions go through ``chatCompletionStream(body:metadata:)``; `"stream": true`
/// in a `chatCompletion` body is refused as an invalid (non-JSON) response.
///
/// The API key goes only into the `Authorization` header: it never appears in an error, a
/// log line, a metric, or this value's description.
///
/// ```swift
/// let openai = OpenAIClient(apiKey: key, tracker: tracker)
/// let reply = try await openai.chatCompletion(body: ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "Hi"]]])
/// ```
public struct OpenAIClient: Sendable {
    /// The metric's `service`.
    public static let service = "openai"
    /// 10 s to connect, 10 minutes in all.
    public static let defaultTimeouts = ProviderCall.defaultTimeouts

    private let apiKey: String
    /// `https://api.openai.com/v1`, or a compatible endpoint; paths are appended to it.
    public let baseURL: String
    public let tracker: Tracker
    public let transport: any HTTPTransport
    public let timeouts: HTTPTimeouts
    /// Ask `tracker.blockedScope` before each call and refuse it with
    /// `ProviderError.budgetExhausted` when a hard budget covering it is exhausted.
    public let preflight: Bool

    public init(
        apiKey: String,
        baseURL: String = "https://api.openai.com/v1",
        tracker: Tracker,
        transport: any HTTPTransport = CurlHTTPClient(),
        timeouts: HTTPTimeouts = OpenAIClient.defaultTimeouts,
        preflight: Bool = false
    ) {
        self.preflight = preflight
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.tracker = tracker
        self.transport = transport
        self.timeouts = timeouts
    }

    // MARK: - Chat Completions

    /// `POST {baseURL}/chat/completions`, recorded as operation `completion`.
    ///
    /// - Parameters:
    ///   - body: the request, as OpenAI documents it; its `model` names the metric's model
    ///     until the response names a more specific one.
    ///   - isBatch: the call is billed at the Batch API rate (sent through a batching gateway,
    ///     say): it is priced with the batch discount and marked `is_batch`.
    ///   - metadata: extra values stored in the metric's `metadata`.
    /// - Returns: the response body.
    /// - Throws: ``ProviderError``, once the failed call is recorded; never retried.
    public func chatCompletion(body: JSONValue, isBatch: Bool = false, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> JSONValue {
        try await post("chat/completions", operation: "completion", body: body.serializedBytes(), model: ProviderCall.model(inRequest: body), isBatch: isBatch, metadata: metadata)
    }

    /// `POST {baseURL}/chat/completions` with a body already encoded as JSON.
    public func chatCompletion(body: [UInt8], isBatch: Bool = false, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> JSONValue {
        try await post("chat/completions", operation: "completion", body: body, model: ProviderCall.model(inRequest: body), isBatch: isBatch, metadata: metadata)
    }

    /// `POST {baseURL}/chat/completions` as a stream, recorded as operation `completion`.
    ///
    /// The request is sent with `"stream": true` and `"stream_options": {"include_usage": true}`
    /// (other `stream_options` kept), so the stream ends with a usage chunk; the whole reply is
    /// read, then its server-sent events (``StreamedCompletion``). The metric is priced from the
    /// stream's usage (`usage_reported: true`); a stream that ends without one is recorded with
    /// estimated usage.
    ///
    /// - Returns: the text (choice 0), the model and the usage the metric recorded.
    /// - Throws: ``ProviderError``, once the failed call is recorded; never retried. A stream
    ///   that stops before `data: [DONE]` (the connection dropped, or the body ended) or sends
    ///   an error throws ``ProviderError/streamInterrupted(service:received:reason:)`` with what
    ///   arrived; its metric records the usage if it arrived, else the estimated input and the
    ///   output estimated from the text received, priced.
    public func chatCompletionStream(body: JSONValue, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> StreamedCompletion {
        var options = JSONValue.object([])
        if let given = body["stream_options"], case .object = given { options = given }
        var request = ProviderCall.setting("stream", to: true, in: body)
        request = ProviderCall.setting("stream_options", to: ProviderCall.setting("include_usage", to: true, in: options), in: request)
        let call = makeCall("chat/completions", operation: "completion", body: request.serializedBytes(), model: ProviderCall.model(inRequest: body), isBatch: false, metadata: metadata)
        if preflight, let scope = await tracker.blockedScope(service: Self.service, model: call.model) {
            throw .budgetExhausted(service: Self.service, scope: scope)
        }
        return try await call.sendStream(tracker: tracker, transport: transport)
    }

    // MARK: - Embeddings

    /// `POST {baseURL}/embeddings`, recorded as operation `embedding` (input tokens only).
    /// Parameters, result and errors as for `chatCompletion(body:)`.
    public func embeddings(body: JSONValue, isBatch: Bool = false, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> JSONValue {
        try await post("embeddings", operation: "embedding", body: body.serializedBytes(), model: ProviderCall.model(inRequest: body), isBatch: isBatch, metadata: metadata)
    }

    /// `POST {baseURL}/embeddings` with a body already encoded as JSON.
    public func embeddings(body: [UInt8], isBatch: Bool = false, metadata: [String: AttributeValue] = [:]) async throws(ProviderError) -> JSONValue {
        try await post("embeddings", operation: "embedding", body: body, model: ProviderCall.model(inRequest: body), isBatch: isBatch, metadata: metadata)
    }

    // MARK: - Internals

    private func post(_ path: String, operation: String, body: [UInt8], model: String, isBatch: Bool, metadata: [String: AttributeValue]) async throws(ProviderError) -> JSONValue {
        let call = makeCall(path, operation: operation, body: body, model: model, isBatch: isBatch, metadata: metadata)
        if preflight, let scope = await tracker.blockedScope(service: Self.service, model: model) {
            throw .budgetExhausted(service: Self.service, scope: scope)
        }
        return try await call.send(tracker: tracker, transport: transport)
    }

    private func makeCall(_ path: String, operation: String, body: [UInt8], model: String, isBatch: Bool, metadata: [String: AttributeValue]) -> ProviderCall {
        ProviderCall(
            service: Self.service,
            operation: operation,
            url: ProviderCall.join(baseURL, path),
            headers: ["Authorization": "Bearer \(apiKey)", "Content-Type": "application/json"],
            body: body,
            model: model,
            isBatch: isBatch,
            metadata: metadata,
            timeouts: timeouts,
            secret: apiKey,
            errorDetails: Self.errorDetails
        )
    }

    /// OpenAI's error body: `{"error": {"message": …, "type": …, "param": …, "code": …}}`.
    static func errorDetails(_ body: JSONValue) -> (type: String?, code: String?, message: String?)? {
        guard let error = body["error"], case .object = error else { return nil }
        return (error["type"]?.stringValue, error["code"]?.stringValue, error["message"]?.stringValue)
    }
}

extension OpenAIClient: CustomStringConvertible, CustomReflectable {
    /// The base URL only: never the key.
    public var description: String { "OpenAIClient(baseURL: \(baseURL))" }
    public var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL, "timeouts": timeouts], displayStyle: .struct) }
}
