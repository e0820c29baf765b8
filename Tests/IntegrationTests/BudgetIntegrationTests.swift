import AIUsage
import AIUsageAPI
import AIUsageBudgets
import AIUsageReports
import AIUsageTracker
import CurlHTTP
import DynamoDB
import Foundation
import LambdaEmulator
import Synchronization
import TestSupport
import Testing

/// Budgets against the real server `make test` started: the threshold table step by step,
/// period boundaries, two checker processes at once, and the scheduled check through the real
/// bootstrap to a webhook receiver on 127.0.0.1.
@Suite(.serialized) struct BudgetIntegrationTests {
    static let secret = "integration-secret-0123456789"

    func at(_ text: String) -> UTCTimestamp { UTCTimestamp(iso8601: text)! }

    /// The lines `stdout` alert channels wrote.
    final class Lines: Sendable {
        let items = Mutex<[String]>([])
    }

    /// One metric of `cost` USD for `user` at `time`.
    func item(_ cost: String, user: String? = nil, at time: UTCTimestamp, id: String) throws -> Item {
        try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: "gpt-4o", operation: "completion", timestamp: time, requestId: id,
            inputTokens: 10, outputTokens: 5, costUSD: ExactDecimal(cost)!, userId: user
        ))
    }

    func write(_ items: [Item], to table: String, _ client: DynamoDBClient) async throws {
        let result = await client.batchWriteItem(tableName: table, requests: items.map { .put($0) })
        #expect(result.isComplete && result.errors.isEmpty)
    }

    /// A checker on `table` whose alerts go to `stdout` lines collected in `lines`.
    func checker(_ client: DynamoDBClient, _ table: String, lines: Lines) -> BudgetChecker {
        var settings = AlertSettings()
        settings.channels = [.stdout]
        let fetcher = UsageFetcher(client: client, tableName: table)
        return AIUsageHandler.makeBudgetChecker(
            client: client, tableName: table, sharding: .single, fetcher: fetcher, alerts: settings,
            transport: CurlHTTPClient(maxConnections: 1), standardOutput: { line in lines.items.withLock { $0.append(line) } }, log: { _ in }
        )
    }

    func set(_ scope: String, limit: String, period: BudgetPeriod = .monthly, _ client: DynamoDBClient, _ table: String, channels: [AlertChannel] = []) async throws {
        try await BudgetStore(client: client, tableName: table).set(Budget(
            scope: try BudgetScope(parsing: scope), period: period, limit: ExactDecimal(limit)!, channels: channels
        ))
    }

    /// The levels raised for `scope` by one check.
    func raised(_ outcome: BudgetChecker.Outcome, _ scope: String) -> [String] {
        outcome.raised.filter { $0.evaluation.subject.text == scope }.map(\.thresholdText)
    }

    @Test func theThresholdTableStepByStep() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let lines = Lines()
            let checker = checker(client, table, lines: lines)
            // Late on March 31 (30 days 23 hours in), so projections stay near the spend:
            // 99.50 × 2,678,400 / 2,674,800 = 99.634 < 100, never "projected".
            let now = at("2026-03-31T23:00:00Z")
            let march = at("2026-03-15T10:00:00Z")
            for user in ["a", "b", "c", "d"] { try await set("user:\(user)", limit: "100", client, table) }
            try await set("user:zero", limit: "0", client, table)
            try await write([
                try item("30", user: "a", at: march, id: "a1"), try item("79.50", user: "b", at: march, id: "b1"),
                try item("99.50", user: "c", at: march, id: "c1"), try item("40", user: "d", at: march, id: "d1"),
            ], to: table, client)

            let first = try await checker.check(at: now, send: true)
            #expect(raised(first, "user:a") == [])                 // 30 %: nothing
            #expect(raised(first, "user:b") == ["50:info"])        // 79.5 %
            #expect(raised(first, "user:c") == ["95:critical"])    // 99.5 %
            #expect(raised(first, "user:d") == [])                 // 40 %
            #expect(raised(first, "user:zero") == [])              // nothing spent of 0

            try await write([
                try item("0.50", user: "a", at: march, id: "a2"), try item("0.50", user: "b", at: march, id: "b2"),
                try item("0.50", user: "c", at: march, id: "c2"), try item("57", user: "d", at: march, id: "d2"),
                try item("0.000001", user: "zero", at: march, id: "z1"),
            ], to: table, client)
            let second = try await checker.check(at: now, send: true)
            #expect(raised(second, "user:a") == [])                // 30 + 0.50 = 30.5 %: nothing
            #expect(raised(second, "user:b") == ["80:warning"])    // 79.50 + 0.50 = 80 %
            #expect(raised(second, "user:c") == ["100:exceeded"])  // 99.50 + 0.50 = 100 %
            #expect(raised(second, "user:d") == ["95:critical"])   // 40 → 97: critical at once
            #expect(raised(second, "user:zero") == ["100:exceeded"])  // a limit of 0 is 100 % once spent

            // A repeat within the cooldown (the period instance) raises nothing.
            let third = try await checker.check(at: at("2026-03-31T23:01:00Z"), send: true)
            #expect(third.raised.isEmpty)
            #expect(third.cooledDown.count == 4)
            // Each alert went out once: 2 + 4 stdout lines, each with its exact figures.
            let sent = lines.items.withLock { $0 }.compactMap { try? JSONValue.parse(Array($0.utf8)) }
            #expect(sent.count == 6)
            let exceeded = try #require(sent.first { $0["scope"]?.stringValue == "user:c" && $0["level"]?.stringValue == "exceeded" })
            #expect(exceeded["spend_usd"]?.numberText == "100")
            #expect(exceeded["remaining_usd"]?.numberText == "0")
            #expect(exceeded["percent"]?.numberText == "100")
        }
    }

    @Test func theProjectedAlertFiresOncePerPeriod() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let lines = Lines()
            let checker = checker(client, table, lines: lines)
            try await set("global", limit: "100", client, table)
            try await write([try item("40", at: at("2026-03-02T10:00:00Z"), id: "p1")], to: table, client)
            // March 10 12:00: 40 × 31 / 9.5 = 130.53 > 100, while 40 % reaches no threshold.
            let first = try await checker.check(at: at("2026-03-10T12:00:00Z"), send: true)
            #expect(raised(first, "global") == ["projected"])
            let projected = try #require(first.raised.first).payload(createdAt: at("2026-03-10T12:00:00Z"))
            #expect(projected["projected_spend_usd"]?.numberText == "130.526316")
            let again = try await checker.check(at: at("2026-03-20T12:00:00Z"), send: true)
            #expect(raised(again, "global") == [])
            // April is a new instance: nothing spent, nothing projected.
            let april = try await checker.check(at: at("2026-04-10T12:00:00Z"), send: true)
            #expect(april.raised.isEmpty)
            #expect(april.evaluations.first?.spend == .zero)
        }
    }

    @Test func periodBoundariesCountOnlyTheInstancesItems() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let lines = Lines()
            let checker = checker(client, table, lines: lines)
            for period in BudgetPeriod.allCases { try await set("global", limit: "1000", period: period, client, table) }
            // Around the turn of Q1 into Q2 (Wednesday 2026-04-01), and one call in 2025.
            try await write([
                try item("1", at: at("2025-12-31T23:59:59.999999Z"), id: "y"),
                try item("2", at: at("2026-03-29T12:00:00Z"), id: "sun"),       // Sunday: the week before
                try item("4", at: at("2026-03-30T00:00:00Z"), id: "mon"),       // Monday: this week
                try item("8", at: at("2026-03-31T23:59:59.999999Z"), id: "q1"), // last instant of Q1
                try item("16", at: at("2026-04-01T00:00:00Z"), id: "q2"),       // first instant of Q2
            ], to: table, client)
            let outcome = try await checker.check(at: at("2026-04-01T12:00:00Z"), send: false)
            let spend = Dictionary(uniqueKeysWithValues: outcome.evaluations.map { ($0.budget.period, $0.spend) })
            #expect(spend[.daily] == 16)            // April 1 only
            #expect(spend[.weekly] == ExactDecimal(4 + 8 + 16))   // Monday 2026-03-30 …
            #expect(spend[.monthly] == 16)          // April
            #expect(spend[.quarterly] == 16)        // Q2
            #expect(spend[.annual] == ExactDecimal(2 + 4 + 8 + 16))  // 2026, not the 2025 call
            #expect(lines.items.withLock { $0 }.isEmpty)  // a dry run sends nothing
        }
    }

    @Test func prefixScopesGiveEachSubjectItsOwnBudgetAndTheMostSpecificWins() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let lines = Lines()
            let checker = checker(client, table, lines: lines)
            try await set("user:*", limit: "10", client, table)
            try await set("user:team-*", limit: "100", client, table)
            try await set("user:team-boss", limit: "1", client, table)
            let day = at("2026-03-15T10:00:00Z")
            try await write([
                try item("6", user: "alice", at: day, id: "1"), try item("6", user: "team-a", at: day, id: "2"),
                try item("6", user: "team-boss", at: day, id: "3"),
            ], to: table, client)
            let outcome = try await checker.check(at: at("2026-03-31T23:00:00Z"), send: false)
            let byScope = Dictionary(uniqueKeysWithValues: outcome.evaluations.map { ($0.subject.text, $0.budget.scope.text) })
            #expect(byScope == ["user:alice": "user:*", "user:team-a": "user:team-*", "user:team-boss": "user:team-boss"])
            #expect(raised(outcome, "user:alice") == ["50:info"])        // 6 of 10
            #expect(raised(outcome, "user:team-a") == [])                // 6 of 100
            #expect(raised(outcome, "user:team-boss") == ["100:exceeded"])  // 6 of 1
        }
    }

    /// One metric of `cost` USD in job `job` at `time`; `camel` stores it as the first
    /// generation did (`jobId`, `costUSD`).
    func jobItem(_ cost: String, job: String?, at time: UTCTimestamp, id: String, camel: Bool = false) throws -> Item {
        var item = try MetricItemCodec.item(for: AIUsageMetric(
            service: "anthropic", model: "claude-3-5-haiku", operation: "completion", timestamp: time, requestId: id,
            inputTokens: 10, outputTokens: 5, costUSD: ExactDecimal(cost)!, userId: "alice", jobId: job
        ))
        if camel {
            for (snake, camelName) in [("job_id", "jobId"), ("cost_usd", "costUSD")] {
                if let value = item.removeValue(forKey: snake) { item[camelName] = value }
            }
        }
        return item
    }

    @Test func jobPrefixesGiveEachJobItsOwnBudgetAndAnExactJobBudgetWins() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let lines = Lines()
            let checker = checker(client, table, lines: lines)
            try await set("job:nightly-*", limit: "10", client, table)
            try await set("job:nightly-big", limit: "100", client, table)
            try await set("job:*", limit: "5", period: .daily, client, table)
            try await write([
                try jobItem("3", job: "nightly-1", at: at("2026-03-02T01:00:00Z"), id: "1"),
                try jobItem("3", job: "nightly-1", at: at("2026-03-31T01:00:00Z"), id: "2"),
                try jobItem("11", job: "nightly-2", at: at("2026-03-10T01:00:00Z"), id: "3", camel: true),
                try jobItem("60", job: "nightly-big", at: at("2026-03-31T02:00:00Z"), id: "4"),
                try jobItem("4", job: "weekly-1", at: at("2026-03-31T03:00:00Z"), id: "5"),
                try jobItem("1000", job: nil, at: at("2026-03-31T04:00:00Z"), id: "6"),       // no job: no job subject
                try jobItem("100", job: "nightly-1", at: at("2026-02-28T23:59:59Z"), id: "7"),  // February
            ], to: table, client)
            let outcome = try await checker.check(at: at("2026-03-31T23:00:00Z"), send: false)
            let jobs = outcome.evaluations.filter { $0.subject.kind == .job }
            let found = Dictionary(uniqueKeysWithValues: jobs.map { ("\($0.budget.period.rawValue) \($0.subject.text)", "\($0.budget.scope.text) \($0.spend)") })
            #expect(found == [
                "monthly job:nightly-1": "job:nightly-* 6",       // 3 + 3 (February's 100 is another month)
                "monthly job:nightly-2": "job:nightly-* 11",      // the first generation's jobId/costUSD
                "monthly job:nightly-big": "job:nightly-big 60",  // the exact budget wins, read from GSI3
                "daily job:nightly-1": "job:* 3",                 // 31 March only
                "daily job:nightly-big": "job:* 60",
                "daily job:weekly-1": "job:* 4",
            ])
            #expect(raised(outcome, "job:nightly-1") == ["50:info", "50:info"])   // 6 of 10; 3 of 5 is 60 %
            #expect(raised(outcome, "job:nightly-2") == ["100:exceeded"])         // 11 of 10
            #expect(raised(outcome, "job:weekly-1") == ["80:warning"])            // 4 of 5
            #expect(raised(outcome, "job:nightly-big").sorted() == ["100:exceeded", "50:info"])  // 60 of 5; 60 of 100
            // One raw read per period with job prefixes: March's 31 days and the 31st.
            #expect(outcome.reads.jobPrefixDays == 32)
            #expect(outcome.reads.jobPrefix.items == 7)  // March's 4 nightly-* items; the 31st's 3 job items
        }
    }

    // MARK: - Processes and the bootstrap

    static var binaries: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    /// A webhook receiver on 127.0.0.1 that fails the first `failures` requests with 500.
    func receiver(failures: Int = 0) throws -> FaultResponder {
        try FaultResponder { _, index in
            .respond(status: index < failures ? 500 : 200, headers: [:], body: [])
        }
    }

    /// Whether python3's own hmac module accepts the signature (an implementation of HMAC-SHA256
    /// independent of ours).
    func pythonVerifies(_ request: RecordedRequest) throws -> Bool {
        let script = """
            import hmac, hashlib, sys
            body = sys.stdin.buffer.read()
            mac = hmac.new(sys.argv[1].encode(), sys.argv[2].encode() + b"." + body, hashlib.sha256).hexdigest()
            sys.exit(0 if hmac.compare_digest("v1=" + mac, sys.argv[3]) else 1)
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)")
        try Data(request.body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try ChildProcessRunner.run("/bin/sh", ["-c", "python3 -c '\(script)' \"$0\" \"$1\" \"$2\" < \"$3\"",
            Self.secret, request.header("X-AI-Usage-Timestamp") ?? "", request.header("X-AI-Usage-Signature") ?? "", file.path])
        return result.status == 0
    }

    @Test func twoCheckerProcessesAtOnceSendOneAlert() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let hook = try receiver()
            defer { hook.stop() }
            try await set("global", limit: "1", client, table, channels: [.webhook(url: "http://127.0.0.1:\(hook.port)/hook")])
            try await write([try item("2", at: UTCTimestamp(year: UTCTimestamp.now().civilDate.year, month: UTCTimestamp.now().civilDate.month, day: UTCTimestamp.now().civilDate.day), id: "x")], to: table, client)
            var environment = ProcessInfo.processInfo.environment
            environment["DYNAMODB_TABLE_NAME"] = table
            environment["AI_USAGE_ALERT_SECRET"] = Self.secret
            let cli = Self.binaries.appendingPathComponent("ai-usage").path
            async let one = ChildProcessRunner.runOffPool(cli, ["budget", "check", "--send", "--format", "json"], environment: environment)
            async let two = ChildProcessRunner.runOffPool(cli, ["budget", "check", "--send", "--format", "json"], environment: environment)
            let results = try await [one, two]
            for result in results { #expect(result.status == 0, "\(result.stderr)") }
            let alerts = try results.map { try JSONValue.parse(Array($0.stdout.utf8))["alerts"]?.arrayValue?.count ?? -1 }
            #expect(alerts.sorted() == [0, 1])
            #expect(hook.requests.count == 1)
            if let request = hook.requests.first { #expect(try pythonVerifies(request)) }
        }
    }

    func emulator(table: String, hookPort: Int) throws -> LambdaEmulator {
        try LambdaEmulator(configuration: LambdaEmulatorConfiguration(
            bootstrap: Self.binaries.appendingPathComponent("bootstrap").path, timeout: .seconds(30),
            environment: [
                "DYNAMODB_TABLE_NAME": table, "AI_USAGE_ALERT_SECRET": Self.secret, "AI_USAGE_ALERT_RETRY_SECONDS": "0",
                "AI_USAGE_REPORT_URL": "https://api.example.com/prod/ai_usage/report",
            ],
            functionOutput: { _ in }
        ))
    }

    /// The classic EventBridge rule's event: compaction, then the budget check.
    static let scheduledEvent = Array(#"{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-03-10T12:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/check"],"detail":{}}"#.utf8)

    @Test func aScheduledEventThroughTheBootstrapSendsOneSignedAlert() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let hook = try receiver()
            defer { hook.stop() }
            let today = UTCTimestamp.now().civilDate
            try await set("user:*", limit: "5", client, table, channels: [.webhook(url: "http://127.0.0.1:\(hook.port)/hook")])
            try await write([
                try item("3", user: "erin", at: UTCTimestamp(year: today.year, month: today.month, day: today.day), id: "e1"),
                try item("2.5", user: "erin", at: UTCTimestamp(year: today.year, month: today.month, day: today.day, second: 1), id: "e2"),
            ], to: table, client)
            let emulator = try emulator(table: table, hookPort: hook.port)
            defer { Task { await emulator.shutdown() } }

            let first = await emulator.invoke(Self.scheduledEvent)
            #expect(first.status == .success, "\(first.errorMessage ?? "")")
            let answer = try JSONValue.parse(try #require(first.response))
            #expect(answer["rollup"]?["status"]?.stringValue == "ok")
            #expect(answer["budget_check"]?["alerts"]?.arrayValue?.count == 1)
            #expect(hook.requests.count == 1)
            let request = try #require(hook.requests.first)
            #expect(request.path == "/hook")
            #expect(try pythonVerifies(request))
            let body = try JSONValue.parse(request.body)
            #expect(body["scope"]?.stringValue == "user:erin")
            #expect(body["budget_scope"]?.stringValue == "user:*")
            #expect(body["level"]?.stringValue == "exceeded")
            #expect(body["spend_usd"]?.numberText == "5.5")       // 3 + 2.5
            #expect(body["limit_usd"]?.numberText == "5")
            #expect(body["percent"]?.numberText == "110")         // 5.5 / 5 · 100
            #expect(body["remaining_usd"]?.numberText == "-0.5")
            #expect(request.header("X-AI-Usage-Alert-Id") == body["id"]?.stringValue)
            #expect(body["report_url"]?.stringValue?.hasPrefix("https://api.example.com/prod/ai_usage/report?user_id=erin&start_date=") == true)
            #expect(!String(decoding: request.body, as: UTF8.self).contains(Self.secret))

            // Inside the cooldown: nothing more.
            let second = await emulator.invoke(Array(#"{"ai_usage_task":"budget_check"}"#.utf8))
            #expect(second.status == .success)
            #expect(try JSONValue.parse(try #require(second.response))["cooled_down"]?.intValue == 1)
            #expect(hook.requests.count == 1)
        }
    }

    @Test func aReceiverThatFailsTwiceGetsTheAlertExactlyOnceOverThreeChecks() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let hook = try receiver(failures: 2)
            defer { hook.stop() }
            let today = UTCTimestamp.now().civilDate
            try await set("global", limit: "1", client, table, channels: [.webhook(url: "http://127.0.0.1:\(hook.port)/hook")])
            try await write([try item("1.25", at: UTCTimestamp(year: today.year, month: today.month, day: today.day), id: "g1")], to: table, client)
            let emulator = try emulator(table: table, hookPort: hook.port)
            defer { Task { await emulator.shutdown() } }
            let check = Array(#"{"ai_usage_task":"budget_check"}"#.utf8)
            var statuses: [Int] = []
            for round in 1...3 {
                let result = await emulator.invoke(check)
                #expect(result.status == .success, "round \(round): \(result.errorMessage ?? "")")
                statuses.append(hook.requests.count)
            }
            // One attempt per check: 500, 500, then 200; the third is the one that counted.
            #expect(statuses == [1, 2, 3])
            let ids = Set(hook.requests.compactMap { $0.header("X-AI-Usage-Alert-Id") })
            #expect(ids.count == 1)  // every attempt carried the same id
            for request in hook.requests { #expect(try pythonVerifies(request)) }
            // A fourth check sends nothing: the alert is delivered, and in cooldown.
            _ = await emulator.invoke(check)
            #expect(hook.requests.count == 3)
            let entry = try await AlertOutbox(client: client, tableName: table).recent().first
            #expect(entry?.status == .sent)
            #expect(entry?.deliveries.first?.attempts == 3)
        }
    }

    /// Records requests and answers 200 with an OpenAI-shaped body.
    final class RecordingTransport: HTTPTransport {
        let count = Mutex(0)
        func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
            count.withLock { $0 += 1 }
            return HTTPResponse(status: 200, body: Array(#"{"model":"gpt-4o","usage":{"prompt_tokens":1,"completion_tokens":1}}"#.utf8))
        }
    }

    @Test func anExhaustedHardBudgetStopsTrackerAllowAndThePreflight() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let lines = Lines()
            let checker = checker(client, table, lines: lines)
            let today = UTCTimestamp.now().civilDate
            try await BudgetStore(client: client, tableName: table).set(Budget(
                scope: try BudgetScope(parsing: "user:*"), period: .monthly, limit: 1, kind: .hard
            ))
            try await write([try item("1.5", user: "bob", at: UTCTimestamp(year: today.year, month: today.month, day: today.day), id: "b")], to: table, client)
            let gate = DynamoDBBudgetGate(client: client, tableName: table, cacheSeconds: 0)
            let tracker = Tracker(sink: DynamoDBSink(client: client, tableName: table), budgetGate: gate)
            #expect(await tracker.allow(scope: "user:bob"))  // no check has run yet

            let outcome = try await checker.check(at: .now(), send: true)
            #expect(outcome.blocked == ["user:bob (user:*/monthly)"])
            #expect(await tracker.allow(scope: "user:bob") == false)
            #expect(await tracker.allow(scope: "user:alice"))
            #expect(await tracker.allow(scope: "global"))

            // The preflight refuses bob's call before anything is sent; alice's goes ahead.
            let transport = RecordingTransport()
            let openai = OpenAIClient(apiKey: "sk-test", baseURL: "http://127.0.0.1:9/v1", tracker: tracker, transport: transport, preflight: true)
            let body: JSONValue = ["model": "gpt-4o", "messages": []]
            await TrackingContext.with(userId: "bob") {
                do {
                    _ = try await openai.chatCompletion(body: body)
                    Issue.record("bob's call was not refused")
                } catch {
                    #expect(error as? ProviderError == .budgetExhausted(service: "openai", scope: "user:bob"))
                }
            }
            #expect(transport.count.withLock { $0 } == 0)
            _ = try await TrackingContext.with(userId: "alice") { try await openai.chatCompletion(body: body) }
            #expect(transport.count.withLock { $0 } == 1)
            await tracker.shutdown()

            // A raised limit: the next check lifts the block.
            try await BudgetStore(client: client, tableName: table).set(Budget(
                scope: try BudgetScope(parsing: "user:*"), period: .monthly, limit: 100, kind: .hard
            ))
            _ = try await checker.check(at: .now(), send: true)
            #expect(await tracker.allow(scope: "user:bob"))
        }
    }
}
