import AIUsage
@testable import AIUsageReports
import DynamoDB
import ExactJSON
import TestSupport
import Testing

// `RollupStream` (the report path's streaming reader of the rollup partition) against the
// reference it replaces: `RollupDay.add` over each item decoded to a dictionary, `isClean`'s
// rule, `currentGroups`, `RollupGroup.matches` and `fold(into:)`, as `UsageFetcher` used them
// before. Both read the very same Query page bytes (written by hand below: attributes in random
// orders, escapes here and there, pages cut anywhere, even inside a day), at both levels: the
// summary groups (`DAY#` range alone) and the fine groups (`DAY#` range for the markers and
// manifests, then the `FINE#` range). So any difference is the readers'.
//
// The two must agree on which days are clean at the level read, and the clean days must fold
// into the same sums. The stream may be stricter (a day it does not cover is read from raw
// items: slower, never wrong), never laxer.

// MARK: - Writing pages

/// Writes rollup items as Query page bytes: every value a one-key object, numbers as strings,
/// each item's attributes in a random order and, when `escapes`, characters of strings and
/// attribute names escaped now and then (`\u0041`, `\/`, surrogate pairs), which JSON reads as
/// the same text.
private struct RollupPageWriter {
    var random: SplitMix64
    var escapes: Bool

    init(seed: UInt64, escapes: Bool = true) {
        random = SplitMix64(state: seed)
        self.escapes = escapes
    }

    mutating func percent(_ chance: Int) -> Bool { Int.random(in: 0..<100, using: &random) < chance }

    mutating func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += "\\u" + hex4(scalar.value)
            case _ where escapes && percent(10):
                if scalar == "/" {
                    out += "\\/"
                } else if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += "\\u" + hex4(0xD800 + (value >> 10)) + "\\u" + hex4(0xDC00 + (value & 0x3FF))
                } else {
                    out += "\\u" + hex4(scalar.value)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private mutating func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: percent(50))
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    mutating func value(_ value: AttributeValue) -> String {
        switch value {
        case .s(let text): return "{\"S\":\(string(text))}"
        case .n(let text): return "{\"N\":\(string(text))}"
        case .bool(let flag): return "{\"BOOL\":\(flag)}"
        case .null, .b, .bs: return "{\"NULL\":true}"  // binary values are not used here
        case .m(let map): return "{\"M\":\(object(map))}"
        case .l(let list):
            var parts: [String] = []
            for element in list { parts.append(self.value(element)) }
            return "{\"L\":[\(parts.joined(separator: ","))]}"
        case .ss(let texts):
            var parts: [String] = []
            for text in texts { parts.append(string(text)) }
            return "{\"SS\":[\(parts.joined(separator: ","))]}"
        case .ns(let texts):
            var parts: [String] = []
            for text in texts { parts.append(string(text)) }
            return "{\"NS\":[\(parts.joined(separator: ","))]}"
        }
    }

    mutating func object(_ item: Item) -> String {
        var members: [String] = []
        for name in item.keys.sorted().shuffled(using: &random) {
            members.append("\(string(name)):\(value(item[name]!))")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// The items, in the order given, cut into pages of 1 … `most` items (one empty page when
    /// there are none), each page's members in a random order.
    mutating func pages(_ items: [Item], most: Int = 6) -> [[UInt8]] {
        var pages: [[UInt8]] = []
        var start = 0
        repeat {
            let count = min(items.count - start, Int.random(in: 1...most, using: &random))
            var list: [String] = []
            for item in items[start..<start + count] { list.append(object(item)) }
            start += count
            var members = ["\"Items\":[\(list.joined(separator: ","))]", "\"Count\":\(count)", "\"ScannedCount\":\(count)"]
            if start < items.count { members.append(#""LastEvaluatedKey":{"PK":{"S":"AI_USAGE_ROLLUP"},"SK":{"S":"opaque"}}"#) }
            members.shuffle(using: &random)
            pages.append(Array(("{" + members.joined(separator: ",") + "}").utf8))
        } while start < items.count
        return pages
    }
}

/// A seed from a name (FNV-1a 64), so each case writes its own pages, the same every run.
private func seed(_ name: String) -> UInt64 {
    name.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
}

// MARK: - The two readers

/// A read of the rollup partition: the `DAY#` range's pages and the `FINE#` range's.
private struct RollupPages {
    var day: [[UInt8]]
    var fine: [[UInt8]]
}

/// Whether an item lies in the `FINE#` range (its sort key says so); every other item is written
/// to the `DAY#` range's pages.
private func inFineRange(_ item: Item) -> Bool { item["SK"]?.string?.utf8.starts(with: "FINE#".utf8) ?? false }

/// The days' items (each day's in sort-key order, days in order) as the two ranges' pages.
private func rollupPages(_ days: [[Item]], seed value: UInt64, most: Int = 5) -> RollupPages {
    var writer = RollupPageWriter(seed: value)
    let items = days.flatMap { $0 }
    return RollupPages(day: writer.pages(items.filter { !inFineRange($0) }, most: most), fine: writer.pages(items.filter(inFineRange), most: most))
}

private func decodePages(_ pages: [[UInt8]], _ body: (inout WireItem) throws(WireDecodingError) -> Void) throws {
    for page in pages {
        _ = try page.withUnsafeBufferPointer { buffer throws(WireDecodingError) in try QueryPageDecoder.decode(buffer, item: body) }
    }
}

/// The stream over the pages as `UsageFetcher` reads them: at `.summary` the `DAY#` range through
/// `add`; at `.fine` the `DAY#` range through `addHeader`, then the `FINE#` range through `add`;
/// then `finish()`.
private func streamed(_ pages: RollupPages, _ query: UsageQuery, _ level: RollupCodec.Level, from first: CivilDate, to last: CivilDate) throws -> RollupStream {
    var stream = RollupStream(query: query, from: first, to: last, level: level)
    switch level {
    case .summary:
        try decodePages(pages.day) { (reader: inout WireItem) throws(WireDecodingError) in try stream.add(&reader) }
    case .fine:
        try decodePages(pages.day) { (reader: inout WireItem) throws(WireDecodingError) in try stream.addHeader(&reader) }
        try decodePages(pages.fine) { (reader: inout WireItem) throws(WireDecodingError) in try stream.add(&reader) }
    }
    stream.finish()
    return stream
}

/// `RollupDay.isClean`'s rule at one level: a manifest of this version, no malformed group, not
/// dirty since, and every group of the manifest's digest at this level present.
private func isClean(_ day: RollupDay, at level: RollupCodec.Level) -> Bool {
    guard let digest = day.manifestDigest, day.manifestVersion == RollupCodec.version, day.malformed.isEmpty else { return false }
    if let dirtyToken = day.dirtyToken, dirtyToken != day.clearedToken { return false }
    let current = day.groups.filter { $0.digest == digest && $0.level == level }.count
    return current == (level == .fine ? day.manifestGroups : day.manifestSummaryGroups)
}

/// What the reference makes of the items the stream reads at `level` (at `.fine`, the `DAY#`
/// range's markers and manifests, as `addHeader` reads them, and the `FINE#` range): each item
/// decoded to a dictionary and sorted into its day by `RollupDay.add`; then, day by day in
/// order, each day clean at `level` and in range is covered, and its current groups at `level`
/// that match the query are folded (as `UsageFetcher` did before `RollupStream`). `only`: cover
/// and fold just these days (to compare with a stricter stream).
private func referenced(
    _ pages: RollupPages, _ query: UsageQuery, _ level: RollupCodec.Level, from first: CivilDate, to last: CivilDate, only: Set<CivilDate>? = nil
) throws -> (covered: [CivilDate], aggregate: UsageAggregate) {
    var days: [String: RollupDay] = [:]
    try decodePages(pages.day) { (reader: inout WireItem) throws(WireDecodingError) in
        var item: Item = [:]
        try reader.decodeRest(into: &item)
        if level == .summary || item["TYPE"]?.string != RollupCodec.groupType { RollupDay.add(item, to: &days) }
    }
    if level == .fine {
        try decodePages(pages.fine) { (reader: inout WireItem) throws(WireDecodingError) in
            var item: Item = [:]
            try reader.decodeRest(into: &item)
            RollupDay.add(item, to: &days)
        }
    }
    var aggregate = UsageAggregate(levels: query.aggregation)
    var covered: [CivilDate] = []
    for (text, day) in days.sorted(by: { $0.key < $1.key }) where isClean(day, at: level) {
        guard let date = CivilDate(text), date >= first, date <= last, only?.contains(date) ?? true else { continue }
        covered.append(date)
        for group in day.currentGroups(level) where group.matches(query) { group.fold(into: &aggregate) }
    }
    return (covered, aggregate)
}

/// Everything an aggregate says: the rendered report (what the API answers), and, since the
/// report rounds costs to 4 places, every unrounded sum and every level's groups; with
/// `reasons`, the kept reasons for invalid items too (they name each group's count, so they
/// differ between the levels).
private func fingerprint(_ aggregate: UsageAggregate, _ query: UsageQuery, from first: CivilDate, to last: CivilDate, reasons: Bool = true) -> String {
    var lines = [aggregate.report(start: first, end: last, query: query.echo, unpricedCalls: true).serialized()]
    lines.append("cost \(aggregate.totalCost) tokens \(aggregate.totalTokens) calls \(aggregate.totalAPICalls) items \(aggregate.itemCount) invalid \(aggregate.invalidItems) unpriced \(aggregate.unpricedCalls)")
    if reasons { lines.append("reasons \(aggregate.invalidReasons.map(\.description))") }
    for level in AggregationLevel.allCases {
        lines.append("\(level.rawValue): " + aggregate.groups(level).map { "\($0.key)=\($0.cost)/\($0.tokens)/\($0.apiCalls)/\($0.unpricedCalls)" }.joined(separator: " "))
    }
    return lines.joined(separator: "\n")
}

// MARK: - Building rollup items

private func hourSums(_ items: Int, _ calls: Int, _ tokens: Int, _ cost: String, unpriced: Int = 0) -> RollupGroup.Hour {
    RollupGroup.Hour(items: items, calls: calls, tokens: tokens, cost: dec(cost), unpriced: unpriced)
}

private func rollupGroup(
    date: String?, service: String?, model: String?, operation: String?, environment: String? = nil,
    userId: String? = nil, userIdCamel: String? = nil, hours: [Int32: RollupGroup.Hour],
    input: Int = 0, output: Int = 0, errors: Int = 0, invalid: Int = 0
) -> RollupGroup {
    var group = RollupGroup(key: RollupGroup.Key(
        date: date, service: service, model: model, operation: operation, environment: environment,
        userId: userId, userIdCamel: userIdCamel, indexedService: service
    ))
    group.hours = hours
    group.inputTokens = input
    group.outputTokens = output
    group.errors = errors
    group.invalidItems = invalid
    return group
}

/// A compacted day as `RollupCompactor` writes it, in sort-key order: the dirty marker (when
/// `dirty`), the manifest (with `cleared` as its `cleared_token`) and the summary groups (the fine
/// groups without environment and user, summed), then the fine groups. Keys are told apart by
/// their bytes, as DynamoDB and the raw path tell names apart (see
/// `compactionKeepsNamesApartByTheirBytes`).
private func rollupDayItems(_ day: String, _ groups: [RollupGroup], dirty: String? = nil, cleared: String? = nil) -> [Item] {
    var summaries: [[UInt8]: RollupGroup] = [:]
    for group in groups {
        let key = Array(group.summaryKey.canonical.utf8)
        var summary = summaries[key] ?? RollupGroup(key: group.summaryKey)
        guard summary.add(group) else { preconditionFailure("test sums overflow") }
        summaries[key] = summary
    }
    let keyed = groups.map { (sortKey: RollupCodec.sortKey($0, day: day, level: .fine), group: $0) }
        + summaries.values.map { (sortKey: RollupCodec.sortKey($0, day: day, level: .summary), group: $0) }
    let digest = RollupCodec.digest(keyed)
    var items: [Item] = []
    if let dirty { items.append(RollupKeys.dirtyMarker(date: day, token: dirty, markedAt: "2026-03-19T08:00:00.000000Z")) }
    items.append(RollupCodec.manifest(
        day: day, groups: groups.count, summaryGroups: summaries.count, digest: digest, items: groups.reduce(0) { $0 + $1.total.items },
        invalidItems: groups.reduce(0) { $0 + $1.invalidItems }, clearedToken: cleared
    ))
    // DAY#…#C#… sorts before FINE#…: one sort puts every group in its place.
    for (sortKey, group) in keyed.sorted(by: { $0.sortKey.utf8.lexicographicallyPrecedes($1.sortKey.utf8) }) {
        items.append(RollupCodec.item(group, day: day, sortKey: sortKey, digest: digest))
    }
    return items
}

/// The four fine groups of each hand-made day (three summary groups: the first and last share
/// service, model and operation). Per day: items 2+1+3+1+5+1 = 13, calls 2+1+4+1+5+1 = 14,
/// tokens 30+5+300+10+50+10 = 405, cost 0.25 + 0.000000000001 + 1.5 + 0.000123456789 + 2 + 0.5
/// = 4.250123456790, 2 invalid items (the anthropic group's) and 1 + 3 = 4 unpriced calls (the
/// first group's hour 07, the anthropic group's).
private func handGroups(_ day: String) -> [RollupGroup] {
    [
        rollupGroup(date: day, service: "openai", model: "gpt-4o", operation: "completion", environment: "production", userId: "alice",
                    hours: [7: hourSums(2, 2, 30, "0.25", unpriced: 1), 24: hourSums(1, 1, 5, "0.000000000001")], input: 20, output: 15, errors: 1),
        rollupGroup(date: day, service: "anthropic", model: "claude-3-haiku", operation: "completion", environment: "staging", userIdCamel: "bob",
                    hours: [13: hourSums(3, 4, 300, "1.5", unpriced: 3)], input: 200, output: 100, invalid: 2),
        rollupGroup(date: day, service: "openai", model: "gpt-4o-mini", operation: "embedding",
                    hours: [0: hourSums(1, 1, 10, "0.000123456789"), 23: hourSums(5, 5, 50, "2")], input: 60),
        rollupGroup(date: day, service: "openai", model: "gpt-4o", operation: "completion", environment: "staging", userId: "carol",
                    hours: [7: hourSums(1, 1, 10, "0.5")], input: 10),
    ]
}

private let march10 = CivilDate(year: 2026, month: 3, day: 10)
private let march11 = CivilDate(year: 2026, month: 3, day: 11)
private let march12 = CivilDate(year: 2026, month: 3, day: 12)
private let allLevels: [AggregationLevel] = [.day, .service, .model, .operation, .hour]
private let bothLevels: [RollupCodec.Level] = [.summary, .fine]

private func handDay(_ date: CivilDate) -> [Item] { rollupDayItems(date.text, handGroups(date.text)) }

/// The level a group item's sort key names.
private func groupLevel(_ item: Item) -> RollupCodec.Level? { item["SK"]?.string.flatMap(RollupCodec.Level.init(sortKey:)) }

/// The index of a day's anthropic group at `level`.
private func anthropicGroup(_ items: [Item], _ level: RollupCodec.Level) -> Int {
    items.firstIndex { $0["service"] == .s("anthropic") && groupLevel($0) == level }!
}

// MARK: - Hostile edits of one day's items

/// An edit of one day's items (in sort-key order), and what both readers must then say about
/// the day. `target` is the index of one group of the day (the edits that need no group ignore it).
struct RollupStreamEdit: Sendable, CustomTestStringConvertible {
    /// Which levels an unclean edit spoils.
    enum Scope: Sendable {
        /// Both (the marker, the manifest's digest or version).
        case day
        /// The target group's level.
        case target
        /// The manifest's fine or summary count.
        case count(RollupCodec.Level)
    }

    var name: String
    /// Whether the day is still clean afterwards (by `RollupDay.isClean`'s rule).
    var clean: Bool
    var scope = Scope.target
    var needsGroup = true
    var apply: @Sendable (inout [Item], _ target: Int) -> Void

    var testDescription: String { name }

    /// Whether the day is clean at `level` after the edit, its target a group at `target`.
    func isClean(at level: RollupCodec.Level, target: RollupCodec.Level) -> Bool {
        if clean { return true }
        switch scope {
        case .day: return false
        case .target: return level != target
        case .count(let counted): return level != counted
        }
    }

    static func hours(_ text: String, clean: Bool) -> RollupStreamEdit {
        RollupStreamEdit(name: "hours \"\(text)\"", clean: clean) { items, target in items[target]["hours"] = .s(text) }
    }

    static func attribute(_ name: String, _ value: AttributeValue?, clean: Bool) -> RollupStreamEdit {
        RollupStreamEdit(name: "group \(name) = \(value.map { "\($0)" } ?? "absent")", clean: clean) { items, target in items[target][name] = value }
    }

    static func manifest(_ name: String, _ value: AttributeValue?, clean: Bool, scope: Scope = .day, needsGroup: Bool = false) -> RollupStreamEdit {
        RollupStreamEdit(name: "manifest \(name) = \(value.map { "\($0)" } ?? "absent")", clean: clean, scope: scope, needsGroup: needsGroup) { items, _ in
            items[manifestIndex(items)!][name] = value
        }
    }
}

private func dayText(_ items: [Item]) -> String { items.first { $0["day"]?.string != nil }!["day"]!.string! }
private func manifestIndex(_ items: [Item]) -> Int? { items.firstIndex { $0["TYPE"] == .s(RollupCodec.manifestType) } }

/// Puts a dirty marker with `token` first (replacing any).
private func markDirty(_ items: inout [Item], token: AttributeValue) {
    let day = dayText(items)
    items.removeAll { $0["TYPE"] == .s("AIUsageRollupDirty") }
    var marker = RollupKeys.dirtyMarker(date: day, token: "", markedAt: "2026-03-19T08:00:00.000000Z")
    marker["token"] = token
    items.insert(marker, at: 0)
}

private func setCleared(_ items: inout [Item], _ token: AttributeValue?) {
    items[manifestIndex(items)!]["cleared_token"] = token
}

/// The manifest's attribute counting groups at `level`.
private func countName(_ level: RollupCodec.Level) -> String { level == .fine ? "groups" : "summary_groups" }

private func addToManifestCount(_ items: inout [Item], _ level: RollupCodec.Level, _ delta: Int) {
    let index = manifestIndex(items)!
    let name = countName(level)
    items[index][name] = .n(String(Int(items[index][name]!.numberText!)! + delta))
}

/// A copy of the target group under another sort key of its level (just after it), edited by `edit`.
private func addGroupCopy(_ items: inout [Item], _ target: Int, suffix: String, _ edit: (inout Item) -> Void) {
    var copy = items[target]
    copy["SK"] = .s(items[target]["SK"]!.string! + suffix)
    edit(&copy)
    items.insert(copy, at: target + 1)
}

/// Edits both readers must judge alike.
private let agreedEdits: [RollupStreamEdit] = {
    var edits: [RollupStreamEdit] = []
    // The dirty marker: a late write the manifest has not seen leaves the day to raw items.
    edits.append(RollupStreamEdit(name: "dirty token ≠ cleared_token", clean: false, scope: .day, needsGroup: false) { items, _ in
        markDirty(&items, token: .s("late-2"))
        setCleared(&items, .s("late-1"))
    })
    edits.append(RollupStreamEdit(name: "dirty marker, manifest clears no token", clean: false, scope: .day, needsGroup: false) { items, _ in
        markDirty(&items, token: .s("late-1"))
    })
    edits.append(RollupStreamEdit(name: "dirty token = cleared_token", clean: true, needsGroup: false) { items, _ in
        markDirty(&items, token: .s("late-1"))
        setCleared(&items, .s("late-1"))
    })
    edits.append(RollupStreamEdit(name: "cleared_token with no dirty marker", clean: true, needsGroup: false) { items, _ in
        setCleared(&items, .s("late-1"))
    })
    // A marker whose token is not an S reads as "", which an empty cleared_token settles.
    edits.append(RollupStreamEdit(name: "dirty token N, cleared_token \"\"", clean: true, needsGroup: false) { items, _ in
        markDirty(&items, token: .n("7"))
        setCleared(&items, .s(""))
    })
    edits.append(RollupStreamEdit(name: "dirty token \"7\", cleared_token N \"7\"", clean: false, scope: .day, needsGroup: false) { items, _ in
        markDirty(&items, token: .s("7"))
        setCleared(&items, .n("7"))
    })
    edits.append(RollupStreamEdit(name: "dirty marker with no manifest", clean: false, scope: .day, needsGroup: false) { items, _ in
        markDirty(&items, token: .s("late-1"))
        items.remove(at: manifestIndex(items)!)
    })
    edits.append(RollupStreamEdit(name: "groups with no manifest", clean: false, scope: .day, needsGroup: false) { items, _ in
        items.remove(at: manifestIndex(items)!)
    })
    // The manifest's counts: each spoils its own level.
    for level in bothLevels {
        let name = countName(level)
        edits.append(RollupStreamEdit(name: "manifest counts one \(name) more", clean: false, scope: .count(level), needsGroup: false) { items, _ in
            addToManifestCount(&items, level, 1)
        })
        edits.append(RollupStreamEdit(name: "manifest counts one \(name) fewer", clean: false, scope: .count(level), needsGroup: false) { items, _ in
            addToManifestCount(&items, level, -1)
        })
        edits.append(.manifest(name, .s("3"), clean: false, scope: .count(level)))
        edits.append(.manifest(name, nil, clean: false, scope: .count(level)))
        edits.append(.manifest(name, .n("-1"), clean: false, scope: .count(level)))
        edits.append(.manifest(name, .n("3.0"), clean: false, scope: .count(level)))
        edits.append(RollupStreamEdit(name: "manifest \(name) with leading zeros", clean: true, needsGroup: false) { items, _ in
            let index = manifestIndex(items)!
            items[index][name] = .n("00" + items[index][name]!.numberText!)
        })
    }
    // The manifest's digest and version.
    edits.append(.manifest("digest", nil, clean: false))
    edits.append(.manifest("digest", .n("1"), clean: false))
    // (With no groups, a manifest of another digest still counts all 0 of them.)
    edits.append(.manifest("digest", .s("0123456789abcdef"), clean: false, needsGroup: true))
    edits.append(.manifest("version", nil, clean: false))
    edits.append(.manifest("version", .n("1"), clean: false))
    // Version 2 wrote no unpriced counts: its days are read raw until compacted again.
    edits.append(.manifest("version", .n("2"), clean: false))
    edits.append(.manifest("version", .n("4"), clean: false))
    edits.append(.manifest("version", .s("3"), clean: false))
    edits.append(.manifest("version", .n("3.0"), clean: false))
    edits.append(.manifest("version", .n("03"), clean: true))
    // Items of other kinds, anywhere in the day, are not ours.
    edits.append(RollupStreamEdit(name: "items of other TYPEs", clean: true, needsGroup: false) { items, _ in
        let day = dayText(items)
        let base: Item = ["PK": .s(RollupKeys.partition), "SK": .s(RollupKeys.dayPrefix(day) + "H"), "day": .s(day), "groups": .n("99"), "digest": .s("x")]
        var note = base, untyped = base, numeric = base, lower = base
        note["TYPE"] = .s("AIUsageRollupNote")
        numeric["TYPE"] = .n("1")
        lower["TYPE"] = .s("aiusagerollupmanifest")
        untyped["hours"] = .s("07=1,1,1")
        untyped["SK"] = .s(RollupKeys.finePrefix(day) + "H")
        items.insert(note, at: 0)
        items.append(untyped)
        items.insert(numeric, at: items.count / 2)
        items.append(lower)
    })

    // Hours: malformed, each one makes the day unclean at the group's level (whether or not the
    // group matches the query).
    for text in [
        "07=1,1,1", "07=1,1,1,-0.5", "25=1,1,1,1", "07=1,1,1,1;07=1,1,1,1", "07=1,1,1,1;7=1,1,1,1", "7x=1,1,1,1",
        "07=1,1,1,1,1,1", "07=1,1,1,abc", "07=1.5,1,1,1", "07=-1,1,1,1", "07=1,1,1,1.", "07=1,1,1,.5", "=1,1,1,1",
        "07", "07=", "07=1,1,1,1;08", " 07=1,1,1,1", "07=1,1,1,1 ", "07=1,1,1,1e400", "07=1,1,1,NaN", "07=1,1,1,1=",
        "99999999999999999999=1,1,1,1",
        // Unpriced calls: more than the calls, negative, not a count.
        "07=1,1,1,1,2", "24=3,0,0,0,1", "07=1,1,1,1,-1", "07=1,1,1,1,x", "07=1,1,1,1,1.0", "07=2,2,1,1,1 ", "07=1,1,1,1,1;07=1,1,1,1",
    ] {
        edits.append(.hours(text, clean: false))
    }
    // Hours: well formed though not as the compactor writes them.
    for text in [
        "23=1,1,1,1;07=2,2,2,0.5", "007=1,1,1,1", "24=3,0,0,0", "07=1,1,1,-0", "07=1,1,1,1.5E-3", "07=0,0,0,0",
        "07=1,1,1,+2", "07=1,1,1,00012.50", "07=1,1,1,0.000000000001", "00=1,1,1,1;24=2,2,2,2",
        "07=999999999999999999,1,1,99999999999999999999999999999.999999999",
        // With unpriced calls (at most the calls), or an explicit 0.
        "07=1,1,1,1,1", "07=2,5,1,0.5,3", "07=1,1,1,1,0", "24=3,0,0,0,0", "07=1,1,1,1,001", "13=3,4,300,1.5,4;07=1,1,1,1",
    ] {
        edits.append(.hours(text, clean: true))
    }
    // The group's other attributes.
    edits.append(.attribute("digest", nil, clean: false))
    edits.append(.attribute("digest", .n("1"), clean: false))
    edits.append(.attribute("digest", .null, clean: false))
    edits.append(.attribute("input_tokens", .s("200"), clean: false))
    edits.append(.attribute("input_tokens", .n("1e3"), clean: false))
    edits.append(.attribute("output_tokens", nil, clean: false))
    edits.append(.attribute("errors", .n("-1"), clean: false))
    edits.append(.attribute("errors", .bool(true), clean: false))
    edits.append(.attribute("invalid_items", .n("1.5"), clean: false))
    edits.append(.attribute("invalid_items", nil, clean: false))
    edits.append(.attribute("hours", nil, clean: false))
    edits.append(.attribute("hours", .n("0"), clean: false))
    edits.append(.attribute("hours", .ss(["07=1,1,1,1"]), clean: false))
    // Not one of the day's groups at all: a group without an S sort key or a day is skipped,
    // so the manifest's count is not met.
    edits.append(.attribute("SK", .n("1"), clean: false))
    edits.append(.attribute("day", nil, clean: false))
    edits.append(.attribute("input_tokens", .n("007"), clean: true))
    edits.append(.attribute("invalid_items", .n("5"), clean: true))
    edits.append(.attribute("model", .n("5"), clean: true))        // not an S: `unknown`
    edits.append(.attribute("model", .s(""), clean: true))         // empty: `unknown`
    edits.append(.attribute("date", nil, clean: true))             // `unknown` day in by_day
    edits.append(.attribute("items", .s("many"), clean: true))     // totals neither reader uses
    edits.append(.attribute("cost_usd", .bool(false), clean: true))
    edits.append(.attribute("extra", .m(["hours": .s("bad"), "digest": .n("1")]), clean: true))
    edits.append(.attribute("more", .l([.s("x"), .m(["input_tokens": .s("x")])]), clean: true))
    edits.append(RollupStreamEdit(name: "current group's digest made stale", clean: false) { items, target in
        items[target]["digest"] = .s("0123456789abcdef")
    })
    // A group of an earlier compaction (another digest): not counted, not folded.
    edits.append(RollupStreamEdit(name: "stale group added", clean: true) { items, target in
        addGroupCopy(&items, target, suffix: "s") { group in
            group["digest"] = .s("ffffffffffffffff")
            group["hours"] = .s("05=100,100,100,99;24=7,7,7,7")
            group["invalid_items"] = .n("50")
        }
    })
    edits.append(RollupStreamEdit(name: "stale group added, input_tokens as S", clean: false) { items, target in
        addGroupCopy(&items, target, suffix: "s") { group in
            group["digest"] = .s("ffffffffffffffff")
            group["input_tokens"] = .s("1")
        }
    })
    // A group with no hours: only unreadable items (counted, folded as invalid items).
    edits.append(RollupStreamEdit(name: "empty-hours group added", clean: true) { items, target in
        let level = groupLevel(items[target])!
        addGroupCopy(&items, target, suffix: "e") { group in
            group["hours"] = .s("")
            group["invalid_items"] = .n("7")
        }
        addToManifestCount(&items, level, 1)
    })
    return edits
}()

/// Edits the stream is documented to refuse though the reference accepts them (it then leaves the
/// day to raw items): numbers with a sign or of more than 18 digits (`RollupFields.count`), a
/// group before its manifest and a second manifest (`RollupStream`).
private let documentedStricterEdits: [RollupStreamEdit] = [
    .attribute("input_tokens", .n("+5"), clean: false),
    .attribute("errors", .n("-0"), clean: false),
    .attribute("input_tokens", .n("1000000000000000000"), clean: false),
    .hours("07=+1,1,1,1", clean: false),
    .hours("+7=1,1,1,1", clean: false),
    .hours("07=1,1,1000000000000000000,1", clean: false),
    .hours("07=1,1,1,1,+1", clean: false),
    .manifest("version", .n("+3"), clean: false),
    RollupStreamEdit(name: "manifest counts with a + sign", clean: false, scope: .day, needsGroup: false) { items, _ in
        let index = manifestIndex(items)!
        for name in ["groups", "summary_groups"] { items[index][name] = .n("+" + items[index][name]!.numberText!) }
    },
    // At `.fine` the manifests are read first whatever their place: only the summaries' read
    // meets groups before the manifest.
    RollupStreamEdit(name: "group before its manifest", clean: false, scope: .count(.summary)) { items, _ in
        let manifest = items.remove(at: manifestIndex(items)!)
        items.insert(manifest, at: items.lastIndex { !inFineRange($0) }! + 1)
    },
    RollupStreamEdit(name: "second manifest", clean: false, scope: .day, needsGroup: false) { items, _ in
        let index = manifestIndex(items)!
        var second = items[index]
        second["SK"] = .s(second["SK"]!.string! + "2")
        items.insert(second, at: index + 1)
    },
]

/// Edits the stream refuses though the reference accepts them, and no doc says so: the
/// reference's `split` drops empty `;` entries and empty `,` fields, and it compares digests as
/// `String`s (canonical equivalence), the stream as bytes. Safe (raw items answer the day), but a
/// disagreement.
private let undocumentedStricterEdits: [RollupStreamEdit] = [
    .hours("07=1,1,1,1;", clean: false),
    .hours(";07=1,1,1,1", clean: false),
    .hours("07=1,1,1,1;;08=1,1,1,1", clean: false),
    .hours("07=1,,1,1,1", clean: false),
    .hours("07=1,1,1,1,", clean: false),
    .hours("07=,1,1,1,1", clean: false),
    RollupStreamEdit(name: "digests equal as Strings, not as bytes", clean: false, scope: .day) { items, _ in
        // The manifest's digest is "é" precomposed, every group's "e" + U+0301.
        for index in items.indices where items[index]["digest"] != nil {
            items[index]["digest"] = .s(items[index]["TYPE"] == .s(RollupCodec.manifestType) ? "\u{E9}" : "e\u{301}")
        }
    },
]

// MARK: - Tests

@Suite struct RollupStreamTests {
    /// The three hand-made days, with `edit` applied to the 11th's items (its anthropic group at
    /// `target` level the target), as pages.
    fileprivate static func handPages(_ edit: RollupStreamEdit? = nil, target: RollupCodec.Level = .summary, seed value: UInt64 = 1) -> RollupPages {
        var middle = handDay(march11)
        if let edit { edit.apply(&middle, anthropicGroup(middle, target)) }
        return rollupPages([handDay(march10), middle, handDay(march12)], seed: value, most: 4)
    }

    /// No filter; a filter the edited (anthropic) groups do not match, so they must still be
    /// checked; and a user filter (fine level only) that only the anthropic fine group matches
    /// (by its `userId`).
    static let handQueries = [
        UsageQuery(start: march10, end: march12, aggregation: allLevels),
        UsageQuery(start: march10, end: march12, service: "openai", aggregation: allLevels),
        UsageQuery(start: march10, end: march12, userId: "bob", aggregation: [.model, .hour]),
    ]

    /// The levels `UsageFetcher` may read `query` at.
    static func levels(for query: UsageQuery) -> [RollupCodec.Level] {
        RollupGroup.summariesAnswer(query) ? bothLevels : [.fine]
    }

    @Test func handMadeDaysAreCoveredWithTheirExactSumsAtBothLevels() throws {
        let pages = Self.handPages()
        let query = Self.handQueries[0]
        var prints: [String] = []
        for level in bothLevels {
            let stream = try streamed(pages, query, level, from: march10, to: march12)
            let reference = try referenced(pages, query, level, from: march10, to: march12)
            #expect(stream.covered == [march10, march11, march12])
            #expect(reference.covered == stream.covered)
            #expect(!stream.isVoid)
            // 3 days of 13 items, 14 calls, 405 tokens, 4.250123456790 dollars and 2 invalid items.
            #expect(stream.aggregate.itemCount == 39)
            #expect(stream.aggregate.totalAPICalls == 42)
            #expect(stream.aggregate.totalTokens == 1215)
            #expect(stream.aggregate.totalCost == dec("12.75037037037"))
            #expect(stream.aggregate.invalidItems == 6)
            #expect(stream.aggregate.unpricedCalls == 12)
            #expect(stream.aggregate.groups(.model).map(\.unpricedCalls) == [9, 3, 0])  // claude-3-haiku, gpt-4o, gpt-4o-mini
            // by_hour: 07 holds (0.25 + 0.5) × 3, `unknown` (hour 24) 0.000000000001 × 3.
            let hours = stream.aggregate.groups(.hour)
            #expect(hours.map(\.key) == ["00", "07", "13", "23", "unknown"])
            #expect(hours.first { $0.key == "07" }?.cost == dec("2.25"))
            #expect(hours.first { $0.key == "unknown" }?.cost == dec("0.000000000003"))
            #expect(fingerprint(stream.aggregate, query, from: march10, to: march12) == fingerprint(reference.aggregate, query, from: march10, to: march12))
            prints.append(fingerprint(stream.aggregate, query, from: march10, to: march12, reasons: false))

            // service = openai: every group but the anthropic one, 10 items, 10 calls and
            // 2.750123456790 dollars a day; the anthropic group's 2 invalid items are not counted.
            let openai = try streamed(pages, Self.handQueries[1], level, from: march10, to: march12)
            #expect(openai.covered == [march10, march11, march12])
            #expect(openai.aggregate.itemCount == 30)
            #expect(openai.aggregate.totalAPICalls == 30)
            #expect(openai.aggregate.totalCost == dec("8.25037037037"))
            #expect(openai.aggregate.invalidItems == 0)
            #expect(openai.aggregate.unpricedCalls == 3)
            #expect(openai.aggregate.groups(.service).map(\.key) == ["openai"])
        }
        // The summaries answer as the fine groups do.
        #expect(prints[0] == prints[1])

        // Fine level, user_id = bob: the anthropic group (bob as `userId`): 3 items and 1.5
        // dollars a day, and its 2 invalid items. user_id = alice: the first group (as `user_id`).
        let bob = try streamed(pages, Self.handQueries[2], .fine, from: march10, to: march12)
        #expect(bob.aggregate.itemCount == 9)
        #expect(bob.aggregate.totalCost == dec("4.5"))
        #expect(bob.aggregate.invalidItems == 6)
        #expect(bob.aggregate.unpricedCalls == 9)
        let alice = try streamed(pages, UsageQuery(start: march10, end: march12, userId: "alice"), .fine, from: march10, to: march12)
        #expect(alice.aggregate.itemCount == 9)
        #expect(alice.aggregate.totalCost == dec("0.750000000003"))
        let staging = try streamed(pages, UsageQuery(start: march10, end: march12, environment: "staging"), .fine, from: march10, to: march12)
        #expect(staging.aggregate.totalCost == dec("6"))
    }

    @Test(arguments: agreedEdits)
    func anEditedDayIsJudgedAsTheReferenceJudgesIt(_ edit: RollupStreamEdit) throws {
        for target in bothLevels {
            let pages = Self.handPages(edit, target: target, seed: seed(edit.name))
            for query in Self.handQueries {
                for level in Self.levels(for: query) {
                    let label = "\(edit.name), target \(target), read \(level), query \(query.echo.serialized())"
                    let stream = try streamed(pages, query, level, from: march10, to: march12)
                    let reference = try referenced(pages, query, level, from: march10, to: march12)
                    // The other days are untouched, so always covered; the 11th as the edit says.
                    let expected = edit.isClean(at: level, target: target) ? [march10, march11, march12] : [march10, march12]
                    #expect(reference.covered == expected, "the reference: \(label)")
                    #expect(stream.covered.sorted() == expected, "\(label)")
                    #expect(!stream.isVoid)
                    #expect(fingerprint(stream.aggregate, query, from: march10, to: march12) == fingerprint(reference.aggregate, query, from: march10, to: march12), "\(label)")
                }
            }
        }
    }

    @Test(arguments: documentedStricterEdits + undocumentedStricterEdits)
    func whereTheStreamIsStricterTheDayIsLeftToRawItems(_ edit: RollupStreamEdit) throws {
        for target in bothLevels {
            let pages = Self.handPages(edit, target: target, seed: seed(edit.name))
            for query in Self.handQueries {
                for level in Self.levels(for: query) {
                    let label = "\(edit.name), target \(target), read \(level)"
                    let stream = try streamed(pages, query, level, from: march10, to: march12)
                    // The reference reads the 11th as clean: the stream leaves it to raw items
                    // where the edit touches what it reads, and the rest folds exactly alike.
                    #expect(try referenced(pages, query, level, from: march10, to: march12).covered == [march10, march11, march12], "\(label)")
                    let expected = edit.isClean(at: level, target: target) ? [march10, march11, march12] : [march10, march12]
                    #expect(stream.covered.sorted() == expected, "\(label)")
                    let reference = try referenced(pages, query, level, from: march10, to: march12, only: Set(expected))
                    #expect(fingerprint(stream.aggregate, query, from: march10, to: march12) == fingerprint(reference.aggregate, query, from: march10, to: march12), "\(label)")
                }
            }
        }
    }

    @Test func aStaleGroupIsNeitherCountedNorFolded() throws {
        // The 11th gets an extra group under another digest, with 99 + 7 dollars, 107 items and
        // 50 invalid items: the day stays clean (its current groups match the manifest) and the
        // sums are the three hand-made days' exactly.
        let edit = agreedEdits.first { $0.name == "stale group added" }!
        let query = Self.handQueries[0]
        for target in bothLevels {
            for level in bothLevels {
                let stream = try streamed(Self.handPages(edit, target: target), query, level, from: march10, to: march12)
                #expect(stream.covered.sorted() == [march10, march11, march12])
                #expect(stream.aggregate.totalCost == dec("12.75037037037"))
                #expect(stream.aggregate.itemCount == 39)
                #expect(stream.aggregate.invalidItems == 6)
            }
        }
    }

    @Test func aGroupWithEmptyHoursFoldsOnlyItsInvalidItems() throws {
        // A copy of the 11th's anthropic group with hours "" and 7 invalid items, counted by the
        // manifest: the day is clean, the sums are unchanged, and 6 + 7 = 13 items are invalid
        // at the copy's level (6 at the other).
        let edit = agreedEdits.first { $0.name == "empty-hours group added" }!
        for target in bothLevels {
            let pages = Self.handPages(edit, target: target)
            for level in bothLevels {
                let stream = try streamed(pages, Self.handQueries[0], level, from: march10, to: march12)
                #expect(stream.covered.sorted() == [march10, march11, march12])
                #expect(stream.aggregate.totalCost == dec("12.75037037037"))
                #expect(stream.aggregate.itemCount == 39)
                #expect(stream.aggregate.invalidItems == (level == target ? 13 : 6))
                #expect(stream.aggregate.invalidReasons.contains { $0.held == "7 items" } == (level == target))
                // Filtered to openai, the anthropic copy does not match: none of its invalid items count.
                #expect(try streamed(pages, Self.handQueries[1], level, from: march10, to: march12).aggregate.invalidItems == 0)
            }
        }
    }

    @Test func aDayWithNoFineGroupsIsCoveredAtTheFineLevel() throws {
        // The 11th's manifest counts 0 groups at both levels and it has none: clean, and at the
        // fine level there is no FINE# item to meet it by, so `finish()` covers it from its
        // manifest alone (after the others: the order of `covered` is not the days').
        let pages = rollupPages([handDay(march10), rollupDayItems(march11.text, []), handDay(march12)], seed: 3)
        for level in bothLevels {
            let stream = try streamed(pages, Self.handQueries[0], level, from: march10, to: march12)
            #expect(Set(stream.covered) == [march10, march11, march12])
            #expect(stream.covered.count == 3)
            #expect(stream.aggregate.totalCost == dec("8.50024691358"))
            #expect(try referenced(pages, Self.handQueries[0], level, from: march10, to: march12).covered == [march10, march11, march12])
        }
        // A manifest whose day has no groups but counts one is not.
        var counted = rollupDayItems(march11.text, [])
        counted[0]["groups"] = .n("1")
        let missing = rollupPages([handDay(march10), counted, handDay(march12)], seed: 4)
        #expect(try streamed(missing, Self.handQueries[0], .fine, from: march10, to: march12).covered.sorted() == [march10, march12])
        #expect(try streamed(missing, Self.handQueries[0], .summary, from: march10, to: march12).covered == [march10, march11, march12])
    }

    /// A malformed group under a stale digest leaves the day to raw items, as for `RollupDay`.
    /// `RollupDay.isClean` refuses a day with any group that cannot be read, whatever its digest,
    /// and `RollupStream`'s doc says a malformed group leaves the day to raw items; but the stream
    /// checks a stale group's counts and `hours` type only, never its `hours` text, and covers
    /// the day.
    @Test(arguments: ["07=1,1,1", "25=1,1,1,1", "07=1,1,1,1;07=1,1,1,1", "07=1,1,1,-0.5", "7x=1,1,1,1"])
    func aStaleGroupWithMalformedHoursLeavesItsDayToRawItems(_ hours: String) throws {
        let edit = RollupStreamEdit(name: "stale group with hours \(hours)", clean: false) { items, target in
            addGroupCopy(&items, target, suffix: "s") { group in
                group["digest"] = .s("ffffffffffffffff")
                group["hours"] = .s(hours)
            }
        }
        for target in bothLevels {
            let pages = Self.handPages(edit, target: target)
            let query = Self.handQueries[0]
            #expect(try referenced(pages, query, target, from: march10, to: march12).covered == [march10, march12])
            #expect(try streamed(pages, query, target, from: march10, to: march12).covered == [march10, march12],
                    "a stale \(target) group with hours \"\(hours)\"")
        }
    }

    /// Items the compactor never writes where it put them leave the day to raw items, as for
    /// `RollupDay`.
    @Test func itemsOutOfTheirRangeLeaveTheDayToRawItems() throws {
        let query = Self.handQueries[0]
        // A group in the DAY# range whose sort key names no level (version 1's `DAY#<day>#G#…`),
        // under the current digest: `RollupDay.add` counts it malformed; so does the summary read.
        var middle = handDay(march11)
        var old = middle[anthropicGroup(middle, .summary)]
        old["SK"] = .s(RollupKeys.dayPrefix(march11.text) + "G#0123456789abcdef")
        middle.insert(old, at: manifestIndex(middle)! + 1)
        let pages = rollupPages([handDay(march10), middle, handDay(march12)], seed: 6)
        #expect(try referenced(pages, query, .summary, from: march10, to: march12).covered == [march10, march12])
        let summary = try streamed(pages, query, .summary, from: march10, to: march12)
        #expect(summary.covered == [march10, march12])

        // A dirty marker, and a manifest of another digest, in the FINE# range: `RollupDay.add`
        // takes them (the day is dirty; its manifest names no current group); the fine read
        // refuses the day.
        for stray in ["dirty", "manifest"] {
            var middle = handDay(march11)
            var item = stray == "dirty"
                ? RollupKeys.dirtyMarker(date: march11.text, token: "late", markedAt: "2026-03-19T08:00:00.000000Z")
                : middle[manifestIndex(middle)!]
            item["SK"] = .s(RollupKeys.finePrefix(march11.text) + "0")
            item["digest"] = stray == "dirty" ? nil : .s("0123456789abcdef")
            middle.append(item)
            let pages = rollupPages([handDay(march10), middle, handDay(march12)], seed: 7)
            #expect(try referenced(pages, query, .fine, from: march10, to: march12).covered == [march10, march12])
            let fine = try streamed(pages, query, .fine, from: march10, to: march12)
            #expect(fine.covered == [march10, march12])
        }
    }

    @Test func filtersCompareBytesAsDynamoDBDoes() throws {
        // The 10th holds two groups whose models read alike: "é" written as e + U+0301 (1 item,
        // 1 dollar) and precomposed U+00E9 (2 items, 2 dollars). DynamoDB's filter (and so the
        // raw path) compares bytes: model = U+00E9 matches only the second.
        let day = march10.text
        let groups = [
            rollupGroup(date: day, service: "openai", model: "e\u{301}", operation: "completion", hours: [9: hourSums(1, 1, 1, "1")]),
            rollupGroup(date: day, service: "openai", model: "\u{E9}", operation: "completion", hours: [10: hourSums(2, 2, 2, "2")]),
        ]
        let pages = rollupPages([rollupDayItems(day, groups)], seed: 5)
        let query = UsageQuery(start: march10, end: march10, model: "\u{E9}", aggregation: allLevels)
        for level in bothLevels {
            let stream = try streamed(pages, query, level, from: march10, to: march10)
            #expect(stream.covered == [march10])
            #expect(stream.aggregate.itemCount == 2)
            #expect(stream.aggregate.totalCost == dec("2"))
            // Unfiltered, the two are two models.
            let all = try streamed(pages, UsageQuery(start: march10, end: march10, aggregation: [.model]), level, from: march10, to: march10)
            #expect(all.aggregate.groups(.model).count == 2)
            // The reference's `RollupGroup.matches` compares bytes too (not `String ==`, which is
            // canonical equivalence).
            let reference = try referenced(pages, query, level, from: march10, to: march10)
            #expect(reference.aggregate.itemCount == stream.aggregate.itemCount)
        }
    }

    /// Compaction against the raw path: two models that differ only in their bytes ("é"
    /// precomposed, and e + U+0301) stay two groups, as raw items (and DynamoDB's filters) keep
    /// them apart (`RollupGroup.Key` compares and hashes bytes, not `String`s, which Swift
    /// compares by canonical equivalence).
    @Test func compactionKeepsNamesApartByTheirBytes() async throws {
        let day = CivilDate(year: 2026, month: 3, day: 10)
        let items = try [("\u{E9}", "1", "r1"), ("e\u{301}", "2", "r2")].map { model, cost, id in
            try MetricItemCodec.item(for: AIUsageMetric(
                service: "openai", model: model, operation: "completion",
                timestamp: UTCTimestamp(year: 2026, month: 3, day: 10, hour: 9), requestId: id, costUSD: dec(cost)
            ))
        }
        let source = InMemoryUsageSource(items: items)
        _ = try await RollupCompactor(source: source, settleSeconds: 0, now: { RollupLawTests.now }).compact(day: day)
        let query = UsageQuery(start: day, end: day, aggregation: [.model])
        let raw = try await UsageFetcher(source: source, usesRollups: false).aggregate(query, today: RollupLawTests.today)
        let rolled = try await UsageFetcher(source: source).aggregate(query, today: RollupLawTests.today)
        // Raw: two models, 1 and 2 dollars.
        #expect(raw.aggregate.groups(.model).map(\.cost) == [dec("2"), dec("1")] || raw.aggregate.groups(.model).map(\.cost) == [dec("1"), dec("2")])
        #expect(rolled.rollupDays == 1)
        #expect(rolled.aggregate.totalCost == dec("3"))
        #expect(rolled.aggregate.groups(.model) == raw.aggregate.groups(.model), "rollups merge canonically equivalent models")
    }

    @Test func aDayWhoseItemsComeBackVoidsTheWholeRead() throws {
        // The order is broken, so nothing is used, not even the days read before the break.
        let query = Self.handQueries[0]
        let late = RollupKeys.dirtyMarker(date: march10.text, token: "late", markedAt: "2026-03-19T08:00:00.000000Z")
        let day10 = handDay(march10), fine10 = day10.filter(inFineRange), dayRange10 = day10.filter { !inFineRange($0) }
        let cases: [(RollupCodec.Level, [Item])] = [
            // The summaries' read: the 10th's marker, a summary group or its manifest after the 11th's items.
            (.summary, handDay(march10) + handDay(march11) + [late] + handDay(march12)),
            (.summary, handDay(march10) + handDay(march11) + [dayRange10.last!]),
            (.summary, handDay(march10) + handDay(march11) + handDay(march12) + [dayRange10[0]]),
            // The fine read: a fine group of the 10th after the 11th's.
            (.fine, handDay(march10) + handDay(march11) + [fine10[1]] + handDay(march12)),
        ]
        for (index, (level, items)) in cases.enumerated() {
            var writer = RollupPageWriter(seed: UInt64(index + 40))
            let pages = RollupPages(day: writer.pages(items.filter { !inFineRange($0) }, most: 3), fine: writer.pages(items.filter(inFineRange), most: 3))
            var stream = try streamed(pages, query, level, from: march10, to: march12)
            #expect(stream.isVoid, "case \(index)")
            #expect(stream.covered.isEmpty)
            #expect(stream.aggregate.itemCount == 0)
            #expect(stream.aggregate.invalidItems == 0)
            #expect(stream.aggregate.totalCost == .zero)
            #expect(stream.aggregate.cells.isEmpty)
            #expect(stream.aggregate.levels == allLevels)
            // Finishing again changes nothing.
            stream.finish()
            #expect(stream.covered.isEmpty && stream.isVoid)
        }
        // At the fine level the DAY# range's order does not matter (only headers are kept):
        // the 10th's marker again, with the manifest's token cleared, changes nothing.
        var cleared = handDay(march10)
        cleared[0]["cleared_token"] = .s("late")
        let items = cleared + handDay(march11) + [late] + handDay(march12)
        let pages = rollupPages([items], seed: 44)
        let fine = try streamed(pages, query, .fine, from: march10, to: march12)
        #expect(!fine.isVoid)
        #expect(fine.covered == [march10, march11, march12])
    }

    @Test func itemsOfOtherTypesNeverBreakTheOrder() throws {
        // Between the 11th and the 12th, items that name the 10th but are not rollup items (other
        // TYPEs, a TYPE that is not an S, none at all) in both ranges: ignored, so the order holds.
        let query = Self.handQueries[0]
        var strays: [Item] = []
        for prefix in [RollupKeys.dayPrefix(march10.text), RollupKeys.finePrefix(march10.text)] {
            for type: AttributeValue? in [.s("AIUsageRollupNote"), .s("AIUSAGEROLLUP"), .n("1"), .bool(true), nil] {
                var item: Item = ["PK": .s(RollupKeys.partition), "SK": .s(prefix + "Z"), "day": .s(march10.text),
                                  "digest": .s("x"), "groups": .n("1"), "hours": .s("07=1,1,1,1"), "token": .s("t")]
                item["TYPE"] = type
                strays.append(item)
            }
        }
        // And rollup items without an S `day` or `SK`: not ours either (the reference skips them).
        var noDay = handDay(march10)[0]
        noDay["day"] = nil
        var numericDay = handDay(march10).last!
        numericDay["day"] = .n("20260310")
        var numericKey = RollupKeys.dirtyMarker(date: march10.text, token: "late", markedAt: "2026-03-19T08:00:00.000000Z")
        numericKey["SK"] = .n("1")
        strays += [noDay, numericDay, numericKey]
        let pages = rollupPages([handDay(march10), handDay(march11), strays, handDay(march12), strays], seed: 77, most: 3)
        for level in bothLevels {
            let stream = try streamed(pages, query, level, from: march10, to: march12)
            let reference = try referenced(pages, query, level, from: march10, to: march12)
            #expect(!stream.isVoid)
            #expect(stream.covered == [march10, march11, march12])
            #expect(reference.covered == stream.covered)
            #expect(stream.aggregate.totalCost == dec("12.75037037037"))
            #expect(fingerprint(stream.aggregate, query, from: march10, to: march12) == fingerprint(reference.aggregate, query, from: march10, to: march12))
        }
    }

    @Test func daysOutsideTheRangeAreNeverCovered() throws {
        // Eleven clean days, 5 … 15 March, read for 8 … 12: five days of 13 items and
        // 4.250123456790 dollars each.
        let days = (5...15).map { CivilDate(year: 2026, month: 3, day: $0) }
        let pages = rollupPages(days.map(handDay), seed: 9)
        let first = CivilDate(year: 2026, month: 3, day: 8), last = CivilDate(year: 2026, month: 3, day: 12)
        let query = UsageQuery(start: first, end: last, aggregation: allLevels)
        for level in bothLevels {
            let stream = try streamed(pages, query, level, from: first, to: last)
            let reference = try referenced(pages, query, level, from: first, to: last)
            #expect(stream.covered == (8...12).map { CivilDate(year: 2026, month: 3, day: $0) })
            #expect(reference.covered == stream.covered)
            #expect(stream.aggregate.itemCount == 65)
            #expect(stream.aggregate.totalCost == dec("21.25061728395"))
            #expect(stream.aggregate.groups(.day).map(\.key) == ["2026-03-08", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"])
            #expect(fingerprint(stream.aggregate, query, from: first, to: last) == fingerprint(reference.aggregate, query, from: first, to: last))
            // One day; and ranges none of the days is in.
            #expect(try streamed(pages, query, level, from: first, to: first).covered == [first])
            let after = try streamed(pages, query, level, from: CivilDate(year: 2026, month: 4, day: 1), to: CivilDate(year: 2026, month: 4, day: 30))
            #expect(after.covered.isEmpty)
            #expect(after.aggregate.itemCount == 0 && after.aggregate.invalidItems == 0)
            #expect(try streamed(pages, query, level, from: CivilDate(year: 2026, month: 2, day: 1), to: CivilDate(year: 2026, month: 3, day: 4)).covered.isEmpty)
        }
    }

    @Test(arguments: [1, 2] as [UInt64])
    func compactedTablesReadAsTheReferenceAndTheRawItemsRead(seed value: UInt64) async throws {
        // Raw items over 8 … 20 March, compacted on the 20th (8 … 18 are closed). Before
        // compaction the 12th is marked dirty by a settled marker (its token is cleared: clean);
        // afterwards the 15th is marked dirty again (not cleared: left to raw items).
        let (raw, _) = RollupLawTests.table(seed: value, count: 400)
        let source = InMemoryUsageSource(items: raw, seed: value)
        source.put(RollupKeys.dirtyMarker(date: "2026-03-12", token: "settled", markedAt: "2026-03-19T00:00:00.000000Z"))
        _ = try await RollupLawTests.compact(source)
        source.put(RollupKeys.dirtyMarker(date: "2026-03-15", token: "late", markedAt: "2026-03-20T11:00:00.000000Z"))
        let items = source.snapshot.values.filter { $0["PK"]?.string == RollupKeys.partition }
            .sorted { ($0["SK"]?.string ?? "").utf8.lexicographicallyPrecedes(($1["SK"]?.string ?? "").utf8) }
        #expect(items.contains { $0["SK"] == .s(RollupKeys.manifestKey("2026-03-12")) && $0["cleared_token"] == .s("settled") })
        #expect(items.contains { groupLevel($0) == .fine } && items.contains { groupLevel($0) == .summary })
        let pages = rollupPages([items], seed: value, most: 9)

        let lastClosed = CivilDate(year: 2026, month: 3, day: 18)
        let dirty = CivilDate(year: 2026, month: 3, day: 15)
        // `RollupDay.isClean` over every item agrees: clean but for the 15th.
        var days: [String: RollupDay] = [:]
        for item in items { RollupDay.add(item, to: &days) }
        #expect(days.filter { $0.value.isClean }.keys.sorted() == (8...18).filter { $0 != 15 }.map { CivilDate(year: 2026, month: 3, day: $0).text })

        var queries = RollupLawTests.queries.filter { RollupGroup.canAnswer($0) }
        let (start, end) = (RollupLawTests.firstDay, RollupLawTests.today)
        // Every level rollups answer (not `job`: `RollupGroup.canAnswer` sends it to raw items).
        for level in AggregationLevel.allCases where level != .job { queries.append(UsageQuery(start: start, end: end, aggregation: [level])) }
        #expect(!RollupGroup.canAnswer(UsageQuery(start: start, end: end, aggregation: [.job])))
        queries += [
            UsageQuery(start: start, end: end, userId: "bob", aggregation: allLevels),
            UsageQuery(start: start, end: end, environment: "staging", aggregation: [.service, .day]),
            UsageQuery(start: start, end: end, service: "google_places", aggregation: allLevels),
            UsageQuery(start: start, end: end, operation: "place_details", model: "places_api", aggregation: [.model, .hour]),
            UsageQuery(start: start, end: end, operation: "embedding", userId: "alice", aggregation: [.operation, .day]),
            UsageQuery(start: start, end: end, model: "no-such-model", aggregation: allLevels),
        ]
        for query in queries {
            let last = min(query.end, lastClosed)
            let expected = (query.start.daysSinceEpoch...last.daysSinceEpoch).map(CivilDate.init(daysSinceEpoch:)).filter { $0 != dirty }
            var prints: [String] = []
            for level in Self.levels(for: query) {
                let label = "\(level) \(query.echo.serialized())"
                let stream = try streamed(pages, query, level, from: query.start, to: last)
                let reference = try referenced(pages, query, level, from: query.start, to: last)
                #expect(stream.covered == expected, "\(label)")
                #expect(reference.covered == expected)
                #expect(fingerprint(stream.aggregate, query, from: query.start, to: last) == fingerprint(reference.aggregate, query, from: query.start, to: last), "\(label)")
                prints.append(fingerprint(stream.aggregate, query, from: query.start, to: last, reasons: false))
            }
            // Both levels give one answer.
            #expect(Set(prints).count == 1, "\(query.echo.serialized())")

            // And the raw items of the covered days give the same report.
            guard query.start == start else { continue }
            let fetcher = UsageFetcher(source: source, concurrency: 2, usesRollups: false)
            var rawAggregate = UsageAggregate(levels: query.aggregation)
            for (first, final) in [(start, dirty.adding(days: -1)), (dirty.adding(days: 1), lastClosed)] {
                var part = query
                part.start = first
                part.end = final
                rawAggregate.merge(try await fetcher.aggregate(part, today: RollupLawTests.today).aggregate)
            }
            let stream = try streamed(pages, query, Self.levels(for: query)[0], from: start, to: last)
            #expect(stream.aggregate.report(start: start, end: last, query: query.echo).serialized()
                    == rawAggregate.report(start: start, end: last, query: query.echo).serialized(), "\(query.echo.serialized())")
        }
    }

    @Test func randomDaysReadAsTheReferenceReadsThem() throws {
        var random = SplitMix64(state: 0x0005_EED5_7BEA_1234)
        func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
        func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &random)] }
        let services: [String?] = ["openai", "anthropic", "google_places", nil]
        let models: [String?] = ["gpt-4o", "gpt-4o-mini", "claude-3-haiku", "", nil]
        let operations: [String?] = ["completion", "embedding", nil]
        let environments: [String?] = ["production", "staging", nil]
        let users: [String?] = ["alice", "bob", "carol", nil]

        /// A cost of 0 … 999 dollars with 0 … 12 fraction digits, from text (no `Double`).
        func cost() -> ExactDecimal {
            let whole = Int.random(in: 0...999, using: &random)
            let digits = Int.random(in: 0...12, using: &random)
            guard digits > 0 else { return dec("\(whole)") }
            let fraction = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
            return dec("\(whole).\(fraction)")
        }

        // 200 days from 1 June 2025, each with 0 … 4 random fine groups of 0 … 3 hours (and
        // their summaries); some dirty, some edited. `verdict`: what both readers must say at each
        // level; `stricter`: the days and levels the reference says clean and the stream must not.
        let firstDay = CivilDate(year: 2025, month: 6, day: 1)
        var days: [[Item]] = []
        var verdict: [RollupCodec.Level: [CivilDate: Bool]] = [.fine: [:], .summary: [:]]
        var stricter: [RollupCodec.Level: Set<CivilDate>] = [.fine: [], .summary: []]
        for index in 0..<200 {
            let date = firstDay.adding(days: index)
            var groups: [RollupGroup.Key: RollupGroup] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                let service = pick(services)
                var group = RollupGroup(key: RollupGroup.Key(
                    date: chance(90) ? date.text : pick([nil, ""]), service: service, model: pick(models), operation: pick(operations),
                    environment: pick(environments), userId: pick(users), userIdCamel: pick(users), indexedService: chance(90) ? service : pick(services)
                ))
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    let count = Int.random(in: 1...5, using: &random)
                    group.hours[Int32.random(in: 0...24, using: &random)] = RollupGroup.Hour(
                        items: count, calls: Int.random(in: 0...6, using: &random), tokens: Int.random(in: 0...10_000, using: &random), cost: cost()
                    )
                }
                group.inputTokens = Int.random(in: 0...5000, using: &random)
                group.outputTokens = Int.random(in: 0...5000, using: &random)
                group.errors = Int.random(in: 0...2, using: &random)
                group.invalidItems = chance(30) ? Int.random(in: 1...3, using: &random) : 0
                groups[group.key] = group
            }
            let list = groups.values.sorted { $0.key.canonical < $1.key.canonical }
            var items: [Item]
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                items = rollupDayItems(date.text, list, dirty: "t\(index)", cleared: "t\(index)")
                for level in bothLevels { verdict[level]![date] = true }
            case 1:
                items = rollupDayItems(date.text, list, dirty: "t\(index)b", cleared: chance(50) ? "t\(index)" : nil)
                for level in bothLevels { verdict[level]![date] = false }
            case 2, 3:
                items = rollupDayItems(date.text, list)
                let targets = items.indices.filter { items[$0]["TYPE"] == .s(RollupCodec.groupType) }
                let strict = chance(15)
                let edit = pick((strict ? documentedStricterEdits + undocumentedStricterEdits : agreedEdits).filter { !$0.needsGroup || !targets.isEmpty })
                let target = targets.isEmpty ? 0 : pick(targets)
                let targetLevel = targets.isEmpty ? RollupCodec.Level.fine : groupLevel(items[target])!
                edit.apply(&items, target)
                for level in bothLevels {
                    let clean = edit.isClean(at: level, target: targetLevel)
                    verdict[level]![date] = clean
                    if strict && !clean { stricter[level]!.insert(date) }
                }
            default:
                items = rollupDayItems(date.text, list)
                for level in bothLevels { verdict[level]![date] = true }
            }
            days.append(items)
        }
        let pages = rollupPages(days, seed: 0xABCD, most: 9)
        let (from, to) = (firstDay.adding(days: 3), firstDay.adding(days: 195))
        let inRange = (from.daysSinceEpoch...to.daysSinceEpoch).map(CivilDate.init(daysSinceEpoch:))

        for round in 0..<16 {
            var levels = AggregationLevel.allCases.filter { _ in chance(50) }.shuffled(using: &random)
            if levels.isEmpty { levels = [pick(AggregationLevel.allCases)] }
            let query = UsageQuery(
                start: from, end: to, service: chance(30) ? pick(services) : nil, operation: chance(20) ? pick(operations) : nil,
                model: chance(25) ? pick(models) : nil, userId: chance(20) ? pick(users) : nil,
                environment: chance(20) ? pick(environments) : nil, aggregation: round == 0 ? allLevels : levels
            )
            for level in Self.levels(for: query) {
                let label = "\(level) \(query.echo.serialized())"
                let expected = inRange.filter { verdict[level]![$0]! }
                if round == 0 {
                    // The mix is not trivial: most days clean, some not, a few stricter.
                    #expect(expected.count > 120 && expected.count < 180, "\(expected.count)")
                    #expect(stricter[level]!.count >= 2, "\(stricter[level]!.count)")
                }
                let stream = try streamed(pages, query, level, from: from, to: to)
                #expect(!stream.isVoid)
                #expect(stream.covered.sorted() == expected, "\(label)")
                #expect(try referenced(pages, query, level, from: from, to: to).covered == inRange.filter { verdict[level]![$0]! || stricter[level]!.contains($0) }, "\(label)")
                let reference = try referenced(pages, query, level, from: from, to: to, only: Set(expected))
                #expect(fingerprint(stream.aggregate, query, from: from, to: to) == fingerprint(reference.aggregate, query, from: from, to: to), "\(label)")
            }
        }
    }
}

// MARK: - The reference's folding (what `UsageFetcher` did before the stream)

extension RollupDay {
    /// The groups of the manifest's digest at `level`.
    func currentGroups(_ level: RollupCodec.Level) -> [RollupGroup] {
        guard let digest = manifestDigest else { return [] }
        return groups.filter { $0.digest == digest && $0.level == level }.map(\.group)
    }
}

extension RollupGroup {
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
        // The fine groups keep the user (snake first, as a raw item is read); summaries do not.
        let user = aggregate.keepsUsers ? aggregate.nameId(key.userId ?? key.userIdCamel) : NameTable.unknown
        for hour in hours.keys.sorted() {
            let sums = hours[hour]!
            aggregate.add(
                UsageAggregate.CellKey(date: date, hour: hour, service: service, model: model, operation: operation, user: user),
                cost: sums.cost, tokens: sums.tokens, calls: sums.calls, items: sums.items, unpriced: sums.unpriced
            )
        }
    }
}
