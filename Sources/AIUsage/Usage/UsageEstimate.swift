/// The tracker's estimate of a call's tokens when the provider reported none: a call that failed
/// or a stream cut before its usage event (`docs/tracker.md`, "Failed and interrupted calls").
///
/// **The rule: one token per 4 UTF-8 bytes of text, rounded up once over the whole text.**
///
/// - *Input* is the text of the request's prompt: every JSON string in its `messages`, `system`,
///   `input`, `prompt` and `instructions` fields that is the field's own value, an array
///   element, or the value of a `content` or `text` key (at any depth), so message texts, content
///   parts, system prompts, tool results and embedding inputs count, while roles, types, ids,
///   URLs and base64 image or audio data do not. An integer in an array there (a token-id
///   `input` or `prompt`) counts one token of its own. Tool definitions and other parameters are
///   not counted: the estimate is a floor of the real prompt, not a replica of the tokenizer.
/// - *Output* is the text the model generated that arrived (stream deltas: text, tool-call
///   arguments, thinking), by the same rule.
///
/// `{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is the capital of France?"}]}`
/// has 30 bytes of prompt text: ⌈30 ÷ 4⌉ = 8 input tokens.
public enum UsageEstimate {
    /// UTF-8 bytes per token the estimate assumes.
    public static let bytesPerToken = 4

    /// The fields of a request whose text is the prompt.
    public static let promptFields = ["messages", "system", "input", "prompt", "instructions"]

    /// ⌈`utf8Count` ÷ 4⌉; 0 for no text (and for a negative count).
    public static func tokens(utf8Count: Int) -> Int {
        guard utf8Count > 0 else { return 0 }
        return (utf8Count - 1) / bytesPerToken + 1
    }

    /// ⌈UTF-8 bytes of `text` ÷ 4⌉.
    public static func tokens(text: some StringProtocol) -> Int {
        tokens(utf8Count: text.utf8.count)
    }

    /// The estimated input tokens of a request body; 0 when it is not a JSON object or has no
    /// prompt text.
    public static func inputTokens(requestBody: [UInt8]) -> Int {
        guard let request = try? JSONValue.parse(requestBody) else { return 0 }
        return inputTokens(request: request)
    }

    /// The estimated input tokens of a request.
    public static func inputTokens(request: JSONValue) -> Int {
        var size = PromptSize()
        for field in promptFields {
            if let value = request[field] { size.add(value, counted: true) }
        }
        return tokens(utf8Count: size.textBytes) + size.tokenIDs
    }

    /// A usage that is an estimate: `inputTokens` in, `outputTokens` out, their sum as the total,
    /// and ``TokenUsage/isEstimated`` set.
    public static func usage(inputTokens: Int, outputTokens: Int = 0, model: String? = nil) -> TokenUsage {
        TokenUsage(
            inputTokens: inputTokens, outputTokens: outputTokens, totalTokens: inputTokens + outputTokens,
            isEstimated: true, model: model
        )
    }

    private struct PromptSize {
        var textBytes = 0
        var tokenIDs = 0

        /// `counted`: a string here is prompt text (the field's value, an array element, or
        /// under `content` / `text`).
        mutating func add(_ value: JSONValue, counted: Bool) {
            switch value {
            case .string(let text):
                if counted { textBytes += text.utf8.count }
            case .number:
                if counted, value.intValue != nil { tokenIDs += 1 }
            case .array(let elements):
                for element in elements { add(element, counted: true) }
            case .object(let members):
                for member in members { add(member.value, counted: member.key == "content" || member.key == "text") }
            case .null, .bool:
                break
            }
        }
    }
}
