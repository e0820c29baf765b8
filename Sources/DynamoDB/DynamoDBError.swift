import CurlHTTP

/// Every failure of the DynamoDB layer: a service error, a transport failure after retries,
/// a checksum mismatch, an unreadable response, or missing configuration.
///
/// Its description is one line that says what failed and never contains credentials or signatures.
public struct DynamoDBError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// DynamoDB answered with an error (`__type` / `message`).
        case service
        /// No complete HTTP response (see `transportError`).
        case transport
        /// The body did not match its `x-amz-crc32` header.
        case checksumMismatch
        /// A response that could not be understood.
        case invalidResponse
        /// The client cannot be configured (a variable is missing or malformed).
        case configuration
    }

    public var kind: Kind
    /// The error code: the part of `__type` after `#` (e.g. `ResourceNotFoundException`),
    /// or `TransportError`, `CRC32Mismatch`, `InvalidResponse`, `ConfigurationError`.
    public var code: String
    public var message: String
    /// The HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// `x-amzn-RequestId` of the (last) response, when there was one.
    public var requestId: String?
    /// The operation, e.g. `Query`.
    public var operation: String?
    /// How many attempts were made before giving up.
    public var attempts: Int
    /// The libcurl failure, for `.transport`.
    public var transportError: HTTPError?

    public init(
        kind: Kind,
        code: String,
        message: String,
        httpStatus: Int? = nil,
        requestId: String? = nil,
        operation: String? = nil,
        attempts: Int = 1,
        transportError: HTTPError? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.requestId = requestId
        self.operation = operation
        self.attempts = attempts
        self.transportError = transportError
    }

    static func configuration(_ message: String) -> DynamoDBError {
        DynamoDBError(kind: .configuration, code: "ConfigurationError", message: message, attempts: 0)
    }

    /// Codes DynamoDB (and the AWS SDKs' standard retry mode) treat as throttling.
    public static let throttlingCodes: Set<String> = [
        "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "LimitExceededException", "TransactionInProgressException", "Throttling",
        "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
        "BandwidthLimitExceeded", "SlowDown",
    ]

    /// Codes that mean "try again" without being throttling.
    public static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
        "InternalServerError", "InternalFailure", "ServiceUnavailable",
    ]

    public var isThrottling: Bool { kind == .service && Self.throttlingCodes.contains(code) }

    /// A signature or credentials problem: retrying cannot help.
    public var isAuthenticationFailure: Bool {
        ["InvalidSignatureException", "SignatureDoesNotMatch", "UnrecognizedClientException",
         "InvalidClientTokenId", "MissingAuthenticationToken", "IncompleteSignature",
         "ExpiredTokenException", "AccessDeniedException", "AccessDenied"].contains(code)
    }

    public var description: String {
        var text = operation.map { "DynamoDB \($0) failed: " } ?? "DynamoDB: "
        text += "\(code): \(message)"
        var details: [String] = []
        if let httpStatus { details.append("HTTP \(httpStatus)") }
        if let requestId { details.append("request id \(requestId)") }
        if attempts > 1 { details.append("after \(attempts) attempts") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text
    }
}
