import AIUsage

/// The answer to an HTTP event, written as the Lambda proxy result of the event's format
/// (`encoded(for:)`).
public struct ProxyResponse: Sendable, Hashable {
    /// One response header.
    public struct Header: Sendable, Hashable {
        /// The header's name, as it is to be sent (`Content-Type`).
        public var name: String
        /// Its value.
        public var value: String

        /// The header `name: value`.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// The header `name: value`.
        public init(_ name: String, _ value: String) {
            self.init(name: name, value: value)
        }

        /// `Content-Type: application/json`.
        public static let contentTypeJSON = Header("Content-Type", "application/json")
        /// `Access-Control-Allow-Origin: *`.
        public static let allowAnyOrigin = Header("Access-Control-Allow-Origin", "*")
        /// `Access-Control-Allow-Methods: GET, OPTIONS`.
        public static let allowMethods = Header("Access-Control-Allow-Methods", "GET, OPTIONS")
        /// `Access-Control-Allow-Headers: Content-Type, Authorization, X-Api-Key, X-Amz-Date,
        /// X-Amz-Security-Token`.
        public static let allowHeaders = Header(
            "Access-Control-Allow-Headers", "Content-Type, Authorization, X-Api-Key, X-Amz-Date, X-Amz-Security-Token")
    }

    /// The HTTP status code.
    public var status: Int
    /// The headers, in the order they are written.
    public var headers: [Header]
    /// The body text (JSON for every answer of this API; empty for 204).
    public var body: String

    /// A response as given; prefer the factories, which add the headers every answer carries.
    public init(status: Int, headers: [Header], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The two CORS headers that the 204 preflight answer and the 405 answer carry besides the
    /// usual ones: `Access-Control-Allow-Methods` and `Access-Control-Allow-Headers`.
    public static let corsPreflightHeaders: [Header] = [.allowMethods, .allowHeaders]

    /// `value` as the JSON body, with `Content-Type: application/json`,
    /// `Access-Control-Allow-Origin: *`, then `extraHeaders`. An extra header with the name of an
    /// earlier one (in any case) replaces its value in place instead of being added.
    public static func json(status: Int = 200, _ value: JSONValue, extraHeaders: [Header] = []) -> ProxyResponse {
        ProxyResponse(
            status: status,
            headers: merged([.contentTypeJSON, .allowAnyOrigin], extraHeaders),
            body: value.serialized()
        )
    }

    /// An error answer: the body `{"error": message, "code": code, "request_id": requestId,
    /// "statusCode": status}` in that order, `code` and `request_id` only when given (docs/api.md,
    /// "Errors"); headers as `json(status:_:extraHeaders:)`. The message is cut to
    /// `maximumMessageLength` characters, so no input can make an error answer large.
    public static func error(
        status: Int, message: String, code: String? = nil, requestId: String? = nil, extraHeaders: [Header] = []
    ) -> ProxyResponse {
        let capped = message.count > maximumMessageLength ? message.prefix(maximumMessageLength) + "…" : message
        var members = [JSONValue.Member(key: "error", value: .string(capped))]
        if let code {
            members.append(JSONValue.Member(key: "code", value: .string(code)))
        }
        if let requestId {
            members.append(JSONValue.Member(key: "request_id", value: .string(requestId)))
        }
        members.append(JSONValue.Member(key: "statusCode", value: .number(status)))
        return json(status: status, .object(members), extraHeaders: extraHeaders)
    }

    /// The longest error message an answer carries, in characters.
    public static let maximumMessageLength = 400

    /// The answer to an `OPTIONS` preflight: 204, an empty body, `Content-Type: application/json`
    /// and `Access-Control-Allow-Origin: *` (every answer has them), then
    /// `Access-Control-Allow-Methods` and `Access-Control-Allow-Headers`.
    public static let noContent = ProxyResponse(
        status: 204,
        headers: [.contentTypeJSON, .allowAnyOrigin] + corsPreflightHeaders,
        body: ""
    )

    /// The value of the first header named `name` (any case); `nil` when there is none.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == lowered })?.value
    }

    /// The Lambda proxy result for an event of `format`, as compact JSON:
    /// - REST v1 and direct invocations: `{"statusCode", "headers", "multiValueHeaders", "body",
    ///   "isBase64Encoded": false}`;
    /// - HTTP API 2.0 and Function URLs: `{"statusCode", "headers", "body", "isBase64Encoded": false}`.
    ///
    /// Headers are written in order, one member per name. Should the list hold a name twice (in
    /// any case; the factories never do), the member keeps the first spelling and position;
    /// `headers` then holds the last value in REST v1 and the values joined with `,` in payload 2.0,
    /// and `multiValueHeaders` all values.
    public func encoded(for format: EventFormat) -> [UInt8] {
        jsonValue(for: format).serializedBytes()
    }

    /// The proxy result that `encoded(for:)` writes, as a JSON value.
    public func jsonValue(for format: EventFormat) -> JSONValue {
        let grouped = groupedHeaders()
        var members = [JSONValue.Member(key: "statusCode", value: .number(status))]
        if format.hasMultiValueHeaders {
            members.append(JSONValue.Member(
                key: "headers",
                value: .object(grouped.map { JSONValue.Member(key: $0.name, value: .string($0.values[$0.values.count - 1])) })
            ))
            members.append(JSONValue.Member(
                key: "multiValueHeaders",
                value: .object(grouped.map { JSONValue.Member(key: $0.name, value: .array($0.values.map { .string($0) })) })
            ))
        } else {
            members.append(JSONValue.Member(
                key: "headers",
                value: .object(grouped.map { JSONValue.Member(key: $0.name, value: .string($0.values.joined(separator: ","))) })
            ))
        }
        members.append(JSONValue.Member(key: "body", value: .string(body)))
        members.append(JSONValue.Member(key: "isBase64Encoded", value: .bool(false)))
        return .object(members)
    }

    /// The headers, one entry per name (compared case-insensitively) in order of first appearance,
    /// each with all its values (never empty).
    private func groupedHeaders() -> [(name: String, values: [String])] {
        var groups: [(name: String, values: [String])] = []
        var indexByName: [String: Int] = [:]
        for header in headers {
            let key = header.name.lowercased()
            if let index = indexByName[key] {
                groups[index].values.append(header.value)
            } else {
                indexByName[key] = groups.count
                groups.append((header.name, [header.value]))
            }
        }
        return groups
    }

    /// `base` with each of `extras` replacing the value of the header of its name (any case), or
    /// appended when there is none.
    private static func merged(_ base: [Header], _ extras: [Header]) -> [Header] {
        var result = base
        for extra in extras {
            let key = extra.name.lowercased()
            if let index = result.firstIndex(where: { $0.name.lowercased() == key }) {
                result[index].value = extra.value
            } else {
                result.append(extra)
            }
        }
        return result
    }
}
