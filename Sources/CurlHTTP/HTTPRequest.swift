/// Per-request time limits. `nil` means "no limit" for that phase.
public struct HTTPTimeouts: Sendable, Hashable {
    /// Limit on establishing the TCP (and TLS) connection.
    public var connect: Duration?
    /// Limit on the whole transfer, connection included.
    public var total: Duration?

    public init(connect: Duration?, total: Duration?) {
        self.connect = connect
        self.total = total
    }

    /// No limit at all: for long polls such as the Lambda Runtime API's `/next`.
    public static let none = HTTPTimeouts(connect: nil, total: nil)
    /// Suitable for AWS API calls: 3 s to connect, 30 s in all.
    public static let standard = HTTPTimeouts(connect: .seconds(3), total: .seconds(30))
}

/// One HTTP/1.1 request.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, `http://` or `https://`.
    public var url: String
    /// Sent exactly as given. A `Host` field here replaces the one libcurl would write,
    /// which lets a signer sign exactly what goes on the wire.
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var timeouts: HTTPTimeouts

    public init(
        method: String = "GET",
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        timeouts: HTTPTimeouts = .standard
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}

/// A complete HTTP response: status, the final response's header fields, and the body bytes
/// exactly as received (no content decoding is requested).
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid sequences repaired).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
