/// A transport failure: the request got no complete HTTP response.
///
/// HTTP error statuses are not `HTTPError`s; they come back as an `HTTPResponse`.
public struct HTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Nothing listens on the address (ECONNREFUSED) or it is unreachable.
        case connectionRefused = "connection refused"
        /// The connect or total time limit ran out.
        case timedOut = "timed out"
        /// The peer reset or closed the connection before a full response arrived.
        case connectionReset = "connection reset"
        /// The host name did not resolve.
        case dnsFailure = "DNS failure"
        /// TLS handshake or certificate verification failed.
        case tls = "TLS failure"
        /// The caller's task was cancelled while the request was in flight.
        case cancelled = "cancelled"
        /// The request itself cannot be sent (bad URL, unsupported scheme).
        case invalidRequest = "invalid request"
        /// Any other libcurl failure.
        case other = "transport error"
    }

    public var kind: Kind
    /// libcurl's own explanation, e.g. "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server".
    public var message: String
    /// The libcurl `CURLcode`, when libcurl reported the failure.
    public var curlCode: Int?
    /// The URL that failed (never carries credentials: requests are signed in headers).
    public var url: String
    /// What arrived before the transfer failed, when the response's status line did: its
    /// status, its header fields and the body bytes received (a streamed reply cut midway, say).
    /// `nil` when no response had begun. Not part of ``description``.
    public var partialResponse: HTTPResponse?

    public init(kind: Kind, message: String, curlCode: Int? = nil, url: String, partialResponse: HTTPResponse? = nil) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
        self.url = url
        self.partialResponse = partialResponse
    }

    public var description: String {
        "\(kind.rawValue) for \(url): \(message)"
    }
}
