import AIUsage

/// Everything a trends answer shows, computed from one aggregate of the days it needs
/// (`firstDay(for:)` … `end_date`): week over week, the month-end forecast and the anomaly days.
/// Days are read from each item's stored day; items whose day is not a date of that range are
/// left out of the figures (the writer always stores one, so real tables have none).
struct TrendFigures: Sendable {
    /// One line of the week-over-week breakdown: a service (`model` nil) or a service's model.
    struct Row: Sendable, Hashable {
        var service: String
        var model: String?
        var change: WeekChange
    }

    /// One anomaly: a service's day whose z-score is above the threshold.
    struct Anomaly: Sendable, Hashable {
        var date: CivilDate
        var score: AnomalyScore
    }

    /// A service examined for anomalies, and its anomaly days, oldest first.
    struct ServiceAnomalies: Sendable, Hashable {
        var service: String
        var days: [Anomaly]
    }

    let query: TrendsQuery
    /// `end_date` − 6 … `end_date`.
    let thisWeek: ClosedRange<CivilDate>
    /// The 7 days before: `end_date` − 13 … `end_date` − 7.
    let previousWeek: ClosedRange<CivilDate>
    /// `end_date` when it is today (UTC): a day whose spend is still growing.
    let partialDay: CivilDate?
    let total: WeekChange
    /// Per service, then per service and model, in byte order; lines where both weeks have no
    /// items are absent.
    let byService: [Row]
    let byModel: [Row]
    /// The first day of `end_date`'s month.
    let month: CivilDate
    let forecast: MonthForecast
    /// The days examined for anomalies: the last `anomaly_days` days to `end_date`.
    let anomalyDays: ClosedRange<CivilDate>
    /// Every service with items in the anomaly days or their windows, in byte order.
    let anomalies: [ServiceAnomalies]
    /// Items left out of every sum because they could not be read.
    let invalidItems: Int
    /// Calls without a price (`UsageAggregate.unpricedCalls`) in the days read: their cost is
    /// in no figure.
    let unpricedCalls: Int

    /// The first day any figure needs: the earliest of the month's first day, the previous
    /// week's first day and the first examined day's window.
    static func firstDay(for query: TrendsQuery) -> CivilDate {
        let monthStart = CivilDate(year: query.end.year, month: query.end.month, day: 1)
        return min(monthStart, query.end.adding(days: -13), query.end.adding(days: 1 - query.anomalyDays - query.window))
    }

    /// The figures of `query` from `aggregate` (which kept a level, so it has its cells), with
    /// `today` (UTC) deciding whether `end_date` is a partial day.
    init(query: TrendsQuery, today: CivilDate, aggregate: UsageAggregate) {
        self.query = query
        let end = query.end
        let first = Self.firstDay(for: query)
        thisWeek = end.adding(days: -6)...end
        previousWeek = end.adding(days: -13)...end.adding(days: -7)
        partialDay = end == today ? end : nil
        invalidItems = aggregate.invalidItems
        unpricedCalls = aggregate.unpricedCalls

        struct Pair: Hashable {
            var service: ReportKey
            var model: ReportKey
        }
        struct Weeks {
            var current = ExactDecimal.zero
            var previous = ExactDecimal.zero
        }
        var dayTotals: [CivilDate: ExactDecimal] = [:]
        var serviceDays: [ReportKey: [CivilDate: ExactDecimal]] = [:]
        var serviceWeeks: [ReportKey: Weeks] = [:]
        var pairWeeks: [Pair: Weeks] = [:]
        // Every sum below is part of the aggregate's checked total, so `+=` cannot overflow.
        for group in aggregate.dailyModelTotals() {
            guard let date = CivilDate(group.date), first <= date, date <= end else { continue }
            let service = ReportKey(group.service)
            let pair = Pair(service: service, model: ReportKey(group.model))
            dayTotals[date, default: .zero] += group.cost
            serviceDays[service, default: [:]][date, default: .zero] += group.cost
            if thisWeek.contains(date) {
                serviceWeeks[service, default: Weeks()].current += group.cost
                pairWeeks[pair, default: Weeks()].current += group.cost
            } else if previousWeek.contains(date) {
                serviceWeeks[service, default: Weeks()].previous += group.cost
                pairWeeks[pair, default: Weeks()].previous += group.cost
            }
        }

        func spend(_ days: ClosedRange<CivilDate>) -> ExactDecimal {
            Self.days(days).reduce(ExactDecimal.zero) { $0 + (dayTotals[$1] ?? .zero) }
        }
        total = WeekChange(current: spend(thisWeek), previous: spend(previousWeek))
        byService = serviceWeeks
            .sorted { ReportKey.precedes($0.key.text, $1.key.text) }
            .map { Row(service: $0.key.text, model: nil, change: WeekChange(current: $0.value.current, previous: $0.value.previous)) }
        byModel = pairWeeks
            .sorted { a, b in
                a.key.service == b.key.service
                    ? ReportKey.precedes(a.key.model.text, b.key.model.text)
                    : ReportKey.precedes(a.key.service.text, b.key.service.text)
            }
            .map { Row(service: $0.key.service.text, model: $0.key.model.text, change: WeekChange(current: $0.value.current, previous: $0.value.previous)) }

        // The month: complete days 1 … c, then today's partial day when end_date is today.
        month = CivilDate(year: end.year, month: end.month, day: 1)
        let lastComplete = partialDay == nil ? end : end.adding(days: -1)
        let complete = lastComplete < month ? [] : Self.days(month...lastComplete).map { dayTotals[$0] ?? .zero }
        forecast = MonthForecast(
            complete: complete, partial: partialDay.map { dayTotals[$0] ?? .zero },
            daysInMonth: MonthForecast.daysInMonth(of: end), scale: UsageAggregate.costScale
        )

        // Anomalies: each examined day of each service against its `window` days before.
        anomalyDays = end.adding(days: 1 - query.anomalyDays)...end
        let historyStart = anomalyDays.lowerBound.adding(days: -query.window)
        var anomalies: [ServiceAnomalies] = []
        for (service, series) in serviceDays.sorted(by: { ReportKey.precedes($0.key.text, $1.key.text) })
        where series.keys.contains(where: { $0 >= historyStart }) {
            var found: [Anomaly] = []
            for day in Self.days(anomalyDays) {
                let history = (1...query.window).reversed().map { series[day.adding(days: -$0)] ?? .zero }
                let score = AnomalyScore(value: series[day] ?? .zero, history: history, threshold: query.threshold, scale: UsageAggregate.costScale)
                if score.isAnomaly { found.append(Anomaly(date: day, score: score)) }
            }
            anomalies.append(ServiceAnomalies(service: service.text, days: found))
        }
        self.anomalies = anomalies
    }

    /// The days of a range, in order.
    static func days(_ range: ClosedRange<CivilDate>) -> [CivilDate] {
        (range.lowerBound.daysSinceEpoch...range.upperBound.daysSinceEpoch).map { CivilDate(daysSinceEpoch: $0) }
    }
}
