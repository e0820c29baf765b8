import AIUsage
import DynamoDB

/// Every fine group (service × model × operation × environment × user, per day) of a range, as
/// budget checks need them: closed clean days from their rollups, every other day (today,
/// yesterday, days not compacted or dirty since) grouped from its raw items exactly as
/// compaction would group them. So a month costs its rollup items plus at most a few days of
/// raw items, never a month of raw items once compaction runs.
public struct FineGroupReader: Sendable {
    public let source: any UsageSource
    public let partitions: [String]

    /// Days read from rollups in one go (bounds the groups held at once).
    static let segmentDays = 31

    public init(source: any UsageSource, sharding: IndexSharding = .single) {
        self.source = source
        partitions = sharding.costPartitionsToRead
    }

    /// What a read cost.
    public struct Summary: Sendable, Hashable {
        public var rollupDays = 0
        public var rawDays = 0
        public var rollupItems = 0
        public var rawItems = 0

        public init() {}

        /// `rollups 28 days (412 items), raw 3 days (905 items)`.
        public var text: String {
            "rollups \(rollupDays) days (\(rollupItems) items), raw \(rawDays) days (\(rawItems) items)"
        }
    }

    /// Hands every fine group of `first` … `last` to `group`, day by day in order. `today` (UTC)
    /// decides which days are closed.
    public func read(
        from first: CivilDate, to last: CivilDate, today: CivilDate, group: (RollupGroup) -> Void
    ) async throws(DynamoDBError) -> Summary {
        var summary = Summary()
        guard first <= last else { return summary }
        let lastClosed = RollupKeys.lastClosedDay(today: today)
        var day = first
        while day <= last {
            let segmentEnd = min(last, day.adding(days: Self.segmentDays - 1))
            var states: [String: RollupDay] = [:]
            if day <= lastClosed {
                let closedEnd = min(segmentEnd, lastClosed)
                var count = try await source.readRollups(from: day, to: closedEnd) { (reader: inout WireItem) throws(WireDecodingError) in
                    var item: Item = [:]
                    try reader.decodeRest(into: &item)
                    RollupDay.add(item, to: &states)
                }
                count += try await source.readFineRollups(from: day, to: closedEnd) { (reader: inout WireItem) throws(WireDecodingError) in
                    var item: Item = [:]
                    try reader.decodeRest(into: &item)
                    RollupDay.add(item, to: &states)
                }
                summary.rollupItems += count.items
            }
            while day <= segmentEnd {
                if day <= lastClosed, let state = states[day.text], state.isClean, let digest = state.manifestDigest {
                    for entry in state.groups where entry.level == .fine && entry.digest == digest { group(entry.group) }
                    summary.rollupDays += 1
                } else {
                    let (groups, rawItems, _) = try await RollupCompactor.groupRawDay(day, source: source, partitions: partitions)
                    // In key order, so callers that add costs see the same order every time.
                    for key in groups.keys.sorted(by: { $0.canonical.utf8.lexicographicallyPrecedes($1.canonical.utf8) }) { group(groups[key]!) }
                    summary.rawDays += 1
                    summary.rawItems += rawItems
                }
                day = day.adding(days: 1)
            }
        }
        return summary
    }
}
