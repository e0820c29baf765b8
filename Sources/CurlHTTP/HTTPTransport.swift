/// Something that sends an HTTP request and returns the full response.
///
/// `CurlHTTPClient` is the real one; tests substitute fakes to script responses and faults.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse
}
