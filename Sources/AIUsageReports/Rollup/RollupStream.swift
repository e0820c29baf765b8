import AIUsage
import DynamoDB

/// Folds a rollup-partition read into a report as its items stream past, one day at a time: the
/// report path's counterpart of collecting `RollupDay`s.
///
/// At `.summary` level it reads the `DAY#` range alone: each day's items come together, in
/// sort-key order, the dirty marker (`!DIRTY`), the manifest (`0MANIFEST`), then the summary
/// groups (`C#…`), so by a day's first group its manifest is known. At `.fine` level the `DAY#`
/// range is read first through `addHeader` (markers and manifests, kept per day: a few small
/// values), then the `FINE#` range through `add`.
///
/// Each group is checked and decoded as it arrives into the day's pending cells (names interned,
/// hours parsed from the bytes). When the day's items end, the pending cells are folded in if the
/// day is clean by `RollupDay.isClean`'s rule at this level, else dropped and the day is left to
/// raw items. Memory holds one day's groups, never the range's.
///
/// Whatever is unexpected leaves days to raw items, never to a wrong sum: a group before its
/// day's manifest, a malformed group, a second manifest, a manifest of another version, and a
/// day whose items come back after another day's (then nothing this stream read is used).
struct RollupStream {
    private let level: RollupCodec.Level
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
    /// At `.fine` level: each day's marker and manifest, from `addHeader`.
    private var headers: [String: Header] = [:]
    /// Set when the read broke the sort-key order: nothing it read is used.
    private(set) var isVoid = false

    /// A day's marker and manifest.
    private struct Header {
        var dirtyToken: String?
        var manifestDigest: [UInt8]?
        var manifestVersion: Int?
        var manifestGroups = 0
        var manifestSummaryGroups = 0
        var clearedToken: String?
        /// Set by a second manifest.
        var unusable = false
    }

    /// One day's state while its items stream past.
    private struct Day {
        var day: String
        var header = Header()
        /// Groups read at this level under the manifest's digest.
        var currentGroups = 0
        /// Set by a malformed group or a group before the manifest.
        var unusable = false
        /// The matching groups' cells and unreadable-item counts, to fold in if the day is clean.
        var cells: [(key: UsageAggregate.CellKey, sums: RollupFields.HourSums)] = []
        var invalidItems: [Int] = []

        func isClean(_ level: RollupCodec.Level) -> Bool {
            guard !unusable, !header.unusable, header.manifestDigest != nil, header.manifestVersion == RollupCodec.version else { return false }
            if let dirtyToken = header.dirtyToken, dirtyToken != header.clearedToken { return false }
            return currentGroups == (level == .fine ? header.manifestGroups : header.manifestSummaryGroups)
        }
    }

    init(query: UsageQuery, from first: CivilDate, to last: CivilDate, level: RollupCodec.Level) {
        self.level = level
        service = query.service.map { Array($0.utf8) }
        operation = query.operation.map { Array($0.utf8) }
        model = query.model.map { Array($0.utf8) }
        environment = query.environment.map { Array($0.utf8) }
        userId = query.userId.map { Array($0.utf8) }
        self.first = first
        self.last = last
        aggregate = UsageAggregate(levels: query.aggregation)
    }

    /// Reads one item of the `DAY#` range at `.fine` level: its markers and manifests.
    mutating func addHeader(_ item: inout WireItem) throws(WireDecodingError) {
        let fields = try RollupFields.read(&item)
        guard let day = RollupFields.string(fields.day, item), fields.sortKey?.type == .s else { return }
        switch fields.kind(item) {
        case .dirty: headers[day, default: Header()].dirtyToken = RollupFields.string(fields.token, item) ?? ""
        case .manifest: Self.readManifest(fields, item, into: &headers[day, default: Header()])
        case .group, .other: break
        }
    }

    /// Reads one item of the level's range (`DAY#` for summaries, `FINE#` for fine groups).
    mutating func add(_ item: inout WireItem) throws(WireDecodingError) {
        let fields = try RollupFields.read(&item)
        guard !isVoid, let day = RollupFields.string(fields.day, item), let sortKey = fields.sortKey, sortKey.type == .s,
              let sortKeySpan = sortKey.text else { return }
        let kind = fields.kind(item)
        guard kind != .other else { return }
        if current?.day != day {
            finishDay()
            guard !finished.contains(day) else {
                isVoid = true
                current = nil
                return
            }
            current = Day(day: day, header: headers[day] ?? Header())
        }
        switch kind {
        case .dirty where level == .summary:
            current!.header.dirtyToken = RollupFields.string(fields.token, item) ?? ""
        case .manifest where level == .summary:
            if current!.currentGroups > 0 { current!.unusable = true }
            Self.readManifest(fields, item, into: &current!.header)
        case .group:
            // A group whose key names no level, or the other one, is not ours to read: as for
            // `RollupDay` (malformed), the day is left to raw items.
            let groupLevel = ReportFields.withBytes(sortKeySpan, item) { RollupCodec.Level(sortKey: $0) }
            if groupLevel == level { addGroup(fields, item) } else { current!.unusable = true }
        case .dirty, .manifest:
            // A marker or manifest among the fine groups: not where compaction writes them.
            current!.unusable = true
        case .other:
            break
        }
    }

    /// Ends the read: the last day is finished, and at `.fine` level every day with a manifest
    /// but no fine groups.
    mutating func finish() {
        finishDay()
        for day in headers.keys.sorted() where !finished.contains(day) {
            current = Day(day: day, header: headers[day]!)
            finishDay()
        }
        if isVoid {
            covered = []
            aggregate = UsageAggregate(levels: aggregate.levels)
        }
    }

    private static func readManifest(_ fields: RollupFields, _ item: WireItem, into header: inout Header) {
        if header.manifestDigest != nil { header.unusable = true }
        header.manifestDigest = RollupFields.string(fields.digest, item).map { Array($0.utf8) }
        header.manifestVersion = RollupFields.count(fields.version, item)
        header.manifestGroups = RollupFields.count(fields.groups, item) ?? -1
        header.manifestSummaryGroups = RollupFields.count(fields.summaryGroups, item) ?? -1
        header.clearedToken = RollupFields.string(fields.clearedToken, item)
    }

    private mutating func addGroup(_ fields: RollupFields, _ item: WireItem) {
        guard let digest = current!.header.manifestDigest else {
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
        // A stale group (an earlier compaction's digest) is neither counted nor folded, but it
        // must be readable too, as for `RollupDay`.
        guard ReportFields.withBytes(digestSpan, item, { $0.elementsEqual(digest) }) else {
            let wellFormed = ReportFields.withBytes(hoursSpan, item) { RollupFields.parseHours($0) { _ in } }
            if !wellFormed { current!.unusable = true }
            return
        }
        current!.currentGroups += 1
        guard matches(fields, item) else {
            // Still checked: a malformed group leaves the whole day to raw items.
            let wellFormed = ReportFields.withBytes(hoursSpan, item) { RollupFields.parseHours($0) { _ in } }
            if !wellFormed { current!.unusable = true }
            return
        }
        let date = ReportFields.nameId(fields.date, item, &aggregate)
        let service = ReportFields.nameId(fields.service, item, &aggregate)
        let model = ReportFields.nameId(fields.model, item, &aggregate)
        let operation = ReportFields.nameId(fields.operation, item, &aggregate)
        let user = aggregate.keepsUsers ? ReportFields.contextId(fields.userId, fields.userIdCamel, item, &aggregate) : NameTable.unknown
        var day = current!
        current = nil  // the cells grow in place, not in a copy
        let before = day.cells.count
        let wellFormed = ReportFields.withBytes(hoursSpan, item) { bytes in
            RollupFields.parseHours(bytes) { sums in
                day.cells.append((UsageAggregate.CellKey(
                    date: date, hour: sums.hour, service: service, model: model, operation: operation, user: user
                ), sums))
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

    /// Folds the current day in when it is clean and in range; either way it is finished.
    private mutating func finishDay() {
        guard let day = current else { return }
        current = nil
        finished.insert(day.day)
        guard day.isClean(level), let date = CivilDate(day.day), date >= first, date <= last else { return }
        for invalid in day.invalidItems {
            aggregate.rejectItems(invalid, reason: invalid > 0
                ? UsageRow.Invalid(attribute: "rollup", held: "\(invalid) items", problem: "unreadable items counted by compaction")
                : nil)
        }
        for (key, sums) in day.cells {
            aggregate.add(key, cost: sums.cost, tokens: sums.tokens, calls: sums.calls, items: sums.items, unpriced: sums.unpriced)
        }
        covered.append(date)
    }
}
