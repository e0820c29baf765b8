import DynamoDB

/// The one place where a failure becomes a public answer. The body says what class of thing
/// went wrong in a fixed sentence, with the error code and the request id, and never a word that
/// AWS (or the environment) wrote; the detail goes to the log line, masked.
struct PublicError: Equatable {
    var status: Int
    /// A fixed sentence per class of failure.
    var message: String
    /// A code a client may branch on: DynamoDB's error code, or our own.
    var code: String
    /// `Retry-After` seconds, for what may pass.
    var retryAfterSeconds: Int?

    /// 503 (with `Retry-After`) for what may pass: throttling, 5xx, transport failures and bad
    /// checksums that outlasted the retries. 502 for what will not: DynamoDB refused the request.
    init(_ error: DynamoDBError) {
        code = error.code.isEmpty ? "ServiceError" : error.code
        retryAfterSeconds = nil
        if error.kind == .configuration {
            self = .notConfigured
        } else if error.isThrottling {
            (status, message, retryAfterSeconds) = (503, "the usage table is busy, retry shortly", 2)
        } else if error.kind == .transport || error.kind == .checksumMismatch || (error.httpStatus ?? 0) >= 500
                    || DynamoDBError.transientCodes.contains(error.code) {
            (status, message, retryAfterSeconds) = (503, "the usage table is unavailable, retry shortly", 5)
        } else if error.isAuthenticationFailure {
            (status, message) = (502, "the usage table refused the function's credentials or permissions")
        } else if error.code == "ResourceNotFoundException" {
            (status, message) = (502, "the usage table does not exist")
        } else if error.kind == .invalidResponse {
            (status, message) = (502, "the usage table sent an answer that could not be read")
        } else {
            (status, message) = (502, "the usage table refused the request")
        }
    }

    private init(status: Int, message: String, code: String) {
        self.status = status
        self.message = message
        self.code = code
    }

    /// The function's own configuration is missing or invalid (the log names the variable).
    static let notConfigured = PublicError(status: 500, message: "the function is not configured, see its log", code: "ConfigurationError")

    /// The proxy response: `{"error", "code", "request_id", "statusCode"}`.
    func response(requestId: String) -> ProxyResponse {
        let extra = retryAfterSeconds.map { [ProxyResponse.Header("Retry-After", String($0))] } ?? []
        return .error(status: status, message: message, code: code, requestId: requestId, extraHeaders: extra)
    }
}
