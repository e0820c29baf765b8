import AIUsage
import DynamoDB

/// Rollup items: a group's sums, a day's manifest, and how a day's items are read back.
///
/// A group item: `PK = AI_USAGE_ROLLUP`, `SK = FINE#<day>#G#<fnv64 of the key>` (a fine group)
/// or `DAY#<day>#C#<fnv64 of the key>` (a summary group: its key has no environment or user),
/// `TYPE = AIUsageRollup`, `day`, `digest` (the manifest's), the key's present dimensions
/// (`date`, `service`, `model`, `operation`, `environment`, `user_id`, `userId`,
/// `indexed_service`), the sums (`items`, `api_calls`, `total_tokens`, `input_tokens`,
/// `output_tokens`, `cost_usd`, `unpriced_calls`, `errors`, `invalid_items`) and `hours`:
/// `HH=items,calls,tokens,cost[,unpriced]` for each hour with items, joined by `;` (`24` for
/// items without an hour); `unpriced`, the calls of the hour without a price (at most `calls`),
/// is written only when it is not 0, and an entry without it means 0. Only `hours`, the token
/// sums, `errors` and `invalid_items` are read back; the other sums are for people.
///
/// The manifest (`SK = DAY#<day>#0MANIFEST`, `TYPE = AIUsageRollupManifest`): `groups` (fine),
/// `summary_groups`, `digest` (FNV-1a 64 over every group's sort key and sums, both levels, in
/// sort-key order), `items`, `invalid_items`, `version`, and `cleared_token`: the dirty marker's
/// token this compaction saw settled, if any. A manifest of another `version` is not trusted
/// (the day is read from raw items until compacted again).
///
/// Versions: 2 had no unpriced counts (its hours entries say nothing of them, so they cannot be
/// read as 0); 3 added them. A day compacted by version 2 is read raw until compacted again.
enum RollupCodec {
    static let groupType = "AIUsageRollup"
    static let manifestType = "AIUsageRollupManifest"
    static let version = 3

    /// The two levels of groups.
    enum Level: Sendable {
        /// By every dimension (`FINE#` keys).
        case fine
        /// Without environment and user (`DAY#…#C#` keys).
        case summary

        /// The level a group's sort key names; `nil` for any other key.
        init?(sortKey: String) {
            var text = sortKey
            guard let level = text.withUTF8({ Level(sortKey: $0) }) else { return nil }
            self = level
        }

        /// The same, from the key's bytes: `FINE#…`, or `DAY#<10-byte date>#C#…`.
        init?(sortKey bytes: some Collection<UInt8>) {
            if bytes.starts(with: "FINE#".utf8) {
                self = .fine
            } else if bytes.starts(with: "DAY#".utf8), bytes.dropFirst(14).starts(with: "#C#".utf8) {
                self = .summary
            } else {
                return nil
            }
        }
    }

    private static let dimensionNames = ["date", "service", "model", "operation", "environment", "user_id", "userId", "indexed_service"]

    /// The sort key of a group at `level`.
    static func sortKey(_ group: RollupGroup, day: String, level: Level) -> String {
        let hash = FNV1a.hex64(group.key.canonical)
        switch level {
        case .fine: return RollupKeys.fineGroupKey(day, hash: hash)
        case .summary: return RollupKeys.summaryGroupKey(day, hash: hash)
        }
    }

    /// The text of a group's sums that the digest covers.
    static func sumsText(_ group: RollupGroup) -> String {
        "\(hoursText(group))|\(group.inputTokens)|\(group.outputTokens)|\(group.errors)|\(group.invalidItems)"
    }

    /// The digest of a day's groups (given with their sort keys, in any order).
    static func digest(_ groups: [(sortKey: String, group: RollupGroup)]) -> String {
        let text = groups.sorted { $0.sortKey.utf8.lexicographicallyPrecedes($1.sortKey.utf8) }
            .map { "\($0.sortKey)|\($0.group.key.canonical)|\(sumsText($0.group))" }
            .joined(separator: "\n")
        return FNV1a.hex64(text)
    }

    static func hoursText(_ group: RollupGroup) -> String {
        group.hours.keys.sorted().map { hour in
            let sums = group.hours[hour]!
            let unpriced = sums.unpriced > 0 ? ",\(sums.unpriced)" : ""
            return "\(hour < 10 ? "0" : "")\(hour)=\(sums.items),\(sums.calls),\(sums.tokens),\(sums.cost)\(unpriced)"
        }.joined(separator: ";")
    }

    /// The item for a group.
    static func item(_ group: RollupGroup, day: String, sortKey: String, digest: String) -> Item {
        let total = group.total
        var item: Item = [
            "PK": .s(RollupKeys.partition), "SK": .s(sortKey), "TYPE": .s(groupType),
            "day": .s(day), "digest": .s(digest),
            "items": .number(total.items), "api_calls": .number(total.calls), "total_tokens": .number(total.tokens),
            "input_tokens": .number(group.inputTokens), "output_tokens": .number(group.outputTokens),
            "cost_usd": .n(total.cost.description), "unpriced_calls": .number(total.unpriced), "errors": .number(group.errors),
            "invalid_items": .number(group.invalidItems), "hours": .s(hoursText(group)),
        ]
        for (name, value) in zip(dimensionNames, group.key.fields) {
            if let value { item[name] = .s(value) }
        }
        return item
    }

    /// The manifest item of a day.
    static func manifest(
        day: String, groups: Int, summaryGroups: Int, digest: String, items: Int, invalidItems: Int, clearedToken: String?
    ) -> Item {
        var item: Item = [
            "PK": .s(RollupKeys.partition), "SK": .s(RollupKeys.manifestKey(day)), "TYPE": .s(manifestType),
            "day": .s(day), "groups": .number(groups), "summary_groups": .number(summaryGroups), "digest": .s(digest), "items": .number(items),
            "invalid_items": .number(invalidItems), "version": .number(version),
        ]
        if let clearedToken { item["cleared_token"] = .s(clearedToken) }
        return item
    }

    /// A group read back; `nil` when the item is not a well-formed group.
    static func group(_ item: Item) -> RollupGroup? {
        func text(_ name: String) -> String? { item[name]?.string }
        func count(_ name: String) -> Int? { item[name]?.numberText.flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        let values = dimensionNames.map(text)
        var group = RollupGroup(key: RollupGroup.Key(
            date: values[0], service: values[1], model: values[2], operation: values[3], environment: values[4],
            userId: values[5], userIdCamel: values[6], indexedService: values[7]
        ))
        guard let input = count("input_tokens"), let output = count("output_tokens"), let errors = count("errors"),
              let invalid = count("invalid_items"), let hours = text("hours") else { return nil }
        group.inputTokens = input
        group.outputTokens = output
        group.errors = errors
        group.invalidItems = invalid
        guard !hours.isEmpty else { return group }
        for entry in hours.split(separator: ";") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let hour = Int32(parts[0]), (0...24).contains(hour) else { return nil }
            let numbers = parts[1].split(separator: ",")
            guard numbers.count == 4 || numbers.count == 5, let items = Int(numbers[0]), let calls = Int(numbers[1]), let tokens = Int(numbers[2]),
                  items >= 0, calls >= 0, tokens >= 0, let cost = ExactDecimal(numbers[3]), !cost.isNegative,
                  group.hours[hour] == nil else { return nil }
            let unpriced = numbers.count == 5 ? Int(numbers[4]) : 0
            guard let unpriced, unpriced >= 0, unpriced <= calls else { return nil }
            group.hours[hour] = RollupGroup.Hour(items: items, calls: calls, tokens: tokens, cost: cost, unpriced: unpriced)
        }
        return group
    }
}

/// What the rollup partition says about one day (both ranges: `DAY#` and `FINE#`).
struct RollupDay {
    var dirtyToken: String?
    var manifestDigest: String?
    var manifestVersion: Int?
    var manifestGroups = 0
    var manifestSummaryGroups = 0
    var clearedToken: String?
    /// Groups read, with their sort keys, levels and the digest they were written under.
    var groups: [(sortKey: String, level: RollupCodec.Level, digest: String, group: RollupGroup)] = []
    /// Sort keys of items that claim to be groups but could not be read.
    var malformed: [String] = []

    /// Whether the day may be answered from its groups: compacted by this version, not dirty
    /// since, and every group of the manifest's digest present and readable, at both levels.
    var isClean: Bool {
        guard let digest = manifestDigest, manifestVersion == RollupCodec.version, malformed.isEmpty else { return false }
        if let dirtyToken, dirtyToken != clearedToken { return false }
        let current = groups.filter { $0.digest == digest }
        return current.filter { $0.level == .fine }.count == manifestGroups
            && current.filter { $0.level == .summary }.count == manifestSummaryGroups
    }

    /// Sorts one rollup-partition item into its day; `false` when it is not one of ours.
    static func add(_ item: Item, to days: inout [String: RollupDay]) {
        guard let day = item["day"]?.string, let sortKey = item["SK"]?.string else { return }
        switch item["TYPE"]?.string {
        case "AIUsageRollupDirty":
            days[day, default: RollupDay()].dirtyToken = item["token"]?.string ?? ""
        case RollupCodec.manifestType:
            var state = days[day, default: RollupDay()]
            state.manifestDigest = item["digest"]?.string
            state.manifestVersion = item["version"]?.numberText.flatMap { Int($0) }
            state.manifestGroups = item["groups"]?.numberText.flatMap { Int($0) } ?? -1
            state.manifestSummaryGroups = item["summary_groups"]?.numberText.flatMap { Int($0) } ?? -1
            state.clearedToken = item["cleared_token"]?.string
            days[day] = state
        case RollupCodec.groupType:
            if let level = RollupCodec.Level(sortKey: sortKey), let group = RollupCodec.group(item), let digest = item["digest"]?.string {
                days[day, default: RollupDay()].groups.append((sortKey, level, digest, group))
            } else {
                days[day, default: RollupDay()].malformed.append(sortKey)
            }
        default:
            break
        }
    }
}
