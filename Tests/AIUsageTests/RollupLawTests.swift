import AIUsage
@testable import AIUsageReports
import AIUsageTracker
import DynamoDB
import TestSupport
import Testing

/// The laws of rollups, over random tables: answering closed days from rollups gives the same
/// report, byte for byte, as reading every raw item, for every filter and every level;
/// compaction is idempotent; late writes (replays, backfills, clocks behind) are never hidden.
@Suite struct RollupLawTests {
    /// Reports are asked on 2026-03-20: days up to the 18th are closed.
    static let today = CivilDate(year: 2026, month: 3, day: 20)
    static let now = UTCTimestamp(year: 2026, month: 3, day: 20, hour: 12)
    static let firstDay = CivilDate(year: 2026, month: 3, day: 8)
    static let levels: [AggregationLevel] = [.day, .service, .model, .operation, .hour, .user]

    /// A random raw item, written as the tracker writes it, then sometimes rewritten into the
    /// older camelCase generation or broken.
    static func randomItem(_ random: inout SplitMix64, day: CivilDate, sharding: IndexSharding) -> Item {
        func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &random)] }
        let service = pick(["openai", "anthropic", "google_places"])
        let metric = AIUsageMetric(
            service: service, model: pick(["gpt-4o", "gpt-4o-mini", "claude-3-haiku", "places_api"]),
            operation: pick(["completion", "embedding", "place_details"]),
            timestamp: UTCTimestamp(year: day.year, month: day.month, day: day.day, hour: Int.random(in: 0...23, using: &random), minute: Int.random(in: 0...59, using: &random)),
            requestId: "req-\(random.next())",
            apiCalls: pick([1, 1, 1, 2]),
            inputTokens: pick([nil, 10, 1234]), outputTokens: pick([nil, 5, 99]), totalTokens: pick([nil, 15, 1333]),
            costUSD: pick([nil, dec("0.1"), dec("0.000123456789"), dec("12.5"), dec("99999999.9999999999"), dec("0")]),
            userId: pick([nil, "alice", "bob"]), jobId: pick([nil, "job-1", "job-2"]), batchId: pick([nil, "b-1"]),
            environment: pick([nil, "production", "staging"]), error: pick([nil, nil, "RateLimitError"])
        )
        var item = try! MetricItemCodec.item(for: metric, sharding: sharding)
        // Decimal traps: other spellings of exact numbers.
        switch Int.random(in: 0..<8, using: &random) {
        case 0: item["cost_usd"] = .n(pick(["1E-7", "0.10", "12.50", "1.0e+1", "0.00000000000000000000000000000000000001"]))
        case 1: item["total_tokens"] = .n(pick(["1.5e2", "150.0", "0"]))
        default: break
        }
        // The older generation.
        if Int.random(in: 0..<3, using: &random) == 0 {
            for (snake, camel) in [("cost_usd", "costUSD"), ("total_tokens", "totalTokens"), ("input_tokens", "inputTokens"),
                                   ("output_tokens", "outputTokens"), ("api_calls", "apiCalls"), ("user_id", "userId")] {
                if let value = item.removeValue(forKey: snake) { item[camel] = value }
            }
            if Bool.random(using: &random) {
                item["date"] = nil
                item["hour"] = nil
                item["timestamp"] = .s(String(item["timestamp"]!.string!.prefix(19)))
            }
        }
        // Unreadable items, counted as invalid.
        switch Int.random(in: 0..<25, using: &random) {
        case 0: item["cost_usd"] = .s("0.1")
        case 1: item["total_tokens"] = .n("1.5")
        case 2: item["cost_usd"] = .n("-1")
        case 3: item["model"] = .s("")
        case 4: item["operation"] = nil
        default: break
        }
        return item
    }

    /// A table of `count` items over 13 days (8 … 20 March), shards chosen by `sharding`.
    static func table(seed: UInt64, count: Int, sharding: IndexSharding = .single) -> (items: [Item], random: SplitMix64) {
        var random = SplitMix64(state: seed)
        var items: [Item] = []
        for _ in 0..<count {
            items.append(randomItem(&random, day: firstDay.adding(days: Int.random(in: 0...12, using: &random)), sharding: sharding))
        }
        return (items, random)
    }

    /// Every filter rollups answer and some they do not, each with all five levels.
    static let queries: [UsageQuery] = {
        let start = firstDay, end = today
        var list = [UsageQuery(start: start, end: end, aggregation: levels)]
        list.append(UsageQuery(start: start, end: end, service: "openai", aggregation: levels))
        list.append(UsageQuery(start: start, end: end, model: "gpt-4o", aggregation: levels))
        list.append(UsageQuery(start: start, end: end, operation: "completion", aggregation: levels))
        list.append(UsageQuery(start: start, end: end, userId: "alice", aggregation: levels))
        list.append(UsageQuery(start: start, end: end, environment: "production", aggregation: levels))
        list.append(UsageQuery(start: start, end: end, service: "anthropic", model: "claude-3-haiku", userId: "bob", environment: "staging", aggregation: levels))
        list.append(UsageQuery(start: start, end: end, jobId: "job-1", aggregation: levels))
        list.append(UsageQuery(start: firstDay.adding(days: 3), end: firstDay.adding(days: 5), aggregation: [.hour]))
        list.append(UsageQuery(start: start, end: end, aggregation: []))
        // `by_user` alone (from the fine groups), and `by_job` (never from rollups).
        list.append(UsageQuery(start: start, end: end, aggregation: [.user]))
        list.append(UsageQuery(start: start, end: end, service: "openai", aggregation: [.user, .day]))
        list.append(UsageQuery(start: start, end: end, aggregation: levels + [.job]))
        return list
    }()

    /// The report text of `query` from `source`, with or without rollups; with `unpriced_calls`
    /// in the summary and every group, so that rollups must carry those exactly too.
    static func report(_ source: InMemoryUsageSource, _ query: UsageQuery, rollups: Bool) async throws -> (text: String, outcome: UsageFetcher.Outcome) {
        let outcome = try await UsageFetcher(source: source, concurrency: 3, usesRollups: rollups).aggregate(query, today: today)
        return (outcome.aggregate.report(start: query.start, end: query.end, query: query.echo, unpricedCalls: true).serialized(), outcome)
    }

    static func compact(_ source: InMemoryUsageSource, settle: Int64 = 0, force: Bool = false) async throws -> [RollupCompactor.DayOutcome] {
        try await RollupCompactor(source: source, sharding: source.sharding, settleSeconds: settle, force: force, now: { now })
            .compact(from: firstDay, to: today)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func rollupsAndRawGiveTheSameAnswerByteForByte(seed: UInt64) async throws {
        let (items, _) = Self.table(seed: seed, count: 400, sharding: seed == 4 ? IndexSharding(count: 3)! : .single)
        let source = InMemoryUsageSource(items: items, pageSize: Int(seed) * 5, seed: seed, sharding: seed == 4 ? IndexSharding(count: 3)! : .single)
        let outcomes = try await Self.compact(source)
        // 8 … 18 March are closed (11 days); 19 and 20 are open.
        #expect(outcomes.filter { $0.result == .written }.count == 11)
        #expect(outcomes.filter { $0.result == .open }.map(\.day.text) == ["2026-03-19", "2026-03-20"])
        #expect(outcomes.reduce(0) { $0 + $1.rawItems } == items.filter { ($0["GSI2SK"]?.string ?? "") < "COST#2026-03-19" }.count)
        for query in Self.queries {
            let raw = try await Self.report(source, query, rollups: false)
            let rolled = try await Self.report(source, query, rollups: true)
            #expect(rolled.text == raw.text, "\(query.echo.serialized())")
            #expect(raw.outcome.rollupDays == 0)
            if query.jobId == nil, !query.aggregation.contains(.job) {
                // Every closed day of the range came from rollups, only the open ones from raw items.
                let closed = min(query.end, CivilDate(year: 2026, month: 3, day: 18)).daysSinceEpoch - query.start.daysSinceEpoch + 1
                #expect(rolled.outcome.rollupDays == closed, "\(query.echo.serialized())")
            } else {
                #expect(rolled.outcome.rollupDays == 0)
            }
        }
    }

    @Test func rollupsCarryTheUnpricedCallsExactly() async throws {
        // The random tables hold calls without a cost (a sixth of them, some failed) and with one.
        let (items, _) = Self.table(seed: 41, count: 400)
        let expected = items.reduce(into: 0) { count, item in
            guard let row = try? UsageRow(item: item), row.isUnpriced else { return }
            count += row.apiCalls
        }
        #expect(expected > 20)
        #expect(items.contains { ($0["cost_usd"] ?? $0["costUSD"]) == nil && $0["error"] != nil })
        let source = InMemoryUsageSource(items: items, seed: 41)
        _ = try await Self.compact(source)
        // The fine groups of every closed day carry them in their hours, and the day totals add up.
        let groups = source.snapshot.values.filter { $0["TYPE"] == .s(RollupCodec.groupType) && $0["SK"]?.string?.hasPrefix("FINE#") == true }
        let inGroups = groups.compactMap { RollupCodec.group($0)?.total.unpriced }.reduce(0, +)
        let closed = items.filter { ($0["GSI2SK"]?.string ?? "") < "COST#2026-03-19" }.reduce(into: 0) { count, item in
            guard let row = try? UsageRow(item: item), row.isUnpriced else { return }
            count += row.apiCalls
        }
        #expect(inGroups == closed)
        #expect(groups.contains { $0["hours"]?.string?.split(separator: ";").contains { $0.split(separator: ",").count == 5 } == true })
        for query in [Self.queries[0], Self.queries[4], Self.queries[1]] {
            let raw = try await UsageFetcher(source: source, concurrency: 2, usesRollups: false).aggregate(query, today: Self.today)
            let rolled = try await UsageFetcher(source: source, concurrency: 2).aggregate(query, today: Self.today)
            #expect(rolled.rollupDays == 11)
            #expect(rolled.aggregate.unpricedCalls == raw.aggregate.unpricedCalls, "\(query.echo.serialized())")
            for level in [AggregationLevel.day, .service, .model, .operation, .hour] {
                #expect(rolled.aggregate.groups(level).map(\.unpricedCalls) == raw.aggregate.groups(level).map(\.unpricedCalls))
            }
        }
        let all = try await UsageFetcher(source: source).aggregate(Self.queries[0], today: Self.today)
        #expect(all.aggregate.unpricedCalls == expected)
    }

    @Test func aDayRolledUpBeforeUnpricedCountsIsReadRawUntilCompactedAgain() async throws {
        let (items, _) = Self.table(seed: 43, count: 300)
        let source = InMemoryUsageSource(items: items, seed: 43)
        _ = try await Self.compact(source)
        let query = Self.queries[0]
        let raw = try await Self.report(source, query, rollups: false)
        // The 12th as the previous version wrote it: a version 2 manifest, hours without the
        // unpriced calls (so its digest and groups are otherwise current).
        let day = "2026-03-12"
        for (_, item) in source.snapshot where item["day"] == .s(day) {
            var old = item
            if old["TYPE"] == .s(RollupCodec.manifestType) { old["version"] = .n("2") }
            if let hours = old["hours"]?.string {
                old["hours"] = .s(hours.split(separator: ";").map { $0.split(separator: ",").prefix(4).joined(separator: ",") }.joined(separator: ";"))
                old["unpriced_calls"] = nil
            }
            source.put(old)
        }
        let stale = try await Self.report(source, query, rollups: true)
        #expect(stale.outcome.rollupDays == 10)      // the 12th is read from its raw items
        #expect(stale.text == raw.text)
        // A compaction (not forced) rewrites it, and it is answered from rollups again.
        let outcomes = try await Self.compact(source)
        #expect(outcomes.filter { $0.result == .written }.map(\.day.text) == [day])
        let again = try await Self.report(source, query, rollups: true)
        #expect(again.outcome.rollupDays == 11)
        #expect(again.text == raw.text)
    }

    @Test func compactingTwiceChangesNothing() async throws {
        let (items, _) = Self.table(seed: 11, count: 300)
        let source = InMemoryUsageSource(items: items, seed: 11)
        _ = try await Self.compact(source)
        let once = source.snapshot
        let again = try await Self.compact(source)
        #expect(again.allSatisfy { $0.result != .written })
        #expect(source.snapshot == once)
        // Forced, every closed day is re-read, and still nothing changes.
        let forced = try await Self.compact(source, force: true)
        #expect(forced.filter { $0.result == .unchanged }.count == 11)
        #expect(source.snapshot == once)
    }

    @Test func aLateItemIsInTheNextAnswerAndSurvivesRecompaction() async throws {
        let (items, random) = Self.table(seed: 21, count: 200)
        var generator = random
        let source = InMemoryUsageSource(items: items, seed: 21)
        _ = try await Self.compact(source)
        let query = Self.queries[0]
        let before = try await Self.report(source, query, rollups: true)

        // A replayed spill: an item for a compacted day, written as DynamoDBSink writes it
        // (the marker first, then the item).
        let late = Self.randomItem(&generator, day: CivilDate(year: 2026, month: 3, day: 10), sharding: .single)
        source.put(RollupKeys.dirtyMarker(date: "2026-03-10", token: "t1", markedAt: "2026-03-20T11:59:00.000000Z"))
        source.put(late)
        let after = try await Self.report(source, query, rollups: true)
        let raw = try await Self.report(source, query, rollups: false)
        #expect(after.text == raw.text)
        #expect(after.text != before.text)
        #expect(after.outcome.rollupDays == 10)  // the 10th is dirty: read raw

        // Compaction with the default settle time leaves a one-minute-old marker alone...
        let early = try await Self.compact(source, settle: RollupCompactor.defaultSettleSeconds)
        #expect(early.first { $0.day.text == "2026-03-10" }?.stillDirty == true)
        #expect(try await Self.report(source, query, rollups: true).outcome.rollupDays == 10)
        // ...and once it has settled, the day is rolled up again, with the late item in it.
        _ = try await Self.compact(source)
        let settled = try await Self.report(source, query, rollups: true)
        #expect(settled.outcome.rollupDays == 11)
        #expect(settled.text == raw.text)
    }

    @Test func aCompactionThatDiesMidWayLeavesTheDayToRawReads() async throws {
        let (items, _) = Self.table(seed: 31, count: 200)
        let source = InMemoryUsageSource(items: items, seed: 31)
        _ = try await Self.compact(source)
        // More items for the 12th (no marker: only the torn write can make the day wrong), then
        // a forced compaction that dies after writing the new groups, before the manifest.
        var generator = SplitMix64(state: 99)
        for _ in 0..<20 { source.put(Self.randomItem(&generator, day: CivilDate(year: 2026, month: 3, day: 12), sharding: .single)) }
        let dying = InMemoryUsageSource(items: Array(source.snapshot.values), seed: 31, failWritesAfter: 1)
        await #expect(throws: DynamoDBError.self) {
            try await RollupCompactor(source: dying, settleSeconds: 0, force: true, now: { Self.now }).compact(day: CivilDate(year: 2026, month: 3, day: 12))
        }
        let query = Self.queries[0]
        let rolled = try await Self.report(dying, query, rollups: true)
        #expect(rolled.text == (try await Self.report(dying, query, rollups: false)).text)
        #expect(rolled.outcome.rollupDays == 10)
    }

    @Test func theDirtyMarkerIsWrittenForLateItemsOnly() {
        let today = CivilDate(year: 2026, month: 3, day: 20)
        #expect(!RollupKeys.marksDirty(date: today, today: today))
        #expect(RollupKeys.marksDirty(date: today.adding(days: -1), today: today))
        #expect(RollupKeys.lastClosedDay(today: today).text == "2026-03-18")
        // A writer a day behind still marks every day compaction may have closed: the last
        // closed day (18th) is before the slow writer's today (19th).
        #expect(RollupKeys.marksDirty(date: RollupKeys.lastClosedDay(today: today), today: today.adding(days: -1)))
    }
}
