import AIUsage
import DynamoDB

/// Where the tracker's items go.
public protocol MetricSink: Sendable {
    /// Writes `items` and returns those that could not be written, with the reason.
    /// Never throws: whatever is returned is the caller's to keep (the tracker spills it).
    func write(_ items: [Item]) async -> SinkOutcome
}

/// What a sink could not write.
public struct SinkOutcome: Sendable {
    public var unwritten: [Item]
    /// Why, when `unwritten` is not empty.
    public var failure: String?

    public init(unwritten: [Item] = [], failure: String? = nil) {
        self.unwritten = unwritten
        self.failure = failure
    }

    public static let complete = SinkOutcome()
}

/// Writes with BatchWriteItem (chunks of 25, standard retries, UnprocessedItems resent).
public struct DynamoDBSink: MetricSink {
    public let client: DynamoDBClient
    public let tableName: String

    public init(client: DynamoDBClient, tableName: String) {
        self.client = client
        self.tableName = tableName
    }

    public func write(_ items: [Item]) async -> SinkOutcome {
        let result = await client.batchWriteItem(tableName: tableName, requests: items.map { .put($0) })
        guard !result.isComplete else { return .complete }
        let unwritten: [Item] = result.unprocessed.compactMap { if case .put(let item) = $0 { item } else { nil } }
        let reason = result.errors.first.map(\.description) ?? "DynamoDB left \(unwritten.count) items unprocessed after \(client.configuration.maxBatchWriteRounds) rounds"
        return SinkOutcome(unwritten: unwritten, failure: reason)
    }
}

/// Accepts everything and keeps nothing: the tracker's own ceiling in benchmarks, and a way
/// to switch tracking off.
public struct NullSink: MetricSink {
    public init() {}
    public func write(_ items: [Item]) async -> SinkOutcome { .complete }
}
