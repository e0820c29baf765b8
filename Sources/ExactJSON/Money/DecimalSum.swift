/// A running sum of `ExactDecimal`s that defers normalisation: the hot loop of a report adds
/// twice per item, and normalising each time (stripping trailing zeros) costs a 128-bit division.
///
/// While the aligned sum stays below 10^38 it is exact, and equal to what a chain of
/// `ExactDecimal.adding` gives; beyond that it falls back to `adding` (which rounds past 38
/// significant digits), so the two never disagree.
public struct DecimalSum: Sendable, Hashable {
    /// The sum is `significand × 10^-scale`, not normalised.
    private var significand: Int128 = 0
    private var scale = 0

    /// Zero.
    public init() {}

    /// The sum so far, normalised.
    public var value: ExactDecimal { ExactDecimal(significand: significand, scale: scale) }

    /// Adds `amount`; `false` (and the sum unchanged) when the result would be 10^38 or more.
    @inline(__always)
    public mutating func add(_ amount: ExactDecimal) -> Bool {
        if amount.significand == 0 { return true }
        let common = Swift.max(scale, amount.scale)
        if common <= 38 {
            let (a, overflowA) = significand.multipliedReportingOverflow(by: Self.powers[common - scale])
            let (b, overflowB) = amount.significand.multipliedReportingOverflow(by: Self.powers[common - amount.scale])
            if !overflowA, !overflowB {
                let (sum, overflow) = a.addingReportingOverflow(b)
                if !overflow, sum.magnitude < Self.limit {
                    significand = sum
                    scale = common
                    return true
                }
            }
        }
        guard let sum = value.adding(amount) else { return false }
        significand = sum.significand
        scale = sum.scale
        return true
    }

    /// 10^0 … 10^38.
    private static let powers: [Int128] = {
        var powers: [Int128] = [1]
        for _ in 1...38 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    /// 10^38.
    private static let limit: UInt128 = 100_000_000_000_000_000_000_000_000_000_000_000_000
}
