import AIUsage

/// The change from the previous week's spend to this week's: exact amounts, and a percent
/// computed from the exact quotient and rounded once, half-even (docs/trends.md).
struct WeekChange: Sendable, Hashable {
    /// Which way the spend went.
    enum Status: String, Sendable {
        /// More than the week before, which spent something.
        case up
        /// Less than the week before.
        case down
        /// The same amount (both weeks 0 included).
        case unchanged
        /// Spend this week after a week of none: no percent exists.
        case new
    }

    /// Fraction digits of `percent`.
    static let percentScale = 2

    /// This week's spend, exact.
    let current: ExactDecimal
    /// The week before's spend, exact.
    let previous: ExactDecimal
    /// `(current − previous) / previous × 100` rounded half-even to 2 places; `nil` when the
    /// previous week spent nothing (never a made-up 100).
    let percent: ExactDecimal?
    let status: Status

    /// The change of `previous` → `current`; both are sums of non-negative costs.
    init(current: ExactDecimal, previous: ExactDecimal) {
        self.current = current
        self.previous = previous
        if current == previous {
            status = .unchanged
        } else if current < previous {
            status = .down
        } else {
            status = previous.isZero ? .new : .up
        }
        // The ratio rounded to 2 + 2 places, times 100, is the percent rounded to 2 places:
        // multiplying by 100 only moves the point, so this is the one rounding.
        percent = previous.isZero ? nil : (current - previous)
            .divided(by: previous, scale: Self.percentScale + 2)?
            .multiplied(by: 100)
    }

    /// `current − previous`, exact.
    var change: ExactDecimal { current - previous }
}
