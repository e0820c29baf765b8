import DynamoDB

/// The DynamoDB item form of an `AIUsageMetric`, compatible with the original system.
///
/// Writing uses the current production layout: snake_case data attributes, the keys
/// `PK`/`SK`/`GSI1*`/`GSI2*`/`GSI3*`, `TYPE = AIUsageMetric`, and never the stray
/// `REQUIRED_KEYS` attribute. Absent optional values are left out (not written as NULL).
///
/// Reading accepts both generations: snake_case (`cost_usd`, `total_tokens`, …) and the older
/// camelCase (`costUSD`, `totalTokens`, `apiCalls`, `requestId`, …); snake_case wins when an
/// item has both.
public enum MetricItemCodec {
    public static let typeName = "AIUsageMetric"

    // MARK: - Keys

    public static func partitionKey(service: String, model: String) -> String { "AI_USAGE#\(service)#\(model)" }
    public static func sortKey(timestamp: UTCTimestamp, requestId: String) -> String { sortKey(iso: timestamp.iso8601, requestId: requestId) }
    static func sortKey(iso: String, requestId: String) -> String { "USAGE#\(iso)#\(requestId)" }
    public static func serviceIndexKey(service: String) -> String { "AI_USAGE#\(service)" }
    /// GSI1's sort key: `DATE#YYYY-MM-DD`.
    public static func serviceIndexSortKey(date: String) -> String { "DATE#\(date)" }
    public static let costIndexPartition = "AI_USAGE_COST"
    /// GSI2's sort key: `COST#YYYY-MM-DD#service`.
    public static func costIndexSortKey(date: String, service: String) -> String { "\(costIndexDayStart(date: date))#\(service)" }
    /// `COST#YYYY-MM-DD`: sorts before every GSI2 sort key of that day (and `…#~` after them,
    /// since services are `[a-z0-9_.:-]`).
    public static func costIndexDayStart(date: String) -> String { "COST#\(date)" }
    /// GSI3's sort key: `AI_USAGE#<timestamp>`.
    static func scopeIndexSortKey(iso: String) -> String { "AI_USAGE#\(iso)" }

    // MARK: - Writing

    /// The item to store, its GSI1 and GSI2 partitions chosen by `sharding` (the original keys
    /// by default). Throws when the metric breaks a validation rule.
    public static func item(for metric: AIUsageMetric, sharding: IndexSharding = .single) throws(AIUsageMetric.ValidationError) -> Item {
        try metric.validate()
        // One formatting of the timestamp serves every attribute derived from it.
        let iso = metric.timestamp.iso8601
        let date = String(iso.prefix(10))
        let shard = sharding.shard(requestId: metric.requestId)
        var item: Item = [
            "PK": .s(partitionKey(service: metric.service, model: metric.model)),
            "SK": .s(sortKey(iso: iso, requestId: metric.requestId)),
            "GSI1PK": .s(sharding.servicePartition(service: metric.service, shard: shard)),
            "GSI1SK": .s(serviceIndexSortKey(date: date)),
            "GSI2PK": .s(sharding.costPartition(shard: shard)),
            "GSI2SK": .s(costIndexSortKey(date: date, service: metric.service)),
            "timestamp": .s(iso),
            "date": .s(date),
            "month": .s(String(iso.prefix(7))),
            "hour": .s("\(date)-\(iso.dropFirst(11).prefix(2))"),
        ]
        if let scope = metric.scopeKey {
            item["GSI3PK"] = .s(scope)
            item["GSI3SK"] = .s(scopeIndexSortKey(iso: iso))
        }
        item["TYPE"] = .s(typeName)
        item["service"] = .s(metric.service)
        item["model"] = .s(metric.model)
        item["operation"] = .s(metric.operation)
        item["request_id"] = .s(metric.requestId)
        item["api_calls"] = .number(metric.apiCalls)
        func put(_ name: String, _ value: Int?) { if let value { item[name] = .number(value) } }
        func put(_ name: String, _ value: String?) { if let value, !value.isEmpty { item[name] = .s(value) } }
        put("input_tokens", metric.inputTokens)
        put("output_tokens", metric.outputTokens)
        put("total_tokens", metric.totalTokens)
        put("latency_ms", metric.latencyMs)
        put("github_pr", metric.githubPR)
        if let cost = metric.costUSD { item["cost_usd"] = .n(cost.description) }
        put("priced_with", metric.pricedWith)
        put("user_id", metric.userId)
        put("job_id", metric.jobId)
        put("batch_id", metric.batchId)
        put("environment", metric.environment)
        put("error", metric.error)
        if !metric.metadata.isEmpty { item["metadata"] = .m(metric.metadata) }
        return item
    }

    // MARK: - Reading

    /// `USAGE#<timestamp>#<request id>` → the request id.
    static func requestIdFromSortKey(_ sortKey: String?) -> String? {
        guard let sortKey, sortKey.hasPrefix("USAGE#"), let hash = sortKey.lastIndex(of: "#") else { return nil }
        let id = sortKey[sortKey.index(after: hash)...]
        return id.isEmpty ? nil : String(id)
    }

    /// Why an item is not a readable metric.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// The metric an item of either generation holds.
    public static func metric(from item: Item) throws(DecodingError) -> AIUsageMetric {
        func attribute(_ snake: String, _ camel: String? = nil) -> AttributeValue? {
            if let value = item[snake], value != .null { return value }
            if let camel, let value = item[camel], value != .null { return value }
            return nil
        }
        func string(_ snake: String, _ camel: String? = nil) throws(DecodingError) -> String? {
            guard let value = attribute(snake, camel) else { return nil }
            guard case .s(let text) = value else { throw DecodingError("\(snake) is \(value.typeTag), expected S") }
            return text
        }
        func required(_ name: String) throws(DecodingError) -> String {
            guard let text = try string(name), !text.isEmpty else { throw DecodingError("the item has no \(name)") }
            return text
        }
        func integer(_ snake: String, _ camel: String) throws(DecodingError) -> Int? {
            guard let value = attribute(snake, camel) else { return nil }
            guard case .n(let text) = value, let number = ExactDecimal(text), let exact = number.int64Value, let result = Int(exactly: exact) else {
                throw DecodingError("\(snake) is not an integer: \(value)")
            }
            return result
        }

        let timestampText = try required("timestamp")
        guard let timestamp = UTCTimestamp(iso8601: timestampText) else {
            throw DecodingError("timestamp is not ISO 8601: '\(timestampText)'")
        }
        var cost: ExactDecimal?
        if let value = attribute("cost_usd", "costUSD") {
            guard case .n(let text) = value, let number = ExactDecimal(text) else {
                throw DecodingError("cost_usd is not a number: \(value)")
            }
            cost = number
        }
        var metadata: [String: AttributeValue] = [:]
        if let value = attribute("metadata") {
            guard case .m(let map) = value else { throw DecodingError("metadata is \(value.typeTag), expected M") }
            metadata = map
        }
        let metric = AIUsageMetric(
            service: try required("service"),
            model: try required("model"),
            operation: try required("operation"),
            timestamp: timestamp,
            requestId: try string("request_id", "requestId") ?? requestIdFromSortKey(item["SK"]?.string) ?? "",
            apiCalls: try integer("api_calls", "apiCalls") ?? 1,
            inputTokens: try integer("input_tokens", "inputTokens"),
            outputTokens: try integer("output_tokens", "outputTokens"),
            totalTokens: try integer("total_tokens", "totalTokens"),
            costUSD: cost,
            latencyMs: try integer("latency_ms", "latencyMs"),
            userId: try string("user_id", "userId"),
            jobId: try string("job_id", "jobId"),
            batchId: try string("batch_id", "batchId"),
            githubPR: try integer("github_pr", "githubPR"),
            environment: try string("environment"),
            error: try string("error"),
            metadata: metadata,
            pricedWith: try string("priced_with")
        )
        do {
            try metric.validate()
        } catch {
            throw DecodingError("the item breaks a rule: \(error.message)")
        }
        return metric
    }
}
