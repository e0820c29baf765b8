import AIUsage
@testable import AIUsageReports
import DynamoDB
import TestSupport
import Testing

/// Trends (docs/trends.md): the three statistics on hand-worked series, the query's parsing,
/// and the fetcher end to end over an in-memory table, from raw items and from rollups.
@Suite struct TrendTests {
    // MARK: - Week over week

    @Test func weekChangeIsExactWithOnePercentRounding() {
        // (12.5 − 10) / 10 = 0.25 → 25%.
        let up = WeekChange(current: dec("12.5"), previous: 10)
        #expect(up.change == dec("2.5"))
        #expect(up.percent == 25)
        #expect(up.status == .up)
        // (1 − 3) / 3 = −0.6666… → −0.6667 → −66.67%.
        let down = WeekChange(current: 1, previous: 3)
        #expect(down.change == -2)
        #expect(down.percent == dec("-66.67"))
        #expect(down.status == .down)
        // Half-even at the second place of the percent: 1 / 20000 = 0.00005 → 0.0000 (0.00%, not
        // 0.01%); 3 / 20000 = 0.00015 → 0.0002 (0.02%).
        #expect(WeekChange(current: 20001, previous: 20000).percent == 0)
        #expect(WeekChange(current: 20003, previous: 20000).percent == dec("0.02"))
        // All gone: (0 − 4) / 4 = −100%.
        #expect(WeekChange(current: 0, previous: 4).percent == -100)
        // Tiny money stays exact: 0.0000001 more on 0.0000003 is +33.33%.
        let tiny = WeekChange(current: dec("0.0000004"), previous: dec("0.0000003"))
        #expect(tiny.change == dec("0.0000001"))
        #expect(tiny.percent == dec("33.33"))
    }

    @Test func aZeroPreviousWeekHasNoPercent() {
        // Spend after a week of none: no percent (not a made-up 100), status "new".
        let new = WeekChange(current: dec("3.5"), previous: 0)
        #expect(new.percent == nil)
        #expect(new.status == .new)
        #expect(new.change == dec("3.5"))
        // Nothing in either week: unchanged, still no percent.
        let none = WeekChange(current: 0, previous: 0)
        #expect(none.percent == nil)
        #expect(none.status == .unchanged)
        // The same amount both weeks: 0%.
        let same = WeekChange(current: 7, previous: 7)
        #expect(same.percent == 0)
        #expect(same.status == .unchanged)
    }

    // MARK: - Month-end forecast

    @Test func aLinearSeriesIsExtendedExactly() {
        // y = 1, 2, 3 over days 1–3 of a 30-day month: c = 3, Σy = 6, Σdy = 1 + 4 + 9 = 14,
        // T = 2·14 − 4·6 = 4, Q = 3·8 = 24, N(d) = 8·6 + 12(2d − 4) = 24d, so ŷ(d) = d and the
        // slope 6T/Q = 1. Forecast = Σ_{d=1}^{30} d = 465.
        let forecast = MonthForecast(complete: [1, 2, 3], partial: nil, daysInMonth: 30, scale: 4)
        #expect(forecast.method == .linear)
        #expect(forecast.monthToDate == 6)
        #expect(forecast.trendPerDay == 1)
        #expect(forecast.forecast == 465)
        #expect(forecast.projectedRemaining == 459)
    }

    @Test func aKnownNoisySeries() {
        // y = 2, 0, 4, 2 (a zero day counts): c = 4, Σy = 8, Σdy = 2 + 0 + 12 + 8 = 22,
        // T = 44 − 5·8 = 4, Q = 4·15 = 60; slope 24/60 = 0.4; ŷ(d) = (120 + 12(2d − 5))/60 = 1 + 0.4d.
        // Days 5–30: 26·1 + 0.4·(465 − 10) = 26 + 182 = 208; forecast 8 + 208 = 216.
        let forecast = MonthForecast(complete: [2, 0, 4, 2], partial: nil, daysInMonth: 30, scale: 4)
        #expect(forecast.trendPerDay == dec("0.4"))
        #expect(forecast.forecast == 216)
        // y = 1, 2, 2 in a 31-day month: Σy = 5, Σdy = 11, T = 22 − 20 = 2, Q = 24,
        // ŷ(d) = (40 + 6(2d − 4))/24 = 2/3 + d/2. Days 4–31: 28·2/3 + (496 − 6)/2 = 18.666… + 245.
        // Forecast 5 + 263.666… = 268.666… → 268.6667 (one rounding, at the end).
        let thirds = MonthForecast(complete: [1, 2, 2], partial: nil, daysInMonth: 31, scale: 4)
        #expect(thirds.trendPerDay == dec("0.5"))
        #expect(thirds.forecast == dec("268.6667"))
        #expect(thirds.projectedRemaining == dec("263.6667"))
    }

    @Test func daysProjectedBelowZeroCountAsZero() {
        // y = 1, 0, 0: Σy = 1, Σdy = 1, T = 2 − 4 = −2, Q = 24, slope −12/24 = −0.5,
        // ŷ(d) = (8 − 6(2d − 4))/24 = (32 − 12d)/24: −16/24 on day 4 and lower after: all 0.
        let falling = MonthForecast(complete: [1, 0, 0], partial: nil, daysInMonth: 31, scale: 4)
        #expect(falling.trendPerDay == dec("-0.5"))
        #expect(falling.forecast == 1)
        #expect(falling.projectedRemaining == 0)
        // Nothing spent: the line is 0.
        let empty = MonthForecast(complete: [0, 0, 0, 0], partial: nil, daysInMonth: 30, scale: 4)
        #expect(empty.forecast == 0)
        #expect(empty.trendPerDay == 0)
    }

    @Test func oneDayOfDataIsRepeated() {
        // One complete day: spend × days in month / days elapsed = 3.5 × 31 / 1 = 108.5.
        let one = MonthForecast(complete: [dec("3.5")], partial: nil, daysInMonth: 31, scale: 4)
        #expect(one.method == .flat)
        #expect(one.trendPerDay == nil)
        #expect(one.forecast == dec("108.5"))
        // Only today's partial day (the 1st): 2 × 30.
        let today = MonthForecast(complete: [], partial: 2, daysInMonth: 30, scale: 4)
        #expect(today.method == .flat)
        #expect(today.completeDays == 0)
        #expect(today.monthToDate == 2)
        #expect(today.forecast == 60)
        // The forecast's one rounding is half-even: 0.000015 × 30 = 0.00045 → 0.0004, not 0.0005.
        #expect(MonthForecast(complete: [dec("0.000015")], partial: nil, daysInMonth: 30, scale: 4).forecast == dec("0.0004"))
    }

    @Test func aPartialDayIsProjectedAtLeastAtItsSpend() {
        // Complete days y = 1, 2, 3 (ŷ(d) = d), today is day 4 of 30.
        // Spent 1 so far, below the line's 4: 6 + 4 + Σ_{5}^{30} d = 6 + 4 + 455 = 465.
        let below = MonthForecast(complete: [1, 2, 3], partial: 1, daysInMonth: 30, scale: 4)
        #expect(below.monthToDate == 7)
        #expect(below.forecast == 465)
        #expect(below.projectedRemaining == 458)
        // Spent 10 already, above the line: 6 + 10 + 455 = 471.
        #expect(MonthForecast(complete: [1, 2, 3], partial: 10, daysInMonth: 30, scale: 4).forecast == 471)
    }

    @Test func monthLengthsIncludingLeapFebruaries() {
        let length = { (year: Int, month: Int) in MonthForecast.daysInMonth(of: CivilDate(year: year, month: month, day: 10)) }
        #expect(length(2024, 2) == 29)   // divisible by 4
        #expect(length(2026, 2) == 28)
        #expect(length(2100, 2) == 28)   // divisible by 100, not 400
        #expect(length(2000, 2) == 29)   // divisible by 400
        #expect(length(2026, 4) == 30)
        #expect(length(2026, 12) == 31)
        // On the last day of February 2024 (complete), the forecast is the month's spend exactly.
        let february = MonthForecast(complete: Array(repeating: dec("0.1"), count: 29), partial: nil, daysInMonth: 29, scale: 4)
        #expect(february.forecast == dec("2.9"))
        #expect(february.projectedRemaining == 0)
    }

    // MARK: - Anomalies

    @Test func zScoreOfAKnownSeries() {
        // History 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5, Σh² = 232, variance 232/8 − 25 = 4, sd 2.
        let history: [ExactDecimal] = [2, 4, 4, 4, 5, 5, 7, 9]
        // x = 10: z = (10 − 5)/2 = 2.5 > 2.
        let high = AnomalyScore(value: 10, history: history, threshold: 2, scale: 4)
        #expect(high.mean == 5)
        #expect(high.standardDeviation == 2)
        #expect(high.z == dec("2.5"))
        #expect(high.isAnomaly)
        // z = 2.5 is not above 2.5: D = 8·10 − 40 = 40, V = 8·232 − 40² = 256, D² = 1600 = 2.5²·256.
        #expect(!AnomalyScore(value: 10, history: history, threshold: dec("2.5"), scale: 4).isAnomaly)
        #expect(AnomalyScore(value: 10, history: history, threshold: dec("2.49"), scale: 4).isAnomaly)
        // x = 0 is far below: z = −2.5, never an anomaly (only spikes are).
        let low = AnomalyScore(value: 0, history: history, threshold: 2, scale: 4)
        #expect(low.z == dec("-2.5"))
        #expect(!low.isAnomaly)
    }

    @Test func zScoreIsRoundedOnceAndDecidedExactly() {
        // History 0, 0, 1: mean 1/3 → 0.3333, V = 3·1 − 1² = 2, sd = √2/3 = 0.47140… → 0.4714.
        // x = 1: D = 3 − 1 = 2, z = 2/√2 = 1.41421… → 1.41.
        let history: [ExactDecimal] = [0, 0, 1]
        let score = AnomalyScore(value: 1, history: history, threshold: dec("1.4"), scale: 4)
        #expect(score.mean == dec("0.3333"))
        #expect(score.standardDeviation == dec("0.4714"))
        #expect(score.z == dec("1.41"))
        // D² = 4 > 1.4²·2 = 3.92; 4 < 1.5²·2 = 4.5.
        #expect(score.isAnomaly)
        #expect(!AnomalyScore(value: 1, history: history, threshold: dec("1.5"), scale: 4).isAnomaly)
        // √2 = 1.41421356…: 1.4142² = 1.99996… < 2, so 1.4142 is below z and a spike counts.
        #expect(AnomalyScore(value: 1, history: history, threshold: dec("1.4142"), scale: 4).isAnomaly)
        #expect(!AnomalyScore(value: 1, history: history, threshold: dec("1.4143"), scale: 4).isAnomaly)
    }

    @Test func aFlatOrEmptyHistoryIsNeverAnAnomaly() {
        // sd 0: z does not exist, whatever the day spent.
        let flat = AnomalyScore(value: 100, history: [3, 3, 3], threshold: dec("0.5"), scale: 4)
        #expect(flat.mean == 3)
        #expect(flat.standardDeviation == 0)
        #expect(flat.z == nil)
        #expect(!flat.isAnomaly)
        // A service's first spend after days of none: the history is all zeros, flat too.
        #expect(!AnomalyScore(value: 5, history: [0, 0, 0, 0], threshold: dec("0.5"), scale: 4).isAnomaly)
        // No history at all.
        let empty = AnomalyScore(value: 5, history: [], threshold: 2, scale: 4)
        #expect(empty.mean == nil)
        #expect(empty.standardDeviation == nil)
        #expect(empty.z == nil)
        #expect(!empty.isAnomaly)
    }

    // MARK: - Parameters

    static let today = CivilDate(year: 2026, month: 3, day: 20)

    private func parse(_ parameters: [(String, [String])]) throws(UsageQuery.Invalid) -> TrendsQuery {
        try TrendsQuery.parse(parameters.map { (name: $0.0, values: $0.1) }, today: Self.today)
    }

    private func refusal(_ parameters: [(String, [String])]) -> String? {
        do {
            _ = try parse(parameters)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func parametersAndTheirDefaults() throws {
        let defaults = try parse([])
        #expect(defaults == TrendsQuery(end: Self.today))
        #expect(defaults.echo.serialized() == #"{"end_date":"2026-03-20","service":null,"window":14,"threshold":2,"anomaly_days":7}"#)
        let given = try parse([("end_date", ["2024-02-29"]), ("service", ["OpenAI"]), ("window", ["30"]), ("threshold", ["2.50"]), ("anomaly_days", ["3"])])
        #expect(given == TrendsQuery(end: CivilDate(year: 2024, month: 2, day: 29), service: "openai", window: 30, threshold: dec("2.5"), anomalyDays: 3))
        // Empty values count as not given; the range's ends are allowed.
        #expect(try parse([("service", [""]), ("window", ["3"]), ("threshold", ["10"]), ("anomaly_days", ["90"])])
            == TrendsQuery(end: Self.today, window: 3, threshold: 10, anomalyDays: 90))
        #expect(try parse([("window", ["90"]), ("threshold", ["0.5"])]).threshold == dec("0.5"))
    }

    @Test func refusalsSayWhatIsWrong() {
        #expect(refusal([("windw", ["3"])]) == "unknown parameter 'windw'; valid: end_date, service, window, threshold, anomaly_days")
        #expect(refusal([("start_date", ["2026-03-01"])])?.hasPrefix("unknown parameter 'start_date'") == true)
        #expect(refusal([("window", ["3", "4"])]) == "window is given 2 times; give it once")
        #expect(refusal([("end_date", ["2026-02-30"])]) == "end_date must be a real date as YYYY-MM-DD, got '2026-02-30'")
        #expect(refusal([("end_date", ["2026-03-21"])]) == "end_date 2026-03-21 is after today (2026-03-20, UTC); give a day that has begun")
        #expect(refusal([("service", ["openai#x"])]) == "service must match [a-z0-9_.:-]{1,64}, got 'openai#x'")
        #expect(refusal([("window", ["2"])]) == "window must be a whole number of days from 3 to 90, got '2'")
        #expect(refusal([("window", ["91"])]) == "window must be a whole number of days from 3 to 90, got '91'")
        #expect(refusal([("window", ["1e1"])]) == "window must be a whole number of days from 3 to 90, got '1e1'")
        #expect(refusal([("anomaly_days", ["0"])]) == "anomaly_days must be a whole number of days from 1 to 90, got '0'")
        #expect(refusal([("threshold", ["0.49"])]) == "threshold must be a decimal z-score from 0.5 to 10 (such as 2.5), got '0.49'")
        #expect(refusal([("threshold", ["10.01"])]) == "threshold must be a decimal z-score from 0.5 to 10 (such as 2.5), got '10.01'")
        #expect(refusal([("threshold", ["two"])]) == "threshold must be a decimal z-score from 0.5 to 10 (such as 2.5), got 'two'")
        // The CLI's names for the same parameters.
        do {
            _ = try TrendsQuery.parse([(name: "window", values: ["1"])], today: Self.today) { $0 == "window" ? "--window" : $0 }
            Issue.record("window 1 was accepted")
        } catch {
            #expect(error.message == "--window must be a whole number of days from 3 to 90, got '1'")
        }
    }

    // MARK: - End to end

    /// Costs from 20 February to 20 March 2026 (today, so a partial day); days to the 18th are closed.
    /// - openai gpt-4o: 1 a day (0.4 + 0.6); gpt-4o-mini: 0.5 a day from 14 March;
    /// - anthropic claude-3-haiku: 4 on even days of the month, 2 on odd days, and 30 on 18 March
    ///   (three items of 10).
    static func items() -> [Item] {
        var items: [Item] = []
        func add(_ service: String, _ model: String, _ day: CivilDate, _ hour: Int, _ cost: String) {
            let metric = AIUsageMetric(
                service: service, model: model, operation: "completion",
                timestamp: UTCTimestamp(year: day.year, month: day.month, day: day.day, hour: hour, minute: 5),
                requestId: "req-\(day)-\(service)-\(model)-\(hour)", totalTokens: 100, costUSD: dec(cost)
            )
            items.append(try! MetricItemCodec.item(for: metric, sharding: .single))
        }
        var day = CivilDate(year: 2026, month: 2, day: 20)
        while day <= today {
            add("openai", "gpt-4o", day, 3, "0.4")
            add("openai", "gpt-4o", day, 15, "0.6")
            if day >= CivilDate(year: 2026, month: 3, day: 14) { add("openai", "gpt-4o-mini", day, 9, "0.5") }
            if day == CivilDate(year: 2026, month: 3, day: 18) {
                for hour in [10, 11, 12] { add("anthropic", "claude-3-haiku", day, hour, "10") }
            } else {
                add("anthropic", "claude-3-haiku", day, 12, day.day % 2 == 0 ? "4" : "2")
            }
            day = day.adding(days: 1)
        }
        return items
    }

    private func trends(_ source: InMemoryUsageSource, _ parameters: [(String, [String])] = [], rollups: Bool = true) async throws -> TrendsReport {
        let query = try parse(parameters)
        let fetcher = UsageFetcher(source: source, concurrency: 3, usesRollups: rollups)
        return try await TrendsFetcher(fetcher: fetcher).trends(query, today: Self.today)
    }

    @Test func theFetcherEndToEnd() async throws {
        let source = InMemoryUsageSource(items: Self.items(), pageSize: 9, seed: 5)
        let report = try await trends(source)

        // Week over week: 14–20 March against 7–13 March.
        // - openai gpt-4o: 7 and 7 → 0, 0%, unchanged; gpt-4o-mini: 7 × 0.5 = 3.5 against 0 → new.
        // - openai: 10.5 against 7 → +3.5, 3.5/7 = 50%.
        // - anthropic: 4+2+4+2+30+2+4 = 48 against 2+4+2+4+2+4+2 = 20 → +28, 28/20 = 140%.
        // - in all: 58.5 against 27 → +31.5, 31.5/27 = 1.16666… → 1.1667 → 116.67%.
        let weeks = #"{"this_week":{"start":"2026-03-14","end":"2026-03-20"},"previous_week":{"start":"2026-03-07","end":"2026-03-13"},"partial_day":"2026-03-20","#
            + #""total":{"this_week_cost_usd":58.5,"previous_week_cost_usd":27,"change_usd":31.5,"change_percent":116.67,"status":"up"},"#
            + #""by_service":[{"service":"anthropic","this_week_cost_usd":48,"previous_week_cost_usd":20,"change_usd":28,"change_percent":140,"status":"up"},"#
            + #"{"service":"openai","this_week_cost_usd":10.5,"previous_week_cost_usd":7,"change_usd":3.5,"change_percent":50,"status":"up"}],"#
            + #""by_model":[{"service":"anthropic","model":"claude-3-haiku","this_week_cost_usd":48,"previous_week_cost_usd":20,"change_usd":28,"change_percent":140,"status":"up"},"#
            + #"{"service":"openai","model":"gpt-4o","this_week_cost_usd":7,"previous_week_cost_usd":7,"change_usd":0,"change_percent":0,"status":"unchanged"},"#
            + #"{"service":"openai","model":"gpt-4o-mini","this_week_cost_usd":3.5,"previous_week_cost_usd":0,"change_usd":3.5,"change_percent":null,"status":"new"}]}"#
        #expect(report.json["week_over_week"]?.serialized() == weeks)

        // Forecast for March (31 days): days 1–19 complete, the 20th partial (5.5 so far).
        // y_d = 1 (+0.5 from the 14th) + (4 on even days, 2 on odd days; 30 on the 18th):
        // Σy = 104, Σd·y_d = 1267.5, T = 2·1267.5 − 20·104 = 455, Q = 19·(19² − 1) = 6840,
        // slope 6·455/6840 = 0.39912… → 0.3991, N(d) = 360·104 + 3·455·(2d − 20) = 37440 + 1365(2d − 20).
        // Today: the line's 64740/6840 = 9.4649… is above the 5.5 spent, so it counts.
        // Σ_{d=20}^{31} N(d) = 12·37440 + 1365·(2·306 − 240) = 449280 + 507780 = 957060;
        // forecast (6840·104 + 957060)/6840 = 1668420/6840 = 243.92105… → 243.9211;
        // month to date 104 + 5.5 = 109.5; remaining 243.9211 − 109.5 = 134.4211.
        let forecast = #"{"month":"2026-03","days_in_month":31,"complete_days":19,"partial_day":"2026-03-20","method":"linear","#
            + #""month_to_date_cost_usd":109.5,"trend_per_day_usd":0.3991,"projected_remaining_usd":134.4211,"forecast_cost_usd":243.9211}"#
        #expect(report.json["forecast"]?.serialized() == forecast)

        // Anomalies on 14–20 March, each against its 14 days before (threshold 2):
        // - openai on the 14th: 1.5 against fourteen 1s: sd 0, no z. The 15th: history thirteen 1s
        //   and one 1.5: D = 14·1.5 − 14.5 = 6.5, V = 14·15.25 − 14.5² = 3.25, D² = 42.25 > 4·3.25:
        //   z = 6.5/√3.25 = 3.6055… → 3.61, mean 14.5/14 = 1.0357…, sd √3.25/14 = 0.12877… → 0.1288.
        //   The 16th: D = 21 − 15 = 6, V = 14·16.5 − 225 = 6, 36 > 24: z = √6 = 2.449… → 2.45,
        //   mean 15/14 → 1.0714, sd √6/14 = 0.174963… → 0.175. The 17th: D = 5.5, V = 8.25,
        //   30.25 < 33: z 1.91, not an anomaly.
        // - anthropic on the 18th: 30 against seven 4s and seven 2s: mean 3, V = 14·140 − 42² = 196,
        //   sd 14/14 = 1, z = (14·30 − 42)/14 = 27. Alternating days score ±1.
        let anomalies = #"{"days":{"start":"2026-03-14","end":"2026-03-20"},"window":14,"threshold":2,"by_service":["#
            + #"{"service":"anthropic","anomaly_days":[{"date":"2026-03-18","cost_usd":30,"mean_usd":3,"sd_usd":1,"z":27}]},"#
            + #"{"service":"openai","anomaly_days":[{"date":"2026-03-15","cost_usd":1.5,"mean_usd":1.0357,"sd_usd":0.1288,"z":3.61},"#
            + #"{"date":"2026-03-16","cost_usd":1.5,"mean_usd":1.0714,"sd_usd":0.175,"z":2.45}]}]}"#
        #expect(report.json["anomalies"]?.serialized() == anomalies)
        #expect(report.json["invalid_items"] == .number(0))
        #expect(report.json["query"] == (try parse([])).echo)

        // The text shows the same figures.
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.first == "Trends to 2026-03-20 (UTC), every service; 2026-03-20 is today, so its spend is partial")
        #expect(lines.contains("service    model           this week  previous   change  change %  status"))
        #expect(lines.contains("(all)                        58.5000   27.0000  31.5000    116.67  up"))
        #expect(lines.contains("           gpt-4o-mini        3.5000    0.0000   3.5000         -  new"))
        #expect(lines.contains("forecast             243.9211"))
        #expect(lines.contains("2026-03-18  anthropic  30.0000  3.0000  1.0000  27.00"))
        #expect(lines.contains("2026-03-16  openai      1.5000  1.0714  0.1750   2.45"))
    }

    @Test func rollupsGiveTheSameTrends() async throws {
        let source = InMemoryUsageSource(items: Self.items(), pageSize: 4, seed: 8)
        let raw = try await trends(source, rollups: false)
        let compacted = try await RollupCompactor(source: source, settleSeconds: 0, now: { UTCTimestamp(year: 2026, month: 3, day: 20, hour: 12) })
            .compact(from: CivilDate(year: 2026, month: 2, day: 20), to: Self.today)
        #expect(compacted.filter { $0.result == .written }.count == 27)   // 20 February … 18 March
        let rolled = try await trends(source)
        #expect(rolled.json == raw.json)
        #expect(rolled.table == raw.table)
        // 28 February (the first examined day's window) … 18 March from rollups; the 19th and 20th raw.
        #expect(rolled.readSummary.hasPrefix("raw 2 days"), "\(rolled.readSummary)")
        #expect(rolled.readSummary.contains("rollups 19 days"), "\(rolled.readSummary)")
    }

    @Test func trendsSayHowManyCallsHaveNoPrice() async throws {
        // Three calls without a cost: on a closed day (2 calls), on today, and a failed one
        // (not billed, so not unpriced). The figures are the priced calls' alone.
        func costless(_ id: String, _ day: Int, calls: Int = 1, error: String? = nil) -> Item {
            try! MetricItemCodec.item(for: AIUsageMetric(
                service: "openai", model: "gpt-next", operation: "completion", timestamp: UTCTimestamp(year: 2026, month: 3, day: day, hour: 8),
                requestId: id, apiCalls: calls, totalTokens: 10, error: error
            ))
        }
        let extra = [costless("u1", 16, calls: 2), costless("u2", 20), costless("f1", 17, error: "Timeout")]
        let plain = try await trends(InMemoryUsageSource(items: Self.items(), pageSize: 9, seed: 5))
        #expect(plain.json["unpriced_calls"] == .number(0))
        #expect(!plain.table.contains("unpriced"))

        let source = InMemoryUsageSource(items: Self.items() + extra, pageSize: 9, seed: 5)
        let report = try await trends(source)
        #expect(report.json["unpriced_calls"] == .number(3))
        #expect(report.json.objectMembers?.map(\.key) == ["week_over_week", "forecast", "anomalies", "invalid_items", "unpriced_calls", "query"])
        #expect(report.json["week_over_week"]?["total"] == plain.json["week_over_week"]?["total"])
        #expect(report.json["forecast"] == plain.json["forecast"])
        #expect(report.table.contains("3 unpriced calls: no price in the catalogue, so their cost is in no figure (see docs/pricing.md)"))
        // The same from rollups.
        _ = try await RollupCompactor(source: source, settleSeconds: 0, now: { UTCTimestamp(year: 2026, month: 3, day: 20, hour: 12) })
            .compact(from: CivilDate(year: 2026, month: 2, day: 20), to: Self.today)
        let rolled = try await trends(source)
        #expect(rolled.readSummary.contains("rollups 19 days"), "\(rolled.readSummary)")
        #expect(rolled.json == report.json)
    }

    @Test func aClosedEndDateAcrossAMonthBoundaryAndOneService() async throws {
        let source = InMemoryUsageSource(items: Self.items(), seed: 3)
        // 1 March: the month's only day, complete (not today): 1 + 2 = 3, repeated over 31 days.
        // Weeks: 23 February – 1 March (openai 7, anthropic 2+4+2+4+2+4+2 = 20: 27) against
        // 16–22 February (data from the 20th: openai 3, anthropic 4+2+4 = 10: 13); 14/13 = 1.0769… → 107.69%.
        let report = try await trends(source, [("end_date", ["2026-03-01"])])
        #expect(report.json["forecast"]?.serialized()
            == #"{"month":"2026-03","days_in_month":31,"complete_days":1,"partial_day":null,"method":"flat","month_to_date_cost_usd":3,"trend_per_day_usd":null,"projected_remaining_usd":90,"forecast_cost_usd":93}"#)
        #expect(report.json["week_over_week"]?["total"]?.serialized()
            == #"{"this_week_cost_usd":27,"previous_week_cost_usd":13,"change_usd":14,"change_percent":107.69,"status":"up"}"#)
        #expect(report.json["week_over_week"]?["partial_day"] == .null)

        // One service: every figure is anthropic's. On 18 March (closed, not today), the month's 18
        // days are complete, and the spike is the one anomaly.
        let anthropic = try await trends(source, [("end_date", ["2026-03-18"]), ("service", ["Anthropic"])])
        #expect(anthropic.json["week_over_week"]?["by_service"]?.arrayValue?.compactMap { $0["service"]?.stringValue } == ["anthropic"])
        #expect(anthropic.json["anomalies"]?["by_service"]?.serialized()
            == #"[{"service":"anthropic","anomaly_days":[{"date":"2026-03-18","cost_usd":30,"mean_usd":3,"sd_usd":1,"z":27}]}]"#)
        // 12–18 March: 4+2+4+2+4+2+30 = 48 against 5–11 March: 2+4+2+4+2+4+2 = 20.
        #expect(anthropic.json["week_over_week"]?["total"]?.serialized()
            == #"{"this_week_cost_usd":48,"previous_week_cost_usd":20,"change_usd":28,"change_percent":140,"status":"up"}"#)
        #expect(anthropic.json["forecast"]?["complete_days"] == .number(18))
        #expect(anthropic.json["forecast"]?["partial_day"] == .null)
    }

    @Test func anEmptyTableHasZerosAndNoAnomalies() async throws {
        let report = try await trends(InMemoryUsageSource())
        #expect(report.json["week_over_week"]?["total"]?.serialized()
            == #"{"this_week_cost_usd":0,"previous_week_cost_usd":0,"change_usd":0,"change_percent":null,"status":"unchanged"}"#)
        #expect(report.json["week_over_week"]?["by_model"] == .array([]))
        #expect(report.json["forecast"]?["forecast_cost_usd"] == .number(0))
        #expect(report.json["anomalies"]?["by_service"] == .array([]))
        #expect(report.table.contains("none among 0 services"))
    }
}
