import AIUsage
import AIUsageReports
import AIUsageTracker
import DynamoDB
import Foundation
import TestSupport
import Testing

/// Scoped reports against the real server (moto with signature checks on): a month of calls
/// with every mix of contexts (user calls made inside jobs, batch calls that carry a user or run
/// inside a job), written through the tracker's sink over sharded and unsharded partitions and
/// compacted; every scope's report matched against an independent sum over the seeded items.
@Suite struct ScopedReportIntegrationTests {
    /// The writers' clock: 1 December 2026, noon UTC; 29 November is the last closed day.
    static let now = UTCTimestamp(year: 2026, month: 12, day: 1, hour: 12)
    static let today = CivilDate(year: 2026, month: 12, day: 1)
    /// Readers read every shard's partition and the original one.
    static let sharding = IndexSharding(count: 2)!

    /// 14 calls a day over November. Odd days are written sharded, even days unsharded; one item
    /// in five is in the older camelCase generation. Some calls have no cost: the 10th of each day
    /// (unpriced), the 11th (failed, so not unpriced) and every fourth day the 7th (unpriced, 3
    /// calls).
    static func month() throws -> [Item] {
        let models = [("openai", "gpt-4o"), ("openai", "text-embedding-3-small"), ("anthropic", "claude-3-haiku"), ("google_places", "places_api")]
        var items: [Item] = []
        for day in 1...30 {
            for index in 0..<14 {
                let (service, model) = models[(day + index) % models.count]
                let metric = AIUsageMetric(
                    service: service, model: model, operation: index % 3 == 0 ? "embedding" : "completion",
                    timestamp: UTCTimestamp(year: 2026, month: 11, day: day, hour: (index * 5) % 24, minute: index, second: day, microsecond: index * 1001),
                    requestId: "s-\(day)-\(index)", apiCalls: index % 7 == 0 ? 3 : 1, inputTokens: 40 + index * day, outputTokens: index,
                    costUSD: index == 10 || index == 11 || (index == 7 && day % 4 == 0) ? nil : ExactDecimal("0.00\(day)\(index)9")!,
                    userId: [nil, "alice", "bob", "alice"][index % 4],
                    jobId: index % 5 == 0 ? "job-\(day % 3)" : nil,
                    batchId: index % 3 == 1 ? "batch-\(day % 2)" : nil,
                    environment: index % 7 == 6 ? nil : ["production", "staging"][index % 2],
                    error: index % 6 == 5 ? "RateLimitError" : nil
                )
                var item = try MetricItemCodec.item(for: metric, sharding: day % 2 == 1 ? sharding : .single)
                if (index + day) % 5 == 0 {
                    for (snake, camel) in [("cost_usd", "costUSD"), ("total_tokens", "totalTokens"), ("api_calls", "apiCalls"),
                                           ("user_id", "userId"), ("job_id", "jobId"), ("batch_id", "batchId")] {
                        if let value = item.removeValue(forKey: snake) { item[camel] = value }
                    }
                }
                items.append(item)
            }
        }
        return items
    }

    /// Whether an item carries `scope`, under either generation's name.
    static func carries(_ item: Item, _ scope: ReportScope) -> Bool {
        let names = switch scope.kind {
        case .job: ["job_id", "jobId"]
        case .batch: ["batch_id", "batchId"]
        case .user: ["user_id", "userId"]
        case .environment: ["environment"]
        }
        return names.contains { item[$0] == .s(scope.id) }
    }

    /// Sums worked out straight from the seeded items, without the report code.
    struct Expected {
        struct Sums: Equatable {
            var cost = ExactDecimal.zero
            var tokens = 0
            var calls = 0
            /// Calls with no cost and no error.
            var unpriced = 0
        }

        var total = Sums()
        var groups: [AggregationLevel: [String: Sums]] = [:]
        var first: UTCTimestamp?
        var last: UTCTimestamp?
        var errors = 0

        init(_ items: [Item], _ scope: ReportScope, from start: CivilDate, to end: CivilDate) {
            func number(_ item: Item, _ names: String...) -> String? {
                for name in names { if case .n(let text)? = item[name] { return text } }
                return nil
            }
            for item in items where ScopedReportIntegrationTests.carries(item, scope) {
                guard let date = item["date"]?.string, date >= start.text, date <= end.text else { continue }
                let cost = ExactDecimal(number(item, "cost_usd", "costUSD") ?? "0")!
                let tokens = Int(number(item, "total_tokens", "totalTokens") ?? "0")!
                let calls = Int(number(item, "api_calls", "apiCalls") ?? "1")!
                let unpriced = number(item, "cost_usd", "costUSD") == nil && item["error"] == nil ? calls : 0
                func add(_ sums: inout Sums) {
                    sums.cost += cost
                    sums.tokens += tokens
                    sums.calls += calls
                    sums.unpriced += unpriced
                }
                add(&total)
                for (level, attribute) in [(AggregationLevel.service, "service"), (.model, "model"), (.operation, "operation"), (.day, "date")] {
                    add(&groups[level, default: [:]][item[attribute]?.string ?? "unknown", default: Sums()])
                }
                let instant = UTCTimestamp(iso8601: item["timestamp"]!.string!)!
                first = min(first ?? instant, instant)
                last = max(last ?? instant, instant)
                if item["error"] != nil { errors += 1 }
            }
        }
    }

    static func fetcher(_ client: DynamoDBClient, _ table: String, rollups: Bool = true) -> ScopedReportFetcher {
        ScopedReportFetcher(fetcher: UsageFetcher(client: client, tableName: table, concurrency: 4, sharding: sharding, usesRollups: rollups))
    }

    static let scopes = [
        ReportScope(.job, "job-0"), ReportScope(.job, "job-1"), ReportScope(.job, "job-2"),
        ReportScope(.batch, "batch-0"), ReportScope(.batch, "batch-1"),
        ReportScope(.user, "alice"), ReportScope(.user, "bob"),
        ReportScope(.environment, "production"), ReportScope(.environment, "staging"),
    ]

    @Test func everyScopeMatchesAnIndependentSum() async throws {
        let client = try IntegrationEnvironment.client()
        let items = try Self.month()
        // The cases GSI3 alone would miss are really there.
        #expect(items.contains { ($0["GSI3PK"]?.string ?? "").hasPrefix("JOB#") && ($0["user_id"] ?? $0["userId"]) != nil })
        #expect(items.contains { ($0["GSI3PK"]?.string ?? "").hasPrefix("USER#") && ($0["batch_id"] ?? $0["batchId"]) != nil })
        #expect(items.contains { ($0["GSI3PK"]?.string ?? "").hasPrefix("JOB#") && ($0["batch_id"] ?? $0["batchId"]) != nil })
        try await IntegrationEnvironment.withTable(client) { table in
            let sink = DynamoDBSink(client: client, tableName: table, now: { Self.now })
            for start in stride(from: 0, to: items.count, by: 100) {
                let outcome = await sink.write(Array(items[start..<min(start + 100, items.count)]))
                #expect(outcome.unwritten.isEmpty, "\(outcome.failure ?? "")")
            }
            let source = DynamoDBUsageSource(client: client, tableName: table, sharding: Self.sharding)
            let compacted = try await RollupCompactor(source: source, sharding: Self.sharding, settleSeconds: 0, now: { Self.now })
                .compact(from: CivilDate(year: 2026, month: 11, day: 1), to: CivilDate(year: 2026, month: 11, day: 30))
            #expect(compacted.filter { $0.result == .written }.count == 29)

            let ranges = [(CivilDate(year: 2026, month: 11, day: 1), CivilDate(year: 2026, month: 11, day: 30)),
                          (CivilDate(year: 2026, month: 11, day: 6), CivilDate(year: 2026, month: 11, day: 17))]
            for scope in Self.scopes {
                for (start, end) in ranges {
                    let query = ScopedReportQuery(scope: scope, start: start, end: end)
                    let report = try await Self.fetcher(client, table).report(query, today: Self.today)
                    let expected = Expected(items, scope, from: start, to: end)
                    let label = "\(scope) \(start)..\(end)"
                    #expect(expected.total.calls > 0, "\(label)")
                    #expect(report.aggregate.totalCost == expected.total.cost, "\(label)")
                    #expect(report.aggregate.totalTokens == expected.total.tokens, "\(label)")
                    #expect(report.aggregate.totalAPICalls == expected.total.calls, "\(label)")
                    #expect(expected.total.unpriced > 0, "\(label)")
                    #expect(report.aggregate.unpricedCalls == expected.total.unpriced, "\(label)")
                    #expect(report.json["summary"]?["unpriced_calls"]?.intValue == expected.total.unpriced, "\(label)")
                    #expect(report.aggregate.invalidItems == 0, "\(label)")
                    for level in [AggregationLevel.service, .model, .operation, .day] {
                        let found = Dictionary(uniqueKeysWithValues: report.aggregate.groups(level).map {
                            ($0.key, Expected.Sums(cost: $0.cost, tokens: $0.tokens, calls: $0.apiCalls, unpriced: $0.unpricedCalls))
                        })
                        #expect(found == expected.groups[level] ?? [:], "\(label) \(level)")
                    }
                    #expect(report.firstCall == expected.first, "\(label)")
                    #expect(report.lastCall == expected.last, "\(label)")
                    #expect(report.errorCount == (scope.kind.isRun ? expected.errors : nil), "\(label)")
                    if scope.kind.isRun {
                        #expect(report.reads.rollupDays == 0, "\(label)")
                    } else {
                        // Closed days from rollups; at most two days' raw items for the first and last call.
                        #expect(report.reads.rollupDays > 0, "\(label): \(report.reads.summary)")
                        #expect(report.reads.activityDays <= 2, "\(label)")
                    }
                    // The same answer from raw items only.
                    let raw = try await Self.fetcher(client, table, rollups: false).report(query, today: Self.today)
                    #expect(raw.json == report.json, "\(label)")
                }
            }
            // A job's report reads the job's items only.
            let job = try await Self.fetcher(client, table).report(
                ScopedReportQuery(scope: ReportScope(.job, "job-1"), start: ranges[0].0, end: ranges[0].1), today: Self.today)
            // One partition (GSI3's JOB#job-1) in 4 segments; GSI2 would be 3 partitions × 4.
            #expect(job.reads.raw.queries == 4, "\(job.reads.summary)")
            #expect(job.reads.raw.items == job.aggregate.itemCount)
        }
    }

    // MARK: - The CLI

    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ai-usage").path
    }

    static func run(_ arguments: [String]) async throws -> ChildProcessOutput {
        var environment = ProcessInfo.processInfo.environment
        environment["AI_USAGE_INDEX_SHARDS"] = "2"
        return try await ChildProcessRunner.runOffPool(executable, ["report"] + arguments, environment: environment)
    }

    @Test func theCommandWritesEachForm() async throws {
        let client = try IntegrationEnvironment.client()
        let items = try Self.month()
        try await IntegrationEnvironment.withTable(client) { table in
            #expect(await client.batchWriteItem(tableName: table, requests: items.map { .put($0) }).isComplete)
            let range = ["--from", "2026-11-01", "--to", "2026-11-30", "--table", table]
            let expected = Expected(items, ReportScope(.user, "alice"), from: CivilDate(year: 2026, month: 11, day: 1), to: CivilDate(year: 2026, month: 11, day: 30))

            let csv = try await Self.run(["--user-id", "alice", "--format", "csv"] + range)
            #expect(csv.status == 0, "\(csv.stderr)")
            let total = csv.stdout.components(separatedBy: "\r\n").first { $0.hasPrefix("total,all,,") }
            #expect(total?.components(separatedBy: ",")[3] == expected.total.cost.description)
            #expect(total?.components(separatedBy: ",")[5] == String(expected.total.calls))
            #expect(total?.components(separatedBy: ",").last == String(expected.total.unpriced))

            let json = try await Self.run(["--user-id", "alice", "--format", "json"] + range)
            #expect(json.status == 0, "\(json.stderr)")
            let answer = try JSONValue.parse(Array(json.stdout.utf8))
            #expect(answer["summary"]?["total_api_calls"]?.intValue == expected.total.calls)
            #expect(answer["summary"]?["unpriced_calls"]?.intValue == expected.total.unpriced)
            #expect(answer["activity"]?["first_call"]?.stringValue == expected.first?.iso8601)

            let text = try await Self.run(["--user-id", "alice"] + range)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.hasPrefix("Report for user alice, 2026-11-01 .. 2026-11-30 (UTC)\n"))
            #expect(text.stdout.contains("  Unpriced calls  \(expected.total.unpriced) (no price in the catalogue; see docs/pricing.md)\n"), "\(text.stdout)")

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: file) }
            let written = try await Self.run(["--job-id", "job-1", "--format", "csv", "--output", file.path] + range)
            #expect(written.status == 0, "\(written.stderr)")
            #expect(written.stdout.isEmpty)
            #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("section,name,value,cost_usd,"))

            let unwritable = try await Self.run(["--job-id", "job-1", "--output", "/no/such/folder/r.csv"] + range)
            #expect(unwritable.status == 1)
            #expect(unwritable.stderr.hasPrefix("ai-usage: cannot write --output /no/such/folder/r.csv: "), "\(unwritable.stderr)")
        }
    }

    @Test func theCommandSaysWhatIsWrong() async throws {
        _ = try IntegrationEnvironment.configuration()
        let filtered = try await Self.run(["--job-id", "a", "--service", "openai", "--table", "t"])
        #expect(filtered.status != 0)
        #expect(filtered.stderr.contains("--service narrows the whole-table report only; drop it or --job-id"), "\(filtered.stderr)")
        let two = try await Self.run(["--job-id", "a", "--user-id", "b", "--table", "t"])
        #expect(two.stderr.contains("give one scope only (one of --job-id, --batch-id, --user-id or --environment); got --job-id and --user-id"))
        let bad = try await Self.run(["--job-id", "Job 42", "--table", "t"])
        #expect(bad.stderr.contains("--job-id must match [a-z0-9_.:-]{1,64}, got 'Job 42'"))
        let order = try await Self.run(["--job-id", "a", "--from", "2026-11-30", "--to", "2026-11-01", "--table", "t"])
        #expect(order.stderr.contains("--from 2026-11-30 is after --to 2026-11-01"))
        let format = try await Self.run(["--job-id", "a", "--format", "xml", "--table", "t"])
        #expect(format.status != 0)
        #expect(format.stderr.contains("table") && format.stderr.contains("csv"))
        let missing = try await Self.run(["--job-id", "a", "--table", "no-such-table-\(UUID().uuidString.prefix(8).lowercased())"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("ai-usage: "))
        #expect(missing.stderr.contains("ai-usage table create"))
    }
}
