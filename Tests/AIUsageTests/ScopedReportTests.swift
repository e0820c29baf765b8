import AIUsage
@testable import AIUsageReports
import DynamoDB
import SigV4
import Synchronization
import TestSupport
import Testing

/// Scoped reports over an in-memory table: each scope's answer against hand-worked sums and an
/// independent fold of the items, the read strategy per scope, the three output forms, CSV
/// quoting, and hostile parameters.
@Suite struct ScopedReportTests {
    /// Reports are asked on 20 March 2026: days up to the 18th are closed.
    static let today = CivilDate(year: 2026, month: 3, day: 20)
    static let start = CivilDate(year: 2026, month: 3, day: 10)

    static func day(_ day: Int) -> CivilDate { CivilDate(year: 2026, month: 3, day: day) }

    static func item(
        _ service: String, _ model: String, _ operation: String, _ timestamp: UTCTimestamp, id: String,
        input: Int? = nil, output: Int? = nil, cost: String, calls: Int = 1,
        user: String? = nil, job: String? = nil, batch: String? = nil, environment: String? = nil, error: String? = nil
    ) -> Item {
        try! MetricItemCodec.item(for: AIUsageMetric(
            service: service, model: model, operation: operation, timestamp: timestamp, requestId: id, apiCalls: calls,
            inputTokens: input, outputTokens: output, costUSD: ExactDecimal(cost)!,
            userId: user, jobId: job, batchId: batch, environment: environment, error: error
        ))
    }

    /// The hand-made table. GSI3 holds each item's highest-priority context only:
    ///
    /// | item | day | cost | tokens | calls | contexts | GSI3PK |
    /// |---|---|---|---|---|---|---|
    /// | a | 10th 09:00 | 0.1 | 1000 | 1 | job-1, alice, b-1, production | JOB#job-1 |
    /// | b | 12th 10:30:00.5 | 0.0125 | 500 | 1 | job-1, alice; error | JOB#job-1 |
    /// | c | 11th 08:00 | 0.000123456789 | 50 | 1 | b-1, bob, staging | USER#bob |
    /// | d | 19th 23:59:59.999999 (open) | 0.3 | 3000 | 1 | b-1, staging; error | BATCH#b-1 |
    /// | e | 15th 12:00 | 1.25 | 2000 | 2 | alice, production | USER#alice |
    /// | f | 20th 06:00 (open) | 0.017 | 0 | 1 | production | ENV#production |
    /// | g | 5th (before the range) | 5 | 10 | 1 | job-1, alice | JOB#job-1 |
    /// | h | 16th 18:00, camelCase | 0.004 | 200 | 1 | job-2, alice, production | JOB#job-2 |
    /// | i | 13th | 0.2 | 7 | 1 | carol, staging | USER#carol |
    static let items: [Item] = {
        var h = item("anthropic", "claude-3-haiku", "completion", UTCTimestamp(year: 2026, month: 3, day: 16, hour: 18), id: "h",
                     input: 100, output: 100, cost: "0.004", user: "alice", job: "job-2", environment: "production")
        for (snake, camel) in [("cost_usd", "costUSD"), ("total_tokens", "totalTokens"), ("api_calls", "apiCalls"), ("user_id", "userId"), ("job_id", "jobId")] {
            if let value = h.removeValue(forKey: snake) { h[camel] = value }
        }
        return [
            item("openai", "gpt-4o", "completion", UTCTimestamp(year: 2026, month: 3, day: 10, hour: 9), id: "a",
                 input: 600, output: 400, cost: "0.1", user: "alice", job: "job-1", batch: "b-1", environment: "production"),
            item("anthropic", "claude-3-haiku", "completion", UTCTimestamp(year: 2026, month: 3, day: 12, hour: 10, minute: 30, microsecond: 500_000), id: "b",
                 input: 300, output: 200, cost: "0.0125", user: "alice", job: "job-1", error: "RateLimitError"),
            item("openai", "gpt-4o-mini", "embedding", UTCTimestamp(year: 2026, month: 3, day: 11, hour: 8), id: "c",
                 input: 50, cost: "0.000123456789", user: "bob", batch: "b-1", environment: "staging"),
            item("openai", "gpt-4o", "completion", UTCTimestamp(year: 2026, month: 3, day: 19, hour: 23, minute: 59, second: 59, microsecond: 999_999), id: "d",
                 input: 2000, output: 1000, cost: "0.3", batch: "b-1", environment: "staging", error: "Timeout"),
            item("openai", "gpt-4o", "completion", UTCTimestamp(year: 2026, month: 3, day: 15, hour: 12), id: "e",
                 input: 1000, output: 1000, cost: "1.25", calls: 2, user: "alice", environment: "production"),
            item("google_places", "places_api", "place_details", UTCTimestamp(year: 2026, month: 3, day: 20, hour: 6), id: "f",
                 cost: "0.017", environment: "production"),
            item("openai", "gpt-4o", "completion", UTCTimestamp(year: 2026, month: 3, day: 5), id: "g",
                 input: 10, cost: "5", user: "alice", job: "job-1"),
            h,
            item("openai", "gpt-4o", "completion", UTCTimestamp(year: 2026, month: 3, day: 13), id: "i",
                 input: 7, cost: "0.2", user: "carol", environment: "staging"),
        ]
    }()

    /// A source over `items`, compacted (days up to the 18th in rollups), that records its reads.
    static func source(_ items: [Item] = items, sharding: IndexSharding = .single) async throws -> RecordingSource {
        let memory = InMemoryUsageSource(items: items, pageSize: 2, sharding: sharding)
        _ = try await RollupCompactor(source: memory, sharding: sharding, settleSeconds: 0, now: { UTCTimestamp(year: 2026, month: 3, day: 20, hour: 12) })
            .compact(from: day(1), to: today)
        return RecordingSource(memory)
    }

    static func report(_ scope: ReportScope, _ source: some UsageSource, from start: CivilDate = start, to end: CivilDate = today, rollups: Bool = true) async throws -> ScopedReport {
        let fetcher = ScopedReportFetcher(fetcher: UsageFetcher(source: source, concurrency: 3, usesRollups: rollups))
        return try await fetcher.report(ScopedReportQuery(scope: scope, start: start, end: end), today: today)
    }

    // MARK: - Each scope, by hand

    @Test func aJobReadsOnlyItsOwnPartition() async throws {
        let source = try await Self.source()
        let report = try await Self.report(ReportScope(.job, "job-1"), source)
        // a + b (g is before the range): 0.1 + 0.0125 = 0.1125; 1000 + 500 tokens; 2 calls.
        #expect(report.aggregate.totalCost == ExactDecimal("0.1125")!)
        #expect(report.aggregate.totalTokens == 1500)
        #expect(report.aggregate.totalAPICalls == 2)
        #expect(report.firstCall?.iso8601 == "2026-03-10T09:00:00.000000+00:00")
        #expect(report.lastCall?.iso8601 == "2026-03-12T10:30:00.500000+00:00")
        // 2 days + 1 h 30 min + 0.5 s = 172,800 + 5,400 + 0.5 s.
        #expect(report.durationSeconds == ExactDecimal("178200.5")!)
        #expect(report.errorCount == 1)
        // Only GSI3's JOB#job-1, in day segments; never GSI2, never rollups.
        #expect(Set(source.reads.map(\.partition)) == ["JOB#job-1"])
        #expect(source.reads.allSatisfy { $0.kind == .raw })
        #expect(report.reads.raw.items == 2)
        #expect(report.reads.rollupDays == 0)
    }

    @Test func aBatchFindsItsCallsFiledUnderAJobOrAUser() async throws {
        let source = try await Self.source()
        let report = try await Self.report(ReportScope(.batch, "b-1"), source)
        // a (GSI3 JOB#job-1) + c (USER#bob) + d (BATCH#b-1): 0.1 + 0.000123456789 + 0.3.
        #expect(report.aggregate.totalCost == ExactDecimal("0.400123456789")!)
        #expect(report.aggregate.totalTokens == 4050)  // 1000 + 50 + 3000
        #expect(report.aggregate.totalAPICalls == 3)
        #expect(report.firstCall?.iso8601 == "2026-03-10T09:00:00.000000+00:00")
        #expect(report.lastCall?.iso8601 == "2026-03-19T23:59:59.999999+00:00")
        // 9 days + 14 h 59 min 59.999999 s = 777,600 + 50,400 + 3,540 + 59.999999 s.
        #expect(report.durationSeconds == ExactDecimal("831599.999999")!)
        #expect(report.errorCount == 1)
        #expect(Set(source.reads.map(\.partition)) == ["AI_USAGE_COST"])
        // 0.400123456789 / 3 = 0.13337448559…, to 6 places.
        #expect(report.json["summary"]?["average_cost_per_call"]?.numberText == "0.133374")
        #expect(report.json["summary"]?["total_cost_usd"]?.numberText == "0.4001")
    }

    @Test func aUserIncludesCallsMadeInsideJobs() async throws {
        let source = try await Self.source()
        let report = try await Self.report(ReportScope(.user, "alice"), source)
        // a, b (inside job-1), e (alice's own), h (inside job-2, camelCase userId):
        // 0.1 + 0.0125 + 1.25 + 0.004 = 1.3665; 1000 + 500 + 2000 + 200 tokens; 1 + 1 + 2 + 1 calls.
        #expect(report.aggregate.totalCost == ExactDecimal("1.3665")!)
        #expect(report.aggregate.totalTokens == 3700)
        #expect(report.aggregate.totalAPICalls == 5)
        #expect(report.firstCall?.iso8601 == "2026-03-10T09:00:00.000000+00:00")
        #expect(report.lastCall?.iso8601 == "2026-03-16T18:00:00.000000+00:00")
        #expect(report.durationSeconds == nil)
        #expect(report.errorCount == nil)
        // Closed days 10 … 18 from rollups; then the raw items of the 10th and the 16th only.
        #expect(report.reads.rollupDays == 9)
        #expect(report.reads.activityDays == 2)
        let activity = source.reads.filter { $0.kind == .raw && $0.first == $0.last && [Self.day(10), Self.day(16)].contains($0.first) }
        #expect(Set(activity.map(\.first)) == [Self.day(10), Self.day(16)])
        // 1.3665 / 5 = 0.2733.
        #expect(report.json["summary"]?["average_cost_per_call"]?.numberText == "0.2733")
    }

    @Test func anEnvironmentIncludesCallsFiledUnderOtherContexts() async throws {
        let source = try await Self.source()
        let report = try await Self.report(ReportScope(.environment, "production"), source)
        // a (JOB#), e (USER#), f (ENV#, open day), h (JOB#job-2): 0.1 + 1.25 + 0.017 + 0.004 = 1.371.
        #expect(report.aggregate.totalCost == ExactDecimal("1.371")!)
        #expect(report.aggregate.totalTokens == 3200)  // 1000 + 2000 + 0 + 200
        #expect(report.aggregate.totalAPICalls == 5)
        #expect(report.firstCall?.iso8601 == "2026-03-10T09:00:00.000000+00:00")
        #expect(report.lastCall?.iso8601 == "2026-03-20T06:00:00.000000+00:00")
        #expect(report.errorCount == nil)
        #expect(report.topModels.map(\.model) == ["gpt-4o", "places_api", "claude-3-haiku"])  // 1.35, 0.017, 0.004
    }

    @Test func anEmptyScopeSaysSo() async throws {
        let source = try await Self.source()
        let report = try await Self.report(ReportScope(.job, "no-such-job"), source)
        #expect(report.aggregate.itemCount == 0)
        #expect(report.firstCall == nil && report.lastCall == nil && report.durationSeconds == nil)
        #expect(report.errorCount == 0)
        #expect(report.json["activity"]?.serialized() == #"{"first_call":null,"last_call":null,"duration_seconds":null,"error_count":0}"#)
        #expect(report.table.contains("First call     none"))
        let user = try await Self.report(ReportScope(.user, "nobody"), source)
        #expect(user.reads.activityDays == 0)
        #expect(user.csv.contains("activity,error_count,,,,,,,\r\n"))
    }

    // MARK: - Calls without a price

    /// `item` as the tracker stores a call its catalogue cannot price: no `cost_usd` at all.
    static func withoutCost(_ item: Item) -> Item {
        var item = item
        item["cost_usd"] = nil
        return item
    }

    /// One job's (and user's) calls, priced, unpriced and failed:
    ///
    /// | item | day | model | cost | calls | | unpriced calls |
    /// |---|---|---|---|---|---|---|
    /// | p1 | 10th | gpt-4o | 0.1 | 1 | priced | 0 |
    /// | u1 | 11th | gpt-5-preview | none | 1 | unpriced | 1 |
    /// | u2 | 12th, camelCase | claude-next (anthropic) | none (no `costUSD`) | 2 | unpriced | 2 |
    /// | f1 | 12th | gpt-5-preview | none | 1 | failed (`error`): not billed | 0 |
    /// | p2 | 13th | gpt-4o | 0.05 | 1 | priced, failed | 0 |
    /// | x | 13th | gpt-4o | `S "abc"` | 1 | unreadable: invalid, in no sum | 0 |
    /// | u3 | 19th (open) | gpt-5-preview | `NULL`, `error` "" | 1 | unpriced (an empty error is none) | 1 |
    ///
    /// Unpriced: 1 + 2 + 1 = 4 calls; cost 0.1 + 0.05 = 0.15 over 7 counted calls; 15 tokens an
    /// item, 90 over the 6 counted items.
    static let unpricedItems: [Item] = {
        func call(_ id: String, _ service: String, _ model: String, _ day: Int, cost: String = "0", calls: Int = 1, error: String? = nil) -> Item {
            item(service, model, "completion", UTCTimestamp(year: 2026, month: 3, day: day, hour: 9), id: id,
                 input: 10, output: 5, cost: cost, calls: calls, user: "uma", job: "job-u", error: error)
        }
        var u2 = withoutCost(call("u2", "anthropic", "claude-next", 12, calls: 2))
        for (snake, camel) in [("total_tokens", "totalTokens"), ("api_calls", "apiCalls"), ("user_id", "userId"), ("job_id", "jobId")] {
            if let value = u2.removeValue(forKey: snake) { u2[camel] = value }
        }
        var x = call("x", "openai", "gpt-4o", 13, cost: "0.2")
        x["cost_usd"] = .s("abc")
        var u3 = call("u3", "openai", "gpt-5-preview", 19)
        u3["cost_usd"] = .null
        u3["error"] = .s("")
        return [
            call("p1", "openai", "gpt-4o", 10, cost: "0.1"),
            withoutCost(call("u1", "openai", "gpt-5-preview", 11)),
            u2,
            withoutCost(call("f1", "openai", "gpt-5-preview", 12, error: "Timeout")),
            call("p2", "openai", "gpt-4o", 13, cost: "0.05", error: "RateLimitError"),
            x,
            u3,
        ]
    }()

    @Test(arguments: [ReportScope(.job, "job-u"), ReportScope(.user, "uma")])
    func unpricedCallsAreCountedAndLeaveTheTotalsAlone(scope: ReportScope) async throws {
        let source = try await Self.source(Self.unpricedItems)
        let report = try await Self.report(scope, source)
        // The totals are the priced calls' alone; every counted call is in the calls.
        #expect(report.aggregate.totalCost == ExactDecimal("0.15")!)
        #expect(report.aggregate.totalAPICalls == 7)
        #expect(report.aggregate.invalidItems == 1)
        #expect(report.aggregate.unpricedCalls == 4)
        if scope.kind == .user {
            #expect(report.reads.rollupDays == 9, "\(report.reads.summary)")  // 10 … 18 March from rollups
        }

        let json = report.json
        #expect(json["summary"]?.serialized() == #"{"total_cost_usd":0.15,"total_tokens":90,"total_api_calls":7,"average_cost_per_call":0.021429,"#
            + #""date_range":{"start":"2026-03-10","end":"2026-03-20"},"invalid_items":1,"unpriced_calls":4}"#)
        func unpriced(_ level: String, _ key: String) -> Int? { json["aggregations"]?[level]?[key]?["unpriced_calls"]?.intValue }
        #expect(unpriced("by_model", "gpt-4o") == 0)
        #expect(unpriced("by_model", "gpt-5-preview") == 2)   // u1, u3; not the failed f1
        #expect(unpriced("by_model", "claude-next") == 2)     // u2's two calls
        #expect(unpriced("by_service", "openai") == 2)
        #expect(unpriced("by_service", "anthropic") == 2)
        #expect(unpriced("by_operation", "completion") == 4)
        #expect(["2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13", "2026-03-19"].map { unpriced("by_day", $0) } == [0, 1, 2, 0, 1])
        #expect(json["top_models"]?.arrayValue?.map { $0["unpriced_calls"]?.intValue ?? -1 } == [0, 2, 2])  // gpt-4o; then the free ones, more calls first

        // CSV: the last column.
        let rows = Self.parseCSV(report.csv)
        #expect(rows[0].last == "unpriced_calls")
        #expect(rows.first { $0[0] == "total" } == ["total", "all", "", "0.15", "90", "7", "0.021429", "100", "4"])
        #expect(rows.first { $0[0] == "model" && $0[1] == "gpt-5-preview" }?.last == "2")
        #expect(rows.first { $0[0] == "day" && $0[1] == "2026-03-12" }?.last == "2")
        #expect(rows.filter { ["scope", "range", "activity"].contains($0[0]) }.allSatisfy { $0.last == "" })

        // The table says so, under the money.
        let lines = report.table.split(separator: "\n").map(String.init)
        let line = try #require(lines.firstIndex { $0.hasPrefix("  Unpriced calls ") })
        #expect(lines[line].hasSuffix(" 4 (no price in the catalogue; see docs/pricing.md)"))
        #expect(lines[line - 1].hasPrefix("  Cost per call "))

        // Rollups change nothing.
        let raw = try await Self.report(scope, source, rollups: false)
        #expect(raw.json == json)

        // The same table without the unpriced calls: the same cost, three fewer items.
        let priced = Self.unpricedItems.filter { !["u1", "u2", "u3"].contains($0["request_id"]?.string ?? $0["requestId"]?.string ?? "") }
        #expect(priced.count == 4)
        let without = try await Self.report(scope, try await Self.source(priced))
        #expect(without.aggregate.totalCost == report.aggregate.totalCost)
        #expect(without.aggregate.unpricedCalls == 0)
        #expect(without.aggregate.totalAPICalls == report.aggregate.totalAPICalls - report.aggregate.unpricedCalls)
    }

    // MARK: - Against an independent fold, over random tables

    /// Whether an item carries `scope` under either generation's attribute name.
    static func carries(_ item: Item, _ scope: ReportScope) -> Bool {
        let names = switch scope.kind {
        case .job: ["job_id", "jobId"]
        case .batch: ["batch_id", "batchId"]
        case .user: ["user_id", "userId"]
        case .environment: ["environment"]
        }
        return names.contains { item[$0] == .s(scope.id) }
    }

    @Test(arguments: [21, 22, 23] as [UInt64])
    func everyScopeMatchesAnIndependentFoldOfTheItems(seed: UInt64) async throws {
        let sharding = seed == 23 ? IndexSharding(count: 3)! : IndexSharding.single
        let (items, _) = RollupLawTests.table(seed: seed, count: 300, sharding: sharding)
        let source = try await Self.source(items, sharding: sharding)
        let (first, last) = (RollupLawTests.firstDay, RollupLawTests.today)
        let scopes = [ReportScope(.job, "job-1"), ReportScope(.job, "job-2"), ReportScope(.batch, "b-1"), ReportScope(.user, "alice"),
                      ReportScope(.user, "bob"), ReportScope(.environment, "production"), ReportScope(.environment, "staging")]
        for scope in scopes {
            let fetcher = ScopedReportFetcher(fetcher: UsageFetcher(source: source, concurrency: 4))
            let report = try await fetcher.report(ScopedReportQuery(scope: scope, start: first, end: last), today: RollupLawTests.today)
            // The reference: every item of the range that carries the scope, folded one by one.
            var reference = UsageAggregate(levels: ScopedReportFetcher.levels)
            var instants: [UTCTimestamp] = []
            var errors = 0
            for item in items where Self.carries(item, scope) {
                let day = String((item["GSI2SK"]?.string ?? "").dropFirst(5).prefix(10))
                guard day >= first.text, day <= last.text else { continue }
                reference.add(item)
                guard (try? UsageRow(item: item)) != nil else { continue }
                if let text = item["timestamp"]?.string, let instant = UTCTimestamp(iso8601: text) { instants.append(instant) }
                if case .s(let text)? = item["error"], !text.isEmpty { errors += 1 }
            }
            #expect(reference.itemCount > 0, "\(scope)")
            let echo = JSONValue.null
            #expect(report.aggregate.report(start: first, end: last, query: echo, unpricedCalls: true).serialized()
                == reference.report(start: first, end: last, query: echo, unpricedCalls: true).serialized(), "\(scope)")
            #expect(report.aggregate.unpricedCalls == reference.unpricedCalls, "\(scope)")
            #expect(report.firstCall == instants.min(), "\(scope)")
            #expect(report.lastCall == instants.max(), "\(scope)")
            #expect(report.errorCount == (scope.kind.isRun ? errors : nil), "\(scope)")
            // Rollups change nothing.
            let raw = try await ScopedReportFetcher(fetcher: UsageFetcher(source: source, concurrency: 2, usesRollups: false))
                .report(ScopedReportQuery(scope: scope, start: first, end: last), today: RollupLawTests.today)
            #expect(raw.json == report.json, "\(scope)")
        }
    }

    // MARK: - The three forms

    @Test func theJSONAnswerExactly() async throws {
        let report = try await Self.report(ReportScope(.job, "job-1"), try await Self.source())
        // Shares: 0.1 / 0.1125 = 0.8888… → 88.89 %; 0.0125 / 0.1125 = 0.1111… → 11.11 %.
        #expect(report.json.serialized() == """
            {"scope":{"type":"job","id":"job-1"},\
            "summary":{"total_cost_usd":0.1125,"total_tokens":1500,"total_api_calls":2,"average_cost_per_call":0.05625,\
            "date_range":{"start":"2026-03-10","end":"2026-03-20"},"invalid_items":0,"unpriced_calls":0},\
            "activity":{"first_call":"2026-03-10T09:00:00.000000+00:00","last_call":"2026-03-12T10:30:00.500000+00:00",\
            "duration_seconds":178200.5,"error_count":1},\
            "top_models":[{"model":"gpt-4o","service":"openai","cost_usd":0.1,"tokens":1000,"api_calls":1,"average_cost_per_call":0.1,"share_of_cost_percent":88.89,"unpriced_calls":0},\
            {"model":"claude-3-haiku","service":"anthropic","cost_usd":0.0125,"tokens":500,"api_calls":1,"average_cost_per_call":0.0125,"share_of_cost_percent":11.11,"unpriced_calls":0}],\
            "aggregations":{"by_day":{"2026-03-10":{"cost_usd":0.1,"tokens":1000,"api_calls":1,"services":["openai"],"unpriced_calls":0},\
            "2026-03-12":{"cost_usd":0.0125,"tokens":500,"api_calls":1,"services":["anthropic"],"unpriced_calls":0}},\
            "by_service":{"anthropic":{"cost_usd":0.0125,"tokens":500,"api_calls":1,"models":["claude-3-haiku"],"operations":["completion"],"average_cost_per_call":0.0125,"unpriced_calls":0},\
            "openai":{"cost_usd":0.1,"tokens":1000,"api_calls":1,"models":["gpt-4o"],"operations":["completion"],"average_cost_per_call":0.1,"unpriced_calls":0}},\
            "by_model":{"claude-3-haiku":{"cost_usd":0.0125,"tokens":500,"api_calls":1,"service":"anthropic","average_tokens_per_call":500,"unpriced_calls":0},\
            "gpt-4o":{"cost_usd":0.1,"tokens":1000,"api_calls":1,"service":"openai","average_tokens_per_call":1000,"unpriced_calls":0}},\
            "by_operation":{"completion":{"cost_usd":0.1125,"tokens":1500,"api_calls":2,"services":["anthropic","openai"],"unpriced_calls":0}}},\
            "query":{"job_id":"job-1","batch_id":null,"user_id":null,"environment":null,"start_date":"2026-03-10","end_date":"2026-03-20","format":"json"}}
            """)
    }

    @Test func theCSVAnswerExactly() async throws {
        let report = try await Self.report(ReportScope(.batch, "b-1"), try await Self.source())
        // Exact costs; averages to 6 places; shares to 2: 0.1 / 0.400123456789 = 0.24992… → 24.99,
        // 0.000123456789 / … = 0.000308… → 0.03, 0.3 / … = 0.74976… → 74.98, 0.4 / … → 99.97.
        #expect(report.csv == [
            "section,name,value,cost_usd,tokens,api_calls,average_cost_per_call,share_of_cost_percent,unpriced_calls",
            "scope,batch,b-1,,,,,,",
            "range,start_date,2026-03-10,,,,,,",
            "range,end_date,2026-03-20,,,,,,",
            "activity,first_call,2026-03-10T09:00:00.000000+00:00,,,,,,",
            "activity,last_call,2026-03-19T23:59:59.999999+00:00,,,,,,",
            "activity,duration_seconds,831599.999999,,,,,,",
            "activity,error_count,1,,,,,,",
            "activity,invalid_items,0,,,,,,",
            "total,all,,0.400123456789,4050,3,0.133374,100,0",
            "service,openai,,0.400123456789,4050,3,0.133374,100,0",
            "model,gpt-4o,openai,0.4,4000,2,0.2,99.97,0",
            "model,gpt-4o-mini,openai,0.000123456789,50,1,0.000123,0.03,0",
            "operation,completion,,0.4,4000,2,0.2,99.97,0",
            "operation,embedding,,0.000123456789,50,1,0.000123,0.03,0",
            "day,2026-03-10,,0.1,1000,1,0.1,24.99,0",
            "day,2026-03-11,,0.000123456789,50,1,0.000123,0.03,0",
            "day,2026-03-19,,0.3,3000,1,0.3,74.98,0",
            "top_model,gpt-4o,1,0.4,4000,2,0.2,99.97,0",
            "top_model,gpt-4o-mini,2,0.000123456789,50,1,0.000123,0.03,0",
        ].map { $0 + "\r\n" }.joined())
        #expect(report.csvFileName == "ai-usage-report-batch-b-1-2026-03-10-2026-03-20.csv")
    }

    @Test func theTable() async throws {
        let report = try await Self.report(ReportScope(.job, "job-1"), try await Self.source())
        let lines = report.table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "Report for job job-1, 2026-03-10 .. 2026-03-20 (UTC)")
        #expect(lines.contains("  Total cost     0.1125 USD"))
        #expect(lines.contains("  Cost per call  0.056250 USD"))
        #expect(lines.contains("  Duration       2d 1h 30m 0.5s (178200.5 s)"))
        #expect(lines.contains("  Errors         1"))
        #expect(lines.contains("  #  MODEL           SERVICE    COST_USD  SHARE_%  CALLS"))
        #expect(lines.contains("  1  gpt-4o          openai       0.1000    88.89      1"))
        #expect(lines.contains("  SERVICE    COST_USD  TOKENS  CALLS  COST_PER_CALL"))
        #expect(lines.contains("  anthropic    0.0125     500      1       0.012500"))
        #expect(report.table.hasSuffix("\n") && !report.table.contains(" \n"))
        // Every call priced: no line about unpriced calls.
        #expect(!report.table.contains("Unpriced"))
    }

    @Test func durationsReadAsUnits() {
        #expect(ScopedReport.duration(micros: 500_000) == "0.5 s")
        #expect(ScopedReport.duration(micros: 59_999_999) == "59.999999 s")
        #expect(ScopedReport.duration(micros: 60_000_000) == "1m 0s (60 s)")
        #expect(ScopedReport.duration(micros: 3_600_000_000) == "1h 0m 0s (3600 s)")
        // 1 d 2 h 3 min 4.5 s = 86,400 + 7,200 + 180 + 4.5 = 93,784.5 s.
        #expect(ScopedReport.duration(micros: 93_784_500_000) == "1d 2h 3m 4.5s (93784.5 s)")
    }

    // MARK: - CSV

    @Test func csvQuotesOnlyWhatItMust() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("") == "")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field("two\r\nlines") == "\"two\r\nlines\"")
        #expect(CSVWriter.field("lf\nonly") == "\"lf\nonly\"")
        #expect(CSVWriter.field("cr\ronly") == "\"cr\ronly\"")
        #expect(CSVWriter.field("modèle 日本 🚀") == "modèle 日本 🚀")
        #expect(CSVWriter.field("\"") == "\"\"\"\"")
        #expect(CSVWriter.field(" leading and trailing ") == " leading and trailing ")
        var writer = CSVWriter(header: ["a", "b"])
        writer.append(["1,5", "x\"y"])
        writer.append(["", "é\n"])
        #expect(writer.text == "a,b\r\n\"1,5\",\"x\"\"y\"\r\n,\"é\n\"\r\n")
        #expect(Self.parseCSV(writer.text) == [["a", "b"], ["1,5", "x\"y"], ["", "é\n"]])
    }

    @Test func hostileNamesSurviveTheCSVRoundTrip() async throws {
        let names = ["gpt \"4o\", mini", "line\r\nbreak", "modèle-日本", "=cmd|' /C calc'!A0", "tab\there", "lf\nonly"]
        let items = names.enumerated().map { index, name in
            Self.item("openai", name, "op,\"x\"", UTCTimestamp(year: 2026, month: 3, day: 19, hour: index), id: "q\(index)",
                      input: 1, cost: "0.01", job: "job:q")
        }
        let report = try await Self.report(ReportScope(.job, "job:q"), try await Self.source(items))
        let rows = Self.parseCSV(report.csv)
        #expect(rows.allSatisfy { $0.count == ScopedReport.csvColumns.count })
        #expect(Set(rows.filter { $0[0] == "model" }.map { $0[1] }) == Set(names))
        #expect(rows.filter { $0[0] == "operation" }.map { $0[1] } == ["op,\"x\""])
        #expect(rows.first { $0[0] == "total" }?[3] == "0.06")
        // Every line ends in CRLF; bare CR or LF appear only inside quoted fields.
        #expect(report.csv.hasSuffix("\r\n"))
        // The id's `:` is not safe in a file name.
        #expect(report.csvFileName == "ai-usage-report-job-job_q-2026-03-10-2026-03-20.csv")
        // The table shows control characters as `?`.
        #expect(report.table.contains("line??break"))
        #expect(!report.table.contains("\r"))
    }

    /// RFC 4180 read back, independently of the writer.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                row.append(field)
                field = ""
            } else if scalar == "\r", scalars.first == "\n" {
                scalars.removeFirst()
                row.append(field)
                rows.append(row)
                (row, field) = ([], "")
            } else {
                field.unicodeScalars.append(scalar)
            }
        }
        return rows
    }

    // MARK: - Parameters

    static func parse(_ parameters: [(String, [String])]) -> Result<ScopedReportQuery, UsageQuery.Invalid> {
        Result { () throws(UsageQuery.Invalid) in try ScopedReportQuery.parse(parameters.map { (name: $0.0, values: $0.1) }, today: today) }
    }

    @Test func parametersAndDefaults() throws {
        let query = try Self.parse([("job_id", ["job-1"])]).get()
        #expect(query == ScopedReportQuery(scope: ReportScope(.job, "job-1"), start: Self.day(20).adding(days: -30), end: Self.day(20), format: .json))
        #expect(query.start.text == "2026-02-18")
        let csv = try Self.parse([("user_id", ["alice"]), ("start_date", ["2026-03-01"]), ("end_date", ["2026-03-02"]), ("format", ["CSV"]), ("job_id", [""])]).get()
        #expect(csv == ScopedReportQuery(scope: ReportScope(.user, "alice"), start: Self.day(1), end: Self.day(2), format: .csv))
        #expect(csv.echo.serialized() == #"{"job_id":null,"batch_id":null,"user_id":"alice","environment":null,"start_date":"2026-03-01","end_date":"2026-03-02","format":"csv"}"#)
        #expect(try Self.parse([("environment", ["production"]), ("format", [""])]).get().format == .json)
        #expect(try Self.parse([("batch_id", ["b.1:x_y-z"])]).get().scope == ReportScope(.batch, "b.1:x_y-z"))
    }

    @Test(arguments: [
        ([], "give the report's scope: one of job_id, batch_id, user_id or environment"),
        ([("job_id", [""]), ("format", ["csv"])], "give the report's scope: one of job_id, batch_id, user_id or environment"),
        ([("job_id", ["a"]), ("user_id", ["b"])], "give one scope only, one of job_id, batch_id, user_id or environment; got job_id and user_id"),
        ([("service", ["openai"]), ("job_id", ["a"])], "unknown parameter 'service'; valid: job_id, batch_id, user_id, environment, start_date, end_date, format"),
        ([("\u{1B}[31mred", ["x"])], "unknown parameter '?[31mred'; valid: job_id, batch_id, user_id, environment, start_date, end_date, format"),
        ([("job_id", ["Job 42"])], "job_id must match [a-z0-9_.:-]{1,64}, got 'Job 42'"),
        ([("job_id", ["job-1#x"])], "job_id must match [a-z0-9_.:-]{1,64}, got 'job-1#x'"),
        ([("user_id", ["a\u{0}b"])], "user_id must match [a-z0-9_.:-]{1,64}, got 'a?b'"),
        ([("environment", [String(repeating: "p", count: 65)])], "environment must match [a-z0-9_.:-]{1,64}, got '\(String(repeating: "p", count: 65))'"),
        ([("batch_id", [String(repeating: "b", count: 100)])], "batch_id must match [a-z0-9_.:-]{1,64}, got '\(String(repeating: "b", count: 80))…'"),
        ([("job_id", ["a", "b"])], "job_id is given 2 times; give it once"),
        ([("job_id", ["a"]), ("format", ["csv", "json"])], "format is given 2 times; give it once"),
        ([("job_id", ["a"]), ("format", ["xml"])], "format must be json or csv, got 'xml'"),
        ([("job_id", ["a"]), ("start_date", ["2026-02-30"])], "start_date must be a real date as YYYY-MM-DD, got '2026-02-30'"),
        ([("job_id", ["a"]), ("start_date", ["2026-03-21"])], "start_date 2026-03-21 is after end_date 2026-03-20"),
        ([("job_id", ["a"]), ("start_date", ["2025-01-01"])], "the range 2025-01-01..2026-03-20 is 444 days; at most 366 are allowed"),
    ] as [([(String, [String])], String)])
    func hostileParametersAreRefusedClearly(parameters: [(String, [String])], message: String) {
        switch Self.parse(parameters) {
        case .success(let query): Issue.record("accepted: \(query)")
        case .failure(let invalid): #expect(invalid.message == message)
        }
    }

    // MARK: - The queries sent

    static func dynamoSource(sharding: IndexSharding = .single) throws -> DynamoDBUsageSource {
        let configuration = try DynamoDBConfiguration(
            region: "us-east-1", credentials: Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "secret"), endpoint: Endpoint("http://127.0.0.1:9")
        )
        return DynamoDBUsageSource(client: DynamoDBClient(configuration: configuration), tableName: "Usage", sharding: sharding)
    }

    @Test func aJobWithoutAServiceIsReadFromGSI3() throws {
        let source = try Self.dynamoSource(sharding: IndexSharding(count: 4)!)
        let job = UsageQuery(start: Self.day(10), end: Self.day(20), jobId: "job-1")
        #expect(source.rawPartitions(for: job) == ["JOB#job-1"])
        let input = source.rawQuery(job, partition: "JOB#job-1", from: Self.day(10), to: Self.day(12))
        #expect(input.indexName == "GSI3")
        #expect(input.keyConditionExpression == "GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to")
        #expect(input.expressionAttributeValues?[":pk"] == .s("JOB#job-1"))
        #expect(input.expressionAttributeValues?[":from"] == .s("AI_USAGE#2026-03-10"))
        #expect(input.expressionAttributeValues?[":to"] == .s("AI_USAGE#2026-03-12~"))
        #expect(input.filterExpression == "(#job_id = :job OR #jobId = :job)")
        #expect(input.projectionExpression?.hasSuffix("#operation, #error") == true)
        #expect(input.expressionAttributeNames?["#error"] == "error")

        // With a service, GSI1 as before; a batch, GSI2 (every shard); both projecting `error`, as a user's read does.
        let withService = UsageQuery(start: Self.day(10), end: Self.day(20), service: "openai", jobId: "job-1")
        #expect(source.rawQuery(withService, partition: "AI_USAGE#openai", from: Self.day(10), to: Self.day(10)).indexName == "GSI1")
        let batch = UsageQuery(start: Self.day(10), end: Self.day(20), batchId: "b-1")
        #expect(source.rawPartitions(for: batch).count == 5)
        let batchInput = source.rawQuery(batch, partition: "AI_USAGE_COST", from: Self.day(10), to: Self.day(10))
        #expect(batchInput.indexName == "GSI2")
        #expect(batchInput.projectionExpression?.contains("#error") == true)
        let user = source.rawQuery(UsageQuery(start: Self.day(10), end: Self.day(20), userId: "alice"), partition: "AI_USAGE_COST", from: Self.day(10), to: Self.day(10))
        #expect(user.indexName == "GSI2")
        // Every raw read projects `error`: a call without a cost is unpriced only if it did not fail.
        #expect(user.projectionExpression?.components(separatedBy: "#error").count == 2)
        #expect(user.expressionAttributeNames?["#error"] == "error")
        // Compaction projects `error` once.
        let compaction = source.compactionQuery(partition: "AI_USAGE_COST", day: Self.day(10))
        #expect(compaction.projectionExpression?.components(separatedBy: "#error").count == 2)
    }

    @Test func aJobPrefixIsReadFromEveryGSI2PartitionWithBeginsWith() throws {
        let source = try Self.dynamoSource(sharding: IndexSharding(count: 4)!)
        let prefix = UsageQuery(start: Self.day(10), end: Self.day(20), jobIdPrefix: "nightly-")
        #expect(source.rawPartitions(for: prefix).count == 5)
        #expect(!RollupGroup.canAnswer(prefix))
        let input = source.rawQuery(prefix, partition: "AI_USAGE_COST", from: Self.day(10), to: Self.day(20))
        #expect(input.indexName == "GSI2")
        #expect(input.filterExpression == "(begins_with(#job_id, :jobPrefix) OR begins_with(#jobId, :jobPrefix))")
        #expect(input.expressionAttributeValues?[":jobPrefix"] == .s("nightly-"))
        #expect(input.expressionAttributeNames?["#job_id"] == "job_id" && input.expressionAttributeNames?["#jobId"] == "jobId")
        #expect(input.projectionExpression?.hasSuffix("#job_id, #jobId") == true)
        // `job:*`: every item with a job; DynamoDB is sent no empty value.
        let every = source.rawQuery(UsageQuery(start: Self.day(10), end: Self.day(20), jobIdPrefix: ""), partition: "AI_USAGE_COST", from: Self.day(10), to: Self.day(10))
        #expect(every.filterExpression == "(attribute_exists(#job_id) OR attribute_exists(#jobId))")
        #expect(every.expressionAttributeValues?[":jobPrefix"] == nil)
        // A prefix never shares an API answer's cache entry.
        #expect(prefix.cacheKey != UsageQuery(start: Self.day(10), end: Self.day(20)).cacheKey)
    }

    @Test func jobSpendIsKeptPerJobForAPrefix() async throws {
        let source = try await Self.source(sharding: IndexSharding(count: 3)!)
        let reader = JobSpendReader(fetcher: UsageFetcher(source: source, concurrency: 3))
        // job-1: a 0.1 + b 0.0125 = 0.1125 (g, on the 5th, is before the range); job-2: h 0.004,
        // stored with the first generation's jobId and costUSD.
        let all = try await reader.spend(jobPrefix: "job-", from: Self.start, to: Self.today)
        #expect(all.spend == ["job-1": ExactDecimal("0.1125")!, "job-2": ExactDecimal("0.004")!])
        #expect(all.invalidItems == 0)
        #expect(all.reads.items == 3)
        #expect(try await reader.spend(jobPrefix: "", from: Self.start, to: Self.today).spend == all.spend)
        #expect(try await reader.spend(jobPrefix: "job-2", from: Self.start, to: Self.today).spend == ["job-2": ExactDecimal("0.004")!])
        #expect(try await reader.spend(jobPrefix: "job-1", from: Self.day(11), to: Self.day(12)).spend == ["job-1": ExactDecimal("0.0125")!])
        #expect(try await reader.spend(jobPrefix: "nightly-", from: Self.start, to: Self.today).spend.isEmpty)
        // Over every day since the 1st, g's 5 counts too: 5.1125.
        #expect(try await reader.spend(jobPrefix: "job-1", from: Self.day(1), to: Self.today).spend == ["job-1": ExactDecimal("5.1125")!])
    }

    @Test func theGSI3KeysAreTheCodecs() throws {
        for (hour, minute) in [(0, 0), (23, 59)] {
            let item = Self.item("openai", "m", "o", UTCTimestamp(year: 2026, month: 3, day: 12, hour: hour, minute: minute, microsecond: 1), id: "k",
                                 cost: "0", user: "u", job: "job-9", batch: "b")
            #expect(item["GSI3PK"] == .s(ScopeIndex.jobPartition("job-9")))
            let key = try #require(item["GSI3SK"]?.string)
            #expect(key >= ScopeIndex.sortKeyStart(Self.day(12)) && key <= ScopeIndex.sortKeyEnd(Self.day(12)))
            #expect(key > ScopeIndex.sortKeyEnd(Self.day(11)) && key < ScopeIndex.sortKeyStart(Self.day(13)))
        }
    }

    @Test func aJobReportThroughTheAPIPathIsUnchangedByGSI3() async throws {
        // `GET /ai_usage?job_id=` now reads GSI3 too: the same answer as an independent fold.
        let source = try await Self.source()
        let query = UsageQuery(start: Self.start, end: Self.today, jobId: "job-1", aggregation: AggregationLevel.allCases)
        let outcome = try await UsageFetcher(source: source, concurrency: 4).aggregate(query, today: Self.today)
        var reference = UsageAggregate(levels: AggregationLevel.allCases)
        for id in ["a", "b"] { reference.add(Self.items.first { $0["request_id"] == .s(id) }!) }
        #expect(outcome.aggregate.report(start: query.start, end: query.end, query: query.echo).serialized()
            == reference.report(start: query.start, end: query.end, query: query.echo).serialized())
        #expect(Set(source.reads.map(\.partition)) == ["JOB#job-1"])
    }
}

extension ScopedReportTests {
    /// An `InMemoryUsageSource` that records every read it serves.
    final class RecordingSource: UsageSource, Sendable {
        enum Kind: Sendable, Hashable { case raw, rollups, fineRollups, day }
        struct Read: Sendable, Hashable {
            var kind: Kind
            var partition: String
            var first: CivilDate
            var last: CivilDate
        }

        let inner: InMemoryUsageSource
        private let recorded = Mutex<[Read]>([])

        init(_ inner: InMemoryUsageSource) { self.inner = inner }

        var reads: [Read] { recorded.withLock { $0 } }

        private func record(_ kind: Kind, _ partition: String, _ first: CivilDate, _ last: CivilDate) {
            recorded.withLock { $0.append(Read(kind: kind, partition: partition, first: first, last: last)) }
        }

        func rawPartitions(for query: UsageQuery) -> [String] { inner.rawPartitions(for: query) }

        func readRaw(
            _ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate,
            item: (inout WireItem) throws(WireDecodingError) -> Void
        ) async throws(DynamoDBError) -> ReadCount {
            record(.raw, partition, first, last)
            return try await inner.readRaw(query, partition: partition, from: first, to: last, item: item)
        }

        func readRollups(
            from first: CivilDate, to last: CivilDate, item: (inout WireItem) throws(WireDecodingError) -> Void
        ) async throws(DynamoDBError) -> ReadCount {
            record(.rollups, RollupKeys.partition, first, last)
            return try await inner.readRollups(from: first, to: last, item: item)
        }

        func readFineRollups(
            from first: CivilDate, to last: CivilDate, item: (inout WireItem) throws(WireDecodingError) -> Void
        ) async throws(DynamoDBError) -> ReadCount {
            record(.fineRollups, RollupKeys.partition, first, last)
            return try await inner.readFineRollups(from: first, to: last, item: item)
        }

        func readDay(
            _ day: CivilDate, partition: String, item: (inout WireItem) throws(WireDecodingError) -> Void
        ) async throws(DynamoDBError) -> ReadCount {
            record(.day, partition, day, day)
            return try await inner.readDay(day, partition: partition, item: item)
        }

        func write(_ requests: [WriteRequest]) async throws(DynamoDBError) {
            try await inner.write(requests)
        }
    }
}
