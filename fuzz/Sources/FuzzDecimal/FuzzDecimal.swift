// Fuzz target 3: `ExactDecimal` against a big-integer reference (attaswift/BigInt), written
// here from ExactDecimal's documented contract and sharing none of its code.
//
// Two decimals come from each input, as text (parsing is fuzzed) or as a significand and an
// exponent. For each: parsing accepts exactly what the documented grammar and range allow and
// gives the exact value; `description` is plain text that parses back to the same value. For the
// pair: `adding`, `subtracting`, `multiplied(by:)` and `divided(by:scale:)` give the exact result
// rounded half-even to 38 significant digits (and to the scale limit), or `nil` exactly when the
// rounded magnitude is 10^38 or more (`+ - *` and `+= -= *=` give the same values when that is not
// nil); `rounded(scale:)`, `formatted(scale:)`, `<`, `==`, negation, `int64Value`, `init(_:)`,
// `init(significand:scale:)` and `DecimalSum` agree too.
import BigInt
import ExactJSON
import FuzzSupport

public func fuzzDecimal(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var reader = FuzzReader(data, size)
    let mode = reader.byte()
    let roundingScale = reader.int(in: 0...200)
    var operands: [(text: String, value: ExactDecimal)] = []
    if mode & 1 == 0 {
        // Text: the rest of the input, split at the first ',' (or ' ' / '\n').
        let rest = reader.rest()
        let cut = rest.firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
        let parts = cut.map { [Array(rest[..<$0]), Array(rest[($0 + 1)...])] } ?? [rest]
        for part in parts {
            let text = String(decoding: part, as: UTF8.self)
            if let value = checkParse(text, bytes: part) { operands.append((text, value)) }
        }
    } else {
        // Significand and exponent: `<digits>e<exponent>` text from up to 17 bytes each.
        for _ in 0 ..< 2 {
            let negative = reader.bool()
            var magnitude: UInt128 = 0
            for _ in 0 ..< 16 { magnitude = magnitude << 8 | UInt128(reader.byte()) }
            magnitude >>= UInt128(reader.int(in: 0...127))
            let exponent = reader.int(in: -210...80)
            let text = (negative ? "-" : "") + String(magnitude) + "e" + String(exponent)
            if let value = checkParse(text, bytes: Array(text.utf8)) { operands.append((text, value)) }
            checkSignificandInit(negative: negative, magnitude: magnitude, scale: -exponent)
        }
    }
    for operand in operands { checkOne(operand.value, roundingScale: roundingScale) }
    if operands.count >= 2 {
        checkPair(operands[0].value, operands[1].value, scale: roundingScale)
        checkPair(operands[1].value, operands[0].value, scale: roundingScale)
        checkSum(operands.map(\.value) + operands.map(\.value))
    }
    return 0
}

// MARK: - The reference

/// An exact value: `(negative ? -1 : 1) × magnitude × 10^-scale` (scale may be negative).
struct Exact: Equatable, CustomStringConvertible {
    var negative: Bool
    var magnitude: BigUInt
    var scale: Int

    /// The canonical form: zero is non-negative with scale 0, no trailing fraction zeros, and
    /// integers have scale 0.
    var normalised: Exact {
        if magnitude == 0 { return Exact(negative: false, magnitude: 0, scale: 0) }
        var m = magnitude
        var s = scale
        while s > 0, m % 10 == 0 {
            m /= 10
            s -= 1
        }
        if s < 0 {
            m *= power(-s)
            s = 0
        }
        return Exact(negative: negative, magnitude: m, scale: s)
    }

    init(negative: Bool, magnitude: BigUInt, scale: Int) {
        self.negative = negative && magnitude != 0
        self.magnitude = magnitude
        self.scale = scale
    }

    init(_ decimal: ExactDecimal) {
        self.init(negative: decimal.isNegative, magnitude: BigUInt(decimal.significand.magnitude), scale: decimal.scale)
    }

    var description: String { "\(negative ? "-" : "")\(magnitude)e-\(scale)" }

    /// Aligned to scale `s` (≥ self.scale): the integer magnitude at that scale.
    func magnitude(at s: Int) -> BigUInt { magnitude * power(s - scale) }
}

nonisolated(unsafe) var powers: [BigUInt] = [1]

/// 10^k, k ≥ 0.
func power(_ k: Int) -> BigUInt {
    precondition(k >= 0)
    while powers.count <= k { powers.append(powers[powers.count - 1] * 10) }
    return powers[k]
}

let limit = power(38)

func digitCount(_ value: BigUInt) -> Int { value == 0 ? 0 : value.description.count }

/// The documented rounding: half-even to at most 38 significant digits and at most `maxScale`
/// fraction digits, of the exact value `num / den × 10^-scale` (den > 0); nil when the rounded
/// magnitude is 10^38 or more.
func rounded(negative: Bool, num: BigUInt, den: BigUInt = 1, scale: Int, maxScale: Int = 167) -> Exact? {
    // Truncate to `scale` fraction digits first (exact rational remainder kept as rem/den).
    let (q, r) = num.quotientAndRemainder(dividingBy: den)
    let digits = digitCount(q)
    let cut = max(0, digits - 38, scale - maxScale)
    var kept: BigUInt
    var exponent = scale
    if cut == 0 {
        kept = q
        // Round at the unit: compare r/den with 1/2.
        if r * 2 > den || (r * 2 == den && q % 2 == 1) { kept += 1 }
    } else {
        let unit = power(cut)
        let (high, low) = q.quotientAndRemainder(dividingBy: unit)
        kept = high
        // The dropped part is (low × den + r) / (den × unit); compare with 1/2.
        let dropped = (low * den + r) * 2
        let whole = den * unit
        if dropped > whole || (dropped == whole && high % 2 == 1) { kept += 1 }
        exponent = scale - cut
    }
    let value = Exact(negative: negative, magnitude: kept, scale: exponent)
    // |value| < 10^38 ⟺ kept < 10^(38 + exponent) (exponent may be negative).
    let fits = exponent >= 0 ? kept < limit * power(exponent) : kept * power(-exponent) < limit
    return fits ? value.normalised : nil
}

/// The text's value by the documented grammar: `[+-]? digits (. digits)? ([eE] [+-]? digits)?`,
/// nil when malformed. The exponent stays text-sized (BigInt) so huge ones are judged exactly.
func referenceParse(_ bytes: [UInt8]) -> (value: Exact, exponent: BigInt)? {
    var k = 0
    func digits() -> [UInt8] {
        let start = k
        while k < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[k]) { k += 1 }
        return Array(bytes[start..<k])
    }
    var negative = false
    if k < bytes.count, bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "+") {
        negative = bytes[k] == UInt8(ascii: "-")
        k += 1
    }
    let integer = digits()
    guard !integer.isEmpty else { return nil }
    var fraction: [UInt8] = []
    if k < bytes.count, bytes[k] == UInt8(ascii: ".") {
        k += 1
        fraction = digits()
        guard !fraction.isEmpty else { return nil }
    }
    var exponent = BigInt(0)
    if k < bytes.count, bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E") {
        k += 1
        var exponentNegative = false
        if k < bytes.count, bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "+") {
            exponentNegative = bytes[k] == UInt8(ascii: "-")
            k += 1
        }
        let text = digits()
        guard !text.isEmpty, let value = BigInt(String(decoding: text, as: UTF8.self)) else { return nil }
        exponent = exponentNegative ? -value : value
    }
    guard k == bytes.count else { return nil }
    guard let mantissa = BigUInt(String(decoding: integer + fraction, as: UTF8.self)) else { return nil }
    // value = mantissa × 10^(exponent - fraction digits); report the scale separately via exponent.
    return (Exact(negative: negative, magnitude: mantissa, scale: fraction.count), exponent)
}

/// Whether the documented range admits a parsed value, and the value if so.
func admitted(_ parsed: (value: Exact, exponent: BigInt)) -> Exact? {
    var m = parsed.value.magnitude
    if m == 0 { return Exact(negative: false, magnitude: 0, scale: 0) }
    // value = m × 10^(exponent - fractionDigits); strip m's trailing zeros into the power.
    var powerOfTen = parsed.exponent - BigInt(parsed.value.scale)
    while m % 10 == 0 {
        m /= 10
        powerOfTen += 1
    }
    let significant = digitCount(m)
    guard significant <= 38 else { return nil }
    // The leading digit's power: significant - 1 + powerOfTen must be below 38.
    guard BigInt(significant - 1) + powerOfTen < 38 else { return nil }
    // Fraction digits needed: -powerOfTen when negative, at most 167.
    guard powerOfTen >= -167 else { return nil }
    let p = Int(powerOfTen)
    return Exact(negative: parsed.value.negative, magnitude: m, scale: -p).normalised
}

// MARK: - Checks

func checkParse(_ text: String, bytes: [UInt8]) -> ExactDecimal? {
    let value = ExactDecimal(text)
    let fromBytes = bytes.withUnsafeBufferPointer { ExactDecimal(utf8: $0) }
    require(value == fromBytes, "init(text) \(String(describing: value)) but init(utf8:) \(String(describing: fromBytes)) for \(show(bytes))")
    // `String(decoding:)` repairs ill-formed UTF-8; judge the text the parser saw.
    let expected = referenceParse(Array(text.utf8)).flatMap(admitted)
    let reference = referenceParse(bytes).flatMap(admitted)
    if Array(text.utf8) == bytes {
        require(expected == reference, "reference disagrees with itself")
    }
    switch (value, expected) {
    case (nil, nil):
        return nil
    case (let value?, nil):
        fail("ExactDecimal(\(text.debugDescription)) = \(value) (\(value.significand)e-\(value.scale)) but the grammar or range refuses it")
    case (nil, let exact?):
        fail("ExactDecimal(\(text.debugDescription)) = nil but it is \(exact), in range")
    case (let value?, let exact?):
        require(Exact(value) == exact, "ExactDecimal(\(text.debugDescription)) = \(value) (\(Exact(value))) but it is \(exact)")
        return value
    }
}

/// The documented text of an exact value with exactly `fractionDigits` digits after the point.
func referenceText(_ value: Exact, fractionDigits: Int) -> String {
    precondition(value.scale <= fractionDigits && value.scale >= 0)
    var digits = Array(value.magnitude(at: fractionDigits).description)
    while digits.count <= fractionDigits { digits.insert("0", at: 0) }
    var text = String(digits[..<(digits.count - fractionDigits)])
    if fractionDigits > 0 { text += "." + String(digits[(digits.count - fractionDigits)...]) }
    return (value.negative ? "-" : "") + text
}

func checkOne(_ value: ExactDecimal, roundingScale: Int) {
    let exact = Exact(value)
    require(exact == exact.normalised, "\(value) is stored unnormalised: \(value.significand)e-\(value.scale)")
    require(value.scale >= 0 && value.scale <= ExactDecimal.maximumScale, "scale \(value.scale)")
    require(value.significand.magnitude < UInt128(limit), "significand \(value.significand) has 39 digits")
    // description: plain text, parses back exactly.
    let text = value.description
    require(text == referenceText(exact, fractionDigits: exact.scale), "description \(text) but expected \(referenceText(exact, fractionDigits: exact.scale))")
    require(ExactDecimal(text) == value, "\(text) does not parse back to itself")
    // JSON number text round trip.
    require(JSONValue.number(value).decimalValue == value, "JSON number \(value) does not read back")
    // Negation and comparison with itself.
    let negated = -value
    require(Exact(negated) == Exact(negative: !exact.negative, magnitude: exact.magnitude, scale: exact.scale),
            "-(\(value)) = \(negated)")
    require(!(value < value) && value == value, "\(value) is not equal to itself")
    // int64Value
    let expectedInt: Int64? = exact.scale == 0 && exact.magnitude <= BigUInt(Int64.max) + (exact.negative ? 1 : 0)
        ? (exact.negative ? Int64(truncatingIfNeeded: 0 &- Int64(bitPattern: UInt64(exact.magnitude))) : Int64(exact.magnitude))
        : nil
    if let integer = expectedInt, let exact = Int(exactly: integer) {
        require(ExactDecimal(exact) == value && ExactDecimal(integerLiteral: exact) == value, "ExactDecimal(\(exact)) is not \(value)")
    }
    require(value.int64Value == expectedInt, "int64Value of \(value) is \(String(describing: value.int64Value)), expected \(String(describing: expectedInt))")
    // rounded(scale:) and formatted(scale:)
    guard let expectedRounded = rounded(negative: exact.negative, num: exact.magnitude, scale: exact.scale, maxScale: roundingScale) else {
        fail("reference: rounding \(value) to \(roundingScale) digits overflowed")
    }
    let roundedValue = value.rounded(scale: roundingScale)
    require(Exact(roundedValue) == expectedRounded, "\(value).rounded(scale: \(roundingScale)) = \(roundedValue), expected \(expectedRounded)")
    let formatted = value.formatted(scale: roundingScale)
    let expectedText = referenceText(expectedRounded, fractionDigits: roundingScale)
    require(formatted == expectedText, "\(value).formatted(scale: \(roundingScale)) = \(formatted), expected \(expectedText)")
}

func checkPair(_ x: ExactDecimal, _ y: ExactDecimal, scale: Int) {
    let a = Exact(x)
    let b = Exact(y)
    // Comparison.
    let common = max(a.scale, b.scale)
    let am = a.magnitude(at: common)
    let bm = b.magnitude(at: common)
    let less: Bool
    switch (a.negative, b.negative) {
    case (true, false): less = true
    case (false, true): less = false
    case (false, false): less = am < bm
    case (true, true): less = am > bm
    }
    let equal = a.negative == b.negative && am == bm
    require((x < y) == less && (x == y) == equal && (x.hashValue == y.hashValue || !equal),
            "\(x) < \(y) is \(x < y), == is \(x == y); expected \(less), \(equal)")

    // Sum and difference: exact at the common scale, then the documented rounding.
    func sum(_ b: Exact) -> Exact? {
        let bm = b.magnitude(at: common)
        if a.negative == b.negative {
            return rounded(negative: a.negative, num: am + bm, scale: common)
        }
        return am >= bm ? rounded(negative: a.negative, num: am - bm, scale: common)
            : rounded(negative: b.negative, num: bm - am, scale: common)
    }
    let expectedSum = sum(b)
    let actualSum = x.adding(y)
    require(actualSum.map(Exact.init) == expectedSum,
            "\(x).adding(\(y)) = \(String(describing: actualSum)), expected \(String(describing: expectedSum))")
    let expectedDifference = sum(Exact(negative: !b.negative, magnitude: b.magnitude, scale: b.scale))
    let actualDifference = x.subtracting(y)
    require(actualDifference.map(Exact.init) == expectedDifference,
            "\(x).subtracting(\(y)) = \(String(describing: actualDifference)), expected \(String(describing: expectedDifference))")

    // The trapping operators give the checked forms' values whenever those are not nil.
    if let sum = actualSum {
        var accumulated = x
        accumulated += y
        require(x + y == sum && accumulated == sum, "\(x) + \(y) is not adding's \(sum)")
    }
    if let difference = actualDifference {
        var accumulated = x
        accumulated -= y
        require(x - y == difference && accumulated == difference, "\(x) - \(y) is not subtracting's \(difference)")
    }

    // Product.
    let expectedProduct = rounded(negative: a.negative != b.negative, num: a.magnitude * b.magnitude, scale: a.scale + b.scale)
    let actualProduct = x.multiplied(by: y)
    require(actualProduct.map(Exact.init) == expectedProduct,
            "\(x).multiplied(by: \(y)) = \(String(describing: actualProduct)), expected \(String(describing: expectedProduct))")

    if let product = actualProduct {
        var accumulated = x
        accumulated *= y
        require(x * y == product && accumulated == product, "\(x) * \(y) is not multiplied's \(product)")
    }

    // Quotient at `scale` fraction digits (capped at the maximum scale).
    let actualQuotient = x.divided(by: y, scale: scale)
    if b.magnitude == 0 {
        require(actualQuotient == nil, "\(x) / 0 = \(String(describing: actualQuotient))")
    } else {
        // x / y × 10^F = a.m × 10^(b.scale + F - a.scale) / b.m
        let target = min(scale, ExactDecimal.maximumScale)
        let shift = b.scale + target - a.scale
        let num = shift >= 0 ? a.magnitude * power(shift) : a.magnitude
        let den = shift >= 0 ? b.magnitude : b.magnitude * power(-shift)
        let expectedQuotient = rounded(negative: a.negative != b.negative, num: num, den: den, scale: target, maxScale: target)
        require(actualQuotient.map(Exact.init) == expectedQuotient,
                "\(x).divided(by: \(y), scale: \(scale)) = \(String(describing: actualQuotient)), expected \(String(describing: expectedQuotient))")
    }
}

/// `ExactDecimal(significand:scale:)` rounds like the rest; it traps out of range, so only
/// in-range inputs are tried.
func checkSignificandInit(negative: Bool, magnitude: UInt128, scale: Int) {
    guard magnitude <= UInt128(Int128.max) else { return }
    let significand = negative ? -Int128(magnitude) : Int128(magnitude)
    let expected: Exact?
    if scale >= 0 {
        expected = rounded(negative: negative, num: BigUInt(magnitude), scale: scale)
    } else {
        expected = rounded(negative: negative, num: BigUInt(magnitude) * power(-scale), scale: 0)
    }
    guard let expected else { return }
    let value = ExactDecimal(significand: significand, scale: scale)
    require(Exact(value) == expected, "ExactDecimal(significand: \(significand), scale: \(scale)) = \(value), expected \(expected)")
}

/// `DecimalSum` gives what a chain of `adding` gives, refusing exactly the same additions.
func checkSum(_ values: [ExactDecimal]) {
    var sum = DecimalSum()
    var chain = ExactDecimal.zero
    for value in values {
        let next = chain.adding(value)
        let accepted = sum.add(value)
        require(accepted == (next != nil), "DecimalSum.add(\(value)) to \(chain) returned \(accepted), adding gave \(String(describing: next))")
        if let next { chain = next }
        require(sum.value == chain, "DecimalSum is \(sum.value), the chain of adding is \(chain)")
    }
}
