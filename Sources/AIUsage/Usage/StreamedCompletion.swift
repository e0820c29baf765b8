/// One server-sent event (the `text/event-stream` format both providers stream in).
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; `nil` when the event names none.
    public var event: String?
    /// The `data:` lines, joined by a line feed.
    public var data: String

    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }
}

/// Splits a `text/event-stream` body into its events.
public enum ServerSentEvents {
    /// The events of `body`, in order.
    ///
    /// Lines end with LF, CRLF or CR; a blank line ends an event; `data:` lines are joined with
    /// a line feed; one space after the colon is dropped; comment lines (`:` first) and the `id`
    /// and `retry` fields are ignored; an event without data is not one. A last event whose
    /// lines all ended is kept even without its blank line; a line cut midway (no line end: the
    /// connection dropped inside it) is not: what it would have said is unknown.
    public static func parse(_ body: [UInt8]) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        var name: String?
        var data: [String] = []
        func dispatch() {
            if !data.isEmpty { events.append(ServerSentEvent(event: name, data: data.joined(separator: "\n"))) }
            name = nil
            data = []
        }
        var start = body.startIndex
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            guard byte == 0x0A || byte == 0x0D else {
                index += 1
                continue
            }
            let line = body[start..<index]
            // CRLF is one line end.
            index += (byte == 0x0D && index + 1 < body.endIndex && body[index + 1] == 0x0A) ? 2 : 1
            start = index
            if line.isEmpty {
                dispatch()
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            let field = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            var valueStart = colon < line.endIndex ? colon + 1 : colon
            if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            let value = String(decoding: line[valueStart..<line.endIndex], as: UTF8.self)
            switch field {
            case "event": name = value
            case "data": data.append(value)
            default: break
            }
        }
        // Bytes after the last line end are a line cut midway: dropped. Complete lines of an
        // event the body ended inside are kept.
        dispatch()
        return events
    }
}

/// What a streamed completion delivered: its text, model and usage, read from the server-sent
/// events of an OpenAI Chat Completions stream or an Anthropic Messages stream.
///
/// - **OpenAI** (`"stream": true`, `"stream_options": {"include_usage": true}`): `data: {…}`
///   chunks whose `choices[].delta.content` is the text; a last chunk (with empty `choices`)
///   whose `usage` is the call's usage, read as a Chat Completions usage; then `data: [DONE]`.
///   A chunk with an `error` object is the stream's error.
/// - **Anthropic** (`"stream": true`): `message_start` (`message.model`, `message.usage`: input
///   and cache counts, a first output count), `content_block_delta` (`delta.text`; also
///   `partial_json` and `thinking`, counted as generated), `message_delta` (`usage`, cumulative:
///   the final output count, and input and cache counts when it repeats them; `delta.stop_reason`),
///   `message_stop`; an `error` event is the stream's error.
///
/// A stream read from a body that stopped early is simply incomplete: ``isComplete`` is `false`
/// and ``usage`` is what arrived (possibly nothing).
public struct StreamedCompletion: Sendable, Hashable {
    /// The generated text: the concatenated text deltas (OpenAI: of choice 0).
    public var text: String
    /// The model the stream names (`gpt-4o-mini-2024-07-18`, `claude-3-5-sonnet-20241022`).
    public var model: String?
    /// The usage. As read from a stream: the usage it reported, `nil` when none arrived. As
    /// returned by a tracked client: the usage its metric recorded — the reported one, or the
    /// tracker's estimate (``TokenUsage/isEstimated``) when the stream carried none or was cut
    /// before its final count.
    public var usage: TokenUsage?
    /// Whether ``usage`` is the stream's final count (OpenAI's usage chunk, Anthropic's
    /// `message_delta`), not just Anthropic's opening `message_start` counts.
    public var hasFinalUsage: Bool
    /// Complete events received (including `[DONE]`, pings and unreadable ones).
    public var events: Int
    /// Whether the stream's end arrived: `data: [DONE]` (OpenAI) or `message_stop` (Anthropic).
    public var isComplete: Bool
    /// `finish_reason` (OpenAI, choice 0) or `stop_reason` (Anthropic), when it arrived.
    public var stopReason: String?
    /// An error the stream itself reported (`type: message`), when it did.
    public var error: String?
    /// UTF-8 bytes of everything generated that arrived (text of every choice, tool-call
    /// arguments, thinking): what the output estimate is made from.
    public var generatedUTF8Count: Int

    public init(
        text: String = "", model: String? = nil, usage: TokenUsage? = nil, hasFinalUsage: Bool = false, events: Int = 0,
        isComplete: Bool = false, stopReason: String? = nil, error: String? = nil, generatedUTF8Count: Int = 0
    ) {
        self.text = text
        self.model = model
        self.usage = usage
        self.hasFinalUsage = hasFinalUsage
        self.events = events
        self.isComplete = isComplete
        self.stopReason = stopReason
        self.error = error
        self.generatedUTF8Count = generatedUTF8Count
    }

    /// Reads a streamed body: Anthropic's events when `service` is `anthropic`, OpenAI's
    /// otherwise. Never throws: an unreadable event is counted and skipped.
    public static func read(service: String, body: [UInt8]) -> StreamedCompletion {
        var completion = StreamedCompletion()
        let anthropic = service.lowercased() == "anthropic"
        for event in ServerSentEvents.parse(body) {
            completion.events += 1
            if anthropic {
                completion.readAnthropic(event)
            } else {
                completion.readOpenAI(event)
            }
        }
        return completion
    }

    /// The usage to record for this stream, and whether the provider reported it:
    ///
    /// - the final usage arrived: it, as reported;
    /// - only Anthropic's `message_start` arrived: its input and cache counts (reported), and as
    ///   output the larger of its output count and the estimate from ``generatedUTF8Count``;
    ///   marked estimated;
    /// - no usage: `estimatedInputTokens` in and the estimate from ``generatedUTF8Count`` out;
    ///   marked estimated and not reported.
    public func recordedUsage(estimatedInputTokens: Int) -> (usage: TokenUsage, isReported: Bool) {
        let estimatedOutput = UsageEstimate.tokens(utf8Count: generatedUTF8Count)
        guard var usage else {
            return (UsageEstimate.usage(inputTokens: estimatedInputTokens, outputTokens: estimatedOutput, model: model), false)
        }
        if hasFinalUsage { return (usage, true) }
        usage.outputTokens = max(usage.outputTokens ?? 0, estimatedOutput)
        usage.totalTokens = UsageExtractor.Reader.sum([
            usage.inputTokens, usage.outputTokens, usage.cacheCreationInputTokens ?? 0, usage.cacheReadInputTokens ?? 0,
        ])
        usage.isEstimated = true
        return (usage, true)
    }

    // MARK: - OpenAI

    private mutating func readOpenAI(_ event: ServerSentEvent) {
        if event.data == "[DONE]" {
            isComplete = true
            return
        }
        guard let chunk = try? JSONValue.parse(event.data), case .object = chunk else { return }
        if let model = chunk["model"]?.stringValue, !model.isEmpty { self.model = model }
        if let failure = chunk["error"], case .object = failure {
            error = Self.describeError(failure)
        }
        for choice in chunk["choices"]?.arrayValue ?? [] {
            let first = (choice["index"]?.intValue ?? 0) == 0
            let delta = choice["delta"]
            if let content = delta?["content"]?.stringValue {
                generatedUTF8Count += content.utf8.count
                if first { text += content }
            }
            if let refusal = delta?["refusal"]?.stringValue { generatedUTF8Count += refusal.utf8.count }
            for call in delta?["tool_calls"]?.arrayValue ?? [] {
                if let arguments = call["function"]?["arguments"]?.stringValue { generatedUTF8Count += arguments.utf8.count }
            }
            if first, let reason = choice["finish_reason"]?.stringValue { stopReason = reason }
        }
        if let reported = chunk["usage"], case .object = reported {
            var reader = UsageExtractor.Reader(root: chunk)
            usage = reader.read(shape: .chatCompletion)
            hasFinalUsage = true
        }
    }

    // MARK: - Anthropic

    private mutating func readAnthropic(_ event: ServerSentEvent) {
        guard let payload = try? JSONValue.parse(event.data), case .object = payload else { return }
        switch payload["type"]?.stringValue ?? event.event ?? "" {
        case "message_start":
            guard let message = payload["message"], case .object = message else { return }
            if let model = message["model"]?.stringValue, !model.isEmpty { self.model = model }
            if let reported = message["usage"], case .object = reported {
                var reader = UsageExtractor.Reader(root: message)
                usage = reader.read(shape: .anthropicMessage)
            }
        case "content_block_start":
            if let block = payload["content_block"], block["type"]?.stringValue == "text", let start = block["text"]?.stringValue {
                text += start
                generatedUTF8Count += start.utf8.count
            }
        case "content_block_delta":
            guard let delta = payload["delta"] else { return }
            if let piece = delta["text"]?.stringValue {
                text += piece
                generatedUTF8Count += piece.utf8.count
            }
            for key in ["partial_json", "thinking"] {
                if let piece = delta[key]?.stringValue { generatedUTF8Count += piece.utf8.count }
            }
        case "message_delta":
            if let reason = payload["delta"]?["stop_reason"]?.stringValue { stopReason = reason }
            guard let counts = payload["usage"], case .object = counts else { return }
            mergeFinalUsage(counts)
        case "message_stop":
            isComplete = true
        case "error":
            error = payload["error"].map(Self.describeError) ?? "error event"
        default:
            break
        }
    }

    /// `message_delta`'s cumulative counts over `message_start`'s.
    private mutating func mergeFinalUsage(_ counts: JSONValue) {
        var merged = usage ?? TokenUsage(model: model)
        var problems: [String] = merged.extractionError.map { [$0] } ?? []
        func count(_ key: String) -> Int? {
            guard let value = counts[key], value != .null else { return nil }
            guard case .number(let text) = value, let number = UsageExtractor.Reader.nonNegativeInteger(text) else {
                problems.append("usage.\(key) is not a non-negative integer: \(value.serialized())")
                return nil
            }
            return number
        }
        if let output = count("output_tokens") { merged.outputTokens = output }
        if let input = count("input_tokens") { merged.inputTokens = input }
        if let writes = count("cache_creation_input_tokens") { merged.cacheCreationInputTokens = writes }
        if let reads = count("cache_read_input_tokens") { merged.cacheReadInputTokens = reads }
        if merged.outputTokens == nil { problems.append("usage.output_tokens is missing") }
        merged.totalTokens = UsageExtractor.Reader.sum([
            merged.inputTokens, merged.outputTokens, merged.cacheCreationInputTokens ?? 0, merged.cacheReadInputTokens ?? 0,
        ])
        merged.extractionError = problems.isEmpty ? nil : problems.joined(separator: "; ")
        usage = merged
        hasFinalUsage = true
    }

    /// `type: message` of a provider's error object.
    private static func describeError(_ error: JSONValue) -> String {
        let type = error["type"]?.stringValue ?? error["code"]?.stringValue
        let message = error["message"]?.stringValue ?? error.serialized()
        return type.map { "\($0): \(message)" } ?? message
    }
}
