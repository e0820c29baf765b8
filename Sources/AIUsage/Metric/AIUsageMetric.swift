import DynamoDB

/// One AI API call: what was called, what it used, what it cost, and in which context.
///
/// Its DynamoDB form is `AIUsageMetric.item` (see `MetricItemCodec`); values are validated on
/// the way in and out, so a metric always satisfies the rules of `validate()`.
public struct AIUsageMetric: Sendable, Hashable {
    /// `openai`, `anthropic`, `google_places`, …; always lower-cased.
    public var service: String
    /// The model as the provider names it (`gpt-4o-2024-08-06`); `places_api` for Google Places.
    public var model: String
    /// `completion`, `embedding`, `place_details`, …
    public var operation: String
    public var timestamp: UTCTimestamp
    /// Unique per call; with `timestamp` it makes the item key, so writing a metric twice
    /// overwrites the same item instead of counting it twice.
    public var requestId: String
    /// Billable calls this metric stands for; at least 1.
    public var apiCalls: Int
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// As reported, else `inputTokens + outputTokens` when either is known.
    public var totalTokens: Int?
    /// Exact USD. `nil` means "not priced" (an unknown model), never zero.
    public var costUSD: ExactDecimal?
    public var latencyMs: Int?
    public var userId: String?
    public var jobId: String?
    public var batchId: String?
    public var githubPR: Int?
    public var environment: String?
    /// The failure, for a call that failed.
    public var error: String?
    /// Free-form details (auto-tags, cache tokens, why a cost is missing, …).
    public var metadata: [String: AttributeValue]
    /// The version of the price catalogue that priced `costUSD` (`priced_with`).
    public var pricedWith: String?

    public init(
        service: String,
        model: String,
        operation: String,
        timestamp: UTCTimestamp = .now(),
        requestId: String = RequestID.random(),
        apiCalls: Int = 1,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        totalTokens: Int? = nil,
        costUSD: ExactDecimal? = nil,
        latencyMs: Int? = nil,
        userId: String? = nil,
        jobId: String? = nil,
        batchId: String? = nil,
        githubPR: Int? = nil,
        environment: String? = nil,
        error: String? = nil,
        metadata: [String: AttributeValue] = [:],
        pricedWith: String? = nil
    ) {
        self.service = service.lowercased()
        self.model = model
        self.operation = operation
        self.timestamp = timestamp
        self.requestId = requestId
        self.apiCalls = apiCalls
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens ?? Self.derivedTotal(inputTokens, outputTokens)
        self.costUSD = costUSD
        self.latencyMs = latencyMs
        self.userId = userId
        self.jobId = jobId
        self.batchId = batchId
        self.githubPR = githubPR
        self.environment = environment
        self.error = error
        self.metadata = metadata
        self.pricedWith = pricedWith
    }

    static func derivedTotal(_ input: Int?, _ output: Int?) -> Int? {
        guard input != nil || output != nil else { return nil }
        return (input ?? 0) + (output ?? 0)
    }

    /// Why a metric cannot be stored.
    public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Checks the rules every stored metric obeys: service, model and operation non-empty
    /// (service lower-case), token counts and latency non-negative, `apiCalls` ≥ 1, cost ≥ 0.
    public func validate() throws(ValidationError) {
        for (name, value) in [("service", service), ("model", model), ("operation", operation), ("request_id", requestId)] {
            if value.isEmpty { throw ValidationError("\(name) must not be empty") }
        }
        if service != service.lowercased() { throw ValidationError("service must be lower-case, got '\(service)'") }
        for (name, value) in [("input_tokens", inputTokens), ("output_tokens", outputTokens), ("total_tokens", totalTokens), ("latency_ms", latencyMs)] {
            if let value, value < 0 { throw ValidationError("\(name) must be a non-negative integer, got \(value)") }
        }
        if apiCalls < 1 { throw ValidationError("api_calls must be at least 1, got \(apiCalls)") }
        if let costUSD, costUSD.isNegative { throw ValidationError("cost_usd must not be negative, got \(costUSD)") }
    }

    /// The GSI3 partition key: the first of job > user > batch > environment that is set.
    public var scopeKey: String? {
        if let jobId, !jobId.isEmpty { return "JOB#\(jobId)" }
        if let userId, !userId.isEmpty { return "USER#\(userId)" }
        if let batchId, !batchId.isEmpty { return "BATCH#\(batchId)" }
        if let environment, !environment.isEmpty { return "ENV#\(environment)" }
        return nil
    }
}

/// Request ids: random UUID v4 text, as the original's `uuid4()`.
public enum RequestID {
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
