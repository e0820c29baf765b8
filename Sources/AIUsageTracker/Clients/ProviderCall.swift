import AIUsage
import CurlHTTP
import DynamoDB

/// What ``OpenAIClient`` and ``AnthropicClient`` share: one JSON POST (its reply JSON, or a
/// stream of server-sent events), sent through the tracker, with failures mapped to
/// ``ProviderError``, billed by the policy of ``CallBilling``, and the API key kept out of them.
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

    /// `request` with `key` set to `value` (replacing every member of that name, or appended);
    /// a request that is not an object is returned as it is (the provider will refuse it, and the
    /// refusal is recorded).
    static func setting(_ key: String, to value: JSONValue, in request: JSONValue) -> JSONValue {
        guard case .object(var members) = request else { return request }
        if let first = members.firstIndex(where: { $0.key == key }) {
            members[first].value = value
            members = members.enumerated().filter { $0.offset == first || $0.element.key != key }.map(\.element)
        } else {
            members.append(JSONValue.Member(key: key, value: value))
        }
        return .object(members)
    }

    /// `base` + `path`, with exactly one slash between them.
    static func join(_ base: String, _ path: String) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/" + path
    }

    /// A failed call: the error thrown, and what its metric records.
    struct Failure: Error, CustomStringConvertible {
        var error: ProviderError
        var recorded: CallUsage
        /// The metric's `error`: the thrown error's text.
        var description: String { error.description }
    }

    /// A streamed reply and what its metric records.
    struct StreamReply {
        var completion: StreamedCompletion
        var recorded: CallUsage
    }

    /// Sends the request through the tracker: exactly one metric, whatever happens.
    func send(tracker: Tracker, transport: any HTTPTransport) async throws(ProviderError) -> JSONValue {
        let service = service
        let operation = operation
        let reply = try await track(tracker, success: { (reply: Reply) in
            (UsageExtractor.extract(service: service, operation: operation, responseBody: reply.body), nil, nil)
        }) { () async throws(Failure) -> Reply in
            let response = try await exchange(transport: transport, streamed: false)
            do {
                return Reply(json: try JSONValue.parse(response.body), body: response.body)
            } catch {
                throw failure(
                    .invalidResponse(service: service, status: response.status, reason: "body is not JSON (\(error)): \(snippet(response.body))"),
                    .unknown(reason: "unknown: \(service) answered HTTP \(response.status) with a body that could not be read"))
            }
        }
        return reply.json
    }

    /// Sends a streamed request (its body already asks for a stream) and reads the server-sent
    /// events of the reply; exactly one metric, whatever happens.
    func sendStream(tracker: Tracker, transport: any HTTPTransport) async throws(ProviderError) -> StreamedCompletion {
        let reply = try await track(tracker, success: { (reply: StreamReply) in
            (reply.recorded.usage, reply.recorded.isReported, reply.recorded.billing)
        }) { () async throws(Failure) -> StreamReply in
            let response = try await exchange(transport: transport, streamed: true)
            let completion = StreamedCompletion.read(service: service, body: response.body)
            if let error = completion.error {
                throw interrupted(completion, reason: "the stream sent an error: \(redact(error))")
            }
            guard completion.isComplete else {
                throw interrupted(completion, reason: "the body ended before \(streamEnd)")
            }
            let (usage, reported) = completion.recordedUsage(estimatedInputTokens: estimatedInputTokens)
            var delivered = completion
            delivered.usage = usage
            let note = reported ? nil : "estimated: the stream carried no usage; input estimated from the request, output from the text received"
            return StreamReply(completion: delivered, recorded: CallUsage(usage: usage, isReported: reported, billing: .priced(note: note)))
        }
        return reply.completion
    }

    private func track<Reply>(
        _ tracker: Tracker,
        success: (Reply) -> (usage: TokenUsage, reported: Bool?, billing: CallBilling?),
        _ call: () async throws(Failure) -> Reply
    ) async throws(ProviderError) -> Reply {
        do throws(Failure) {
            return try await tracker.trackCall(
                service: service, model: model, operation: operation, isBatch: isBatch, metadata: metadata,
                success: success, failure: { (failure: Failure) in failure.recorded }, call)
        } catch {
            throw error.error
        }
    }

    /// Sends the request: a 2xx response, or the failure with its billing.
    private func exchange(transport: any HTTPTransport, streamed: Bool) async throws(Failure) -> HTTPResponse {
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeouts: timeouts)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw transportFailure(error, streamed: streamed)
        }
        if response.status >= 400 {
            throw httpFailure(response)
        }
        guard (200..<300).contains(response.status) else {
            throw failure(.invalidResponse(service: service, status: response.status, reason: "unexpected status; body: \(snippet(response.body))"),
                          .notBilled(reason: "not billed: \(service) answered HTTP \(response.status)"))
        }
        return response
    }

    // MARK: - Failures and their billing

    /// The end a stream must reach.
    private var streamEnd: String { service == AnthropicClient.service ? "event: message_stop" : "data: [DONE]" }

    /// The request's input tokens by the ``UsageEstimate`` rule.
    private var estimatedInputTokens: Int { UsageEstimate.inputTokens(requestBody: body) }

    /// A failure whose metric records the estimated input (output 0), not reported.
    private func failure(_ error: ProviderError, _ billing: CallBilling) -> Failure {
        Failure(error: error, recorded: CallUsage(usage: UsageEstimate.usage(inputTokens: estimatedInputTokens), isReported: false, billing: billing))
    }

    /// An error status: priced from the usage its body reports, if any; else not billed.
    private func httpFailure(_ response: HTTPResponse) -> Failure {
        let error = httpError(response)
        let reported = UsageExtractor.extract(service: service, operation: operation, responseBody: response.body)
        if reported.inputTokens != nil || reported.outputTokens != nil || reported.totalTokens != nil {
            return Failure(error: error, recorded: CallUsage(usage: reported, isReported: true, billing: .priced(note: nil)))
        }
        return failure(error, .notBilled(reason: "not billed: \(service) answered HTTP \(response.status)"))
    }

    /// No complete response. A streamed reply that had begun (2xx) is read as far as it came; an
    /// error status that had begun is not billed; otherwise it depends on whether the request
    /// was sent.
    private func transportFailure(_ error: HTTPError, streamed: Bool) -> Failure {
        let mapped = ProviderError.transport(HTTPError(kind: error.kind, message: redact(error.message), curlCode: error.curlCode, url: redact(error.url)))
        if let partial = error.partialResponse {
            if streamed, (200..<300).contains(partial.status) {
                return interrupted(StreamedCompletion.read(service: service, body: partial.body), reason: mapped.description)
            }
            if partial.status >= 400 {
                return failure(mapped, .notBilled(reason: "not billed: \(service) answered HTTP \(partial.status)"))
            }
        }
        switch error.kind {
        case .connectionRefused, .dnsFailure, .tls, .invalidRequest:
            return failure(mapped, .notBilled(reason: "not billed: nothing was sent (\(error.kind.rawValue))"))
        case .timedOut, .connectionReset, .cancelled:
            return failure(mapped, .priced(note: "estimated: the request was sent and the call failed (\(error.kind.rawValue)) before \(service) reported usage; input estimated from the request"))
        case .other:
            return failure(mapped, .unknown(reason: "unknown: the call failed (\(error.kind.rawValue)) and whether \(service) billed it cannot be told"))
        }
    }

    /// A stream that stopped before its end: what arrived is recorded, and billed.
    private func interrupted(_ completion: StreamedCompletion, reason: String) -> Failure {
        let (usage, reported) = completion.recordedUsage(estimatedInputTokens: estimatedInputTokens)
        var received = completion
        received.usage = usage
        let cut = "the stream was cut after \(completion.events) event\(completion.events == 1 ? "" : "s")"
        let note: String? = switch (reported, usage.isEstimated) {
        case (true, false): nil
        case (true, true): "estimated: \(cut) before its final usage; output estimated from the text received"
        case (false, _): "estimated: \(cut) before \(service) reported usage; input estimated from the request, output from the text received"
        }
        return Failure(
            error: .streamInterrupted(service: service, received: received, reason: reason),
            recorded: CallUsage(usage: usage, isReported: reported, billing: .priced(note: note)))
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
