/// One query parameter: its name and every value it was given, in the order given.
///
/// `?aggregation=day&aggregation=model` is one `QueryParameter` named `aggregation` with the values
/// `["day", "model"]`, so a caller can tell a repeated parameter from a single one.
public struct QueryParameter: Sendable, Hashable {
    /// The parameter's name, exactly as sent (case-sensitive, percent-decoded).
    public var name: String
    /// Its values in the order they appeared (percent-decoded). Never empty in a decoded event.
    public var values: [String]

    /// The parameter `name` with `values`.
    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
    }
}

/// An HTTP request, normalised from whichever Lambda event carried it (`EventDecoder.decode(_:)`).
public struct HTTPEvent: Sendable, Hashable {
    /// The kind of event it came in; the answer must be written for the same format.
    public var format: EventFormat
    /// The method, upper-cased (`GET`, `OPTIONS`). `GET` for a direct invocation.
    public var method: String
    /// The raw request path: REST v1 `path` (it includes a custom-domain base path but not the
    /// stage), payload 2.0 `rawPath` (it includes the stage of a named stage). `/ai_usage` for a
    /// direct invocation.
    public var path: String
    /// The query parameters, one entry per distinct name in order of first appearance, each with
    /// all its values in order.
    public var queryParameters: [QueryParameter]
    /// The request headers, names lower-cased. Where two headers differ only in case, the later
    /// one wins.
    public var headers: [String: String]
    /// The body bytes (base64-decoded when the event says `isBase64Encoded`); `nil` when the event
    /// has none (`null` or absent), empty for `""`.
    public var body: [UInt8]?
    /// API Gateway's request id (`requestContext.requestId`), for logs; `nil` when there is none.
    public var requestId: String?
    /// The client address API Gateway saw (`requestContext.identity.sourceIp` in REST v1,
    /// `requestContext.http.sourceIp` in payload 2.0), for logs; `nil` when there is none.
    public var sourceIP: String?

    /// A request in `format`. The method is upper-cased, header names are lower-cased and query
    /// parameters given under the same name are merged into one entry (values kept in order).
    public init(
        format: EventFormat,
        method: String,
        path: String,
        queryParameters: [QueryParameter] = [],
        headers: [String: String] = [:],
        body: [UInt8]? = nil,
        requestId: String? = nil,
        sourceIP: String? = nil
    ) {
        self.format = format
        self.method = method.uppercased()
        self.path = path
        var merged = QueryParameterList()
        for parameter in queryParameters {
            for value in parameter.values {
                merged.append(name: parameter.name, value: value)
            }
        }
        self.queryParameters = merged.parameters
        var lowered: [String: String] = [:]
        for (name, value) in headers {
            lowered[name.lowercased()] = value
        }
        self.headers = lowered
        self.body = body
        self.requestId = requestId
        self.sourceIP = sourceIP
    }

    /// Every value of the query parameter `name` (case-sensitive), in order; empty when it was not
    /// given.
    public func values(_ name: String) -> [String] {
        queryParameters.first(where: { $0.name == name })?.values ?? []
    }

    /// The value of the header `name` (any case); `nil` when it was not sent.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// Query parameters being collected: one entry per name, in order of first appearance.
struct QueryParameterList {
    private(set) var parameters: [QueryParameter] = []
    private var indexByName: [String: Int] = [:]

    mutating func append(name: String, value: String) {
        if let index = indexByName[name] {
            parameters[index].values.append(value)
        } else {
            indexByName[name] = parameters.count
            parameters.append(QueryParameter(name: name, values: [value]))
        }
    }
}
