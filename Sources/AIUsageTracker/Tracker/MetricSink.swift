import AIUsage
import DynamoDB
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

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
///
/// A late item (dated before the writer's UTC today: a replayed spill, a backfill, a clock
/// behind) first marks its day dirty (`RollupKeys.dirtyMarker`), so that no rollup of that day is
/// trusted until it is compacted again. When a marker cannot be written, the items of the
/// batch are returned unwritten (the tracker spills them) rather than written unmarked.
public struct DynamoDBSink: MetricSink {
    public let client: DynamoDBClient
    public let tableName: String
    private let now: @Sendable () -> UTCTimestamp

    /// - Parameter now: the writer's clock, which decides what is late (tests inject one).
    public init(client: DynamoDBClient, tableName: String, now: @escaping @Sendable () -> UTCTimestamp = { UTCTimestamp.now() }) {
        self.client = client
        self.tableName = tableName
        self.now = now
    }

    public func write(_ items: [Item]) async -> SinkOutcome {
        if let failure = await markLateDays(items) { return SinkOutcome(unwritten: items, failure: failure) }
        let result = await client.batchWriteItem(tableName: tableName, requests: items.map { .put($0) })
        guard !result.isComplete else { return .complete }
        let unwritten: [Item] = result.unprocessed.compactMap { if case .put(let item) = $0 { item } else { nil } }
        let reason = result.errors.first.map(\.description) ?? "DynamoDB left \(unwritten.count) items unprocessed after \(client.configuration.maxBatchWriteRounds) rounds"
        return SinkOutcome(unwritten: unwritten, failure: reason)
    }

    /// Puts one dirty marker per late day of `items`; the failure, if one could not be put.
    private func markLateDays(_ items: [Item]) async -> String? {
        let clock = now()
        let today = clock.civilDate
        var late: Set<String> = []
        for item in items {
            guard let text = item["date"]?.string, let date = CivilDate(text),
                  RollupKeys.marksDirty(date: date, today: today) else { continue }
            late.insert(text)
        }
        for date in late.sorted() {
            let marker = RollupKeys.dirtyMarker(date: date, token: UUID().uuidString.lowercased(), markedAt: clock.iso8601)
            do {
                try await client.putItem(PutItemInput(tableName: tableName, item: marker))
            } catch {
                return "cannot mark \(date) dirty for its late items: \(error.description)"
            }
        }
        return nil
    }
}

/// Accepts everything and keeps nothing: the tracker's own ceiling in benchmarks, and a way
/// to switch tracking off.
public struct NullSink: MetricSink {
    public init() {}
    public func write(_ items: [Item]) async -> SinkOutcome { .complete }
}
