import AIUsage
import DynamoDB

/// One day's sums for one group of raw items: what a rollup item holds.
///
/// A group is every dimension a report groups by or a rollup-answered filter tests, as the raw
/// path reads it (absent, empty or not an `S` is `nil`):
/// the item's own `date`, `service`, `model`, `operation`, `environment`, `user_id`, `userId`,
/// and the service its GSI1 partition names. The sums are kept per hour (`00` … `23`, and 24 for
/// items without an hour), so that `by_hour` and `by_day` come out exactly as from raw items.
/// `job_id` and `batch_id` are not dimensions: each job is new, so they would make a group per
/// job and model, as many rollups as raw items for batch-heavy days; a job or batch filter reads
/// raw items instead (and the scoped reports of GSI3 are small by nature).
public struct RollupGroup: Sendable, Hashable {
    public struct Key: Sendable, Hashable {
        public var date: String?
        public var service: String?
        public var model: String?
        public var operation: String?
        public var environment: String?
        public var userId: String?
        public var userIdCamel: String?
        /// The service named by the item's GSI1 partition key (the key a service filter reads).
        public var indexedService: String?

        /// The dimensions in a fixed order, for the canonical text.
        var fields: [String?] { [date, service, model, operation, environment, userId, userIdCamel, indexedService] }

        /// A text naming the key exactly: each field `0` when absent, else `1` and its bytes,
        /// separated by U+001F.
        var canonical: String {
            fields.map { $0.map { "1" + $0 } ?? "0" }.joined(separator: "\u{1F}")
        }
    }

    /// One hour's sums.
    public struct Hour: Sendable, Hashable {
        public var items = 0
        public var calls = 0
        public var tokens = 0
        public var cost = ExactDecimal.zero
    }

    public var key: Key
    /// Hour (0 … 23, 24 for none) → the sums of the valid items of that hour.
    public var hours: [Int32: Hour] = [:]
    /// Σ input and output tokens of the valid items (0 where unreadable: the report does not use them).
    public var inputTokens = 0
    public var outputTokens = 0
    /// Valid items with a non-empty `error`.
    public var errors = 0
    /// Items a report leaves out as unreadable (counted in `invalid_items`).
    public var invalidItems = 0

    public init(key: Key) {
        self.key = key
    }

    /// Σ over the hours.
    public var total: Hour {
        var total = Hour()
        for hour in hours.values {
            total.items += hour.items
            total.calls += hour.calls
            total.tokens += hour.tokens
            total.cost = total.cost.adding(hour.cost) ?? total.cost
        }
        return total
    }

    /// Whether the group's items match the query's filters exactly as the raw Query's key and
    /// filter expression would (`nil`: the query has a filter rollups cannot answer).
    public func matches(_ query: UsageQuery) -> Bool {
        if let service = query.service, key.indexedService != service { return false }
        if let operation = query.operation, key.operation != operation { return false }
        if let model = query.model, key.model != model { return false }
        if let environment = query.environment, key.environment != environment { return false }
        if let user = query.userId, key.userId != user, key.userIdCamel != user { return false }
        return true
    }

    /// Whether rollups can answer `query`: no job or batch filter.
    public static func canAnswer(_ query: UsageQuery) -> Bool {
        query.jobId == nil && query.batchId == nil
    }

    /// Folds the group into a report's aggregate, as its raw items would have been.
    func fold(into aggregate: inout UsageAggregate) {
        aggregate.rejectItems(invalidItems, reason: invalidItems > 0
            ? UsageRow.Invalid(attribute: "rollup", held: "\(invalidItems) items", problem: "unreadable items counted by compaction")
            : nil)
        guard !hours.isEmpty else { return }
        let date = aggregate.nameId(key.date)
        let service = aggregate.nameId(key.service)
        let model = aggregate.nameId(key.model)
        let operation = aggregate.nameId(key.operation)
        for hour in hours.keys.sorted() {
            let sums = hours[hour]!
            aggregate.add(
                UsageAggregate.CellKey(date: date, hour: hour, service: service, model: model, operation: operation),
                cost: sums.cost, tokens: sums.tokens, calls: sums.calls, items: sums.items
            )
        }
    }
}
