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

/// One server-side filter of a raw read: an item matches when one of `attributes` (the names
/// of both generations) holds an `S` that equals `value`, or begins with it.
public struct ServerFilter: Sendable, Hashable {
    public enum Match: Sendable, Hashable {
        case equals
        /// `begins_with`; an empty prefix asks only that the attribute exists.
        case beginsWith
    }

    public var value: String
    /// The expression attribute value's name, `:job`.
    public var placeholder: String
    public var attributes: [String]
    public var match: Match

    public init(value: String, placeholder: String, attributes: [String], match: Match = .equals) {
        self.value = value
        self.placeholder = placeholder
        self.attributes = attributes
        self.match = match
    }

    /// Whether the filter needs `placeholder` bound (an empty prefix does not).
    public var bindsValue: Bool { match == .equals || !value.isEmpty }

    /// The `FilterExpression` clause for one attribute, written `name` in the expression.
    public func clause(_ name: String) -> String {
        switch match {
        case .equals: "\(name) = \(placeholder)"
        case .beginsWith: value.isEmpty ? "attribute_exists(\(name))" : "begins_with(\(name), \(placeholder))"
        }
    }

    /// What DynamoDB decides for an attribute's value (byte for byte; only an `S` matches).
    public func matches(_ attribute: AttributeValue?) -> Bool {
        guard case .s(let text)? = attribute else { return false }
        switch match {
        case .equals: return text.utf8.elementsEqual(value.utf8)
        case .beginsWith: return text.utf8.starts(with: value.utf8)
        }
    }
}

extension UsageQuery {
    /// The filters a raw Query applies on the server (either generation's names): `operation`,
    /// `model`, `job_id`/`jobId`, a job id prefix, `batch_id`/`batchId`, `user_id`/`userId`,
    /// `environment`. An item matches when it matches every filter.
    public var serverFilters: [ServerFilter] {
        var filters: [ServerFilter] = []
        if let operation { filters.append(ServerFilter(value: operation, placeholder: ":operation", attributes: ["operation"])) }
        if let model { filters.append(ServerFilter(value: model, placeholder: ":model", attributes: ["model"])) }
        if let jobId { filters.append(ServerFilter(value: jobId, placeholder: ":job", attributes: ["job_id", "jobId"])) }
        if let jobIdPrefix {
            filters.append(ServerFilter(value: jobIdPrefix, placeholder: ":jobPrefix", attributes: ["job_id", "jobId"], match: .beginsWith))
        }
        if let batchId { filters.append(ServerFilter(value: batchId, placeholder: ":batch", attributes: ["batch_id", "batchId"])) }
        if let userId { filters.append(ServerFilter(value: userId, placeholder: ":user", attributes: ["user_id", "userId"])) }
        if let environment { filters.append(ServerFilter(value: environment, placeholder: ":environment", attributes: ["environment"])) }
        return filters
    }
}
