import AIUsage
import DynamoDB

/// Compacts closed days into rollups: for each day, one item per group of its raw items (see
/// `RollupGroup`), one per summary group (the same without environment and user), then the
/// day's manifest.
///
/// Idempotent: the items written are a deterministic function of the day's raw items (sort keys
/// and a digest from the groups' contents, no timestamps), and a day whose manifest already has
/// that digest is left alone, so running it twice changes nothing.
///
/// Safe against late writes: a writer marks a day dirty (a fresh token) before it writes a late
/// item. Compaction records in the manifest the marker's token it saw, but only once the marker
/// has settled (`settle`: long enough for the item's write, its retries and the index's
/// propagation); a reader trusts a day only while its marker's token is the one recorded. A late
/// write during or after compaction leaves a new token, so the day is read from raw items until
/// it is compacted again.
public struct RollupCompactor: Sendable {
    public let source: any UsageSource
    /// The GSI2 partitions to read (the original key and every shard's).
    public let partitions: [String]
    private let now: @Sendable () -> UTCTimestamp

    /// How long a dirty marker must have stood before compaction may clear it.
    public let settleSeconds: Int64
    /// Re-read the raw items of days whose rollups are clean (otherwise those are left alone:
    /// only a late write can change a closed day, and it marks the day dirty).
    public let force: Bool

    /// The default settle time: 15 minutes, far beyond a write's retries and the index's
    /// propagation (usually under a second).
    public static let defaultSettleSeconds: Int64 = 15 * 60

    /// - Parameter settleSeconds: use 0 only when every write has been acknowledged (as
    ///   `ai-usage seed` does after its tracker has shut down).
    public init(
        source: any UsageSource, sharding: IndexSharding = .single, settleSeconds: Int64 = RollupCompactor.defaultSettleSeconds,
        force: Bool = false, now: @escaping @Sendable () -> UTCTimestamp = { UTCTimestamp.now() }
    ) {
        self.source = source
        self.partitions = sharding.costPartitionsToRead
        self.settleSeconds = max(0, settleSeconds)
        self.force = force
        self.now = now
    }

    /// What compacting one day did.
    public struct DayOutcome: Sendable, Hashable {
        public enum Result: String, Sendable {
            /// Rollups written (new, or the raw items changed).
            case written
            /// The rollups already matched the raw items: nothing written.
            case unchanged
            /// The day is still open (today or yesterday): left to raw reads.
            case open
        }

        public var day: CivilDate
        public var result: Result
        public var rawItems: Int
        /// Fine groups, and summary groups.
        public var groups: Int
        public var summaryGroups = 0
        /// Whether the day is still dirty afterwards (its marker has not settled yet).
        public var stillDirty: Bool
    }

    /// Compacts every closed day from `first` to `last`, in order; `progress` hears each day.
    public func compact(
        from first: CivilDate, to last: CivilDate, progress: (DayOutcome) -> Void = { _ in }
    ) async throws(DynamoDBError) -> [DayOutcome] {
        var outcomes: [DayOutcome] = []
        var day = first
        while day <= last {
            let outcome = try await compact(day: day)
            progress(outcome)
            outcomes.append(outcome)
            day = day.adding(days: 1)
        }
        return outcomes
    }

    /// Compacts one day.
    public func compact(day: CivilDate) async throws(DynamoDBError) -> DayOutcome {
        let started = now()
        guard day <= RollupKeys.lastClosedDay(today: started.civilDate) else {
            return DayOutcome(day: day, result: .open, rawItems: 0, groups: 0, stillDirty: false)
        }
        let dayText = day.text

        // What is there now, marker first: a late write after this read leaves a new token.
        var existing: [String: RollupDay] = [:]
        var marker: (token: String, markedAt: String?)?
        _ = try await source.readRollups(from: day, to: day) { (reader: inout WireItem) throws(WireDecodingError) in
            var item: Item = [:]
            try reader.decodeRest(into: &item)
            if item["TYPE"]?.string == "AIUsageRollupDirty", item["day"]?.string == dayText {
                marker = (item["token"]?.string ?? "", item["marked_at"]?.string)
            }
            RollupDay.add(item, to: &existing)
        }
        _ = try await source.readFineRollups(from: day, to: day) { (reader: inout WireItem) throws(WireDecodingError) in
            var item: Item = [:]
            try reader.decodeRest(into: &item)
            RollupDay.add(item, to: &existing)
        }
        let state = existing[dayText] ?? RollupDay()
        if !force, state.isClean {
            return DayOutcome(
                day: day, result: .unchanged, rawItems: 0, groups: state.manifestGroups, summaryGroups: state.manifestSummaryGroups, stillDirty: false
            )
        }

        // The day's raw items, grouped.
        let (groups, rawItems, invalidItems) = try await Self.groupRawDay(day, source: source, partitions: partitions)

        // The summaries: the fine groups without environment and user.
        var summaries: [RollupGroup.Key: RollupGroup] = [:]
        for group in groups.values {
            let key = group.summaryKey
            var summary = summaries[key] ?? RollupGroup(key: key)
            guard summary.add(group) else {
                throw DynamoDBError(kind: .invalidResponse, code: "RollupOverflow", message: "the sums of \(dayText) overflow: left to raw reads", operation: "Query")
            }
            summaries[key] = summary
        }

        // The new rollup, deterministic.
        var keyed: [(sortKey: String, group: RollupGroup)] = []
        var sortKeys: Set<String> = []
        for (level, list) in [(RollupCodec.Level.fine, Array(groups.values)), (.summary, Array(summaries.values))] {
            for group in list {
                let sortKey = RollupCodec.sortKey(group, day: dayText, level: level)
                guard sortKeys.insert(sortKey).inserted else {
                    throw DynamoDBError(kind: .invalidResponse, code: "RollupKeyCollision", message: "two groups of \(dayText) hash to \(sortKey): left to raw reads", operation: "BatchWriteItem")
                }
                keyed.append((sortKey, group))
            }
        }
        let fineCount = groups.count
        let summaryCount = summaries.count
        let digest = RollupCodec.digest(keyed)
        let settled = marker.flatMap { marker -> String? in
            guard let text = marker.markedAt, let markedAt = UTCTimestamp(iso8601: text),
                  markedAt.microsecondsSinceEpoch + settleSeconds * 1_000_000 <= started.microsecondsSinceEpoch else { return nil }
            return marker.token
        }
        let clearedToken = settled ?? state.clearedToken
        let stillDirty = marker != nil && marker?.token != clearedToken

        let current = state.groups.filter { $0.digest == digest }
        if state.manifestDigest == digest, state.manifestVersion == RollupCodec.version, state.manifestGroups == fineCount,
           state.manifestSummaryGroups == summaryCount, current.count == keyed.count, state.malformed.isEmpty, state.clearedToken == clearedToken {
            return DayOutcome(day: day, result: .unchanged, rawItems: rawItems, groups: fineCount, summaryGroups: summaryCount, stillDirty: stillDirty)
        }

        // Groups first, stale ones deleted, the manifest last: a reader trusts the day only once
        // the manifest names this digest and every group of it is there.
        var requests: [WriteRequest] = keyed.sorted { $0.sortKey < $1.sortKey }.map {
            .put(RollupCodec.item($0.group, day: dayText, sortKey: $0.sortKey, digest: digest))
        }
        for old in state.groups.map(\.sortKey) + state.malformed where !sortKeys.contains(old) {
            requests.append(.delete(key: ["PK": .s(RollupKeys.partition), "SK": .s(old)]))
        }
        if !requests.isEmpty { try await source.write(requests) }
        let manifest = RollupCodec.manifest(
            day: dayText, groups: fineCount, summaryGroups: summaryCount, digest: digest, items: rawItems, invalidItems: invalidItems,
            clearedToken: clearedToken
        )
        try await source.write([.put(manifest)])
        return DayOutcome(day: day, result: .written, rawItems: rawItems, groups: fineCount, summaryGroups: summaryCount, stillDirty: stillDirty)
    }

    /// A day's raw items grouped as compaction groups them (fine level), read from every GSI2
    /// partition; with the count of items read and of unreadable ones.
    static func groupRawDay(
        _ day: CivilDate, source: any UsageSource, partitions: [String]
    ) async throws(DynamoDBError) -> (groups: [RollupGroup.Key: RollupGroup], rawItems: Int, invalidItems: Int) {
        let dayText = day.text
        var groups: [RollupGroup.Key: RollupGroup] = [:]
        var rawItems = 0
        var invalidItems = 0
        var overflow: String?
        for partition in partitions {
            let count = try await source.readDay(day, partition: partition) { (reader: inout WireItem) throws(WireDecodingError) in
                let fields = try ReportFields.read(&reader)
                var date: String?
                fields.day(reader) { bytes in date = bytes.map { String(decoding: $0, as: UTF8.self) } }
                let key = RollupGroup.Key(
                    date: date,
                    service: ReportFields.text(fields.service, reader),
                    model: ReportFields.text(fields.model, reader),
                    operation: ReportFields.text(fields.operation, reader),
                    environment: ReportFields.text(fields.environment, reader),
                    userId: ReportFields.text(fields.userId, reader),
                    userIdCamel: ReportFields.text(fields.userIdCamel, reader),
                    indexedService: ReportFields.text(fields.serviceIndexKey, reader).flatMap(IndexSharding.service(ofServicePartition:))
                )
                var group = groups[key] ?? RollupGroup(key: key)
                switch fields.numbers(reader) {
                case .failure:
                    group.invalidItems += 1
                    invalidItems += 1
                case .success(let (cost, tokens, calls)):
                    let hour = fields.hourId(reader)
                    var sums = group.hours[hour] ?? RollupGroup.Hour()
                    let (itemSum, o1) = sums.items.addingReportingOverflow(1)
                    let (callSum, o2) = sums.calls.addingReportingOverflow(calls)
                    let (tokenSum, o3) = sums.tokens.addingReportingOverflow(tokens)
                    // The unpriced calls are at most the calls, so they fit where those do.
                    let unpriced = fields.isUnpriced(reader) ? calls : 0
                    guard let costSum = sums.cost.adding(cost), !o1, !o2, !o3 else {
                        overflow = "the sums of \(dayText) overflow"
                        return
                    }
                    sums = RollupGroup.Hour(items: itemSum, calls: callSum, tokens: tokenSum, cost: costSum, unpriced: sums.unpriced + unpriced)
                    group.hours[hour] = sums
                    let (input, output) = fields.inputOutputTokens(reader)
                    group.inputTokens = group.inputTokens.addingReportingOverflow(input).overflow ? group.inputTokens : group.inputTokens + input
                    group.outputTokens = group.outputTokens.addingReportingOverflow(output).overflow ? group.outputTokens : group.outputTokens + output
                    if ReportFields.text(fields.error, reader) != nil { group.errors += 1 }
                }
                groups[key] = group
            }
            rawItems += count.items
        }
        if let overflow {
            throw DynamoDBError(kind: .invalidResponse, code: "RollupOverflow", message: "\(overflow): left to raw reads", operation: "Query")
        }
        return (groups, rawItems, invalidItems)
    }
}
