import AIUsage
import DynamoDB
import Synchronization

/// Answers whether a hard budget has run out for a subject (`global`, `service:openai`,
/// `user:alice`, …): what `Tracker.allow(scope:)` asks.
public protocol BudgetGate: Sendable {
    /// Whether a live block mark stands for `subject` at `time`.
    func isBlocked(subject: String, at time: UTCTimestamp) async throws(DynamoDBError) -> Bool
}

/// The block marks the budget checker writes in the usage table (`BudgetBlockKeys`), read with
/// one strongly consistent Query per subject and kept for `cacheSeconds`.
///
/// Freshness: a mark appears when a check finds the hard budget exhausted, so a caller is
/// refused at most one check interval (the schedule, hourly by default) plus `cacheSeconds`
/// after the money ran out. A mark lapses by itself at the end of its period instance.
public final class DynamoDBBudgetGate: BudgetGate {
    public let client: DynamoDBClient
    public let tableName: String
    public let cacheSeconds: Int64
    private let cache = Mutex<[String: (expires: Int64, until: [Int64])]>([:])

    public init(client: DynamoDBClient, tableName: String, cacheSeconds: Int64 = 60) {
        self.client = client
        self.tableName = tableName
        self.cacheSeconds = max(0, cacheSeconds)
    }

    public func isBlocked(subject: String, at time: UTCTimestamp) async throws(DynamoDBError) -> Bool {
        let now = time.microsecondsSinceEpoch
        if let entry = cache.withLock({ $0[subject] }), entry.expires > now {
            return entry.until.contains { $0 > now }
        }
        var until: [Int64] = []
        var input = QueryInput(
            tableName: tableName, keyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
            expressionAttributeValues: [":pk": .s(BudgetBlockKeys.partition), ":prefix": .s(BudgetBlockKeys.prefix(subject: subject))],
            consistentRead: true
        )
        while true {
            let page = try await client.queryPage(input)
            for item in page.items {
                if let text = item["until"]?.string, let end = UTCTimestamp(iso8601: text) { until.append(end.microsecondsSinceEpoch) }
            }
            guard let next = page.lastEvaluatedKey else { break }
            input.exclusiveStartKey = next
        }
        let expires = now + cacheSeconds * 1_000_000
        cache.withLock { cache in
            if cache.count > 4096 { cache.removeAll() }
            cache[subject] = (expires, until)
        }
        return until.contains { $0 > now }
    }
}
