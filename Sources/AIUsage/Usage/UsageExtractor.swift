/// Reads the token usage out of a provider's response body.
///
/// The shape is detected from the JSON itself (`object` / `type`), with the service as a hint
/// when the body does not say:
///
/// | shape | detected by | fields read |
/// |---|---|---|
/// | OpenAI Chat Completions | `object: "chat.completion"` (or `text_completion`) | `usage.prompt_tokens`, `completion_tokens`, `total_tokens`, `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens` |
/// | OpenAI Responses | `object: "response"` | `usage.input_tokens`, `output_tokens`, `total_tokens`, `input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens` |
/// | OpenAI Embeddings | `object: "list"` with `data`, or a usage without completion tokens | `usage.prompt_tokens`, `total_tokens`; output is 0 |
/// | Anthropic Messages | `type: "message"` | `usage.input_tokens`, `output_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens`, `cache_creation.ephemeral_1h_input_tokens` |
/// | Google Places | service `google_places` | nothing: one call, no tokens |
///
/// It never throws: what it cannot read is left `nil` and ``TokenUsage/extractionError`` says why.
public enum UsageExtractor {
    public static func extract(service: String, operation: String, responseBody: [UInt8]) -> TokenUsage {
        let serviceName = service.lowercased()
        if serviceName == "google_places" {
            return TokenUsage(apiCalls: 1)
        }
        let root: JSONValue
        do {
            root = try JSONValue.parse(responseBody)
        } catch {
            return TokenUsage(extractionError: "response is not JSON: \(error)")
        }
        guard case .object = root else {
            return TokenUsage(extractionError: "response is not a JSON object")
        }
        var reader = Reader(root: root)
        let usage = reader.read(shape: Shape.detect(root, service: serviceName, operation: operation))
        return usage
    }

    enum Shape: Equatable {
        case chatCompletion, responses, embeddings, anthropicMessage

        static func detect(_ root: JSONValue, service: String, operation: String) -> Shape {
            switch root["object"]?.stringValue {
            case "chat.completion", "text_completion": return .chatCompletion
            case "response": return .responses
            case "list" where root["data"] != nil: return .embeddings
            default: break
            }
            if root["type"]?.stringValue == "message" { return .anthropicMessage }
            // The body does not say: use the usage fields, then the service.
            let usage = root["usage"]
            if usage?["prompt_tokens"] != nil {
                return usage?["completion_tokens"] == nil ? .embeddings : .chatCompletion
            }
            if service == "anthropic" { return .anthropicMessage }
            if usage?["input_tokens"] != nil { return .responses }
            return operation.lowercased().contains("embedding") ? .embeddings : .chatCompletion
        }
    }

    struct Reader {
        let root: JSONValue
        var problems: [String] = []

        init(root: JSONValue) {
            self.root = root
        }

        mutating func read(shape: Shape) -> TokenUsage {
            var result = TokenUsage(model: root["model"]?.stringValue)
            // OpenAI says which service tier served the call (default, flex, priority, …).
            result.serviceTier = root["service_tier"]?.stringValue
            guard let usage = root["usage"], case .object = usage else {
                result.extractionError = missingUsageReason()
                return result
            }
            switch shape {
            case .chatCompletion:
                result.inputTokens = count(usage, "prompt_tokens", required: true)
                result.outputTokens = count(usage, "completion_tokens", required: true)
                result.totalTokens = count(usage, "total_tokens")
                result.cachedInputTokens = count(usage, "prompt_tokens_details", "cached_tokens")
                result.reasoningTokens = count(usage, "completion_tokens_details", "reasoning_tokens")
                checkCached(result, inputPath: "usage.prompt_tokens", cachedPath: "usage.prompt_tokens_details.cached_tokens")
            case .responses:
                result.inputTokens = count(usage, "input_tokens", required: true)
                result.outputTokens = count(usage, "output_tokens", required: true)
                result.totalTokens = count(usage, "total_tokens")
                result.cachedInputTokens = count(usage, "input_tokens_details", "cached_tokens")
                result.reasoningTokens = count(usage, "output_tokens_details", "reasoning_tokens")
                checkCached(result, inputPath: "usage.input_tokens", cachedPath: "usage.input_tokens_details.cached_tokens")
            case .embeddings:
                result.inputTokens = count(usage, "prompt_tokens", required: true)
                result.outputTokens = 0
                result.totalTokens = count(usage, "total_tokens")
            case .anthropicMessage:
                result.inputTokens = count(usage, "input_tokens", required: true)
                result.outputTokens = count(usage, "output_tokens", required: true)
                result.cacheCreationInputTokens = count(usage, "cache_creation_input_tokens")
                result.cacheReadInputTokens = count(usage, "cache_read_input_tokens")
                result.cacheCreation1hInputTokens = count(usage, "cache_creation", "ephemeral_1h_input_tokens")
                // Anthropic's `usage.service_tier`: standard, priority or batch.
                if let tier = usage["service_tier"]?.stringValue { result.serviceTier = tier }
                if let hour = result.cacheCreation1hInputTokens, hour > (result.cacheCreationInputTokens ?? 0) {
                    problems.append("usage.cache_creation.ephemeral_1h_input_tokens (\(hour)) exceeds usage.cache_creation_input_tokens (\(result.cacheCreationInputTokens ?? 0))")
                }
                result.totalTokens = Self.sum([
                    result.inputTokens, result.outputTokens,
                    result.cacheCreationInputTokens ?? 0, result.cacheReadInputTokens ?? 0,
                ])
            }
            if result.totalTokens == nil, shape != .anthropicMessage {
                result.totalTokens = Self.sum([result.inputTokens, result.outputTokens])
            }
            if !problems.isEmpty {
                result.extractionError = problems.joined(separator: "; ")
            }
            return result
        }

        private func missingUsageReason() -> String {
            if let error = root["error"], error != .null {
                let message = error["message"]?.stringValue ?? error.stringValue
                return "response is an error, with no usage object" + (message.map { ": \($0)" } ?? "")
            }
            if let usage = root["usage"], usage != .null {
                return "usage is not an object"
            }
            return "response has no usage object"
        }

        /// A non-negative integer at `usage.<path>`; `nil` (and a problem when required or
        /// malformed) otherwise. JSON `null` counts as absent.
        private mutating func count(_ usage: JSONValue, _ path: String..., required: Bool = false) -> Int? {
            var value: JSONValue? = usage
            for key in path {
                guard let current = value, case .object = current else {
                    value = nil
                    break
                }
                value = current[key]
            }
            let name = "usage." + path.joined(separator: ".")
            guard let value, value != .null else {
                if required { problems.append("\(name) is missing") }
                return nil
            }
            guard case .number(let text) = value, let number = Self.nonNegativeInteger(text) else {
                problems.append("\(name) is not a non-negative integer: \(value.serialized())")
                return nil
            }
            return number
        }

        private mutating func checkCached(_ usage: TokenUsage, inputPath: String, cachedPath: String) {
            if let cached = usage.cachedInputTokens, let input = usage.inputTokens, cached > input {
                problems.append("\(cachedPath) (\(cached)) exceeds \(inputPath) (\(input))")
            }
        }

        /// Digits only: no sign, fraction or exponent (the providers write plain integers).
        static func nonNegativeInteger(_ text: String) -> Int? {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return nil
            }
            return Int(text)
        }

        static func sum(_ values: [Int?]) -> Int? {
            var total = 0
            for value in values {
                guard let value else { return nil }
                let (next, overflow) = total.addingReportingOverflow(value)
                if overflow { return nil }
                total = next
            }
            return total
        }
    }
}
