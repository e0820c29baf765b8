import AIUsage
import DynamoDB

/// Usage sums over a stream of items: the totals, and groups for the requested levels only.
///
/// Streaming: items are folded in one at a time (`add(_:)`) and dropped; memory grows with the
/// number of distinct groups, never with the number of items. Mergeable: aggregates of any split
/// of the items (day segments folded in parallel, pages of any size) merge (`merge(_:)`) into
/// exactly the aggregate of all of them, in any order, because every sum is exact.
///
/// Sums are exact `ExactDecimal` and `Int` arithmetic, checked: an item whose cost, tokens or
/// calls would take a total past its range (10^38 dollars, `Int.max`) is counted as invalid
/// instead of trapping. Costs, tokens and calls are never negative, so a group's sums never
/// exceed the totals and cannot overflow when the totals do not.
public struct UsageAggregate: Sendable {
    /// The levels that keep groups, in the order first requested, without repeats.
    public let levels: [AggregationLevel]

    /// Σ cost of the counted items, exact and unrounded.
    public private(set) var totalCost: ExactDecimal = .zero
    /// Σ tokens of the counted items.
    public private(set) var totalTokens = 0
    /// Σ API calls of the counted items (1 for an item that does not say).
    public private(set) var totalAPICalls = 0
    /// The items counted in the sums (invalid ones are not).
    public private(set) var itemCount = 0
    /// The items left out of every sum because they could not be read exactly (or would overflow).
    public private(set) var invalidItems = 0
    /// Why, for the first `keptReasonCount` invalid items (for logging).
    public private(set) var invalidReasons: [UsageRow.Invalid] = []

    /// How many invalid items' reasons are kept.
    public static let keptReasonCount = 5

    /// What every group sums: cost, tokens and calls.
    protocol Sums {
        var cost: ExactDecimal { get set }
        var tokens: Int { get set }
        var calls: Int { get set }
    }

    /// One group of `by_day`.
    struct DayGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var services: Set<ReportKey> = []
    }

    /// One group of `by_service`.
    struct ServiceGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var models: Set<ReportKey> = []
        var operations: Set<ReportKey> = []
    }

    /// One group of `by_model`; `service` is the byte-wise first service seen with the model.
    struct ModelGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var service: String?
    }

    /// One group of `by_operation`.
    struct OperationGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var services: Set<ReportKey> = []
    }

    /// One group of `by_hour` (its tokens are summed for `groups(_:)`, not reported).
    struct HourGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
    }

    private let keepsDays: Bool
    private let keepsServices: Bool
    private let keepsModels: Bool
    private let keepsOperations: Bool
    private let keepsHours: Bool

    private(set) var byDay: [ReportKey: DayGroup] = [:]
    private(set) var byService: [ReportKey: ServiceGroup] = [:]
    private(set) var byModel: [ReportKey: ModelGroup] = [:]
    private(set) var byOperation: [ReportKey: OperationGroup] = [:]
    private(set) var byHour: [ReportKey: HourGroup] = [:]

    /// The group name of an absent dimension.
    static let unknown = "unknown"

    /// An empty aggregate keeping groups for `levels` (repeats ignored; none: totals only).
    public init(levels: [AggregationLevel]) {
        self.levels = AggregationLevel.deduplicated(levels)
        keepsDays = levels.contains(.day)
        keepsServices = levels.contains(.service)
        keepsModels = levels.contains(.model)
        keepsOperations = levels.contains(.operation)
        keepsHours = levels.contains(.hour)
    }

    /// Folds in one item of either generation; an item that cannot be read is counted in
    /// `invalidItems`, its reason kept (the first few), and left out of every sum.
    public mutating func add(_ item: Item) {
        let row: UsageRow
        do {
            row = try UsageRow(item: item)
        } catch {
            reject(error)
            return
        }
        add(row)
    }

    /// Folds in one row; a row with a negative cost, token or call count, or whose sums would
    /// overflow a total, is counted as invalid instead.
    public mutating func add(_ row: UsageRow) {
        if let problem = Self.check(row) {
            reject(problem)
            return
        }
        guard let cost = totalCost.adding(row.cost) else {
            reject(UsageRow.Invalid(attribute: "cost_usd", held: "N \"\(row.cost)\"", problem: "cost sum would overflow"))
            return
        }
        let (tokens, tokensOverflow) = totalTokens.addingReportingOverflow(row.tokens)
        if tokensOverflow {
            reject(UsageRow.Invalid(attribute: "total_tokens", held: "N \"\(row.tokens)\"", problem: "token sum would overflow"))
            return
        }
        let (calls, callsOverflow) = totalAPICalls.addingReportingOverflow(row.apiCalls)
        if callsOverflow {
            reject(UsageRow.Invalid(attribute: "api_calls", held: "N \"\(row.apiCalls)\"", problem: "call sum would overflow"))
            return
        }
        totalCost = cost
        totalTokens = tokens
        totalAPICalls = calls
        itemCount += 1

        // Group sums are bounded by the totals just checked (nothing is negative): they fit.
        let service = ReportKey(row.service ?? Self.unknown)
        if keepsDays {
            Self.update(&byDay[ReportKey(row.date ?? Self.unknown), default: DayGroup()]) { group in
                Self.add(row.cost, row.tokens, row.apiCalls, to: &group)
                group.services.insert(service)
            }
        }
        if keepsServices {
            Self.update(&byService[service, default: ServiceGroup()]) { group in
                Self.add(row.cost, row.tokens, row.apiCalls, to: &group)
                group.models.insert(ReportKey(row.model ?? Self.unknown))
                group.operations.insert(ReportKey(row.operation ?? Self.unknown))
            }
        }
        if keepsModels {
            Self.update(&byModel[ReportKey(row.model ?? Self.unknown), default: ModelGroup()]) { group in
                Self.add(row.cost, row.tokens, row.apiCalls, to: &group)
                group.service = Self.first(group.service, service.text)
            }
        }
        if keepsOperations {
            Self.update(&byOperation[ReportKey(row.operation ?? Self.unknown), default: OperationGroup()]) { group in
                Self.add(row.cost, row.tokens, row.apiCalls, to: &group)
                group.services.insert(service)
            }
        }
        if keepsHours {
            Self.update(&byHour[ReportKey(row.hour ?? Self.unknown), default: HourGroup()]) { group in
                Self.add(row.cost, row.tokens, row.apiCalls, to: &group)
            }
        }
    }

    /// Folds in everything `other` counted, as if its items had been added here: the result
    /// does not depend on how the items were split or in which order the parts are merged.
    ///
    /// When the merged totals would overflow, none of `other`'s items are counted: all of them
    /// become invalid (a case no real table reaches).
    ///
    /// - Precondition: both aggregates keep the same levels (in any order).
    public mutating func merge(_ other: UsageAggregate) {
        precondition(
            keepsDays == other.keepsDays && keepsServices == other.keepsServices && keepsModels == other.keepsModels
                && keepsOperations == other.keepsOperations && keepsHours == other.keepsHours,
            "merging aggregates of different levels: \(levels) and \(other.levels)"
        )
        invalidItems += other.invalidItems
        for reason in other.invalidReasons where invalidReasons.count < Self.keptReasonCount {
            invalidReasons.append(reason)
        }
        guard other.itemCount > 0 else { return }

        let cost = totalCost.adding(other.totalCost)
        let (tokens, tokensOverflow) = totalTokens.addingReportingOverflow(other.totalTokens)
        let (calls, callsOverflow) = totalAPICalls.addingReportingOverflow(other.totalAPICalls)
        guard let cost, !tokensOverflow, !callsOverflow else {
            invalidItems += other.itemCount
            if invalidReasons.count < Self.keptReasonCount {
                invalidReasons.append(UsageRow.Invalid(
                    attribute: "cost_usd", held: "\(other.itemCount) items",
                    problem: "merged sums would overflow"
                ))
            }
            return
        }
        totalCost = cost
        totalTokens = tokens
        totalAPICalls = calls
        itemCount += other.itemCount

        for (key, theirs) in other.byDay {
            Self.update(&byDay[key, default: DayGroup()]) { group in
                Self.add(theirs.cost, theirs.tokens, theirs.calls, to: &group)
                group.services.formUnion(theirs.services)
            }
        }
        for (key, theirs) in other.byService {
            Self.update(&byService[key, default: ServiceGroup()]) { group in
                Self.add(theirs.cost, theirs.tokens, theirs.calls, to: &group)
                group.models.formUnion(theirs.models)
                group.operations.formUnion(theirs.operations)
            }
        }
        for (key, theirs) in other.byModel {
            Self.update(&byModel[key, default: ModelGroup()]) { group in
                Self.add(theirs.cost, theirs.tokens, theirs.calls, to: &group)
                if let service = theirs.service { group.service = Self.first(group.service, service) }
            }
        }
        for (key, theirs) in other.byOperation {
            Self.update(&byOperation[key, default: OperationGroup()]) { group in
                Self.add(theirs.cost, theirs.tokens, theirs.calls, to: &group)
                group.services.formUnion(theirs.services)
            }
        }
        for (key, theirs) in other.byHour {
            Self.update(&byHour[key, default: HourGroup()]) { group in
                Self.add(theirs.cost, theirs.tokens, theirs.calls, to: &group)
            }
        }
    }

    // MARK: - Reading groups

    /// One group's unrounded sums, as `groups(_:)` lists them.
    public struct GroupTotals: Sendable, Hashable {
        /// The group's name (`unknown` for items without a value for the dimension).
        public var key: String
        /// Σ cost, exact and unrounded.
        public var cost: ExactDecimal
        /// Σ tokens.
        public var tokens: Int
        /// Σ API calls.
        public var apiCalls: Int

        /// A group's sums.
        public init(key: String, cost: ExactDecimal, tokens: Int, apiCalls: Int) {
            self.key = key
            self.cost = cost
            self.tokens = tokens
            self.apiCalls = apiCalls
        }
    }

    /// The unrounded sums of every group of `level`, sorted by name in byte order; empty when
    /// the level is not kept. For every kept level they add up to the totals exactly.
    public func groups(_ level: AggregationLevel) -> [GroupTotals] {
        func totals(_ groups: [ReportKey: some Sums]) -> [GroupTotals] {
            groups.map { GroupTotals(key: $0.key.text, cost: $0.value.cost, tokens: $0.value.tokens, apiCalls: $0.value.calls) }
        }
        var result: [GroupTotals]
        switch level {
        case .day: result = totals(byDay)
        case .service: result = totals(byService)
        case .model: result = totals(byModel)
        case .operation: result = totals(byOperation)
        case .hour: result = totals(byHour)
        }
        result.sort { ReportKey.precedes($0.key, $1.key) }
        return result
    }

    // MARK: - Helpers

    /// Counts an invalid item.
    private mutating func reject(_ reason: UsageRow.Invalid) {
        invalidItems += 1
        if invalidReasons.count < Self.keptReasonCount { invalidReasons.append(reason) }
    }

    /// What is wrong with a row built by hand (one read from an item is always fine).
    private static func check(_ row: UsageRow) -> UsageRow.Invalid? {
        if row.cost.isNegative {
            return UsageRow.Invalid(attribute: "cost_usd", held: "N \"\(row.cost)\"", problem: "a negative cost")
        }
        if row.tokens < 0 {
            return UsageRow.Invalid(attribute: "total_tokens", held: "N \"\(row.tokens)\"", problem: "not a non-negative integer")
        }
        if row.apiCalls < 0 {
            return UsageRow.Invalid(attribute: "api_calls", held: "N \"\(row.apiCalls)\"", problem: "not a non-negative integer")
        }
        return nil
    }

    /// Runs `body` on a group in place (in its dictionary's storage, without copying it).
    @inline(__always)
    private static func update<Group>(_ group: inout Group, _ body: (inout Group) -> Void) {
        body(&group)
    }

    /// Adds to a group's sums; they are at most the totals just checked, so they fit.
    @inline(__always)
    private static func add(_ cost: ExactDecimal, _ tokens: Int, _ calls: Int, to group: inout some Sums) {
        group.cost = sum(group.cost, cost)
        group.tokens += tokens
        group.calls += calls
    }

    /// A group's cost plus `amount`; it is at most the total just checked, so it fits.
    @inline(__always)
    private static func sum(_ cost: ExactDecimal, _ amount: ExactDecimal) -> ExactDecimal {
        guard let sum = cost.adding(amount) else {
            preconditionFailure("unreachable: a group's cost exceeds the checked total")
        }
        return sum
    }

    /// The byte-wise smaller of two names.
    @inline(__always)
    private static func first(_ current: String?, _ candidate: String) -> String {
        guard let current else { return candidate }
        return ReportKey.precedes(candidate, current) ? candidate : current
    }
}
