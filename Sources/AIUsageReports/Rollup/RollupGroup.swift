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
    /// Equal and hashed by the bytes of its names, as DynamoDB compares them (`String`'s `==`
    /// would merge canonically equivalent names, such as `é` and `e` + U+0301, that the raw path
    /// keeps apart).
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

        public static func == (a: Key, b: Key) -> Bool {
            zip(a.fields, b.fields).allSatisfy { Self.sameBytes($0, $1) }
        }

        public func hash(into hasher: inout Hasher) {
            for field in fields {
                if let field {
                    hasher.combine(1 as UInt8)
                    hasher.combine(field.utf8.count)
                    for byte in field.utf8 { hasher.combine(byte) }
                } else {
                    hasher.combine(0 as UInt8)
                }
            }
        }

        /// Whether two names are the same bytes (both absent counts as the same).
        static func sameBytes(_ a: String?, _ b: String?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case (let a?, let b?): a.utf8.elementsEqual(b.utf8)
            default: false
            }
        }

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
        /// The calls among `calls` without a price (`UsageRow.isUnpriced`); at most `calls`.
        public var unpriced = 0
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
            total.unpriced += hour.unpriced
            total.cost = total.cost.adding(hour.cost) ?? total.cost
        }
        return total
    }

    /// Whether the group's items match the query's filters exactly as the raw Query's key and
    /// filter expression would (`nil`: the query has a filter rollups cannot answer).
    public func matches(_ query: UsageQuery) -> Bool {
        // Byte for byte, as DynamoDB's filter compares.
        if let service = query.service, !Key.sameBytes(key.indexedService, service) { return false }
        if let operation = query.operation, !Key.sameBytes(key.operation, operation) { return false }
        if let model = query.model, !Key.sameBytes(key.model, model) { return false }
        if let environment = query.environment, !Key.sameBytes(key.environment, environment) { return false }
        if let user = query.userId, !Key.sameBytes(key.userId, user), !Key.sameBytes(key.userIdCamel, user) { return false }
        return true
    }

    /// Whether rollups can answer `query`: no job, job prefix or batch filter, and no `by_job`.
    public static func canAnswer(_ query: UsageQuery) -> Bool {
        query.jobId == nil && query.batchId == nil && query.jobIdPrefix == nil && !query.aggregation.contains(.job)
    }

    /// Whether the summary groups can answer `query`: no environment or user filter and no
    /// `by_user` either (the fine groups keep the user).
    public static func summariesAnswer(_ query: UsageQuery) -> Bool {
        canAnswer(query) && query.environment == nil && query.userId == nil && !query.aggregation.contains(.user)
    }

    /// The key of the summary group this group folds into: the same without environment and user.
    public var summaryKey: Key {
        var key = self.key
        key.environment = nil
        key.userId = nil
        key.userIdCamel = nil
        return key
    }

    /// Adds `other`'s sums to this group's; `false` (nothing changed) when a sum would overflow.
    mutating func add(_ other: RollupGroup) -> Bool {
        var merged = self
        for (hour, sums) in other.hours {
            var into = merged.hours[hour] ?? Hour()
            let (items, o1) = into.items.addingReportingOverflow(sums.items)
            let (calls, o2) = into.calls.addingReportingOverflow(sums.calls)
            let (tokens, o3) = into.tokens.addingReportingOverflow(sums.tokens)
            let (unpriced, o8) = into.unpriced.addingReportingOverflow(sums.unpriced)
            guard !o1, !o2, !o3, !o8, let cost = into.cost.adding(sums.cost) else { return false }
            into = Hour(items: items, calls: calls, tokens: tokens, cost: cost, unpriced: unpriced)
            merged.hours[hour] = into
        }
        let (input, o4) = merged.inputTokens.addingReportingOverflow(other.inputTokens)
        let (output, o5) = merged.outputTokens.addingReportingOverflow(other.outputTokens)
        let (errors, o6) = merged.errors.addingReportingOverflow(other.errors)
        let (invalid, o7) = merged.invalidItems.addingReportingOverflow(other.invalidItems)
        guard !o4, !o5, !o6, !o7 else { return false }
        merged.inputTokens = input
        merged.outputTokens = output
        merged.errors = errors
        merged.invalidItems = invalid
        self = merged
        return true
    }
}
