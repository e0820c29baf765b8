import AIUsage
import CurlHTTP
import DynamoDB

/// What ``OpenAIClient`` and ``AnthropicClient`` share: one JSON POST, sent through
/// `Tracker.track`, with failures mapped to ``ProviderError`` and the API key kept out of them.
struct ProviderCall {
    /// 10 s to connect, 10 minutes in all: long completions take minutes.
    static let defaultTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(600))
    /// The metric's model when the request body names none (the provider will refuse it, and
    /// the refusal is still recorded).
    static let unknownModel = "unknown"
    /// The most characters of a body quoted in an error.
    static let snippetLength = 200

    var service: String
    var operation: String
    var url: String
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The model the request asks for (the metric's model unless the response names one).
    var model: String
    var isBatch: Bool
    var metadata: [String: AttributeValue]
    var timeouts: HTTPTimeouts
    /// Replaced by `[redacted]` in every text an error carries.
    var secret: String
    /// `(type, code, message)` of the provider's JSON error body, when it is one.
    var errorDetails: (JSONValue) -> (type: String?, code: String?, message: String?)?

    /// The parsed body and its bytes (the bytes go to `UsageExtractor`).
    struct Reply {
        var json: JSONValue
        var body: [UInt8]
    }

    /// The model a request body names; ``unknownModel`` when it is not JSON or names none.
    static func model(inRequest body: [UInt8]) -> String {
        guard let json = try? JSONValue.parse(body) else { return unknownModel }
        return model(inRequest: json)
    }

    static func model(inRequest json: JSONValue) -> String {
        guard let model = json["model"]?.stringValue, !model.isEmpty else { return unknownModel }
        return model
    }

    /// `base` + `path`, with exactly one slash between them.
    static func join(_ base: String, _ path: String) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/" + path
    }

    /// Sends the request through `tracker.track`: exactly one metric, whatever happens.
    func send(tracker: Tracker, transport: any HTTPTransport) async throws(ProviderError) -> JSONValue {
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeouts: timeouts)
        let service = service
        let operation = operation
        do {
            let reply = try await tracker.track(
                service: service,
                model: model,
                operation: operation,
                isBatch: isBatch,
                metadata: metadata,
                usage: { (reply: Reply) in UsageExtractor.extract(service: service, operation: operation, responseBody: reply.body) }
            ) { () async throws(ProviderError) -> Reply in
                try await exchange(request, transport: transport)
            }
            return reply.json
        } catch let error as ProviderError {
            throw error
        } catch {
            // Unreachable: `track` rethrows only what the call threw, and the call throws only
            // ProviderError. Mapped rather than trapped all the same.
            throw .transport(HTTPError(kind: .other, message: redact(String(describing: error)), url: redact(url)))
        }
    }

    private func exchange(_ request: HTTPRequest, transport: any HTTPTransport) async throws(ProviderError) -> Reply {
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw .transport(HTTPError(kind: error.kind, message: redact(error.message), curlCode: error.curlCode, url: redact(error.url)))
        }
        if response.status >= 400 {
            throw httpError(response)
        }
        guard (200..<300).contains(response.status) else {
            throw .invalidResponse(service: service, status: response.status, reason: "unexpected status; body: \(snippet(response.body))")
        }
        do {
            return Reply(json: try JSONValue.parse(response.body), body: response.body)
        } catch {
            throw .invalidResponse(service: service, status: response.status, reason: "body is not JSON (\(error)): \(snippet(response.body))")
        }
    }

    private func httpError(_ response: HTTPResponse) -> ProviderError {
        let details = (try? JSONValue.parse(response.body)).flatMap(errorDetails)
        let message = details?.message.flatMap { $0.isEmpty ? nil : redact($0) } ?? snippet(response.body)
        return .http(
            service: service,
            status: response.status,
            type: details?.type.map(redact),
            code: details?.code.map(redact),
            message: message,
            retryAfter: Self.retryAfter(response.headers)
        )
    }

    /// `retry-after-ms` (OpenAI), else `retry-after` in seconds. An HTTP-date is not read
    /// (neither provider sends one).
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(text.trimmingSpaces), milliseconds.isFinite, milliseconds >= 0 {
            return .milliseconds(milliseconds)
        }
        if let text = headers["retry-after"], let seconds = Double(text.trimmingSpaces), seconds.isFinite, seconds >= 0 {
            return .seconds(seconds)
        }
        return nil
    }

    /// The start of a body, on one line, for an error message.
    private func snippet(_ body: [UInt8]) -> String {
        // Redacted before it is cut, so no part of the key is left at the cut.
        let text = redact(String(decoding: body, as: UTF8.self)).trimmingSpaces
        guard !text.isEmpty else { return "(empty body)" }
        var line = String(text.map { $0.isNewline ? " " : $0 })
        if line.count > Self.snippetLength { line = String(line.prefix(Self.snippetLength)) + "…" }
        return line
    }

    func redact(_ text: String) -> String {
        guard !secret.isEmpty else { return text }
        return text.replacing(secret, with: "[redacted]")
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
