import AIUsage

/// A month's spend so far and its month-end forecast, in exact decimal arithmetic with one
/// rounding (docs/trends.md, "Month-end forecast").
///
/// The complete days so far are days 1 … c, with spend y₁ … y_c (zero-spend days included). A
/// least-squares line ŷ(d) = a + b·d is fitted to them when c ≥ 2; with fewer, ŷ is flat at the
/// only day's spend (y₁, or the partial day's spend so far when there is no complete day). Then
///
///     forecast = Σ y_d  +  max(p, ŷ(c+1)) if day c+1 is a partial day with spend p so far
///                       +  Σ max(0, ŷ(d)) over the remaining days to the month's last day D.
///
/// With x̄ = (c+1)/2, Sxx = Σ(d − x̄)² = c(c²−1)/12 and T = 2·Σ d·y_d − (c+1)·Σ y_d (= 2·Sxy):
/// b = Sxy/Sxx = 6T / (c(c²−1)) and ŷ(d) = N(d) / Q with Q = c(c²−1) and
/// N(d) = (c²−1)·Σy + 3T·(2d − c − 1). Every N(d) is exact, so the forecast is
/// (Q·Σy + Σ projections' N) / Q, divided once and rounded half-even to `scale` places.
struct MonthForecast: Sendable, Hashable {
    /// How the days after the data are projected.
    enum Method: String, Sendable {
        /// A least-squares line over the complete days (two or more).
        case linear
        /// The only day's spend, repeated (one complete day, or only a partial day).
        case flat
    }

    /// The month's length.
    let daysInMonth: Int
    /// Days 1 … `completeDays` are over.
    let completeDays: Int
    /// The spend so far of day `completeDays + 1`, when it is still going (it is today).
    let partialDaySpend: ExactDecimal?
    /// Σ spend of the complete days and the partial day, exact.
    let monthToDate: ExactDecimal
    /// The fitted line's slope b (dollars per day per day), rounded to `scale`; `nil` unless linear.
    let trendPerDay: ExactDecimal?
    /// The month's total forecast, rounded half-even to `scale`; `nil` only when an intermediate
    /// sum passes 10^38 (no real month does).
    let forecast: ExactDecimal?
    let method: Method

    /// What the forecast adds to `monthToDate` (exact, so the three figures add up once rounded).
    var projectedRemaining: ExactDecimal? { forecast.map { $0 - monthToDate } }

    /// Too large to compute exactly: the magnitude would reach 10^38.
    private struct Overflow: Error {}

    /// - Parameters:
    ///   - complete: the spend of days 1 … c of the month, in order (zeros included).
    ///   - partial: the spend so far of day c + 1 when that day is today.
    ///   - daysInMonth: D, with c (+ 1 for a partial day) ≤ D.
    ///   - scale: fraction digits of `forecast` and `trendPerDay`.
    init(complete: [ExactDecimal], partial: ExactDecimal?, daysInMonth: Int, scale: Int) {
        let c = complete.count
        precondition(c + (partial == nil ? 0 : 1) <= daysInMonth, "more days than the month has")
        self.daysInMonth = daysInMonth
        completeDays = c
        partialDaySpend = partial
        method = c >= 2 ? .linear : .flat

        var sumY = ExactDecimal.zero
        var sumXY = ExactDecimal.zero
        var mtd: ExactDecimal?
        var slope: ExactDecimal?
        var total: ExactDecimal?
        do throws(Overflow) {
            for (index, y) in complete.enumerated() {
                sumY = try Self.add(sumY, y)
                sumXY = try Self.add(sumXY, Self.times(y, index + 1))
            }
            mtd = try Self.add(sumY, partial ?? .zero)

            // ŷ(d) = N(d) / Q.
            let q: Int
            let line: (Int) throws(Overflow) -> ExactDecimal
            if c >= 2 {
                q = c * (c * c - 1)
                let t = try Self.add(Self.times(sumXY, 2), -Self.times(sumY, c + 1))
                let base = try Self.times(sumY, c * c - 1)
                let step = try Self.times(t, 3)
                line = { (d: Int) throws(Overflow) -> ExactDecimal in try Self.add(base, Self.times(step, 2 * d - c - 1)) }
                slope = try Self.times(t, 6).divided(by: ExactDecimal(q), scale: scale)
            } else {
                q = 1
                let level = complete.first ?? partial ?? .zero
                line = { (_: Int) throws(Overflow) -> ExactDecimal in level }
            }

            var numerator = try Self.times(sumY, q)
            var day = c + 1
            if let partial {
                numerator = try Self.add(numerator, max(Self.times(partial, q), line(day)))
                day += 1
            }
            while day <= daysInMonth {
                numerator = try Self.add(numerator, max(.zero, line(day)))
                day += 1
            }
            total = numerator.divided(by: ExactDecimal(q), scale: scale)
        } catch {
            total = nil
        }
        monthToDate = mtd ?? sumY
        trendPerDay = slope
        forecast = mtd == nil ? nil : total
    }

    private static func add(_ a: ExactDecimal, _ b: ExactDecimal) throws(Overflow) -> ExactDecimal {
        guard let sum = a.adding(b) else { throw Overflow() }
        return sum
    }

    private static func times(_ a: ExactDecimal, _ k: Int) throws(Overflow) -> ExactDecimal {
        guard let product = a.multiplied(by: ExactDecimal(k)) else { throw Overflow() }
        return product
    }

    /// The number of days in `date`'s month.
    static func daysInMonth(of date: CivilDate) -> Int {
        (28...31).last { CivilDate.isValid(year: date.year, month: date.month, day: $0) } ?? 28
    }
}
