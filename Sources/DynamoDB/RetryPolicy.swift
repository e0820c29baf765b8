import CurlHTTP
import Synchronization

/// The AWS SDKs' "standard" retry mode: at most `maxAttempts` attempts (the first included),
/// full-jitter exponential backoff, and a shared retry quota that stops retry storms.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included. Standard mode uses 3.
    public var maxAttempts: Int
    /// The backoff cap before jitter for the first retry; it doubles per retry.
    public var baseDelay: Duration
    /// The largest backoff before jitter.
    public var maxBackoff: Duration

    public init(maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
    }

    public static let standard = RetryPolicy()

    /// Full jitter: `random × min(baseDelay × 2^(retry-1), maxBackoff)`, where `retry` is 1 for
    /// the first retry and `random` is uniform in [0, 1).
    public func backoff(retry: Int, random: Double) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let cap = min(baseDelay * (1 << exponent), maxBackoff)
        return cap * min(max(random, 0), 1)
    }

    /// Whether a failed attempt may be tried again: throttling, 5xx, transient codes,
    /// transport failures (but not TLS or malformed requests) and CRC32 mismatches.
    /// Client errors such as `ValidationException` and every other 4xx never are.
    public static func isRetryable(_ error: DynamoDBError) -> Bool {
        switch error.kind {
        case .checksumMismatch:
            return true
        case .transport:
            switch error.transportError?.kind {
            case .tls, .invalidRequest, .cancelled: return false
            default: return true
            }
        case .service, .invalidResponse:
            if error.isThrottling || DynamoDBError.transientCodes.contains(error.code) { return true }
            if let status = error.httpStatus, status >= 500 { return true }
            return false
        case .configuration:
            return false
        }
    }
}

/// The standard mode's retry quota: a bucket of 500 tokens shared by one client. A retry costs
/// 5 tokens (10 after a timeout); a success returns what its retries cost, or 1 token when it
/// needed none. An empty bucket means no more retries until successes refill it.
public final class RetryQuota: Sendable {
    public static let capacity = 500
    public static let retryCost = 5
    public static let timeoutRetryCost = 10
    private let tokens = Mutex(RetryQuota.capacity)

    public init() {}

    public var available: Int { tokens.withLock { $0 } }

    /// Takes the cost of one retry after `error`; `nil` when the bucket cannot pay it.
    func acquire(after error: DynamoDBError) -> Int? {
        let cost = error.transportError?.kind == .timedOut ? Self.timeoutRetryCost : Self.retryCost
        return tokens.withLock { tokens in
            guard tokens >= cost else { return nil }
            tokens -= cost
            return cost
        }
    }

    /// Refunds after a successful call.
    func release(retryCost: Int) {
        tokens.withLock { $0 = min(Self.capacity, $0 + (retryCost > 0 ? retryCost : 1)) }
    }
}
