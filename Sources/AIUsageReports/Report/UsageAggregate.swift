import AIUsage
import DynamoDB

/// Usage sums over a stream of items: the totals, and groups for the requested levels only.
///
/// Streaming: items are folded in one at a time (`add(_:)`) and dropped; memory grows with the
/// number of distinct cells (day × hour × service × model × operation, and the user and the job
/// when those levels are kept), never with the number of items. Mergeable: aggregates of any split of the items (day segments folded in parallel, pages
/// of any size, rollups) merge (`merge(_:)`) into exactly the aggregate of all of them, in any
/// order, because every sum is exact while it fits 38 significant digits (a trillion dollars
/// with 26 fraction digits). Past that, `ExactDecimal` addition rounds half-even and the order
/// of additions can show in the last digit; the levels are always built in the cells' name
/// order, so one aggregate's report never depends on hashing.
///
/// Sums are exact `ExactDecimal` and `Int` arithmetic, checked: an item whose cost, tokens or
/// calls would take a total past its range (10^38 dollars, `Int.max`) is counted as invalid
/// instead of trapping. Costs, tokens and calls are never negative, so a group's sums never
/// exceed the totals and cannot overflow when the totals do not.
public struct UsageAggregate: Sendable {
    /// The levels that keep groups, in the order first requested, without repeats.
    public let levels: [AggregationLevel]

    /// Σ cost of the counted items, exact and unrounded.
    public var totalCost: ExactDecimal { costSum.value }
    /// The running sum behind `totalCost`.
    private var costSum = DecimalSum()
    /// Σ tokens of the counted items.
    public private(set) var totalTokens = 0
    /// Σ API calls of the counted items (1 for an item that does not say).
    public private(set) var totalAPICalls = 0
    /// Σ API calls of the counted items that have no price (`UsageRow.isUnpriced`: no cost and
    /// no error). They are in `totalAPICalls`, their cost is not in `totalCost`: the total is
    /// short by their unknown price.
    public private(set) var unpricedCalls = 0
    /// The items counted in the sums (invalid ones are not).
    public private(set) var itemCount = 0
    /// The items left out of every sum because they could not be read exactly (or would overflow).
    public private(set) var invalidItems = 0
    /// Why, for the first `keptReasonCount` invalid items (for logging).
    public private(set) var invalidReasons: [UsageRow.Invalid] = []

    /// How many invalid items' reasons are kept.
    public static let keptReasonCount = 5

    /// What every group sums: cost, tokens, calls and unpriced calls.
    protocol Sums {
        var cost: ExactDecimal { get set }
        var tokens: Int { get set }
        var calls: Int { get set }
        var unpriced: Int { get set }
    }

    /// One group of `by_day`.
    struct DayGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var unpriced = 0
        var services: Set<ReportKey> = []
    }

    /// One group of `by_service`.
    struct ServiceGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var unpriced = 0
        var models: Set<ReportKey> = []
        var operations: Set<ReportKey> = []
    }

    /// One group of `by_model`; `service` is the byte-wise first service seen with the model.
    struct ModelGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var unpriced = 0
        var service: String?
    }

    /// One group of `by_operation`.
    struct OperationGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var unpriced = 0
        var services: Set<ReportKey> = []
    }

    /// One group of `by_hour` (its tokens are summed for `groups(_:)`, not reported).
    struct HourGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var unpriced = 0
    }

    /// One group of `by_user` or `by_job`.
    struct ContextGroup: Sendable, Sums {
        var cost: ExactDecimal = .zero
        var tokens = 0
        var calls = 0
        var unpriced = 0
        var services: Set<ReportKey> = []
        var models: Set<ReportKey> = []
    }

    /// The finest grouping every level is read from: day × hour × service × model × operation
    /// × user × job, as ids of `names` (`hour` is 0 … 23, or 24 for none). `user` and `job` are
    /// `unknown` unless their level is kept, so that they never multiply the cells of a report
    /// that does not show them.
    struct CellKey: Hashable, Sendable {
        var date: Int32
        var hour: Int32
        var service: Int32
        var model: Int32
        var operation: Int32
        var user: Int32 = NameTable.unknown
        var job: Int32 = NameTable.unknown
    }

    /// A cell's sums (its cost a running `DecimalSum`: normalised only when read).
    struct CellSums: Sendable {
        var costSum = DecimalSum()
        var tokens = 0
        var calls = 0
        var unpriced = 0
        var cost: ExactDecimal { costSum.value }

        /// Adds an item's (or a rollup's) sums; they are at most the totals just checked, so they fit.
        @inline(__always)
        mutating func add(_ cost: ExactDecimal, _ tokens: Int, _ calls: Int, _ unpriced: Int) {
            guard costSum.add(cost) else { preconditionFailure("unreachable: a cell's cost exceeds the checked total") }
            self.tokens += tokens
            self.calls += calls
            self.unpriced += unpriced
        }
    }

    /// The hour id of an item without one.
    static let noHour: Int32 = 24

    /// Whether any level is kept (without one, only the totals are).
    private let keepsCells: Bool
    /// Whether cells are kept per user (`by_user`) and per job (`by_job`).
    let keepsUsers: Bool
    let keepsJobs: Bool
    /// Interned names of days, services, models and operations.
    private(set) var names = NameTable()
    /// Sums per cell; memory grows with the distinct cells, never with the items.
    private(set) var cells: [CellKey: CellSums] = [:]

    /// The group name of an absent dimension.
    static let unknown = "unknown"

    /// `00` … `23`, then `unknown`: the `by_hour` key of each hour id.
    static let hourNames: [String] = (0..<24).map { $0 < 10 ? "0\($0)" : "\($0)" } + [unknown]

    /// An empty aggregate keeping groups for `levels` (repeats ignored; none: totals only).
    public init(levels: [AggregationLevel]) {
        self.levels = AggregationLevel.deduplicated(levels)
        keepsCells = !levels.isEmpty
        keepsUsers = levels.contains(.user)
        keepsJobs = levels.contains(.job)
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
        let unpriced = row.isUnpriced ? row.apiCalls : 0
        guard count(cost: row.cost, tokens: row.tokens, calls: row.apiCalls, items: 1, unpriced: unpriced) else { return }
        guard keepsCells else { return }
        let key = CellKey(
            date: names.id(row.date), hour: Self.hourId(row.hour),
            service: names.id(row.service), model: names.id(row.model), operation: names.id(row.operation),
            user: keepsUsers ? names.id(row.userId) : NameTable.unknown,
            job: keepsJobs ? names.id(row.jobId) : NameTable.unknown
        )
        cells[key, default: CellSums()].add(row.cost, row.tokens, row.apiCalls, unpriced)
    }

    /// Folds in sums that stand for `items` items of one cell, named by ids of `names`: what the
    /// streaming decoder and rollups add; `unpriced` of the `calls` have no price (at most
    /// `calls`). `false` (and nothing added) when a total would overflow.
    @discardableResult
    mutating func add(_ key: CellKey, cost: ExactDecimal, tokens: Int, calls: Int, items: Int, unpriced: Int = 0) -> Bool {
        guard count(cost: cost, tokens: tokens, calls: calls, items: items, unpriced: unpriced) else { return false }
        if keepsCells { cells[key, default: CellSums()].add(cost, tokens, calls, unpriced) }
        return true
    }

    /// Interns a name for `add(_:cost:tokens:calls:items:)`.
    mutating func nameId(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 { names.id(bytes) }

    /// Interns a name for `add(_:cost:tokens:calls:items:)`.
    mutating func nameId(_ name: String?) -> Int32 { names.id(name) }

    /// Adds to the totals after checking that they do not overflow; `false` (counted as
    /// invalid) when they would.
    private mutating func count(cost: ExactDecimal, tokens: Int, calls: Int, items: Int, unpriced: Int) -> Bool {
        var sum = costSum
        guard sum.add(cost) else {
            reject(UsageRow.Invalid(attribute: "cost_usd", held: "N \"\(cost)\"", problem: "cost sum would overflow"), count: items)
            return false
        }
        let (tokenSum, tokensOverflow) = totalTokens.addingReportingOverflow(tokens)
        if tokensOverflow {
            reject(UsageRow.Invalid(attribute: "total_tokens", held: "N \"\(tokens)\"", problem: "token sum would overflow"), count: items)
            return false
        }
        let (callSum, callsOverflow) = totalAPICalls.addingReportingOverflow(calls)
        if callsOverflow {
            reject(UsageRow.Invalid(attribute: "api_calls", held: "N \"\(calls)\"", problem: "call sum would overflow"), count: items)
            return false
        }
        // At most the calls (what every reader checks), so it fits where they do; checked all the same.
        let (unpricedSum, unpricedOverflow) = unpricedCalls.addingReportingOverflow(unpriced)
        if unpricedOverflow {
            reject(UsageRow.Invalid(attribute: "api_calls", held: "N \"\(unpriced)\"", problem: "unpriced call sum would overflow"), count: items)
            return false
        }
        costSum = sum
        totalTokens = tokenSum
        totalAPICalls = callSum
        unpricedCalls = unpricedSum
        itemCount += items
        return true
    }

    /// Counts items left out for `reason`, from a rollup's count or the decoder.
    mutating func rejectItems(_ count: Int, reason: UsageRow.Invalid?) {
        guard count > 0 else { return }
        invalidItems += count
        if let reason, invalidReasons.count < Self.keptReasonCount { invalidReasons.append(reason) }
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
            Set(levels) == Set(other.levels),
            "merging aggregates of different levels: \(levels) and \(other.levels)"
        )
        invalidItems += other.invalidItems
        for reason in other.invalidReasons where invalidReasons.count < Self.keptReasonCount {
            invalidReasons.append(reason)
        }
        guard other.itemCount > 0 else { return }

        var merged = costSum
        let cost: DecimalSum? = merged.add(other.totalCost) ? merged : nil
        let (tokens, tokensOverflow) = totalTokens.addingReportingOverflow(other.totalTokens)
        let (calls, callsOverflow) = totalAPICalls.addingReportingOverflow(other.totalAPICalls)
        let (unpriced, unpricedOverflow) = unpricedCalls.addingReportingOverflow(other.unpricedCalls)
        guard let cost, !tokensOverflow, !callsOverflow, !unpricedOverflow else {
            invalidItems += other.itemCount
            if invalidReasons.count < Self.keptReasonCount {
                invalidReasons.append(UsageRow.Invalid(
                    attribute: "cost_usd", held: "\(other.itemCount) items",
                    problem: "merged sums would overflow"
                ))
            }
            return
        }
        costSum = cost
        totalTokens = tokens
        totalAPICalls = calls
        unpricedCalls = unpriced
        itemCount += other.itemCount

        // Their ids name their own table: translate each once.
        var translated: [Int32] = []
        translated.reserveCapacity(other.names.count)
        for id in 0..<Int32(other.names.count) { translated.append(names.id(other.names[id])) }
        for (key, theirs) in other.cells {
            let mine = CellKey(
                date: translated[Int(key.date)], hour: key.hour, service: translated[Int(key.service)],
                model: translated[Int(key.model)], operation: translated[Int(key.operation)],
                user: translated[Int(key.user)], job: translated[Int(key.job)]
            )
            cells[mine, default: CellSums()].add(theirs.cost, theirs.tokens, theirs.calls, theirs.unpriced)
        }
    }

    // MARK: - Levels from cells

    /// The cells sorted by their names in byte order, then by hour, user and job (so the cells
    /// of one day × service × model × operation are adjacent): the order in which every
    /// level adds a group's cells, so that a report never depends on hashing. (Sums are exact
    /// while they fit 38 significant digits, and then the order does not matter; past that,
    /// addition rounds, and this order keeps the answer reproducible.)
    var orderedCells: [(key: CellKey, value: CellSums)] {
        let byName = (0..<Int32(names.count)).sorted { ReportKey.precedes(names[$0], names[$1]) }
        var rank = [Int32](repeating: 0, count: names.count)
        for (position, id) in byName.enumerated() { rank[Int(id)] = Int32(position) }
        return cells.sorted { a, b in
            let (x, y) = (a.key, b.key)
            if x.date != y.date { return rank[Int(x.date)] < rank[Int(y.date)] }
            if x.service != y.service { return rank[Int(x.service)] < rank[Int(y.service)] }
            if x.model != y.model { return rank[Int(x.model)] < rank[Int(y.model)] }
            if x.operation != y.operation { return rank[Int(x.operation)] < rank[Int(y.operation)] }
            if x.hour != y.hour { return x.hour < y.hour }
            if x.user != y.user { return rank[Int(x.user)] < rank[Int(y.user)] }
            return rank[Int(x.job)] < rank[Int(y.job)]
        }
    }

    /// `by_day`, from the cells.
    func byDay(_ ordered: [(key: CellKey, value: CellSums)]) -> [ReportKey: DayGroup] {
        var groups: [ReportKey: DayGroup] = [:]
        guard levels.contains(.day) else { return groups }
        for (key, sums) in ordered {
            Self.update(&groups[ReportKey(names[key.date]), default: DayGroup()]) { group in
                Self.add(sums, to: &group)
                group.services.insert(ReportKey(names[key.service]))
            }
        }
        return groups
    }

    /// `by_service`, from the cells.
    func byService(_ ordered: [(key: CellKey, value: CellSums)]) -> [ReportKey: ServiceGroup] {
        var groups: [ReportKey: ServiceGroup] = [:]
        guard levels.contains(.service) else { return groups }
        for (key, sums) in ordered {
            Self.update(&groups[ReportKey(names[key.service]), default: ServiceGroup()]) { group in
                Self.add(sums, to: &group)
                group.models.insert(ReportKey(names[key.model]))
                group.operations.insert(ReportKey(names[key.operation]))
            }
        }
        return groups
    }

    /// `by_model`, from the cells.
    func byModel(_ ordered: [(key: CellKey, value: CellSums)]) -> [ReportKey: ModelGroup] {
        var groups: [ReportKey: ModelGroup] = [:]
        guard levels.contains(.model) else { return groups }
        for (key, sums) in ordered {
            Self.update(&groups[ReportKey(names[key.model]), default: ModelGroup()]) { group in
                Self.add(sums, to: &group)
                group.service = Self.first(group.service, names[key.service])
            }
        }
        return groups
    }

    /// `by_operation`, from the cells.
    func byOperation(_ ordered: [(key: CellKey, value: CellSums)]) -> [ReportKey: OperationGroup] {
        var groups: [ReportKey: OperationGroup] = [:]
        guard levels.contains(.operation) else { return groups }
        for (key, sums) in ordered {
            Self.update(&groups[ReportKey(names[key.operation]), default: OperationGroup()]) { group in
                Self.add(sums, to: &group)
                group.services.insert(ReportKey(names[key.service]))
            }
        }
        return groups
    }

    /// `by_hour`, from the cells.
    func byHour(_ ordered: [(key: CellKey, value: CellSums)]) -> [ReportKey: HourGroup] {
        var groups: [ReportKey: HourGroup] = [:]
        guard levels.contains(.hour) else { return groups }
        for (key, sums) in ordered {
            Self.update(&groups[ReportKey(Self.hourNames[Int(key.hour)]), default: HourGroup()]) { group in
                Self.add(sums, to: &group)
            }
        }
        return groups
    }

    /// `by_user` (`user`) or `by_job` (`job`), from the cells.
    func byContext(_ level: AggregationLevel, _ ordered: [(key: CellKey, value: CellSums)]) -> [ReportKey: ContextGroup] {
        precondition(level == .user || level == .job, "byContext reads the user or job level, not \(level)")
        var groups: [ReportKey: ContextGroup] = [:]
        guard levels.contains(level) else { return groups }
        for (key, sums) in ordered {
            let name = names[level == .user ? key.user : key.job]
            Self.update(&groups[ReportKey(name), default: ContextGroup()]) { group in
                Self.add(sums, to: &group)
                group.services.insert(ReportKey(names[key.service]))
                group.models.insert(ReportKey(names[key.model]))
            }
        }
        return groups
    }

    /// The id of an hour name (`00` … `23`), or `noHour`.
    static func hourId(_ hour: String?) -> Int32 {
        guard let hour, hour.utf8.count == 2, let value = Int32(hour), (0..<24).contains(value) else { return noHour }
        return value
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
        /// Σ API calls without a price (see `unpricedCalls`).
        public var unpricedCalls: Int

        /// A group's sums.
        public init(key: String, cost: ExactDecimal, tokens: Int, apiCalls: Int, unpricedCalls: Int = 0) {
            self.key = key
            self.cost = cost
            self.tokens = tokens
            self.apiCalls = apiCalls
            self.unpricedCalls = unpricedCalls
        }
    }

    /// The unrounded sums of every group of `level`, sorted by name in byte order; empty when
    /// the level is not kept. For every kept level they add up to the totals exactly.
    public func groups(_ level: AggregationLevel) -> [GroupTotals] {
        func totals(_ groups: [ReportKey: some Sums]) -> [GroupTotals] {
            groups.map {
                GroupTotals(key: $0.key.text, cost: $0.value.cost, tokens: $0.value.tokens, apiCalls: $0.value.calls, unpricedCalls: $0.value.unpriced)
            }
        }
        var result: [GroupTotals]
        let ordered = orderedCells
        switch level {
        case .day: result = totals(byDay(ordered))
        case .service: result = totals(byService(ordered))
        case .model: result = totals(byModel(ordered))
        case .operation: result = totals(byOperation(ordered))
        case .hour: result = totals(byHour(ordered))
        case .user, .job: result = totals(byContext(level, ordered))
        }
        result.sort { ReportKey.precedes($0.key, $1.key) }
        return result
    }

    // MARK: - Helpers

    /// Counts `count` invalid items, keeping the reason while few are kept.
    private mutating func reject(_ reason: UsageRow.Invalid, count: Int = 1) {
        invalidItems += count
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

    /// Adds a cell's sums to a group's; they are at most the totals just checked, so they fit.
    @inline(__always)
    private static func add(_ cell: CellSums, to group: inout some Sums) {
        group.cost = sum(group.cost, cell.cost)
        group.tokens += cell.tokens
        group.calls += cell.calls
        group.unpriced += cell.unpriced
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
