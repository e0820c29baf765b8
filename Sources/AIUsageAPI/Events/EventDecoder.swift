import AIUsage
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// Reads the Lambda events that carry `GET /ai_usage` into an `HTTPEvent` (docs/api.md, "Events in,
/// responses out").
///
/// Recognised, in this order:
/// 1. an Application Load Balancer target request (`requestContext.elb`): refused, see below;
/// 2. payload format 2.0 (`version: "2.0"` or a `requestContext.http` object): an HTTP API event, or
///    a Function URL event when `requestContext.domainName` contains `.lambda-url.`;
/// 3. a REST API (v1) proxy event (`httpMethod`);
/// 4. a direct invocation: an object with `queryStringParameters` and none of the HTTP fields
///    (`httpMethod`, `requestContext.http`, `rawPath`, `rawQueryString`, `routeKey`, `path`,
///    `resource`, `multiValueQueryStringParameters`); its method is `GET`, its path `/ai_usage`.
///
/// Anything else is an `EventDecodingError`, with a message that names what the event looks like
/// (an S3 notification, an SQS batch, an EventBridge schedule, …). No input makes it trap.
///
/// Load balancer requests are refused rather than read as REST (v1): an ALB passes query strings
/// without percent-decoding them and wants a different answer (`statusDescription`; `headers` or
/// `multiValueHeaders` by target-group setting, not both), so reading one as v1 would give wrong
/// parameter values silently.
public enum EventDecoder {
    /// The path of a direct invocation, which has none.
    public static let directInvocationPath = "/ai_usage"

    /// Decodes the UTF-8 JSON bytes of a Lambda event.
    public static func decode(_ bytes: [UInt8]) throws(EventDecodingError) -> HTTPEvent {
        let event: JSONValue
        do {
            event = try JSONValue.parse(bytes)
        } catch {
            throw EventDecodingError(kind: .notJSON, message: "the event is not JSON: \(error)")
        }
        return try decode(event)
    }

    /// Decodes an already parsed Lambda event.
    public static func decode(_ event: JSONValue) throws(EventDecodingError) -> HTTPEvent {
        guard event.objectMembers != nil else {
            let what = switch event {
            case .array: "a JSON array"
            case .string: "a JSON string"
            case .number: "a JSON number"
            case .bool: "a JSON boolean"
            case .null: "JSON null"
            case .object: "a JSON object"
            }
            throw EventDecodingError(kind: .notAnObject, message: "the event is \(what), not an object")
        }
        if let context = event["requestContext"], context["elb"] != nil {
            throw EventDecodingError(
                kind: .unsupportedHTTPEvent,
                message: "the event is an Application Load Balancer request (requestContext.elb), which this API does not serve; "
                    + "invoke it through API Gateway, a Function URL or directly"
            )
        }
        if event["version"]?.stringValue == "2.0" || event["requestContext"]?["http"]?.objectMembers != nil {
            return try decodePayload2(event)
        }
        if event["httpMethod"] != nil {
            return try decodeRESTv1(event)
        }
        if let field = incompleteHTTPFields.first(where: { event[$0] != nil }) {
            throw EventDecodingError(
                kind: .incompleteHTTPEvent,
                message: "the event has \(field) but neither httpMethod (REST API v1) nor requestContext.http.method (payload 2.0)"
            )
        }
        if event["queryStringParameters"] != nil {
            return try decodeDirect(event)
        }
        throw notAnHTTPEvent(event)
    }

    /// Fields that only HTTP events have, besides the ones that identify a format.
    private static let incompleteHTTPFields = [
        "rawPath", "rawQueryString", "routeKey", "path", "resource", "multiValueQueryStringParameters",
    ]

    // MARK: - Formats

    private static func decodeRESTv1(_ event: JSONValue) throws(EventDecodingError) -> HTTPEvent {
        let method = try methodString(event["httpMethod"], field: "httpMethod")
        let path = try string(event["path"], field: "path")
        let query: [QueryParameter]
        switch event["multiValueQueryStringParameters"] {
        case nil, .null?:
            query = try singleValued(event["queryStringParameters"], field: "queryStringParameters", numbers: false)
        case .object(let members)?:
            query = try multiValued(members, field: "multiValueQueryStringParameters")
        case let other?:
            throw .invalidField("multiValueQueryStringParameters", mustBe: "an object or null", got: other)
        }
        var headers = try singleHeaders(event["headers"])
        for (name, value) in try multiValueHeaders(event["multiValueHeaders"]) where headers[name] == nil {
            headers[name] = value
        }
        let context = event["requestContext"]
        return HTTPEvent(
            format: .restV1,
            method: method,
            path: path,
            queryParameters: query,
            headers: headers,
            body: try body(of: event),
            requestId: context?["requestId"]?.stringValue,
            sourceIP: context?["identity"]?["sourceIp"]?.stringValue
        )
    }

    private static func decodePayload2(_ event: JSONValue) throws(EventDecodingError) -> HTTPEvent {
        let context = event["requestContext"]
        let http = context?["http"]
        let method = try methodString(http?["method"], field: "requestContext.http.method")
        let path: String
        switch event["rawPath"] {
        case .string(let raw)?:
            path = raw
        case nil, .null?:
            guard let fallback = http?["path"]?.stringValue else {
                throw .invalidField("rawPath", mustBe: "a string", got: event["rawPath"])
            }
            path = fallback
        case let other?:
            throw .invalidField("rawPath", mustBe: "a string", got: other)
        }
        let query: [QueryParameter]
        switch event["rawQueryString"] {
        case .string(let raw)?:
            query = QueryString.parse(raw)
        case nil, .null?:
            // Without the raw text, repeated names are only seen comma-joined into one value.
            query = try singleValued(event["queryStringParameters"], field: "queryStringParameters", numbers: false)
        case let other?:
            throw .invalidField("rawQueryString", mustBe: "a string or null", got: other)
        }
        let isFunctionURL = context?["domainName"]?.stringValue?.contains(".lambda-url.") ?? false
        return HTTPEvent(
            format: isFunctionURL ? .functionURL : .httpV2,
            method: method,
            path: path,
            queryParameters: query,
            headers: try singleHeaders(event["headers"]),
            body: try body(of: event),
            requestId: context?["requestId"]?.stringValue,
            sourceIP: http?["sourceIp"]?.stringValue
        )
    }

    private static func decodeDirect(_ event: JSONValue) throws(EventDecodingError) -> HTTPEvent {
        HTTPEvent(
            format: .direct,
            method: "GET",
            path: directInvocationPath,
            queryParameters: try singleValued(event["queryStringParameters"], field: "queryStringParameters", numbers: true)
        )
    }

    // MARK: - Fields

    private static func string(_ value: JSONValue?, field: String) throws(EventDecodingError) -> String {
        guard let text = value?.stringValue else {
            throw .invalidField(field, mustBe: "a string", got: value)
        }
        return text
    }

    private static func methodString(_ value: JSONValue?, field: String) throws(EventDecodingError) -> String {
        let method = try string(value, field: field)
        guard !method.isEmpty else {
            throw EventDecodingError(kind: .invalidField, message: "\(field) must not be empty")
        }
        return method
    }

    /// `{"name": "value"}` parameters (`null` values skipped); with `numbers`, a number is taken as
    /// its JSON text (`2026` → `"2026"`).
    private static func singleValued(
        _ value: JSONValue?, field: String, numbers: Bool
    ) throws(EventDecodingError) -> [QueryParameter] {
        switch value {
        case nil, .null?:
            return []
        case .object(let members)?:
            var list = QueryParameterList()
            for member in members {
                switch member.value {
                case .string(let text):
                    list.append(name: member.key, value: text)
                case .number(let text) where numbers:
                    list.append(name: member.key, value: text)
                case .null:
                    continue
                default:
                    throw .invalidField(
                        "\(field).\(member.key)", mustBe: numbers ? "a string or a number" : "a string", got: member.value)
                }
            }
            return list.parameters
        case let other?:
            throw .invalidField(field, mustBe: "an object or null", got: other)
        }
    }

    /// `{"name": ["value", …]}` parameters (`null` and `[]` skipped).
    private static func multiValued(
        _ members: [JSONValue.Member], field: String
    ) throws(EventDecodingError) -> [QueryParameter] {
        var list = QueryParameterList()
        for member in members {
            for (index, element) in try stringArray(member.value, field: "\(field).\(member.key)").enumerated() {
                guard let text = element else {
                    throw .invalidField("\(field).\(member.key)[\(index)]", mustBe: "a string", got: member.value[index])
                }
                list.append(name: member.key, value: text)
            }
        }
        return list.parameters
    }

    /// The elements of an array value as strings (`nil` for an element that is not a string); `[]`
    /// for `null`.
    private static func stringArray(_ value: JSONValue, field: String) throws(EventDecodingError) -> [String?] {
        switch value {
        case .null:
            return []
        case .array(let elements):
            return elements.map(\.stringValue)
        default:
            throw .invalidField(field, mustBe: "an array of strings or null", got: value)
        }
    }

    /// `headers`: names lower-cased, `null` values skipped.
    private static func singleHeaders(_ value: JSONValue?) throws(EventDecodingError) -> [String: String] {
        switch value {
        case nil, .null?:
            return [:]
        case .object(let members)?:
            var headers: [String: String] = [:]
            for member in members {
                switch member.value {
                case .string(let text): headers[member.key.lowercased()] = text
                case .null: continue
                default: throw .invalidField("headers.\(member.key)", mustBe: "a string", got: member.value)
                }
            }
            return headers
        case let other?:
            throw .invalidField("headers", mustBe: "an object or null", got: other)
        }
    }

    /// REST v1 `multiValueHeaders`: names lower-cased, values joined with `,`.
    private static func multiValueHeaders(_ value: JSONValue?) throws(EventDecodingError) -> [String: String] {
        switch value {
        case nil, .null?:
            return [:]
        case .object(let members)?:
            var headers: [String: String] = [:]
            for member in members {
                let field = "multiValueHeaders.\(member.key)"
                let values = try stringArray(member.value, field: field)
                var texts: [String] = []
                for (index, element) in values.enumerated() {
                    guard let text = element else {
                        throw .invalidField("\(field)[\(index)]", mustBe: "a string", got: member.value[index])
                    }
                    texts.append(text)
                }
                if !texts.isEmpty {
                    headers[member.key.lowercased()] = texts.joined(separator: ",")
                }
            }
            return headers
        case let other?:
            throw .invalidField("multiValueHeaders", mustBe: "an object or null", got: other)
        }
    }

    /// `body`, base64-decoded when `isBase64Encoded` is true.
    private static func body(of event: JSONValue) throws(EventDecodingError) -> [UInt8]? {
        let isBase64: Bool
        switch event["isBase64Encoded"] {
        case nil, .null?: isBase64 = false
        case .bool(let flag)?: isBase64 = flag
        case let other?: throw .invalidField("isBase64Encoded", mustBe: "a boolean", got: other)
        }
        switch event["body"] {
        case nil, .null?:
            return nil
        case .string(let text)?:
            guard isBase64 else { return Array(text.utf8) }
            guard let data = Data(base64Encoded: text) else {
                throw EventDecodingError(kind: .invalidBase64Body, message: "isBase64Encoded body is not valid base64")
            }
            return [UInt8](data)
        case let other?:
            throw .invalidField("body", mustBe: "a string or null", got: other)
        }
    }

    // MARK: - Other events

    /// The error for an object that is no HTTP event, naming what it looks like.
    private static func notAnHTTPEvent(_ event: JSONValue) -> EventDecodingError {
        let looksLike: String?
        if let records = event["Records"]?.arrayValue {
            let first = records.first
            switch first?["eventSource"]?.stringValue ?? first?["EventSource"]?.stringValue {
            case "aws:s3"?: looksLike = "an S3 notification"
            case "aws:sqs"?: looksLike = "an SQS message batch"
            case "aws:sns"?: looksLike = "an SNS notification"
            case "aws:dynamodb"?: looksLike = "a DynamoDB stream batch"
            case "aws:kinesis"?: looksLike = "a Kinesis stream batch"
            case let source?: looksLike = "a batch of '\(InputEcho.short(source))' records"
            case nil: looksLike = "a batch of Records"
            }
        } else if let detailType = event["detail-type"]?.stringValue {
            let source = event["source"]?.stringValue
            if detailType == "Scheduled Event" {
                looksLike = "an EventBridge schedule"
            } else if let source {
                looksLike = "an EventBridge event ('\(InputEcho.short(detailType))' from \(InputEcho.short(source)))"
            } else {
                looksLike = "an EventBridge event ('\(InputEcho.short(detailType))')"
            }
        } else if event["source"]?.stringValue == "aws.events" {
            looksLike = "an EventBridge schedule"
        } else if event["statusCode"] != nil {
            looksLike = "a Lambda proxy response, not a request"
        } else {
            looksLike = nil
        }
        let detail = looksLike.map { "it looks like \($0)" }
            ?? "it has none of httpMethod, requestContext.http and queryStringParameters"
        return EventDecodingError(kind: .notAnHTTPEvent, message: "the event is not an HTTP event (\(detail))")
    }
}
