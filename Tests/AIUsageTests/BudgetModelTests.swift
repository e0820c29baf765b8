import AIUsage
@testable import AIUsageBudgets
import CurlHTTP
import Synchronization
import TestSupport
import Testing

/// Budgets without a table: periods, scopes, thresholds, the evaluation's arithmetic, the alert
/// payload, its signature and its Slack form.
struct BudgetModelTests {
    func day(_ text: String) -> CivilDate { CivilDate(text)! }
    func at(_ text: String) -> UTCTimestamp { UTCTimestamp(iso8601: text)! }

    // MARK: - Periods

    @Test func weeksStartOnMondayEvenWhenTheYearStartsOnAWednesday() {
        // 2025-01-01 is a Wednesday: its week began on Monday 2024-12-30 and ends on Sunday 2025-01-05.
        let week = BudgetPeriod.weekly.instance(containing: day("2025-01-01"))
        #expect(week.start == day("2024-12-30"))
        #expect(week.end == day("2025-01-05"))
        #expect(week.days == 7)
        #expect(week.label == "week of 2024-12-30")
        // A Monday is its own week's first day, a Sunday its last.
        #expect(BudgetPeriod.weekly.instance(containing: day("2026-03-02")).start == day("2026-03-02"))
        #expect(BudgetPeriod.weekly.instance(containing: day("2026-03-08")).start == day("2026-03-02"))
        #expect(BudgetPeriod.weekly.instance(containing: day("2026-03-09")).start == day("2026-03-09"))
    }

    @Test func monthQuarterAndYearBoundaries() {
        let march = BudgetPeriod.monthly.instance(containing: day("2026-03-01"))
        #expect((march.start, march.end, march.days, march.label) == (day("2026-03-01"), day("2026-03-31"), 31, "2026-03"))
        // The last instant of February belongs to February; the first of March to March.
        #expect(BudgetPeriod.monthly.instance(containing: at("2026-02-28T23:59:59.999999Z")).label == "2026-02")
        #expect(BudgetPeriod.monthly.instance(containing: at("2026-03-01T00:00:00Z")).label == "2026-03")
        let q2 = BudgetPeriod.quarterly.instance(containing: day("2026-04-01"))
        #expect((q2.start, q2.end, q2.days, q2.label) == (day("2026-04-01"), day("2026-06-30"), 91, "2026-Q2"))
        #expect(BudgetPeriod.quarterly.instance(containing: day("2026-03-31")).label == "2026-Q1")
        let q4 = BudgetPeriod.quarterly.instance(containing: day("2026-12-31"))
        #expect((q4.start, q4.end, q4.days) == (day("2026-10-01"), day("2026-12-31"), 92))
        let year = BudgetPeriod.annual.instance(containing: day("2026-12-31"))
        #expect((year.start, year.end, year.days, year.label) == (day("2026-01-01"), day("2026-12-31"), 365, "2026"))
        #expect(BudgetPeriod.annual.instance(containing: day("2027-01-01")).label == "2027")
        #expect(BudgetPeriod.daily.instance(containing: at("2026-12-31T23:59:59Z")).end == day("2026-12-31"))
    }

    @Test func leapDays() {
        // 2028 is a leap year: February has 29 days, Q1 91, the year 366.
        let february = BudgetPeriod.monthly.instance(containing: day("2028-02-29"))
        #expect((february.start, february.end, february.days) == (day("2028-02-01"), day("2028-02-29"), 29))
        #expect(BudgetPeriod.quarterly.instance(containing: day("2028-02-29")).days == 91)
        #expect(BudgetPeriod.annual.instance(containing: day("2028-02-29")).days == 366)
        #expect(BudgetPeriod.monthly.instance(containing: day("2026-02-15")).days == 28)
        // The week of the leap day: Monday 2028-02-28 … Sunday 2028-03-05.
        let week = BudgetPeriod.weekly.instance(containing: day("2028-02-29"))
        #expect((week.start, week.end) == (day("2028-02-28"), day("2028-03-05")))
    }

    @Test func elapsedSecondsAreClampedToThePeriod() {
        let march = BudgetPeriod.monthly.instance(containing: day("2026-03-10"))
        #expect(march.seconds == 31 * 86_400)
        #expect(march.elapsedSeconds(at: at("2026-03-01T01:00:00Z")) == 3600)
        #expect(march.elapsedSeconds(at: at("2026-02-27T00:00:00Z")) == 0)
        #expect(march.elapsedSeconds(at: at("2026-04-02T00:00:00Z")) == 31 * 86_400)
    }

    // MARK: - Scopes

    @Test func scopesParseAndCover() throws {
        #expect(try BudgetScope(parsing: "global").text == "global")
        #expect(try BudgetScope(parsing: "global:all").kind == .global)
        #expect(try BudgetScope(parsing: "service:OpenAI").text == "service:openai")
        let everyone = try BudgetScope(parsing: "user:*")
        #expect(everyone.isPrefix && everyone.value == "" && everyone.covers("alice") && everyone.covers(""))
        let team = try BudgetScope(parsing: "user:team-*")
        #expect(team.covers("team-a") && !team.covers("tea") && !team.covers("Team-a"))
        let alice = try BudgetScope(parsing: "user:alice")
        #expect(alice.covers("alice") && !alice.covers("alice2"))
        // Byte for byte: é (U+00E9) and e + U+0301 are different users.
        #expect(!(try BudgetScope(parsing: "user:\u{E9}")).covers("e\u{301}"))
        // The most specific wins: exact > longer prefix > shorter prefix.
        #expect(alice.specificity > team.specificity && team.specificity > everyone.specificity)
    }

    @Test(arguments: ["", "user", "user:", "nope:x", "global:x", "user:a*b*", "user:a#b", "user:a\nb", "user:" + String(repeating: "x", count: 300)])
    func badScopesAreRefusedWithAReason(_ text: String) {
        #expect(throws: BudgetError.self) { try BudgetScope(parsing: text) }
    }

    // MARK: - Thresholds and limits

    @Test func thresholdsParse() throws {
        #expect(try Threshold.parseList("50,80,95,100") == Threshold.defaults)
        let custom = try Threshold.parseList("100, 60:info ,90:critical")
        #expect(custom.map(\.description) == ["60:info", "90:critical", "100:exceeded"])
        #expect(try Threshold.parseList("85").first?.level == .warning)
        for bad in ["", "0", "-5", "abc", "50,50", "50:projected", "50:loud", "1001", "1e2", "50.123456"] {
            #expect(throws: BudgetError.self) { try Threshold.parseList(bad) }
        }
    }

    @Test func limitsAreExactPlainDecimals() throws {
        #expect(try Budget.parseLimit("0") == .zero)
        #expect(try Budget.parseLimit("99.95") == ExactDecimal("99.95")!)
        for bad in ["-1", "1e3", "abc", "", "1000000000001", "0.00000000001", "NaN"] {
            #expect(throws: BudgetError.self) { try Budget.parseLimit(bad) }
        }
    }

    // MARK: - Evaluation

    func evaluation(limit: String, spend: String, at time: String = "2026-03-31T23:00:00Z", period: BudgetPeriod = .monthly) -> BudgetEvaluation {
        let budget = Budget(scope: BudgetScope(kind: .global), period: period, limit: ExactDecimal(limit)!, createdAt: at("2026-01-01T00:00:00Z"))
        return BudgetEvaluation(budget: budget, subject: budget.scope, spend: ExactDecimal(spend)!, at: at(time))
    }

    @Test func theThresholdTable() {
        // 30 + 0.50 of 100 = 30.5 %: below 50, nothing.
        #expect(evaluation(limit: "100", spend: "30.50").level == nil)
        // 79.50 + 0.50 = 80.00: 80 × 100 ≥ 80 × 100, warning.
        #expect(evaluation(limit: "100", spend: "80.00").level?.description == "80:warning")
        #expect(evaluation(limit: "100", spend: "79.99999999").level?.description == "50:info")
        // 99.50 + 0.50 = 100: exceeded.
        #expect(evaluation(limit: "100", spend: "100.00").level?.description == "100:exceeded")
        // A jump from 40 to 97: the highest reached is 95, critical (not info, not warning).
        #expect(evaluation(limit: "100", spend: "97").level?.description == "95:critical")
        // Percent rounds once, half-even: 2/3 of 1 → 66.666… → 66.67.
        #expect(evaluation(limit: "3", spend: "2").percent == ExactDecimal("66.67")!)
        #expect(evaluation(limit: "100", spend: "80.125").remaining == ExactDecimal("19.875")!)
    }

    @Test func aZeroLimitIsAHundredPercentOnceAnythingIsSpent() {
        #expect(evaluation(limit: "0", spend: "0").level == nil)
        #expect(evaluation(limit: "0", spend: "0").percent == .zero)
        let spent = evaluation(limit: "0", spend: "0.000001")
        #expect(spent.percent == 100)
        #expect(spent.level?.description == "100:exceeded")
        #expect(!spent.projectsOverrun)
    }

    @Test func theProjection() {
        // March 10 12:00: 9.5 days = 820,800 s of 31 days = 2,678,400 s. 40 × 2,678,400 / 820,800
        // = 130.526315… → 130.526316 (6 places, half-even): over 100, so projected, while the spend
        // (40 %) has reached no threshold.
        let early = evaluation(limit: "100", spend: "40", at: "2026-03-10T12:00:00Z")
        #expect(early.projectedSpend == ExactDecimal("130.526316")!)
        #expect(early.projectsOverrun && early.level == nil)
        // 30 by March 20 12:00 (19.5 days): 30 × 31 / 19.5 = 47.692308: not an overrun.
        #expect(!evaluation(limit: "100", spend: "30", at: "2026-03-20T12:00:00Z").projectsOverrun)
        // The first hour projects nothing: 59 minutes in, even 99 of 100 is not "projected".
        let firstHour = evaluation(limit: "100", spend: "99", at: "2026-03-01T00:59:00Z")
        #expect(firstHour.projectedSpend == nil && !firstHour.projectsOverrun)
        // An hour in, 1 of a daily 10: 1 × 86,400 / 3,600 = 24 > 10.
        let daily = evaluation(limit: "10", spend: "1", at: "2026-03-01T01:00:00Z", period: .daily)
        #expect(daily.projectedSpend == 24 && daily.projectsOverrun)
        // An empty history projects nothing; a spend already over the limit is "exceeded", not "projected".
        #expect(evaluation(limit: "100", spend: "0", at: "2026-03-20T00:00:00Z").projectedSpend == nil)
        #expect(!evaluation(limit: "100", spend: "150", at: "2026-03-10T00:00:00Z").projectsOverrun)
    }

    // MARK: - Alerts

    @Test func anAlertsIdDependsOnlyOnWhatItIsAbout() {
        let first = BudgetAlert(evaluation: evaluation(limit: "100", spend: "80"), threshold: Threshold.defaults[1])
        let later = BudgetAlert(evaluation: evaluation(limit: "100", spend: "85", at: "2026-03-31T23:30:00Z"), threshold: Threshold.defaults[1])
        #expect(first.key == "global#global/monthly#monthly@2026-03-01#80:warning")
        #expect(first.id == later.id)
        #expect(first.id != BudgetAlert(evaluation: evaluation(limit: "100", spend: "96"), threshold: Threshold.defaults[2]).id)
    }

    @Test func thePayloadIsExact() throws {
        let alert = BudgetAlert(
            evaluation: evaluation(limit: "100", spend: "80.1234567891", at: "2026-03-31T12:00:00Z"), threshold: Threshold.defaults[1],
            reportURL: "https://api.example.com/prod/ai_usage?start_date=2026-03-01&end_date=2026-03-31"
        )
        let payload = alert.payload(createdAt: at("2026-03-31T12:00:01Z"))
        #expect(payload["spend_usd"]?.numberText == "80.1234567891")
        #expect(payload["remaining_usd"]?.numberText == "19.8765432109")
        #expect(payload["percent"]?.numberText == "80.12")
        #expect(payload["limit_usd"]?.numberText == "100")
        #expect(payload["level"]?.stringValue == "warning")
        #expect(payload["period_label"]?.stringValue == "2026-03")
        // 80.1234567891 × 2,678,400 / 2,635,200 (30.5 days) = 81.4369559… → 81.436956.
        #expect(payload["projected_spend_usd"]?.numberText == "81.436956")
        #expect(alert.message == "WARNING: global has used 80.12% ($80.1234567891) of the monthly budget of $100.00 for 2026-03")
    }

    @Test func theSignatureIsHMACSHA256OverTimestampDotBody() throws {
        let signer = try #require(AlertSigner(secret: "0123456789abcdef-secret"))
        let body = Array(#"{"id":"alert-1"}"#.utf8)
        // python3 -c "import hmac,hashlib; print(hmac.new(b'0123456789abcdef-secret',
        //   b'1767225600.{\"id\":\"alert-1\"}', hashlib.sha256).hexdigest())"
        let expected = "v1=9a5b5652e93debbf31a11f3252e3fd7fc0799fe92107fe51c499f5bf01ba4e4c"
        #expect(signer.signature(timestamp: 1_767_225_600, body: body) == expected)
        #expect(signer.verify(signature: expected, timestamp: 1_767_225_600, body: body))
        #expect(!signer.verify(signature: expected, timestamp: 1_767_225_601, body: body))
        #expect(AlertSigner(secret: "too-short") == nil)
    }

    @Test func channelsParseAndAreMaskedInText() throws {
        let slack = try AlertChannel(parsing: "slack:https://hooks.slack.com/services/T000/B000/XXXXSECRET")
        #expect(slack.description == "slack:https://hooks.slack.com/…")
        #expect(!slack.description.contains("SECRET"))
        #expect(try AlertChannel(parsing: "webhook:http://user:pw@127.0.0.1:9/x").description == "webhook:http://127.0.0.1:9/…")
        for bad in ["email:a@b", "webhook:ftp://x", "webhook:https://a b", "slack:", "webhook"] {
            #expect(throws: BudgetError.self) { try AlertChannel(parsing: bad) }
        }
    }

    /// A transport that records what it is sent and answers with a scripted status.
    final class RecordingTransport: HTTPTransport {
        let sent = Mutex<[HTTPRequest]>([])
        let status: Int
        init(status: Int) { self.status = status }
        func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
            sent.withLock { $0.append(request) }
            return HTTPResponse(status: status)
        }
    }

    @Test func webhookAndSlackDeliveries() async throws {
        let transport = RecordingTransport(status: 200)
        let sender = AlertSender(
            transport: transport, signer: AlertSigner(secret: "0123456789abcdef-secret"), clock: { UTCTimestamp(microsecondsSinceEpoch: 1_767_225_600_000_000) }
        )
        let alert = BudgetAlert(evaluation: evaluation(limit: "100", spend: "97"), threshold: Threshold.defaults[2])
        let payload = alert.payload(createdAt: at("2026-03-31T23:00:00Z"))
        try await sender.deliver(payload, to: .webhook(url: "http://127.0.0.1:9/hook"))
        try await sender.deliver(payload, to: .slack(url: "https://hooks.slack.com/services/T/B/S"))
        let sent = transport.sent.withLock { $0 }
        #expect(sent.count == 2)
        let webhook = sent[0]
        #expect(webhook.method == "POST")
        #expect(webhook.headers["X-AI-Usage-Timestamp"] == "1767225600")
        #expect(webhook.headers["X-AI-Usage-Alert-Id"] == alert.id)
        #expect(AlertSigner(secret: "0123456789abcdef-secret")!.verify(signature: webhook.headers["X-AI-Usage-Signature"]!, timestamp: 1_767_225_600, body: webhook.body))
        #expect(try JSONValue.parse(webhook.body) == payload)
        #expect(!String(decoding: webhook.body, as: UTF8.self).contains("0123456789abcdef"))
        let slack = try JSONValue.parse(sent[1].body)
        let fields = try #require(slack["blocks"]?[1]?["fields"]?.arrayValue).compactMap { $0["text"]?.stringValue }
        #expect(fields == [
            "*Scope*\nglobal", "*Period*\nmonthly 2026-03", "*Spend*\n$97.00", "*Limit*\n$100.00", "*Percent*\n97%",
            "*Remaining*\n$3.00", "*Projected*\n$97.130552", "*Budget*\nglobal (soft)",
        ])
        // A refusal is a failure naming the channel by its host only.
        let refusing = AlertSender(transport: RecordingTransport(status: 500), signer: nil)
        await #expect(throws: AlertSender.Failure.self) { try await refusing.deliver(payload, to: .slack(url: "https://hooks.slack.com/services/T/B/S")) }
        do {
            try await refusing.deliver(payload, to: .webhook(url: "http://127.0.0.1:9/hook"))
            Issue.record("an unsigned webhook was sent")
        } catch {
            #expect(error.description.contains("AI_USAGE_ALERT_SECRET"))
        }
    }

    @Test func jobPrefixesOfAPeriodAreReadOnceWithTheirSharedPrefix() {
        #expect(SpendCalculator.commonPrefix("nightly-a", "nightly-b") == "nightly-")
        #expect(SpendCalculator.commonPrefix("nightly-", "weekly-") == "")
        #expect(SpendCalculator.commonPrefix("", "weekly-") == "")
        #expect(SpendCalculator.commonPrefix("é-1", "é-2") == "é-")
        // Whole scalars: "é" and "è" share their first UTF-8 byte (0xC3) but no scalar.
        #expect(SpendCalculator.commonPrefix("é", "è") == "")
    }
}
