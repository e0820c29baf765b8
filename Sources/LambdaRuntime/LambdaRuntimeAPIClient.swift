import CurlHTTP

/// How often a Runtime API request is tried when the connection fails (refused, reset, closed
/// mid-answer): once, then once more after each delay.
public struct LambdaRetryPolicy: Sendable, Hashable {
    public var delays: [Duration]

    public init(delays: [Duration]) {
        self.delays = delays
    }

    public var attempts: Int { delays.count + 1 }

    /// 3 tries over 1 s (0.25 s, then 0.75 s): enough to ride out a dropped keep-alive
    /// connection, short enough that Lambda restarts a runtime whose control plane is gone.
    public static let standard = LambdaRetryPolicy(delays: [.milliseconds(250), .milliseconds(750)])
    public static let none = LambdaRetryPolicy(delays: [])
}

/// The Lambda Runtime API (2018-06-01) over one libcurl handle, kept alive between requests.
///
/// Blocking and not thread-safe, on purpose: the runtime loop is sequential and owns it.
/// HTTP statuses come back as they are; only transport failures throw, after the retries.
public final class LambdaRuntimeAPIClient {
    /// `http://<AWS_LAMBDA_RUNTIME_API>/2018-06-01/runtime`.
    public let baseURL: String
    private let connection: CurlConnection
    private let retry: LambdaRetryPolicy
    private let onRetry: (_ attempt: Int, _ error: HTTPError) -> Void

    /// - Parameters:
    ///   - runtimeAPI: `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    ///   - onRetry: told before each retry, with the failed attempt's number (from 1).
    public init(
        runtimeAPI: String,
        retry: LambdaRetryPolicy = .standard,
        onRetry: @escaping (_ attempt: Int, _ error: HTTPError) -> Void = { _, _ in }
    ) throws(HTTPError) {
        baseURL = "http://\(runtimeAPI)/\(LambdaRuntimeInfo.apiVersion)/runtime"
        // Plain HTTP on loopback: no CA bundle to look up.
        connection = try CurlConnection(caBundlePath: nil)
        self.retry = retry
        self.onRetry = onRetry
    }

    /// `GET /runtime/invocation/next`, with no time limit: the process is frozen between
    /// invocations and the request may stay open for as long as the function is idle.
    public func next() throws(HTTPError) -> HTTPResponse {
        try send(HTTPRequest(method: "GET", url: baseURL + "/invocation/next", timeouts: .none))
    }

    /// `POST /runtime/invocation/{id}/response` with the handler's bytes.
    public func postResponse(requestId: String, body: [UInt8]) throws(HTTPError) -> HTTPResponse {
        try send(HTTPRequest(
            method: "POST",
            url: baseURL + "/invocation/\(URLPath.segment(requestId))/response",
            body: body,
            timeouts: .none
        ))
    }

    /// `POST /runtime/invocation/{id}/error`.
    public func postError(requestId: String, report: LambdaErrorReport) throws(HTTPError) -> HTTPResponse {
        try send(errorRequest(url: baseURL + "/invocation/\(URLPath.segment(requestId))/error", report: report))
    }

    /// `POST /runtime/init/error`. The runtime should exit afterwards.
    public func postInitError(report: LambdaErrorReport) throws(HTTPError) -> HTTPResponse {
        try send(errorRequest(url: baseURL + "/init/error", report: report))
    }

    private func errorRequest(url: String, report: LambdaErrorReport) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            url: url,
            headers: [
                "Content-Type": "application/vnd.aws.lambda.error+json",
                "Lambda-Runtime-Function-Error-Type": report.headerValue,
            ],
            body: report.jsonBody,
            timeouts: .none
        )
    }

    private func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        var attempt = 1
        while true {
            do throws(HTTPError) {
                return try connection.perform(request)
            } catch {
                let retriable = error.kind != .invalidRequest && error.kind != .cancelled
                guard retriable, attempt < retry.attempts else { throw error }
                onRetry(attempt, error)
                Pause.sleep(retry.delays[attempt - 1])
                attempt += 1
            }
        }
    }
}
