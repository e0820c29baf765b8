/// The kind of Lambda event a request arrived in, which also decides the shape of the answer
/// (see `ProxyResponse.encoded(for:)` and docs/api.md, "Events in, responses out").
public enum EventFormat: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An API Gateway REST API proxy event (payload 1.0): `httpMethod`, `path`,
    /// `queryStringParameters` / `multiValueQueryStringParameters`.
    case restV1
    /// An API Gateway HTTP API event, payload format 2.0: `version: "2.0"`,
    /// `requestContext.http.method`, `rawPath`, `rawQueryString`.
    case httpV2
    /// A Lambda Function URL event: payload 2.0 whose `requestContext.domainName` is a
    /// `*.lambda-url.*` host.
    case functionURL
    /// A direct invocation (`aws lambda invoke`, the console, another function): an object with
    /// `queryStringParameters` and no HTTP fields. Answered as a REST (v1) proxy result.
    case direct

    /// Whether the answer carries `multiValueHeaders` (REST v1 and direct invocations do; payload
    /// 2.0 has no such field).
    public var hasMultiValueHeaders: Bool {
        switch self {
        case .restV1, .direct: true
        case .httpV2, .functionURL: false
        }
    }

    /// A short name for logs: "REST API (v1)", "HTTP API (payload 2.0)", "Function URL",
    /// "direct invocation".
    public var description: String {
        switch self {
        case .restV1: "REST API (v1)"
        case .httpV2: "HTTP API (payload 2.0)"
        case .functionURL: "Function URL"
        case .direct: "direct invocation"
        }
    }
}
