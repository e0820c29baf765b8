import AIUsage

/// The answer to a `ScopedReportQuery`: totals and the breakdowns by day, service, model and
/// operation, the top models, the first and last call, and for a job or batch its duration and
/// error count; as JSON (`json`), RFC 4180 CSV (`csv`) or an aligned text table (`table`).
///
/// Every total and group also says how many of its API calls have no price
/// (`UsageAggregate.unpricedCalls`: items with no cost and no error), so that a total short by
/// calls the price catalogue does not know is never silently short.
///
/// Sums are exact. JSON and the table round once, half-even, as `GET /ai_usage` does (costs to
/// 4 places, averages to 6 from the unrounded sums); CSV gives the exact unrounded costs.
public struct ScopedReport: Sendable {
    public let query: ScopedReportQuery
    /// The sums, keeping `ScopedReportFetcher.levels`.
    public let aggregate: UsageAggregate
    /// The first and last counted call, in UTC; `nil` when there is none.
    public let firstCall: UTCTimestamp?
    public let lastCall: UTCTimestamp?
    /// Counted calls with an `error`: a job's or batch's; `nil` for a user or environment.
    public let errorCount: Int?
    /// The most expensive models, at most `topModelCount`.
    public let topModels: [ModelLine]
    /// What answering cost.
    public let reads: Reads

    /// How many models `topModels` lists.
    public static let topModelCount = 5
    /// Fraction digits of every `share_of_cost_percent`.
    public static let shareScale = 2

    init(query: ScopedReportQuery, aggregate: UsageAggregate, activity: CallActivity, countsErrors: Bool, reads: Reads) {
        self.query = query
        self.aggregate = aggregate
        firstCall = activity.firstCall
        lastCall = activity.lastCall
        errorCount = countsErrors ? activity.errorItems : nil
        self.reads = reads
        let models = aggregate.byModel(aggregate.orderedCells).map { key, group in
            ModelLine(
                model: key.text, service: group.service ?? UsageAggregate.unknown, cost: group.cost, tokens: group.tokens,
                apiCalls: group.calls, unpricedCalls: group.unpriced
            )
        }
        topModels = Array(models.sorted(by: ModelLine.costlier).prefix(Self.topModelCount))
    }

    /// For a job or batch, `lastCall − firstCall` in seconds, exact to the microsecond; `nil`
    /// for a user or environment, or without calls.
    public var durationSeconds: ExactDecimal? {
        guard query.scope.kind.isRun, let firstCall, let lastCall else { return nil }
        return ExactDecimal(significand: Int128(lastCall.microsecondsSinceEpoch - firstCall.microsecondsSinceEpoch), scale: 6)
    }

    /// One model's sums.
    public struct ModelLine: Sendable, Hashable {
        public var model: String
        /// The byte-wise first service seen with it (as `by_model` names it).
        public var service: String
        public var cost: ExactDecimal
        public var tokens: Int
        public var apiCalls: Int
        /// The calls among `apiCalls` without a price.
        public var unpricedCalls: Int

        /// Dearer first; then more calls; then by name, byte-wise.
        static func costlier(_ a: ModelLine, _ b: ModelLine) -> Bool {
            if a.cost != b.cost { return b.cost < a.cost }
            if a.apiCalls != b.apiCalls { return a.apiCalls > b.apiCalls }
            return ReportKey.precedes(a.model, b.model)
        }
    }

    /// What answering read: raw items, rollups, and (user, environment) the first and last
    /// day's raw items for the exact first and last call.
    public struct Reads: Sendable, Hashable {
        public var rawDays = 0
        public var raw = ReadCount()
        public var rollupDays = 0
        public var rollup = ReadCount()
        public var activityDays = 0
        public var activity = ReadCount()

        /// `raw 30 days (12 items, 1 pages, 8 queries); rollups 0 days (0 items, 0 pages); first/last-call days 0 (0 items, 0 pages)`.
        public var summary: String {
            "raw \(rawDays) days (\(raw.items) items, \(raw.pages) pages, \(raw.queries) queries); "
                + "rollups \(rollupDays) days (\(rollup.items) items, \(rollup.pages) pages); "
                + "first/last-call days \(activityDays) (\(activity.items) items, \(activity.pages) pages)"
        }
    }

    // MARK: - Numbers as reported

    /// A cost rounded half-even to `UsageAggregate.costScale` (4) places.
    static func rounded(_ cost: ExactDecimal) -> ExactDecimal {
        cost.rounded(scale: UsageAggregate.costScale)
    }

    /// `cost / calls` to `UsageAggregate.averageCostScale` (6) places from the exact quotient; 0
    /// over 0 calls.
    static func average(_ cost: ExactDecimal, over calls: Int) -> ExactDecimal {
        guard calls > 0 else { return .zero }
        return cost.divided(by: ExactDecimal(calls), scale: UsageAggregate.averageCostScale) ?? .zero
    }

    /// `cost / total × 100` to `shareScale` places, half-even; 0 when the total is 0.
    static func share(_ cost: ExactDecimal, of total: ExactDecimal) -> ExactDecimal {
        guard !total.isZero, let fraction = cost.divided(by: total, scale: shareScale + 2) else { return .zero }
        return fraction * ExactDecimal(100)
    }

    // MARK: - JSON

    /// The JSON answer (`docs/reports.md`): `scope`, `summary`, `activity`, `top_models`,
    /// `aggregations`, `query`, in that order. Every number is exact decimal text. `summary`,
    /// every group of `aggregations` and every `top_models` line end with `unpriced_calls`.
    public var json: JSONValue {
        let base = aggregate.report(start: query.start, end: query.end, query: query.echo, unpricedCalls: true)
        func optional(_ value: ExactDecimal?) -> JSONValue { value.map { .number($0) } ?? .null }
        let activity: JSONValue = .object([
            .init(key: "first_call", value: firstCall.map { .string($0.iso8601) } ?? .null),
            .init(key: "last_call", value: lastCall.map { .string($0.iso8601) } ?? .null),
            .init(key: "duration_seconds", value: optional(durationSeconds)),
            .init(key: "error_count", value: errorCount.map { .number($0) } ?? .null),
        ])
        let total = aggregate.totalCost
        let top: JSONValue = .array(topModels.map { line in
            .object([
                .init(key: "model", value: .string(line.model)),
                .init(key: "service", value: .string(line.service)),
                .init(key: "cost_usd", value: .number(Self.rounded(line.cost))),
                .init(key: "tokens", value: .number(line.tokens)),
                .init(key: "api_calls", value: .number(line.apiCalls)),
                .init(key: "average_cost_per_call", value: .number(Self.average(line.cost, over: line.apiCalls))),
                .init(key: "share_of_cost_percent", value: .number(Self.share(line.cost, of: total))),
                .init(key: "unpriced_calls", value: .number(line.unpricedCalls)),
            ])
        })
        return .object([
            .init(key: "scope", value: .object([
                .init(key: "type", value: .string(query.scope.kind.rawValue)),
                .init(key: "id", value: .string(query.scope.id)),
            ])),
            .init(key: "summary", value: base["summary"] ?? .null),
            .init(key: "activity", value: activity),
            .init(key: "top_models", value: top),
            .init(key: "aggregations", value: base["aggregations"] ?? .null),
            .init(key: "query", value: query.echo),
        ])
    }
}
