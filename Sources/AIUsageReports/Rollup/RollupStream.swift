import AIUsage
import DynamoDB

/// Folds a rollup-partition read into a report as its items stream past, one day at a time: the
/// report path's counterpart of collecting `RollupDay`s.
///
/// A Query of the partition returns each day's items together, in sort-key order: the dirty
/// marker (`!DIRTY`), the manifest (`0MANIFEST`), then the groups (`G#…`). So by a day's first
/// group its manifest is known, and each group is checked and decoded as it arrives into the
/// day's pending cells (names interned, hours parsed from the bytes). When the day's items end,
/// the pending cells are folded in if the day is clean by `RollupDay.isClean`'s rule, else
/// dropped and the day is left to raw items. Memory holds one day's groups, never the range's.
///
/// Whatever is unexpected leaves days to raw items, never to a wrong sum: a group before its
/// day's manifest, a malformed group, a second manifest, and a day whose items come back after
/// another day's (then nothing this stream read is used).
struct RollupStream {
    /// The query's filters as bytes.
    private let service: [UInt8]?
    private let operation: [UInt8]?
    private let model: [UInt8]?
    private let environment: [UInt8]?
    private let userId: [UInt8]?
    private let first: CivilDate
    private let last: CivilDate

    /// The clean days' sums.
    private(set) var aggregate: UsageAggregate
    /// The days folded in.
    private(set) var covered: [CivilDate] = []
    /// Days whose items are finished (folded or dropped).
    private var finished: Set<String> = []
    private var current: Day?
    /// Set when the read broke the sort-key order: nothing it read is used.
    private(set) var isVoid = false

    /// One day's state while its items stream past.
    private struct Day {
        var day: String
        var dirtyToken: String?
        var manifestDigest: [UInt8]?
        var manifestGroups = 0
        var clearedToken: String?
        /// Groups read under the manifest's digest.
        var currentGroups = 0
        /// Set by a malformed group, a group before the manifest or a second manifest.
        var unusable = false
        /// The matching groups' cells and unreadable-item counts, to fold in if the day is clean.
        var cells: [(key: UsageAggregate.CellKey, sums: RollupFields.HourSums)] = []
        var invalidItems: [Int] = []

        var isClean: Bool {
            guard !unusable, manifestDigest != nil else { return false }
            if let dirtyToken, dirtyToken != clearedToken { return false }
            return currentGroups == manifestGroups
        }
    }

    init(query: UsageQuery, from first: CivilDate, to last: CivilDate) {
        service = query.service.map { Array($0.utf8) }
        operation = query.operation.map { Array($0.utf8) }
        model = query.model.map { Array($0.utf8) }
        environment = query.environment.map { Array($0.utf8) }
        userId = query.userId.map { Array($0.utf8) }
        self.first = first
        self.last = last
        aggregate = UsageAggregate(levels: query.aggregation)
    }

    /// Reads one item of the partition.
    mutating func add(_ item: inout WireItem) throws(WireDecodingError) {
        let fields = try RollupFields.read(&item)
        guard !isVoid, let day = RollupFields.string(fields.day, item), fields.sortKey?.type == .s else { return }
        let kind = fields.kind(item)
        guard kind != .other else { return }
        if current?.day != day {
            finishDay()
            guard !finished.contains(day) else {
                isVoid = true
                current = nil
                return
            }
            current = Day(day: day)
        }
        switch kind {
        case .dirty:
            current!.dirtyToken = RollupFields.string(fields.token, item) ?? ""
        case .manifest:
            if current!.manifestDigest != nil || current!.currentGroups > 0 { current!.unusable = true }
            current!.manifestDigest = RollupFields.string(fields.digest, item).map { Array($0.utf8) } ?? nil
            current!.manifestGroups = RollupFields.count(fields.groups, item) ?? -1
            current!.clearedToken = RollupFields.string(fields.clearedToken, item)
        case .group:
            addGroup(fields, item)
        case .other:
            break
        }
    }

    /// Ends the read: the last day is finished.
    mutating func finish() {
        finishDay()
        if isVoid {
            covered = []
            aggregate = UsageAggregate(levels: aggregate.levels)
        }
    }

    private mutating func addGroup(_ fields: RollupFields, _ item: WireItem) {
        guard let digest = current!.manifestDigest else {
            current!.unusable = true
            return
        }
        // Well formed, as `RollupCodec.group` requires.
        guard RollupFields.count(fields.inputTokens, item) != nil, RollupFields.count(fields.outputTokens, item) != nil,
              RollupFields.count(fields.errors, item) != nil, let invalid = RollupFields.count(fields.invalidItems, item),
              let hours = fields.hours, hours.type == .s, let hoursSpan = hours.text,
              let groupDigest = fields.digest, groupDigest.type == .s, let digestSpan = groupDigest.text else {
            current!.unusable = true
            return
        }
        // A stale group (an earlier compaction's digest) is neither counted nor folded.
        guard ReportFields.withBytes(digestSpan, item, { $0.elementsEqual(digest) }) else { return }
        current!.currentGroups += 1
        guard matches(fields, item) else {
            // Still checked: a malformed group leaves the whole day to raw items.
            let wellFormed = ReportFields.withBytes(hoursSpan, item) { RollupFields.parseHours($0) { _ in } }
            if !wellFormed { current!.unusable = true }
            return
        }
        let date = Self.nameId(fields.date, item, &aggregate)
        let service = Self.nameId(fields.service, item, &aggregate)
        let model = Self.nameId(fields.model, item, &aggregate)
        let operation = Self.nameId(fields.operation, item, &aggregate)
        var day = current!
        current = nil  // the cells grow in place, not in a copy
        let before = day.cells.count
        let wellFormed = ReportFields.withBytes(hoursSpan, item) { bytes in
            RollupFields.parseHours(bytes) { sums in
                day.cells.append((UsageAggregate.CellKey(date: date, hour: sums.hour, service: service, model: model, operation: operation), sums))
            }
        }
        if wellFormed {
            day.invalidItems.append(invalid)
        } else {
            day.cells.removeSubrange(before...)
            day.unusable = true
        }
        current = day
    }

    /// Whether the group's items match the query's filters, as `RollupGroup.matches` decides.
    private func matches(_ fields: RollupFields, _ item: WireItem) -> Bool {
        if let service, !RollupFields.equals(fields.indexedService, service, item) { return false }
        if let operation, !RollupFields.equals(fields.operation, operation, item) { return false }
        if let model, !RollupFields.equals(fields.model, model, item) { return false }
        if let environment, !RollupFields.equals(fields.environment, environment, item) { return false }
        if let userId, !RollupFields.equals(fields.userId, userId, item), !RollupFields.equals(fields.userIdCamel, userId, item) { return false }
        return true
    }

    /// The id of a dimension (`unknown` when absent, empty or not an `S`).
    private static func nameId(_ value: WireAttribute?, _ item: WireItem, _ aggregate: inout UsageAggregate) -> Int32 {
        ReportFields.nameId(value, item, &aggregate)
    }

    /// Folds the current day in when it is clean and in range; either way it is finished.
    private mutating func finishDay() {
        guard let day = current else { return }
        current = nil
        finished.insert(day.day)
        guard day.isClean, let date = CivilDate(day.day), date >= first, date <= last else { return }
        for invalid in day.invalidItems {
            aggregate.rejectItems(invalid, reason: invalid > 0
                ? UsageRow.Invalid(attribute: "rollup", held: "\(invalid) items", problem: "unreadable items counted by compaction")
                : nil)
        }
        for (key, sums) in day.cells {
            aggregate.add(key, cost: sums.cost, tokens: sums.tokens, calls: sums.calls, items: sums.items)
        }
        covered.append(date)
    }
}
