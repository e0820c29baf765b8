import AIUsage

/// How long a budget's allowance lasts before it starts again: a calendar period in UTC.
///
/// Weeks start on Monday; months, quarters and years on their first day. A period is a
/// calendar period, not a count of days: March has 31 days, a leap February 29.
public enum BudgetPeriod: String, CaseIterable, Sendable, Hashable {
    case daily, weekly, monthly, quarterly, annual

    /// The instance of this period that contains `day`.
    public func instance(containing day: CivilDate) -> PeriodInstance {
        let start: CivilDate
        let next: CivilDate
        switch self {
        case .daily:
            start = day
            next = day.adding(days: 1)
        case .weekly:
            // 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays.
            let sinceMonday = ((day.daysSinceEpoch + 3) % 7 + 7) % 7
            start = day.adding(days: -sinceMonday)
            next = start.adding(days: 7)
        case .monthly:
            start = CivilDate(year: day.year, month: day.month, day: 1)
            next = day.month == 12 ? CivilDate(year: day.year + 1, month: 1, day: 1) : CivilDate(year: day.year, month: day.month + 1, day: 1)
        case .quarterly:
            let firstMonth = (day.month - 1) / 3 * 3 + 1
            start = CivilDate(year: day.year, month: firstMonth, day: 1)
            next = firstMonth == 10 ? CivilDate(year: day.year + 1, month: 1, day: 1) : CivilDate(year: day.year, month: firstMonth + 3, day: 1)
        case .annual:
            start = CivilDate(year: day.year, month: 1, day: 1)
            next = CivilDate(year: day.year + 1, month: 1, day: 1)
        }
        return PeriodInstance(period: self, start: start, end: next.adding(days: -1))
    }

    /// The instance that contains the instant `time`.
    public func instance(containing time: UTCTimestamp) -> PeriodInstance {
        instance(containing: time.civilDate)
    }
}

/// One occurrence of a period: "March 2026", "the week of 2026-03-09".
public struct PeriodInstance: Sendable, Hashable, CustomStringConvertible {
    public var period: BudgetPeriod
    /// The first day, and the last day (inclusive).
    public var start: CivilDate
    public var end: CivilDate

    /// Days in the instance: 1, 7, 28–31, 90–92, 365 or 366.
    public var days: Int { end.daysSinceEpoch - start.daysSinceEpoch + 1 }

    /// Length in seconds.
    public var seconds: Int64 { Int64(days) * 86_400 }

    /// The first instant, and the first instant after it.
    public var startsAt: UTCTimestamp { UTCTimestamp(microsecondsSinceEpoch: Int64(start.daysSinceEpoch) * 86_400_000_000) }
    public var endsAt: UTCTimestamp { UTCTimestamp(microsecondsSinceEpoch: Int64(end.daysSinceEpoch + 1) * 86_400_000_000) }

    /// Whole seconds elapsed at `time`, clamped to 0 … `seconds`.
    public func elapsedSeconds(at time: UTCTimestamp) -> Int64 {
        let elapsed = (time.microsecondsSinceEpoch - startsAt.microsecondsSinceEpoch) / 1_000_000
        return min(max(elapsed, 0), seconds)
    }

    /// A stable key for this instance: `monthly@2026-03-01`.
    public var key: String { "\(period.rawValue)@\(start.text)" }

    /// A label for people: `2026-03-15`, `week of 2026-03-09`, `2026-03`, `2026-Q1`, `2026`.
    public var label: String {
        switch period {
        case .daily: start.text
        case .weekly: "week of \(start.text)"
        case .monthly: String(start.text.prefix(7))
        case .quarterly: "\(start.year)-Q\((start.month - 1) / 3 + 1)"
        case .annual: "\(start.year)"
        }
    }

    public var description: String { label }
}
