/// An exact decimal number for money and token sums: no binary floating point anywhere.
///
/// The value is `significand × 10^-scale`, with a signed 128-bit significand of at most 38 decimal
/// digits (DynamoDB's own precision) and `0 ≤ scale ≤ maximumScale`. It is stored normalised — no
/// trailing zeros in the fraction, and zero is `0 × 10^0` — so `==` and hashing compare values
/// (`1.50 == 1.5`, `-0 == 0`).
///
/// **Range.** Every value whose magnitude is below 10^38 and that needs at most 38 significant
/// digits and at most `maximumScale` (167) fraction digits. That covers every number DynamoDB can
/// store below 10^38 (DynamoDB's smallest positive number is 10^-130 and it keeps 38 digits, so its
/// numbers never need more than 167 fraction digits).
///
/// **Arithmetic.** `+`, `-` and `*` are exact whenever the exact result fits the range. When it
/// needs more than 38 significant digits (`1e37 + 1e-10`) or more than `maximumScale` fraction
/// digits, it is rounded half-even to fit, as DynamoDB limits numbers to 38 digits. The operators
/// trap only when the rounded result's magnitude is 10^38 or more, that is when its integer part
/// cannot fit; code that must never crash on input it does not control (sums of items read from a
/// table) uses the checked forms `adding(_:)`, `subtracting(_:)` and `multiplied(by:)`, which return
/// `nil` instead.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The normalised significand: `value = significand × 10^-scale`, `|significand| < 10^38`,
    /// and no trailing zero digit when `scale > 0`.
    public let significand: Int128
    /// The number of fraction digits of the normalised value, `0...maximumScale`.
    public let scale: Int

    /// The most significant decimal digits a value may have: 38, as in DynamoDB.
    public static let maximumSignificantDigits = 38
    /// The most fraction digits a value may have: 167 (DynamoDB's 10^-130 lower bound plus 37 more
    /// digits of its 38-digit precision).
    public static let maximumScale = 167
    /// Zero.
    public static let zero = ExactDecimal(normalized: 0, scale: 0)

    /// A value from parts already normalised by the caller.
    fileprivate init(normalized significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
    }

    /// The value `significand × 10^-scale`, normalised (`ExactDecimal(significand: 150, scale: 2)`
    /// is `1.5`). A negative `scale` multiplies by a power of ten (`(5, -3)` is `5000`). A value that
    /// needs more than 38 significant digits or more than `maximumScale` fraction digits is rounded
    /// half-even to fit.
    ///
    /// - Precondition: the (rounded) magnitude is below 10^38.
    public init(significand: Int128, scale: Int) {
        if significand == 0 {
            self = .zero
            return
        }
        var magnitude = WideUInt(significand.magnitude)
        var exponent = scale
        if exponent < 0 {
            guard exponent >= -WideUInt.maximumDecimalDigits,
                  let scaled = magnitude.multiplied(byPowerOfTen: -exponent)
            else { preconditionFailure("ExactDecimal(significand: \(significand), scale: \(scale)) is 10^38 or more") }
            magnitude = scaled
            exponent = 0
        }
        guard let value = ExactDecimal.make(negative: significand < 0, magnitude: magnitude, scale: exponent) else {
            preconditionFailure("ExactDecimal(significand: \(significand), scale: \(scale)) is 10^38 or more")
        }
        self = value
    }

    /// The integer `integer` exactly.
    public init(_ integer: Int) {
        self.init(normalized: Int128(integer), scale: 0)
    }

    /// The integer literal exactly (`let fee: ExactDecimal = 3`).
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    /// Parses a DynamoDB `N` string or JSON number text exactly.
    ///
    /// Grammar: an optional sign (`-` or `+`), one or more digits (leading zeros allowed:
    /// `"0012.50"` is 12.5), optionally `.` and one or more fraction digits, optionally `e` or `E`,
    /// an optional sign and one or more exponent digits (`"1e-05"`, `"1E+3"`). Nothing else: no
    /// white space, no `"1."` and no `".5"` (JSON needs a digit on both sides of the point), no
    /// `NaN` or `Infinity`. `"-0"` is zero.
    ///
    /// Returns `nil` for malformed text, for a value that needs more than 38 significant digits
    /// (zeros that normalise away do not count: `"1.000…0"` is fine), for a magnitude of 10^38 or
    /// more, and for a nonzero value that needs more than `maximumScale` fraction digits. Parsing
    /// never rounds: it is exact or `nil`.
    public init?(_ text: some StringProtocol) {
        guard let value = ExactDecimal.parse(utf8: text.utf8) else { return nil }
        self = value
    }

    /// The value of decimal text given as UTF-8 bytes, with the rules of `init?(_:)` (the
    /// streaming decoder reads numbers this way, without making a `String`).
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = ExactDecimal.parse(utf8: bytes) else { return nil }
        self = value
    }

    /// Whether the value is zero.
    public var isZero: Bool { significand == 0 }

    /// Whether the value is below zero (zero is never negative).
    public var isNegative: Bool { significand < 0 }

    /// The value as an `Int64` when it is an integer in `Int64`'s range, otherwise `nil`.
    public var int64Value: Int64? {
        scale == 0 ? Int64(exactly: significand) : nil
    }
}

// MARK: - Arithmetic

extension ExactDecimal {
    /// `lhs + rhs`, exact when the result has at most 38 significant digits, otherwise rounded
    /// half-even to 38.
    ///
    /// - Precondition: the magnitude of the result is below 10^38; use `adding(_:)` when the
    ///   operands come from outside the program.
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let sum = lhs.adding(rhs) else {
            preconditionFailure("ExactDecimal overflow: \(lhs) + \(rhs) is 10^38 or more; use adding(_:)")
        }
        return sum
    }

    /// `lhs - rhs`, exact when the result has at most 38 significant digits, otherwise rounded
    /// half-even to 38.
    ///
    /// - Precondition: the magnitude of the result is below 10^38; use `subtracting(_:)` when the
    ///   operands come from outside the program.
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let difference = lhs.subtracting(rhs) else {
            preconditionFailure("ExactDecimal overflow: \(lhs) - \(rhs) is 10^38 or more; use subtracting(_:)")
        }
        return difference
    }

    /// `lhs × rhs`, exact when the product has at most 38 significant digits and at most
    /// `maximumScale` fraction digits, otherwise rounded half-even to fit.
    ///
    /// - Precondition: the magnitude of the product is below 10^38; use `multiplied(by:)` when the
    ///   operands come from outside the program.
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let product = lhs.multiplied(by: rhs) else {
            preconditionFailure("ExactDecimal overflow: \(lhs) * \(rhs) is 10^38 or more; use multiplied(by:)")
        }
        return product
    }

    /// The negated value; never overflows (the range is symmetric).
    public static prefix func - (operand: ExactDecimal) -> ExactDecimal {
        ExactDecimal(normalized: -operand.significand, scale: operand.scale)
    }

    /// Adds `rhs` to `lhs` in place; traps like `+`.
    public static func += (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs + rhs }

    /// Subtracts `rhs` from `lhs` in place; traps like `-`.
    public static func -= (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs - rhs }

    /// Multiplies `lhs` by `rhs` in place; traps like `*`.
    public static func *= (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs * rhs }

    /// `self + other` as `+` computes it, or `nil` when the magnitude of the result is 10^38 or more.
    public func adding(_ other: ExactDecimal) -> ExactDecimal? {
        if other.significand == 0 { return self }
        if significand == 0 { return other }
        // Fast path: both significands aligned to the common scale still fit an Int128.
        let common = Swift.max(scale, other.scale)
        let shiftSelf = common - scale
        let shiftOther = common - other.scale
        if shiftSelf <= 38, shiftOther <= 38 {
            let (a, overflowA) = significand.multipliedReportingOverflow(by: Int128(decimalPowers[shiftSelf]))
            let (b, overflowB) = other.significand.multipliedReportingOverflow(by: Int128(decimalPowers[shiftOther]))
            if !overflowA, !overflowB {
                let (sum, overflowSum) = a.addingReportingOverflow(b)
                if !overflowSum {
                    return ExactDecimal.make(negative: sum < 0, magnitude: WideUInt(sum.magnitude), scale: common)
                }
            }
        }
        return ExactDecimal.wideSum(self, other)
    }

    /// `self - other` as `-` computes it, or `nil` when the magnitude of the result is 10^38 or more.
    public func subtracting(_ other: ExactDecimal) -> ExactDecimal? {
        adding(-other)
    }

    /// `self × other` as `*` computes it, or `nil` when the magnitude of the product is 10^38 or more.
    public func multiplied(by other: ExactDecimal) -> ExactDecimal? {
        if significand == 0 || other.significand == 0 { return .zero }
        let product = significand.magnitude.multipliedFullWidth(by: other.significand.magnitude)
        return ExactDecimal.make(
            negative: isNegative != other.isNegative,
            magnitude: WideUInt(high: product.high, low: product.low),
            scale: scale + other.scale
        )
    }

    /// The value rounded half-even ("banker's rounding") to `scale` fraction digits:
    /// `2.675 → 2.68`, `1.005 → 1.00`, `0.00025 → 0.0002` at scale 2, 2 and 4. Negative values
    /// round symmetrically. A value with `scale` or fewer fraction digits is returned unchanged.
    ///
    /// - Precondition: `scale >= 0`.
    public func rounded(scale: Int) -> ExactDecimal {
        precondition(scale >= 0, "ExactDecimal.rounded(scale:) needs scale >= 0, got \(scale)")
        if scale >= self.scale { return self }
        // Rounding off fraction digits can carry into a new leading digit (9.99 → 10.0) but never
        // up to 10^38: a value with a fraction has at most 37 integer digits. It always fits.
        guard let value = ExactDecimal.make(
            negative: isNegative, magnitude: WideUInt(significand.magnitude), scale: self.scale, maximumScale: scale
        ) else { preconditionFailure("unreachable: rounding \(self) to \(scale) digits overflowed") }
        return value
    }

    /// `self / divisor` rounded half-even to `scale` fraction digits (at most `maximumScale`, and to
    /// 38 significant digits if the quotient has more), from the exact quotient: `0.0125 / 3` at
    /// scale 6 is `0.004167`, `10 / 4` at scale 0 is `2`.
    ///
    /// Returns `nil` when `divisor` is zero or when the quotient's magnitude is 10^38 or more.
    ///
    /// - Precondition: `scale >= 0`.
    public func divided(by divisor: ExactDecimal, scale: Int) -> ExactDecimal? {
        precondition(scale >= 0, "ExactDecimal.divided(by:scale:) needs scale >= 0, got \(scale)")
        if divisor.significand == 0 { return nil }
        if significand == 0 { return .zero }
        let target = Swift.min(scale, ExactDecimal.maximumScale)
        let dividend = significand.magnitude
        let divisorMagnitude = divisor.significand.magnitude
        let dividendDigits = digitCount(of: dividend)
        let divisorDigits = digitCount(of: divisorMagnitude)
        // The power of ten of the quotient's leading digit: the difference of the operands' leading
        // digit positions, one less when the dividend's leading digits are the smaller.
        let alignedDividend = dividend * decimalPowers[38 - dividendDigits]
        let alignedDivisor = divisorMagnitude * decimalPowers[38 - divisorDigits]
        var leadingDigit = (dividendDigits - 1 - self.scale) - (divisorDigits - 1 - divisor.scale)
        if alignedDividend < alignedDivisor { leadingDigit -= 1 }
        if leadingDigit >= 38 { return nil }
        // Compute the quotient truncated to one digit beyond the final rounding position (the target
        // scale or the 38th significant digit, whichever comes first); the remainder becomes a
        // sticky flag. The truncated quotient has at most 39 digits.
        let working = Swift.min(target, 37 - leadingDigit) + 1
        let shift = working + divisor.scale - self.scale
        var quotient: WideUInt
        var sticky: Bool
        if shift >= 0 {
            // dividend × 10^shift < 10^39 × divisor < 10^77: fits.
            guard let numerator = WideUInt(dividend).multiplied(byPowerOfTen: shift) else {
                preconditionFailure("unreachable: division numerator overflowed")
            }
            let (q, r) = numerator.quotientAndRemainder(dividingBy: divisorMagnitude)
            quotient = q
            sticky = r != 0
        } else if -shift > 38 {
            quotient = WideUInt(0)
            sticky = true
        } else {
            // ⌊⌊dividend / 10^-shift⌋ / divisor⌋ = ⌊dividend / (divisor × 10^-shift)⌋.
            let (reduced, droppedDigits) = dividend.quotientAndRemainder(dividingBy: decimalPowers[-shift])
            let (q, r) = reduced.quotientAndRemainder(dividingBy: divisorMagnitude)
            quotient = WideUInt(q)
            sticky = droppedDigits != 0 || r != 0
        }
        return ExactDecimal.make(
            negative: isNegative != divisor.isNegative,
            magnitude: quotient,
            scale: working,
            sticky: sticky,
            maximumScale: target
        )
    }
}

// MARK: - Comparison

extension ExactDecimal {
    /// Orders by value, across scales: `0.5 < 0.50001`, `-2 < -1.5`.
    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let lhsSign = lhs.significand.signum()
        let rhsSign = rhs.significand.signum()
        if lhsSign != rhsSign { return lhsSign < rhsSign }
        if lhsSign == 0 { return false }
        let order = compareMagnitudes(lhs, rhs)
        return lhsSign > 0 ? order < 0 : order > 0
    }

    /// -1, 0 or 1 as `|a|` is below, equal to or above `|b|`; both nonzero.
    private static func compareMagnitudes(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.scale > b.scale { return -compareMagnitudes(b, a) }
        let aMagnitude = a.significand.magnitude
        let bMagnitude = b.significand.magnitude
        if a.scale == b.scale {
            return aMagnitude < bMagnitude ? -1 : (aMagnitude == bMagnitude ? 0 : 1)
        }
        // a has fewer fraction digits: bring it to b's scale.
        let shift = b.scale - a.scale
        if shift > 38 { return 1 }  // |a| × 10^shift ≥ 10^39 > |b|
        let product = aMagnitude.multipliedFullWidth(by: decimalPowers[shift])
        let scaled = WideUInt(high: product.high, low: product.low)
        let other = WideUInt(bMagnitude)
        return scaled < other ? -1 : (scaled == other ? 0 : 1)
    }
}

// MARK: - Text

extension ExactDecimal {
    /// Plain decimal text: never an exponent, no trailing fraction zeros, `-` only for negative
    /// values: `0.1 + 0.2 → "0.3"`, 12.50 → `"12.5"`, 1e-05 → `"0.00001"`, -0 → `"0"`.
    /// `ExactDecimal(description)` gives the value back.
    public var description: String {
        text(fractionDigits: scale)
    }

    /// Text with exactly `scale` fraction digits after half-even rounding:
    /// `0.0125.formatted(scale: 6) → "0.012500"`, `2.675.formatted(scale: 2) → "2.68"`,
    /// `7.formatted(scale: 0) → "7"`.
    ///
    /// - Precondition: `scale >= 0`.
    public func formatted(scale: Int) -> String {
        precondition(scale >= 0, "ExactDecimal.formatted(scale:) needs scale >= 0, got \(scale)")
        return rounded(scale: scale).text(fractionDigits: scale)
    }

    /// The text with `fractionDigits ≥ scale` fraction digits (padded with zeros), written right
    /// to left straight into the string's storage.
    private func text(fractionDigits: Int) -> String {
        let magnitude = significand.magnitude
        let digitTotal = Swift.max(digitCount(of: magnitude), 1)
        let integerDigits = Swift.max(digitTotal - scale, 1)
        let length = (significand < 0 ? 1 : 0) + integerDigits + (fractionDigits > 0 ? 1 + fractionDigits : 0)
        return String(unsafeUninitializedCapacity: length) { buffer in
            // Digits of the magnitude, least significant first, 19 at a time through UInt64.
            var rest = magnitude
            var chunk: UInt64 = 0
            var chunkDigits = 0
            func nextDigit() -> UInt8 {
                if chunkDigits == 0 {
                    if rest > UInt128(UInt64.max) {
                        let (q, r) = rest.quotientAndRemainder(dividingBy: 10_000_000_000_000_000_000)
                        chunk = UInt64(r)
                        rest = q
                        chunkDigits = 19
                    } else {
                        chunk = UInt64(rest)
                        rest = 0
                        chunkDigits = Int.max  // then zeros forever
                    }
                }
                let digit = UInt8(truncatingIfNeeded: chunk % 10)
                chunk /= 10
                chunkDigits -= 1
                return digit &+ 0x30
            }
            var position = length
            func put(_ byte: UInt8) {
                position -= 1
                buffer[position] = byte
            }
            if fractionDigits > 0 {
                for _ in scale ..< fractionDigits { put(0x30) }
                for _ in 0 ..< scale { put(nextDigit()) }
                put(0x2E)
            }
            for _ in 0 ..< integerDigits { put(nextDigit()) }
            if significand < 0 { put(0x2D) }
            return length
        }
    }

    /// The parser behind `init?(_:)`.
    fileprivate static func parse(utf8: some Sequence<UInt8>) -> ExactDecimal? {
        var iterator = utf8.makeIterator()
        var byte = iterator.next()
        var negative = false
        if byte == 0x2D {  // -
            negative = true
            byte = iterator.next()
        } else if byte == 0x2B {  // +
            byte = iterator.next()
        }

        // Significant digits go into `digits`; zeros after the last nonzero digit wait in
        // `pendingZeros` so that trailing zeros never count against the 38-digit limit.
        var digits: UInt128 = 0
        var digitCount = 0
        var pendingZeros = 0
        var fractionDigits = 0
        var tooManyDigits = false
        func take(_ digit: UInt8) {
            if digit == 0 {
                if digits != 0 { pendingZeros += 1 }
                return
            }
            if digitCount + pendingZeros + 1 > 38 {
                tooManyDigits = true
                return
            }
            digits = digits * decimalPowers[pendingZeros + 1] + UInt128(digit)
            digitCount += pendingZeros + 1
            pendingZeros = 0
        }

        var sawDigit = false
        while let current = byte, current &- 0x30 < 10 {
            sawDigit = true
            take(current &- 0x30)
            byte = iterator.next()
        }
        guard sawDigit else { return nil }
        if byte == 0x2E {  // .
            byte = iterator.next()
            var sawFraction = false
            while let current = byte, current &- 0x30 < 10 {
                sawFraction = true
                fractionDigits += 1
                take(current &- 0x30)
                byte = iterator.next()
            }
            guard sawFraction else { return nil }
        }
        var exponent = 0
        if byte == 0x65 || byte == 0x45 {  // e E
            byte = iterator.next()
            var exponentNegative = false
            if byte == 0x2D {
                exponentNegative = true
                byte = iterator.next()
            } else if byte == 0x2B {
                byte = iterator.next()
            }
            var sawExponent = false
            while let current = byte, current &- 0x30 < 10 {
                sawExponent = true
                // Saturate: anything this large is out of range unless the digits are all zero.
                if exponent < 1_000_000_000 { exponent = exponent * 10 + Int(current &- 0x30) }
                byte = iterator.next()
            }
            guard sawExponent else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        guard byte == nil, !tooManyDigits else { return nil }
        if digits == 0 { return .zero }

        // value = digits × 10^power, digits without trailing zeros.
        let power = pendingZeros - fractionDigits + exponent
        if power >= 0 {
            guard digitCount + power <= 38 else { return nil }
            let magnitude = digits * decimalPowers[power]
            return ExactDecimal(normalized: negative ? -Int128(magnitude) : Int128(magnitude), scale: 0)
        }
        guard -power <= maximumScale else { return nil }
        return ExactDecimal(normalized: negative ? -Int128(digits) : Int128(digits), scale: -power)
    }
}

// MARK: - Rounding core

extension ExactDecimal {
    /// The value `±magnitude × 10^-scale` (plus less than one unit in its last place when `sticky`),
    /// rounded half-even to at most 38 significant digits and `maximumScale` fraction digits,
    /// normalised; `nil` when the rounded magnitude is 10^38 or more.
    ///
    /// Callers passing `sticky` keep at least one digit beyond the final rounding position, so
    /// that it only ever breaks ties.
    fileprivate static func make(
        negative: Bool,
        magnitude: WideUInt,
        scale: Int,
        sticky: Bool = false,
        maximumScale limit: Int = ExactDecimal.maximumScale
    ) -> ExactDecimal? {
        if magnitude.high == 0 {
            if magnitude.low == 0 { return .zero }
            if !sticky, magnitude.low < tenToThe38, scale <= limit {
                return normalize(negative: negative, magnitude: magnitude.low, scale: scale)
            }
        }
        let digits = magnitude.decimalDigitCount
        let cut = Swift.max(0, digits - 38, scale - limit)
        var kept: UInt128
        if cut == 0 {
            kept = magnitude.low  // fewer than 39 digits: fits
        } else if cut > digits {
            kept = 0  // below a tenth of the last kept unit
        } else if cut == digits {
            let half = WideUInt.powers[cut - 1].multipliedReportingOverflow(by: 5).partialValue
            kept = (magnitude > half || (magnitude == half && sticky)) ? 1 : 0
        } else {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingByPowerOfTen: cut)
            kept = quotient.low  // at most 38 digits
            let half = WideUInt.powers[cut - 1].multipliedReportingOverflow(by: 5).partialValue
            if remainder > half || (remainder == half && (sticky || kept & 1 == 1)) { kept += 1 }
        }
        if kept == 0 { return .zero }
        var exponent = scale - cut
        if exponent < 0 {
            // An integer with more than 38 digits.
            guard -exponent <= 38 else { return nil }
            let (scaled, overflow) = kept.multipliedReportingOverflow(by: decimalPowers[-exponent])
            guard !overflow else { return nil }
            kept = scaled
            exponent = 0
        }
        if kept >= tenToThe38 {
            // Only a carry out of 38 nines gets here: 10^38 × 10^-exponent.
            guard exponent > 0 else { return nil }
            kept /= 10
            exponent -= 1
        }
        return normalize(negative: negative, magnitude: kept, scale: exponent)
    }

    /// Strips trailing fraction zeros; `magnitude` is nonzero and below 10^38.
    private static func normalize(negative: Bool, magnitude: UInt128, scale: Int) -> ExactDecimal {
        var kept = magnitude
        var exponent = scale
        while exponent > 0 {
            let (q, r) = kept.quotientAndRemainder(dividingBy: 10)
            if r != 0 { break }
            kept = q
            exponent -= 1
        }
        let value = Int128(kept)
        return ExactDecimal(normalized: negative ? -value : value, scale: exponent)
    }

    /// The sum when the operands cannot be aligned within an Int128; both are nonzero.
    private static func wideSum(_ x: ExactDecimal, _ y: ExactDecimal) -> ExactDecimal? {
        struct Operand {
            var value: ExactDecimal
            var magnitude: UInt128 { value.significand.magnitude }
            var negative: Bool { value.isNegative }
            var scale: Int { value.scale }
            /// The power of ten of the leading digit.
            var leadingDigit: Int { digitCount(of: magnitude) - 1 - scale }
        }
        var big = Operand(value: x)
        var small = Operand(value: y)
        if small.leadingDigit > big.leadingDigit { swap(&big, &small) }
        if small.leadingDigit <= big.leadingDigit - 40 {
            // |small| < 10^(m - 39), m the leading digit of big: less than a hundredth of a unit in
            // big's 38th significant digit. The exact sum then has the same leading digit as big (or,
            // when big is exactly 10^m and small of the other sign, lies just below 10^m), so rounding
            // it to 38 digits gives big back: big is on the rounding grid and within half a unit.
            return big.value
        }
        // Now the aligned operands span at most 77 digits: they fit 256 bits.
        let common = Swift.max(big.scale, small.scale)
        guard let a = WideUInt(big.magnitude).multiplied(byPowerOfTen: common - big.scale),
              let b = WideUInt(small.magnitude).multiplied(byPowerOfTen: common - small.scale)
        else { preconditionFailure("unreachable: aligned operands overflowed 256 bits") }
        if big.negative == small.negative {
            let (sum, overflow) = a.addingReportingOverflow(b)
            guard !overflow else { preconditionFailure("unreachable: aligned sum overflowed 256 bits") }
            return make(negative: big.negative, magnitude: sum, scale: common)
        }
        if a >= b { return make(negative: big.negative, magnitude: a.subtracting(b), scale: common) }
        return make(negative: small.negative, magnitude: b.subtracting(a), scale: common)
    }
}

// MARK: - Helpers

/// 10^0 … 10^38.
fileprivate let decimalPowers: [UInt128] = {
    var powers: [UInt128] = [1]
    for _ in 1 ... 38 { powers.append(powers[powers.count - 1] * 10) }
    return powers
}()

/// 10^38, the first magnitude out of range.
fileprivate let tenToThe38: UInt128 = 100_000_000_000_000_000_000_000_000_000_000_000_000

/// The number of decimal digits of `value` (0 for 0).
fileprivate func digitCount(of value: UInt128) -> Int {
    if value == 0 { return 0 }
    // log10(2) ≈ 1233 / 4096: an estimate within one of the answer, then corrected.
    var digits = ((128 - value.leadingZeroBitCount) * 1233) >> 12
    while digits > 0, value < decimalPowers[digits - 1] { digits -= 1 }
    while digits < 39, value >= decimalPowers[digits] { digits += 1 }
    return digits
}

/// An unsigned 256-bit integer: just what exact 38-digit products, aligned sums and quotients need.
fileprivate struct WideUInt: Sendable, Comparable {
    var high: UInt128
    var low: UInt128

    /// 10^77 is the largest power of ten below 2^256.
    static let maximumDecimalDigits = 77

    /// 10^0 … 10^77.
    static let powers: [WideUInt] = {
        var powers = [WideUInt(1)]
        for _ in 1 ... maximumDecimalDigits {
            powers.append(powers[powers.count - 1].multipliedReportingOverflow(by: 10).partialValue)
        }
        return powers
    }()

    init(_ value: UInt128) {
        high = 0
        low = value
    }

    init(high: UInt128, low: UInt128) {
        self.high = high
        self.low = low
    }

    static func < (lhs: WideUInt, rhs: WideUInt) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// The number of decimal digits (0 for 0).
    var decimalDigitCount: Int {
        if high == 0 { return digitCount(of: low) }
        let bits = 256 - high.leadingZeroBitCount
        var digits = (bits * 1233) >> 12
        let powers = WideUInt.powers
        while digits > 0, self < powers[digits - 1] { digits -= 1 }
        while digits <= WideUInt.maximumDecimalDigits, self >= powers[digits] { digits += 1 }
        return digits
    }

    func multipliedReportingOverflow(by factor: UInt128) -> (partialValue: WideUInt, overflow: Bool) {
        let lowProduct = low.multipliedFullWidth(by: factor)
        let highProduct = high.multipliedFullWidth(by: factor)
        let (top, carry) = highProduct.low.addingReportingOverflow(lowProduct.high)
        return (WideUInt(high: top, low: lowProduct.low), carry || highProduct.high != 0)
    }

    /// `self × 10^exponent`, or `nil` on overflow; `exponent ≥ 0`.
    func multiplied(byPowerOfTen exponent: Int) -> WideUInt? {
        var result = self
        var remaining = exponent
        while remaining > 0 {
            let step = Swift.min(remaining, 38)
            let (product, overflow) = result.multipliedReportingOverflow(by: decimalPowers[step])
            if overflow { return nil }
            result = product
            remaining -= step
        }
        return result
    }

    func addingReportingOverflow(_ other: WideUInt) -> (partialValue: WideUInt, overflow: Bool) {
        let (lowSum, carry) = low.addingReportingOverflow(other.low)
        let (highSum, overflow1) = high.addingReportingOverflow(other.high)
        let (highTotal, overflow2) = highSum.addingReportingOverflow(carry ? 1 : 0)
        return (WideUInt(high: highTotal, low: lowSum), overflow1 || overflow2)
    }

    /// `self - other`; `other ≤ self`.
    func subtracting(_ other: WideUInt) -> WideUInt {
        let (lowDifference, borrow) = low.subtractingReportingOverflow(other.low)
        return WideUInt(high: high - other.high - (borrow ? 1 : 0), low: lowDifference)
    }

    func quotientAndRemainder(dividingBy divisor: UInt128) -> (quotient: WideUInt, remainder: UInt128) {
        let (highQuotient, highRemainder) = high.quotientAndRemainder(dividingBy: divisor)
        let (lowQuotient, remainder) = divisor.dividingFullWidth((high: highRemainder, low: low))
        return (WideUInt(high: highQuotient, low: lowQuotient), remainder)
    }

    /// Division by 10^exponent, `1 ≤ exponent ≤ 76`.
    func quotientAndRemainder(dividingByPowerOfTen exponent: Int) -> (quotient: WideUInt, remainder: WideUInt) {
        if exponent <= 38 {
            let (q, r) = quotientAndRemainder(dividingBy: decimalPowers[exponent])
            return (q, WideUInt(r))
        }
        let (q1, r1) = quotientAndRemainder(dividingBy: decimalPowers[38])
        let (q2, r2) = q1.quotientAndRemainder(dividingBy: decimalPowers[exponent - 38])
        // remainder = r2 × 10^38 + r1 < 10^exponent ≤ 10^76.
        let upper = r2.multipliedFullWidth(by: decimalPowers[38])
        let remainder = WideUInt(high: upper.high, low: upper.low).addingReportingOverflow(WideUInt(r1)).partialValue
        return (q2, remainder)
    }
}
