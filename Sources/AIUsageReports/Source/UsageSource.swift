import AIUsage
import DynamoDB

/// Where reports and compaction read usage from, and where compaction writes rollups: the seam
/// that lets most report tests run without a socket.
///
/// Reads hand items over one at a time as `WireItem`s, straight from page bytes, so every source
/// goes through the same streaming decoder. `DynamoDBUsageSource` is the table; the tests have
/// an in-memory one that serves the same pages.
public protocol UsageSource: Sendable {
    /// The raw-item partitions that together hold every item a query can match: GSI1's for a
    /// service (the original key and every shard's), else the job's GSI3 partition for a job,
    /// else GSI2's (the original key and every shard's).
    func rawPartitions(for query: UsageQuery) -> [String]

    /// Reads the raw items of one partition dated `first` … `last` that match the query's
    /// filters, handing each to `item`, page by page.
    func readRaw(
        _ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount

    /// Reads the rollup partition's `DAY#` items of days `first` … `last` (markers, manifests,
    /// summary groups) in sort-key order.
    func readRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount

    /// Reads the rollup partition's `FINE#` items (fine groups) of days `first` … `last` in
    /// sort-key order.
    func readFineRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount

    /// Reads every raw item of one GSI2 partition dated `day`, with the attributes rollups
    /// group by besides (compaction).
    func readDay(
        _ day: CivilDate, partition: String,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount

    /// Writes and deletes items (compaction), all or an error.
    func write(_ requests: [WriteRequest]) async throws(DynamoDBError)
}

/// What a read cost: Query calls, pages and items.
public struct ReadCount: Sendable, Hashable {
    public var queries = 0
    public var pages = 0
    public var items = 0
    public var bytes = 0

    public init(queries: Int = 0, pages: Int = 0, items: Int = 0, bytes: Int = 0) {
        self.queries = queries
        self.pages = pages
        self.items = items
        self.bytes = bytes
    }

    public static func += (lhs: inout ReadCount, rhs: ReadCount) {
        lhs.queries += rhs.queries
        lhs.pages += rhs.pages
        lhs.items += rhs.items
        lhs.bytes += rhs.bytes
    }
}

extension UsageQuery {
    /// The filters a raw Query applies on the server, as attribute → accepted names (either
    /// generation): `operation`, `model`, `job_id`/`jobId`, `batch_id`/`batchId`,
    /// `user_id`/`userId`, `environment`. An item matches when, for every filter, one of its
    /// names holds an `S` equal to the value.
    public var serverFilters: [(value: String, placeholder: String, attributes: [String])] {
        var filters: [(String, String, [String])] = []
        if let operation { filters.append((operation, ":operation", ["operation"])) }
        if let model { filters.append((model, ":model", ["model"])) }
        if let jobId { filters.append((jobId, ":job", ["job_id", "jobId"])) }
        if let batchId { filters.append((batchId, ":batch", ["batch_id", "batchId"])) }
        if let userId { filters.append((userId, ":user", ["user_id", "userId"])) }
        if let environment { filters.append((environment, ":environment", ["environment"])) }
        return filters
    }
}
