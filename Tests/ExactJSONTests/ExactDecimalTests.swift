import ExactJSON
import TestSupport
import Testing

/// `count` copies of `digit`.
private func digits(_ digit: Character, _ count: Int) -> String {
    String(repeating: digit, count: count)
}

extension Int128 {
    /// 10^38.
    fileprivate var power38: Int128 { (0 ..< 38).reduce(1) { product, _ in product * 10 } }
}

@Suite struct ExactDecimalTests {
    // MARK: Sums

    @Test func pointOnePlusPointTwoIsPointThree() {
        let sum = dec("0.1") + dec("0.2")
        #expect(sum.description == "0.3")
        #expect(sum == dec("0.3"))
    }

    @Test func tenThousandSmallPricesSumExactly() {
        let price = dec("0.000225")
        var total = ExactDecimal.zero
        for _ in 0 ..< 10_000 { total += price }
        #expect(total.description == "2.25")
        #expect(total == dec("2.25"))
    }

    @Test func thousandCentAndAQuarterSumToTwelveFifty() {
        var total = ExactDecimal.zero
        for _ in 0 ..< 1_000 { total = total + dec("0.0125") }
        #expect(total == dec("12.5"))
        #expect(total.description == "12.5")
    }

    // MARK: Half-even rounding

    @Test(arguments: [
        // scale 4
        ("0.00005", 4, "0"), ("0.00015", 4, "0.0002"), ("0.00025", 4, "0.0002"), ("0.00035", 4, "0.0004"),
        ("0.000251", 4, "0.0003"), ("0.000249", 4, "0.0002"),
        // scale 2
        ("2.675", 2, "2.68"), ("1.005", 2, "1"), ("1.015", 2, "1.02"), ("1.0051", 2, "1.01"), ("0.125", 2, "0.12"),
        ("9.995", 2, "10"), ("0.005", 2, "0"),
        // scale 6
        ("0.0000125", 6, "0.000012"), ("0.0000135", 6, "0.000014"), ("0.0000005", 6, "0"), ("0.0000015", 6, "0.000002"),
        ("0.00000125", 6, "0.000001"),
        // scale 0 and no-ops
        ("2.5", 0, "2"), ("3.5", 0, "4"), ("12.5", 3, "12.5"), ("7", 2, "7"),
    ])
    func roundsHalfEven(_ input: String, _ scale: Int, _ expected: String) {
        #expect(dec(input).rounded(scale: scale).description == expected)
        // Negative values round symmetrically.
        #expect((-dec(input)).rounded(scale: scale) == -dec(expected))
    }

    @Test func negativeRoundingIsSymmetricAndNeverNegativeZero() {
        #expect(dec("-2.675").rounded(scale: 2) == dec("-2.68"))
        #expect(dec("-0.00025").rounded(scale: 4).description == "-0.0002")
        let zero = dec("-0.00005").rounded(scale: 4)
        #expect(zero.isZero)
        #expect(!zero.isNegative)
        #expect(zero.description == "0")
    }

    @Test func formattedPadsToTheScale() {
        #expect(dec("0.0125").formatted(scale: 6) == "0.012500")
        #expect(dec("2.675").formatted(scale: 2) == "2.68")
        #expect(dec("1.005").formatted(scale: 2) == "1.00")
        #expect(dec("0.00005").formatted(scale: 4) == "0.0000")
        #expect(dec("-0.00005").formatted(scale: 4) == "0.0000")
        #expect(dec("-1.5").formatted(scale: 4) == "-1.5000")
        #expect(ExactDecimal(7).formatted(scale: 0) == "7")
        #expect(ExactDecimal(7).formatted(scale: 2) == "7.00")
        #expect(dec("123.456").formatted(scale: 0) == "123")
        #expect(ExactDecimal.zero.formatted(scale: 6) == "0.000000")
    }

    // MARK: The 38-digit boundary

    @Test func thirtyEightDigitIntegerRoundTrips() {
        let text = digits("9", 38)
        let value = dec(text)
        #expect(value.description == text)
        #expect(value.significand == Int128(10).power38 - 1)
        #expect(value.scale == 0)
        #expect(dec("-" + text).description == "-" + text)
        #expect(dec("12345678901234567890123456789012345678").description == "12345678901234567890123456789012345678")
    }

    @Test func thirtyEightSignificantDigitFractionRoundTrips() {
        for text in [
            "0.12345678901234567890123456789012345678",
            "1.2345678901234567890123456789012345678",
            "1234567890123456789.0123456789012345678",
            "0.00000000000000000000000000000000000000000012345678901234567890123456789012345678",
        ] {
            #expect(dec(text).description == text)
        }
    }

    @Test func thirtyNineSignificantDigitsAreRejected() {
        #expect(ExactDecimal("123456789012345678901234567890123456789") == nil)
        #expect(ExactDecimal("0.123456789012345678901234567890123456789") == nil)
        #expect(ExactDecimal("1.23456789012345678901234567890123456789") == nil)
        // Magnitude 10^38 and more, even with few significant digits.
        #expect(ExactDecimal("100000000000000000000000000000000000000") == nil)
        #expect(ExactDecimal("1e38") == nil)
        #expect(ExactDecimal("1" + digits("0", 38)) == nil)
        #expect(dec("1e37") == dec("1" + digits("0", 37)))
        #expect(dec("1e37").description == "1" + digits("0", 37))
    }

    @Test func zerosThatNormaliseAwayDoNotCount() {
        // 38 significant digits followed by zeros in the fraction: 40+ digits written, 38 kept.
        #expect(dec("0.1234567890123456789012345678901234567800").description == "0.12345678901234567890123456789012345678")
        #expect(dec("12345678901234567890123456789012345678.000").description == "12345678901234567890123456789012345678")
        #expect(dec("1.000000000000000000000000000000000000000000000000") == 1)
        #expect(dec("0000000000000000000000000000000000000000001") == 1)
        // Integers: trailing zeros are digits of the value, so 39 digits are out of range.
        let thirtySeven = "1234567890123456789012345678901234567"
        #expect(thirtySeven.count == 37)
        #expect(ExactDecimal(thirtySeven + "80") == nil)
        #expect(dec(thirtySeven + "e1").description == thirtySeven + "0")
        #expect(ExactDecimal(thirtySeven + "e2") == nil)
    }

    @Test func fractionDigitLimit() {
        #expect(ExactDecimal.maximumScale == 167)
        #expect(dec("1e-167").scale == 167)
        #expect(ExactDecimal("1e-168") == nil)
        #expect(dec("0e-999999") == .zero)
        #expect(dec("1." + digits("0", 36) + "1e-130").scale == 167)
        #expect(ExactDecimal("1." + digits("0", 36) + "1e-131") == nil)
    }

    // MARK: Parsing

    @Test func parsesDecimalAndExponentForms() {
        #expect(dec("0012.50") == dec("12.5"))
        #expect(dec("0012.50").description == "12.5")
        #expect(dec("1e-05").description == "0.00001")
        #expect(dec("1E+3").description == "1000")
        #expect(dec("1.5e3") == 1500)
        #expect(dec("2.5E-1").description == "0.25")
        #expect(dec("-0").description == "0")
        #expect(dec("-0.0").description == "0")
        #expect(!dec("-0").isNegative)
        #expect(dec("+7") == 7)
        #expect(dec("-12.340").description == "-12.34")
        #expect(dec("123e-2").description == "1.23")
        #expect(dec("0.000225").significand == 225)
        #expect(dec("0.000225").scale == 6)
    }

    @Test(arguments: [
        "", "-", "+", "1.", ".", ".5", "-.5", "1e", "1e+", "1E-", "e5", "abc", "1.2.3", " 1", "1 ", "NaN", "nan",
        "Infinity", "-Infinity", "inf", "0x10", "1,5", "1_000", "--1", "+-1", "1e5.5", "١", "1.5f",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(ExactDecimal(text) == nil)
    }

    @Test func parsesSubstrings() {
        let text = "cost=0.0125;"
        let slice = text.dropFirst(5).dropLast()
        #expect(ExactDecimal(slice) == dec("0.0125"))
    }

    // MARK: Arithmetic

    @Test func exactArithmetic() {
        #expect(dec("1.5") * dec("0.2") == dec("0.3"))
        #expect((dec("1.5") * dec("0.2")).scale == 1)
        #expect(dec("0.000002") * 1_000_000 == 2)
        #expect(dec("10") - dec("0.0001") == dec("9.9999"))
        #expect(dec("-1.25") + dec("1.25") == .zero)
        #expect(dec("-3") * dec("2.5") == dec("-7.5"))
        #expect(-dec("4.2") == dec("-4.2"))
        #expect(ExactDecimal(significand: 150, scale: 2) == dec("1.5"))
        #expect(ExactDecimal(significand: 150, scale: 2).significand == 15)
        #expect(ExactDecimal(significand: 5, scale: -3) == 5000)
        #expect(ExactDecimal(significand: -7, scale: 0).isNegative)
        var accumulated: ExactDecimal = 2
        accumulated *= dec("1.5")
        accumulated -= dec("0.5")
        #expect(accumulated == dec("2.5"))
    }

    @Test func beyondThirtyEightDigitsRoundsHalfEven() {
        // 1e37 + 1e-10 needs 48 digits: rounded to 38 significant digits, the small part vanishes.
        let big = dec("1e37")
        #expect(big + dec("1e-10") == big)
        #expect((big + dec("1e-10")).description == "1" + digits("0", 37))
        #expect(big + dec("5") == dec("10000000000000000000000000000000000005"))
        // 12345678901234567890123456789012345678 + 0.5: a tie, to even (…678 stays even).
        let even = dec("12345678901234567890123456789012345678")
        #expect(even + dec("0.5") == even)
        #expect(even + dec("0.5000000001") == dec("12345678901234567890123456789012345679"))
        let odd = dec("12345678901234567890123456789012345677")
        #expect(odd + dec("0.5") == dec("12345678901234567890123456789012345678"))
        // A far smaller addend still breaks the tie: the sticky digit.
        #expect(even + dec("0." + digits("0", 20) + "1") == even)
        #expect(even + dec("0.5" + digits("0", 36) + "1") == dec("12345678901234567890123456789012345679"))
        #expect(even - dec("0.5" + digits("0", 36) + "1") == dec("12345678901234567890123456789012345677"))
        #expect(even.adding(dec("1e-100")) == even)
        let nines = dec("9." + digits("9", 36) + "5")
        #expect(nines + dec("1e-100") == nines)
        #expect(nines - dec("1e-100") == nines)
        #expect(nines + dec("5e-37") == 10)
        let tieBroken = dec("1.2345678901234567890123456789012345675").adding(dec("5e-38"))
        #expect(tieBroken == dec("1.2345678901234567890123456789012345676"))
        // Subtracting something tiny from a power of ten lands just below it, then rounds back.
        #expect(dec("1e37") - dec("1e-150") == dec("1e37"))
        #expect(dec("1") - dec("1e-100") == 1)
        #expect(dec("1") - dec("6e-39") == dec("0." + digits("9", 38)))
        #expect(dec("1") - dec("4e-39") == 1)
        // Products with more than 38 digits.
        let third = dec("0." + digits("3", 38))
        #expect((third * 3).description == "0." + digits("9", 38))
        #expect((third * third).description == "0." + digits("1", 38))
        #expect((dec(digits("9", 19)) * dec(digits("9", 19))).description == digits("9", 18) + "8" + digits("0", 18) + "1")
        #expect(dec(digits("9", 20)).multiplied(by: dec(digits("9", 19))) == nil)
        #expect((dec("1e-100") * dec("1e-100")).isZero)  // below 10^-167: rounds to zero
        #expect(dec("5e-84") * dec("1e-84") == .zero)  // 5e-168: a tie, to even zero
        #expect(dec("6e-84") * dec("1e-84") == dec("1e-167"))
    }

    @Test func checkedFormsReportOverflowInsteadOfTrapping() {
        let max = dec(digits("9", 38))
        #expect(max.adding(1) == nil)
        #expect(max.adding(dec("0.5")) == nil)  // rounds up to 10^38
        #expect(max.adding(dec("0.4")) == max)
        #expect((-max).subtracting(1) == nil)
        #expect(max.subtracting(1) == dec("99999999999999999999999999999999999998"))
        #expect(dec("1e20").multiplied(by: dec("1e18")) == nil)
        #expect(dec("1e20").multiplied(by: dec("1e17")) == dec("1e37"))
        #expect(max.multiplied(by: dec("-1")) == -max)
        #expect(max.multiplied(by: .zero) == .zero)
        // A sum of hostile items: stops at nil instead of crashing.
        var total: ExactDecimal? = .zero
        for _ in 0 ..< 3 { total = total?.adding(dec("5e37")) }
        #expect(total == nil)
    }

    @Test func division() {
        #expect(dec("0.0125").divided(by: 3, scale: 6) == dec("0.004167"))
        #expect(ExactDecimal(10).divided(by: 4, scale: 0) == 2)  // 2.5 → 2
        #expect(ExactDecimal(14).divided(by: 4, scale: 0) == 4)  // 3.5 → 4
        #expect(ExactDecimal(10).divided(by: 4, scale: 1) == dec("2.5"))
        #expect(ExactDecimal(1).divided(by: .zero, scale: 6) == nil)
        #expect(ExactDecimal.zero.divided(by: .zero, scale: 6) == nil)
        #expect(ExactDecimal.zero.divided(by: 7, scale: 6) == .zero)
        #expect(ExactDecimal(-1).divided(by: 3, scale: 4) == dec("-0.3333"))
        #expect(ExactDecimal(2).divided(by: -3, scale: 4) == dec("-0.6667"))
        #expect(ExactDecimal(-2).divided(by: -3, scale: 2) == dec("0.67"))
        #expect(dec("0.000001").divided(by: 3, scale: 6) == .zero)
        #expect(dec("0.0000025").divided(by: 1, scale: 6) == dec("0.000002"))
        #expect(dec("0.0000035").divided(by: 1, scale: 6) == dec("0.000004"))
        // Average cost per call from an unrounded total.
        #expect(dec("2.2500001").divided(by: 10_000, scale: 6) == dec("0.000225"))
        #expect(dec("1").divided(by: dec("0.0003"), scale: 6) == dec("3333.333333"))
        // The 38-digit limit applies to quotients too.
        #expect(ExactDecimal(1).divided(by: 3, scale: 50)?.description == "0." + digits("3", 38))
        #expect(ExactDecimal(2).divided(by: 3, scale: 50)?.description == "0." + digits("6", 37) + "7")
        #expect(dec("1e30").divided(by: 3, scale: 20)?.description == digits("3", 30) + "." + digits("3", 8))
        #expect(dec("1e-150").divided(by: 3, scale: 167)?.description == "0." + digits("0", 150) + digits("3", 17))
        #expect(dec("1e37").divided(by: dec("0.1"), scale: 0) == nil)  // 10^38
        #expect(dec("1e37").divided(by: dec("1e-20"), scale: 0) == nil)
        #expect(dec("1e-167").divided(by: dec("1e30"), scale: 200) == .zero)
        #expect(dec(digits("9", 38)).divided(by: dec("0." + digits("9", 38)), scale: 0) == nil)
        #expect(dec(digits("9", 38)).divided(by: 1, scale: 6) == dec(digits("9", 38)))
    }

    // MARK: Comparison and identity

    @Test func comparesAcrossScales() {
        #expect(dec("0.5") < dec("0.50001"))
        #expect(!(dec("0.50001") < dec("0.5")))
        #expect(dec("1.0") == 1)
        #expect(dec("1.50") == dec("1.5"))
        #expect(dec("-2") < dec("-1.5"))
        #expect(dec("-1.5") < .zero)
        #expect(ExactDecimal.zero < dec("1e-167"))
        #expect(dec("1e-167") < dec(digits("9", 38)))
        #expect(dec("-" + digits("9", 38)) < dec("-1e-167"))
        #expect(dec("1e30") > dec(digits("9", 30) + "." + digits("9", 8)))
        #expect(dec("1e-100") > dec("9e-101"))
        #expect(Set([dec("1.50"), dec("1.5"), dec("1.500"), dec("-0"), .zero]).count == 2)
        #expect([dec("3"), dec("-1"), dec("0.5"), dec("2.75")].sorted() == [dec("-1"), dec("0.5"), dec("2.75"), dec("3")])
    }

    @Test func integerViews() {
        #expect(dec("1500").int64Value == 1500)
        #expect(dec("1.5e3").int64Value == 1500)
        #expect(dec("1.5").int64Value == nil)
        #expect(dec("-9223372036854775808").int64Value == Int64.min)
        #expect(dec("9223372036854775808").int64Value == nil)
        #expect(ExactDecimal(Int.max).description == String(Int.max))
        #expect(ExactDecimal(Int.min).description == String(Int.min))
        let literal: ExactDecimal = 42
        #expect(literal == dec("42"))
    }

    @Test func descriptionIsPlainText() {
        #expect(dec("1e-05").description == "0.00001")
        #expect(dec("12.50").description == "12.5")
        #expect(dec("100").description == "100")
        #expect(dec("-0.5").description == "-0.5")
        #expect(dec("1e-20").description == "0.00000000000000000001")
        #expect(ExactDecimal.zero.description == "0")
        // More than 19 digits on each side of the point (the digits are produced in 19-digit chunks).
        let wide = "1" + digits("0", 20) + "." + digits("0", 16) + "1"
        #expect(dec(wide).description == wide)
        #expect(dec("10000000000000000000").description == "10000000000000000000")
        #expect(dec("18446744073709551616").description == "18446744073709551616")
    }

    // MARK: Properties

    @Test func randomSumsAreExactAndTextRoundTrips() {
        var generator = SplitMix64(state: 0x5EED_2024)
        func randomDecimal() -> ExactDecimal {
            let scale = Int.random(in: 0 ... 12, using: &generator)
            let significand = Int128(Int64.random(in: -999_999_999_999_999 ... 999_999_999_999_999, using: &generator))
            return ExactDecimal(significand: significand, scale: scale)
        }
        for _ in 0 ..< 1_000 {
            let a = randomDecimal()
            let b = randomDecimal()
            #expect((a + b) - b == a)
            #expect(a + b == b + a)
            #expect(a * b == b * a)
            #expect(ExactDecimal(a.description) == a)
            #expect(ExactDecimal((a + b).description) == a + b)
            #expect((a < b) == (a - b).isNegative)
            let product = a * b
            let rounded = product.rounded(scale: 6)
            #expect(rounded.scale <= 6)
            #expect(rounded - product <= dec("0.0000005") && rounded - product >= dec("-0.0000005"))
        }
    }

    /// `n / d` rounded half-even to an integer, by plain Int128 arithmetic: the oracle.
    private static func referenceQuotient(_ n: Int128, _ d: Int128) -> Int128 {
        var quotient = n / d  // truncates toward zero
        let twiceRemainder = 2 * (n % d).magnitude
        if twiceRemainder > d.magnitude || (twiceRemainder == d.magnitude && quotient % 2 != 0) {
            quotient += (n < 0) == (d < 0) ? 1 : -1
        }
        return quotient
    }

    private static func power(_ exponent: Int) -> Int128 {
        (0 ..< exponent).reduce(1) { product, _ in product * 10 }
    }

    @Test func randomDivisionAndRoundingMatchIntegerOracle() {
        var generator = SplitMix64(state: 42)
        for _ in 0 ..< 1_000 {
            let aSignificand = Int128(Int64.random(in: -1_000_000_000_000_000 ... 1_000_000_000_000_000, using: &generator))
            let aScale = Int.random(in: 0 ... 6, using: &generator)
            var bSignificand = Int128(Int64.random(in: -1_000_000_000 ... 1_000_000_000, using: &generator))
            if bSignificand == 0 { bSignificand = 7 }
            let bScale = Int.random(in: 0 ... 6, using: &generator)
            let scale = Int.random(in: 0 ... 8, using: &generator)
            let a = ExactDecimal(significand: aSignificand, scale: aScale)
            let b = ExactDecimal(significand: bSignificand, scale: bScale)

            // a / b × 10^scale = aSignificand × 10^(scale + bScale - aScale) / bSignificand.
            let exponent = scale + bScale - aScale
            let expectedQuotient = exponent >= 0
                ? Self.referenceQuotient(aSignificand * Self.power(exponent), bSignificand)
                : Self.referenceQuotient(aSignificand, bSignificand * Self.power(-exponent))
            #expect(a.divided(by: b, scale: scale) == ExactDecimal(significand: expectedQuotient, scale: scale))

            let expectedRounding = scale >= aScale
                ? a
                : ExactDecimal(significand: Self.referenceQuotient(aSignificand, Self.power(aScale - scale)), scale: scale)
            #expect(a.rounded(scale: scale) == expectedRounding)
        }
    }
}
