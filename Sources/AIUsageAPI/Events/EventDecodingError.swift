import AIUsage

/// Why a Lambda event could not be read as an HTTP request. Its `description` is the precise
/// message for the 400 answer (docs/api.md, "Errors").
public struct EventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of events that are refused.
    public enum Kind: Sendable, Hashable {
        /// The bytes are not JSON.
        case notJSON
        /// The event is JSON, but an array, string, number, Boolean or `null`.
        case notAnObject
        /// An object from another event source (S3, SQS, SNS, EventBridge, …) or with none of the
        /// fields of an HTTP event.
        case notAnHTTPEvent
        /// An HTTP event of a kind this API does not serve (an Application Load Balancer target
        /// request).
        case unsupportedHTTPEvent
        /// An object with some HTTP fields (`rawPath`, `path`, …) but neither a REST (v1)
        /// `httpMethod` nor a payload 2.0 `requestContext.http`.
        case incompleteHTTPEvent
        /// A field of a recognised event has the wrong type or value.
        case invalidField
        /// `isBase64Encoded` is true but the body is not valid base64.
        case invalidBase64Body
    }

    /// What is wrong.
    public let kind: Kind
    /// The explanation, as the API answers it.
    public let message: String

    /// An error of `kind` saying `message`.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension EventDecodingError {
    /// "`field` must be `expected`, got a number" (or ", but it is missing").
    static func invalidField(_ field: String, mustBe expected: String, got value: JSONValue?) -> EventDecodingError {
        let found = value.map { "got \(kindName($0))" } ?? "but it is missing"
        // Field paths carry the event's own keys: echo a short prefix only.
        return EventDecodingError(kind: .invalidField, message: "\(InputEcho.short(field, limit: 120)) must be \(expected), \(found)")
    }

    /// "a string", "an object", "null", …: what a JSON value is, for messages.
    static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
