import AIUsage

/// A trends answer: the JSON body of `GET /ai_usage/trends` and the aligned text `ai-usage
/// trends` prints (shapes in docs/trends.md). Every figure is rounded once, half-even, here:
/// money to 4 places (as `GET /ai_usage`), percents and z-scores to 2.
public struct TrendsReport: Sendable {
    /// `{"week_over_week", "forecast", "anomalies", "invalid_items", "unpriced_calls", "query"}`.
    public var json: JSONValue
    /// The same figures as aligned text, for people.
    public var table: String
    /// What the fetch read (`raw 2 days (…); rollups 26 days (…)`), for the log line.
    public var readSummary: String

    init(_ figures: TrendFigures, readSummary: String) {
        json = Self.json(figures)
        table = Self.table(figures)
        self.readSummary = readSummary
    }

    static func json(_ figures: TrendFigures) -> JSONValue {
        func range(_ days: ClosedRange<CivilDate>) -> JSONValue {
            .object([.init(key: "start", value: .string(days.lowerBound.text)), .init(key: "end", value: .string(days.upperBound.text))])
        }
        let partial: JSONValue = figures.partialDay.map { .string($0.text) } ?? .null
        func row(_ row: TrendFigures.Row) -> JSONValue {
            var members: [JSONValue.Member] = [.init(key: "service", value: .string(row.service))]
            if let model = row.model { members.append(.init(key: "model", value: .string(model))) }
            return .object(members + change(row.change))
        }
        let weeks: JSONValue = .object([
            .init(key: "this_week", value: range(figures.thisWeek)),
            .init(key: "previous_week", value: range(figures.previousWeek)),
            .init(key: "partial_day", value: partial),
            .init(key: "total", value: .object(change(figures.total))),
            .init(key: "by_service", value: .array(figures.byService.map(row))),
            .init(key: "by_model", value: .array(figures.byModel.map(row))),
        ])

        let forecast = figures.forecast
        let month: JSONValue = .object([
            .init(key: "month", value: .string(String(figures.month.text.prefix(7)))),
            .init(key: "days_in_month", value: .number(forecast.daysInMonth)),
            .init(key: "complete_days", value: .number(forecast.completeDays)),
            .init(key: "partial_day", value: partial),
            .init(key: "method", value: .string(forecast.method.rawValue)),
            .init(key: "month_to_date_cost_usd", value: money(forecast.monthToDate)),
            .init(key: "trend_per_day_usd", value: money(forecast.trendPerDay)),
            .init(key: "projected_remaining_usd", value: money(forecast.projectedRemaining)),
            .init(key: "forecast_cost_usd", value: money(forecast.forecast)),
        ])

        let anomalies: JSONValue = .object([
            .init(key: "days", value: range(figures.anomalyDays)),
            .init(key: "window", value: .number(figures.query.window)),
            .init(key: "threshold", value: .number(figures.query.threshold)),
            .init(key: "by_service", value: .array(figures.anomalies.map { service in
                .object([
                    .init(key: "service", value: .string(service.service)),
                    .init(key: "anomaly_days", value: .array(service.days.map { day in
                        .object([
                            .init(key: "date", value: .string(day.date.text)),
                            .init(key: "cost_usd", value: money(day.score.value)),
                            .init(key: "mean_usd", value: money(day.score.mean)),
                            .init(key: "sd_usd", value: money(day.score.standardDeviation)),
                            .init(key: "z", value: day.score.z.map { .number($0) } ?? .null),
                        ])
                    })),
                ])
            })),
        ])

        return .object([
            .init(key: "week_over_week", value: weeks),
            .init(key: "forecast", value: month),
            .init(key: "anomalies", value: anomalies),
            .init(key: "invalid_items", value: .number(figures.invalidItems)),
            .init(key: "unpriced_calls", value: .number(figures.unpricedCalls)),
            .init(key: "query", value: figures.query.echo),
        ])
    }

    /// The members of one week-over-week line.
    private static func change(_ change: WeekChange) -> [JSONValue.Member] {
        [
            .init(key: "this_week_cost_usd", value: money(change.current)),
            .init(key: "previous_week_cost_usd", value: money(change.previous)),
            .init(key: "change_usd", value: money(change.change)),
            .init(key: "change_percent", value: change.percent.map { .number($0) } ?? .null),
            .init(key: "status", value: .string(change.status.rawValue)),
        ]
    }

    /// Dollars rounded half-even to 4 places; `null` for none.
    private static func money(_ amount: ExactDecimal?) -> JSONValue {
        amount.map { .number($0.rounded(scale: UsageAggregate.costScale)) } ?? .null
    }
}
