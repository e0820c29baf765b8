import ExactJSON
import TestSupport
import Testing

/// `DecimalSum` is `ExactDecimal.adding` with the normalisation deferred: the same value after
/// every step, and the same refusal at 10^38.
@Suite struct DecimalSumTests {
    @Test func agreesWithAChainOfAddingAtEveryStep() {
        var random = SplitMix64(state: 2026)
        let samples = ["0.1", "0.10", "12.50", "1E-7", "99999999.9999999999", "0.000123456789", "7", "1e3",
                       "0.00000000000000000000000000000000000001", "123456789012345678901234567.89", "-0.5", "0"]
        for _ in 0..<200 {
            var sum = DecimalSum()
            var chain = ExactDecimal.zero
            for _ in 0..<50 {
                let amount = ExactDecimal(samples[Int.random(in: 0..<samples.count, using: &random)])!
                let accepted = sum.add(amount)
                let expected = chain.adding(amount)
                #expect(accepted == (expected != nil))
                if let expected { chain = expected }
                #expect(sum.value == chain, "\(sum.value) vs \(chain)")
                #expect(sum.value.description == chain.description)
            }
        }
    }

    @Test func refusesAtTenToThe38AndStaysUnchanged() {
        var sum = DecimalSum()
        let big = ExactDecimal("99999999999999999999999999999999999999")!  // 10^38 − 1
        let first = sum.add(big)
        let second = sum.add(ExactDecimal(1))
        #expect(first && !second)
        #expect(sum.value == big)
        // 0.5 + 0.5 at scale 1 is exactly 1: normalised when read.
        var half = DecimalSum()
        let both = half.add(ExactDecimal("0.5")!) && half.add(ExactDecimal("0.5")!)
        #expect(both)
        #expect(half.value.description == "1")
    }
}
