import AIUsage
import CurlHTTP

/// Why a tracked provider call (``OpenAIClient``, ``AnthropicClient``) failed.
///
/// The clients never retry: a failed call is recorded once and this error is thrown, so the
/// caller decides. ``isRetryable`` and ``retryAfter`` say what the provider suggested.
///
/// No case ever holds the API key: every text taken from a response or a transport failure
/// has the key replaced by `[redacted]` before it is stored here.
public enum ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The provider answered with a status of 400 or more.
    ///
    /// - `type`: the error's type (`error.type`: OpenAI `invalid_request_error`, `tokens`, …;
    ///   Anthropic `overloaded_error`, `rate_limit_error`, …); `nil` when the body does not say.
    /// - `code`: OpenAI's `error.code` (`rate_limit_exceeded`, `invalid_api_key`, …); Anthropic
    ///   has none.
    /// - `message`: the provider's message, or the start of the body when it is not the
    ///   provider's JSON error (a proxy's HTML page, say).
    /// - `retryAfter`: from `retry-after-ms` or `retry-after` (seconds), when given.
    case http(service: String, status: Int, type: String?, code: String?, message: String, retryAfter: Duration?)
    /// The request got no complete HTTP response: connection refused or reset, timeout, DNS,
    /// TLS, cancellation.
    case transport(HTTPError)
    /// A response that is not an error but cannot be used: a 2xx body that is not JSON (a
    /// streamed reply to `chatCompletion` / `messages`, say: stream with `chatCompletionStream` /
    /// `messagesStream`), or a 1xx/3xx status.
    case invalidResponse(service: String, status: Int, reason: String)
    /// A streamed reply (`chatCompletionStream`, `messagesStream`) that stopped before its end:
    /// the connection dropped midway, the body ended without `data: [DONE]` / `message_stop`, or
    /// the stream sent an error event. `received` is what arrived (its text, model and
    /// `events`), with the usage the metric recorded; `reason` says what stopped it.
    case streamInterrupted(service: String, received: StreamedCompletion, reason: String)
    /// The client's preflight refused the call: a hard budget covering `scope` is exhausted
    /// (`Tracker.blockedScope`). Nothing was sent and no metric recorded.
    case budgetExhausted(service: String, scope: String)

    /// The HTTP status the provider answered with; `nil` for a transport failure and a stream
    /// cut after its (successful) status.
    public var status: Int? {
        switch self {
        case .http(_, let status, _, _, _, _), .invalidResponse(_, let status, _): status
        case .transport, .streamInterrupted, .budgetExhausted: nil
        }
    }

    /// How long the provider asked the caller to wait before trying again.
    public var retryAfter: Duration? {
        if case .http(_, _, _, _, _, let retryAfter) = self { retryAfter } else { nil }
    }

    /// Whether the same request may succeed later: 408, 409, 429 and 5xx (Anthropic's 529
    /// "overloaded" included), timeouts, dropped connections and interrupted streams.
    /// Cancellation, refused requests and other client errors are not.
    public var isRetryable: Bool {
        switch self {
        case .http(_, let status, _, _, _, _):
            return status == 408 || status == 409 || status == 429 || status >= 500
        case .transport(let error):
            switch error.kind {
            case .timedOut, .connectionReset, .connectionRefused, .dnsFailure: return true
            case .tls, .cancelled, .invalidRequest, .other: return false
            }
        case .streamInterrupted:
            return true
        case .invalidResponse, .budgetExhausted:
            return false
        }
    }

    /// One line, e.g. `openai HTTP 429 rate_limit_exceeded: Rate limit reached for gpt-4o …`.
    /// This is also the `error` a failed call's metric records.
    public var description: String {
        switch self {
        case .http(let service, let status, let type, let code, let message, _):
            let label = code ?? type
            return "\(service) HTTP \(status)\(label.map { " \($0)" } ?? ""): \(message)"
        case .transport(let error):
            return "transport failure: \(error)"
        case .invalidResponse(let service, let status, let reason):
            return "\(service) HTTP \(status) invalid response: \(reason)"
        case .streamInterrupted(let service, let received, let reason):
            return "\(service) stream cut after \(received.events) event\(received.events == 1 ? "" : "s"): \(reason)"
        case .budgetExhausted(let service, let scope):
            return "\(service) call refused: the hard budget for \(scope) is exhausted for this period (ai-usage budget check shows it)"
        }
    }
}
