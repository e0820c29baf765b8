import AIUsage

/// One day's spend against the trailing days before it: the z-score test of docs/trends.md,
/// "Anomalies".
///
/// With the history h₁ … h_w (zero-spend days included), mean m = Σh / w and the population
/// standard deviation sd = √(Σ(h − m)² / w), z = (x − m) / sd. The day is an anomaly when
/// z > threshold. With D = w·x − Σh (= w(x − m)) and V = w·Σh² − (Σh)² (= w²·sd²), that is
/// D > 0 and D² > threshold²·V: the decision is made on exact decimals, never on a `Double`.
/// A flat history (V = 0, sd 0) or an empty one gives no z and no anomaly. `Double` is used only
/// for the square roots of the reported `z` and `standardDeviation`, each rounded once.
struct AnomalyScore: Sendable, Hashable {
    /// Fraction digits of `z`.
    static let zScale = 2

    /// The day's spend, exact.
    let value: ExactDecimal
    /// The history's mean, rounded half-even to `scale`; `nil` with no history.
    let mean: ExactDecimal?
    /// The history's population standard deviation, rounded to `scale`; `nil` with no history.
    let standardDeviation: ExactDecimal?
    /// (x − mean) / sd rounded half-even to 2 places; `nil` when sd is 0 or there is no history.
    let z: ExactDecimal?
    /// z > threshold, decided exactly.
    let isAnomaly: Bool

    /// Scores `value` against `history` (the trailing days, oldest first).
    init(value: ExactDecimal, history: [ExactDecimal], threshold: ExactDecimal, scale: Int) {
        self.value = value
        let w = history.count
        var sum: ExactDecimal? = .zero
        var squares: ExactDecimal? = .zero
        for h in history {
            sum = sum?.adding(h)
            squares = squares.flatMap { s in h.multiplied(by: h).flatMap { s.adding($0) } }
        }
        guard w > 0, let sum, let squares,
              let d = value.multiplied(by: ExactDecimal(w))?.subtracting(sum),
              let v = squares.multiplied(by: ExactDecimal(w)).flatMap({ a in sum.multiplied(by: sum).flatMap { a.subtracting($0) } })
        else {
            mean = w > 0 ? sum.flatMap { $0.divided(by: ExactDecimal(w), scale: scale) } : nil
            standardDeviation = nil
            z = nil
            isAnomaly = false
            return
        }
        mean = sum.divided(by: ExactDecimal(w), scale: scale)
        guard v.significand > 0 else {
            // A flat history: every day the same, sd 0. (V is never below 0 but by the rounding
            // of sums past 38 significant digits.)
            standardDeviation = .zero
            z = nil
            isAnomaly = false
            return
        }
        let limit = threshold.multiplied(by: threshold).flatMap { $0.multiplied(by: v) }
        let square = d.multiplied(by: d)
        if d.significand > 0, let square, let limit {
            isAnomaly = square > limit
        } else {
            isAnomaly = false
        }
        let root = Self.double(v).squareRoot()
        standardDeviation = Self.decimal(root / Double(w), scale: scale)
        z = Self.decimal(Self.double(d) / root, scale: Self.zScale)
    }

    /// The nearest `Double` to an exact decimal (its text parsed, correctly rounded).
    private static func double(_ value: ExactDecimal) -> Double {
        Double(value.description) ?? .nan
    }

    /// A finite `Double` as an exact decimal (its shortest round-trip text), rounded half-even
    /// to `scale` places (at most 30); `nil` when it is not finite or 10^38 or more.
    private static func decimal(_ value: Double, scale: Int) -> ExactDecimal? {
        guard value.isFinite else { return nil }
        // Far below the last place: 0 (and no text with more fraction digits than a decimal holds).
        if value.magnitude < 1e-32 { return .zero }
        return ExactDecimal(String(value))?.rounded(scale: scale)
    }
}
