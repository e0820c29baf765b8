import ExactJSON
import Testing
import TestSupport

// `JSONScanner` must be exactly as strict as `JSONValue.parse`. The reference here is the parser
// itself: every expectation below is "the scanner says what the parser says" (the same value for
// valid text, the same error kind and byte offset for invalid text), so an expected value is
// right whenever the parser is (the parser's own cases are pinned in JSONValueTests).

/// What reading a text gave: the value, or the error's kind and offset.
private enum Outcome: Equatable, CustomStringConvertible {
    case accepted(JSONValue)
    case rejected(JSONParseError.Kind, Int)

    init(_ result: Result<JSONValue, JSONParseError>) {
        switch result {
        case .success(let value): self = .accepted(value)
        case .failure(let error): self = .rejected(error.kind, error.offset)
        }
    }

    var isAccepted: Bool {
        if case .accepted = self { true } else { false }
    }

    var description: String {
        switch self {
        case .accepted(let value): "accepted \(value.serialized().prefix(200))"
        case .rejected(let kind, let offset): "rejected \(kind) at byte \(offset)"
        }
    }
}

/// The reference: `JSONValue.parse`.
private func parsed(_ bytes: [UInt8]) -> Outcome {
    Outcome(Result { () throws(JSONParseError) -> JSONValue in try JSONValue.parse(bytes) })
}

/// Walks one value with the scanner's pull API and rebuilds it (strings through `string(_:)`,
/// numbers as their text). With `checksDepth` the walk counts depth itself, as the scanner's
/// users do today: an array or object opened at `depth` = `maximumDepth` is one level too many,
/// as in the parser. Without, it relies on the scanner (see `depthIsLimitedByTheScannerItself`).
private func walkValue(_ scanner: inout JSONScanner, depth: Int, checksDepth: Bool = true) throws(JSONParseError) -> JSONValue {
    switch scanner.peekKind() {
    case .object:
        guard !checksDepth || depth < JSONValue.maximumDepth else { throw scanner.error(.tooDeep, "too deep") }
        try scanner.beginObject()
        var members = JSONScanner.Members()
        var result: [JSONValue.Member] = []
        while let key = try scanner.nextKey(&members) {
            let name = scanner.string(key)
            result.append(JSONValue.Member(key: name, value: try walkValue(&scanner, depth: depth + 1, checksDepth: checksDepth)))
        }
        return .object(result)
    case .array:
        guard !checksDepth || depth < JSONValue.maximumDepth else { throw scanner.error(.tooDeep, "too deep") }
        try scanner.beginArray()
        var elements = JSONScanner.Members()
        var result: [JSONValue] = []
        while try scanner.nextElement(&elements) { result.append(try walkValue(&scanner, depth: depth + 1, checksDepth: checksDepth)) }
        return .array(result)
    case .string:
        return .string(scanner.string(try scanner.readString()))
    case .number:
        return .number(scanner.string(try scanner.readNumber()))
    case .bool:
        return .bool(try scanner.readBool())
    case .null:
        try scanner.readNull()
        return .null
    case nil:
        // No value starts here: `skipValue` must say why (the end, or an unexpected byte).
        try scanner.skipValue()
        throw JSONParseError(kind: .unexpectedCharacter, offset: -1, message: "peekKind saw no value but skipValue read one")
    }
}

/// The scanner rebuilding the whole document.
private func scanned(_ bytes: [UInt8], checksDepth: Bool = true) -> Outcome {
    bytes.withUnsafeBufferPointer { buffer in
        Outcome(Result { () throws(JSONParseError) -> JSONValue in
            var scanner = JSONScanner(buffer)
            let value = try walkValue(&scanner, depth: 0, checksDepth: checksDepth)
            try scanner.finish()
            return value
        })
    }
}

/// The scanner stepping over the whole document with `skipValue` (its own depth check).
private func skipped(_ bytes: [UInt8]) -> Outcome {
    bytes.withUnsafeBufferPointer { buffer in
        Outcome(Result { () throws(JSONParseError) -> JSONValue in
            var scanner = JSONScanner(buffer)
            try scanner.skipValue()
            try scanner.finish()
            return .null
        })
    }
}

/// Checks both scanner walks against the parser.
private func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    let reference = parsed(bytes)
    let scan = scanned(bytes)
    #expect(scan == reference, "\(show(bytes))", sourceLocation: sourceLocation)
    let skip = skipped(bytes)
    switch reference {
    case .accepted: #expect(skip == .accepted(.null), "\(show(bytes))", sourceLocation: sourceLocation)
    case .rejected: #expect(skip == reference, "\(show(bytes))", sourceLocation: sourceLocation)
    }
}

private func show(_ bytes: [UInt8]) -> String {
    let text = bytes.count > 120 ? Array(bytes.prefix(120)) : bytes
    return "input \(String(decoding: text, as: UTF8.self).debugDescription) (\(bytes.count) bytes)"
}

// MARK: - Corpus

/// Valid documents: every value kind, escapes of every kind, surrogate pairs, raw multi-byte
/// UTF-8, white space everywhere, duplicate keys, huge number texts, nesting right at the limit.
private let validTexts: [String] = [
    "{}", "[]", "0", "-0", "-0.0e-0", "1.5e+10", "1E400", "123456789012345678901234567890123456789",
    "\"\"", "true", "false", "null", " \t\r\n[ 1 , 2 ]\n ", " { } ", "[[],{},[[]],{\"a\":{}}]",
    #"{"name":"caf\u00e9 \"quoted\" back\\slash","list":[1,-2.5,3e-7,true,false,null,[],{}],"#
        + #""nested":{"z":{"y":[{"x":"\ud83d\ude00"}]}},"tab":"a\tb\nc\r\b\f","ctl":"\u0001\u001f","slash":"a\/b"}"#,
    #""\u0000""#, #""\uD83D\uDE00 and \uDBFF\uDFFF""#, #""\u00E9\u4E2d""#, "\"é中😀\u{7F}\"",
    #"{"k\u0065y":1,"key":2,"key":3}"#, #"{"":""}"#, #"["\\\\","\/","\"\""]"#,
    #"{"Items":[{"PK":{"S":"USER#1"},"cost_usd":{"N":"0.0025"},"tags":{"SS":["a","b"]},"m":{"M":{"x":{"NULL":true}}}}],"Count":1,"ScannedCount":1}"#,
    String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth),
    String(repeating: #"{"a":"#, count: JSONValue.maximumDepth - 1) + "{}" + String(repeating: "}", count: JSONValue.maximumDepth - 1),
    String(repeating: #"{"k":["#, count: 256) + "1" + String(repeating: "]}", count: 256),
]

/// Invalid documents: JSONValueTests' malformed cases and more around every branch of the grammar.
private let invalidTexts: [String] = [
    "[1,2,]", #"{"a":1,}"#, "[1 2]", #"{"a" 1}"#, "{1:2}", "['x']", #""abc"#, #"[1,"abc]"#, #"["a\"]"#,
    #""a\x""#, #""\u12G4""#, #""\u12""#, #""\u12"#, #""\u"#, #""\"#, "\"", "01", "-01", "[00]", "1.", ".5", "-",
    "-a", "1e", "1e+", "1e-x", "1.e5", "+1", "NaN", "Infinity", "-Infinity", "tru", "trux", "nul", "nulL", "fals",
    "True", "", "   ", "[", "[1", #"{"a":"#, #"{"a""#, "{", #"{"a":1"#, #"{"a":1 "b":2}"#, #"{"a":1,"b"}"#,
    #"{"a":}"#, "[1,,2]", "[,1]", "{,}", "[-]", "[1.]", "[1e]", "[01]", "[1]x", "[1] ]", "1 2", "{} x", "[]]",
    "\u{FEFF}1", "/*c*/1", "[1]//", #"{"a":tru}"#, "[true false]", "[null,]", #"{"a":1,,"b":2}"#, #"{"a":1}}"#,
    "\"a\u{1}b\"", "\"a\nb\"", "\"\t\"", "[\"\u{0}\"]", #"{"a\u0000b":1, "c":"\q"}"#,
    #""\ud83d""#, #""x\ud83dy""#, #""\ude00""#, #""\ud83d\u0041""#, #""\ud83d\ud83d""#, #""\ud83d\n""#,
    #""\ud83d\"#, #""\ud83d\u"#, #""\ud83d\uDE"#, #""\ud83d\uDEzz""#, #""\ud83d"#, #"{"\udc00":1}"#,
    String(repeating: "[", count: JSONValue.maximumDepth + 1) + String(repeating: "]", count: JSONValue.maximumDepth + 1),
    String(repeating: #"{"a":"#, count: JSONValue.maximumDepth) + "{}" + String(repeating: "}", count: JSONValue.maximumDepth),
    String(repeating: #"{"k":["#, count: 300) + "1" + String(repeating: "]}", count: 300),
    String(repeating: "[", count: 100_000),
    String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth - 1),
]

/// Invalid UTF-8 (inside strings, keys, and outside strings): stray continuation bytes, overlong
/// forms of every length, encoded surrogates, truncated sequences, bytes above U+10FFFF.
private let invalidByteTexts: [[UInt8]] = [
    [0x22, 0x61, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xC1, 0xBF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22],
    [0x22, 0xE0, 0x9F, 0xBF, 0x22], [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], [0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22],
    [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xED, 0xBF, 0xBF, 0x22], [0x22, 0xE2, 0x82], [0x22, 0xF0, 0x9F, 0x98],
    [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xFE, 0x22],
    [0x22, 0xE2, 0x28, 0xA1, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xC3], [0xEF, 0xBB, 0xBF, 0x31], [0x80], [0xC3, 0xA9],
    [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D], [0x5B, 0x31, 0x2C, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D],
    Array(#"{"a":"#.utf8) + [0x22, 0xE2, 0x82, 0xAC, 0xE2, 0x82, 0x22, 0x7D],
]

/// Well-formed multi-byte UTF-8 at each boundary of the ranges the validator checks.
private let validByteTexts: [[UInt8]] = [
    [0x22, 0xC2, 0x80, 0x22], [0x22, 0xDF, 0xBF, 0x22], [0x22, 0xE0, 0xA0, 0x80, 0x22], [0x22, 0xED, 0x9F, 0xBF, 0x22],
    [0x22, 0xEE, 0x80, 0x80, 0x22], [0x22, 0xEF, 0xBF, 0xBF, 0x22], [0x22, 0xF0, 0x90, 0x80, 0x80, 0x22],
    [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22], [0x7B, 0x22, 0xC3, 0xA9, 0x22, 0x3A, 0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22, 0x7D],
]

/// Valid documents the fuzzer starts from (each mutation breaks or bends one of them).
private let fuzzSeeds: [String] = [
    #"{"Items":[{"PK":{"S":"USER#1"},"cost_usd":{"N":"0.0025"},"model":{"S":"gpt\u002d4o"},"ok":{"BOOL":true}},"#
        + #"{"n":{"NULL":true},"l":{"L":[{"N":"-1.5e-3"},{"S":"caf\u00e9 😀 \ud83d\ude00"}]}}],"Count":2,"ScannedCount":7}"#,
    #"[0,-0,1.5,-2e10,3E-5,true,false,null,"",[],{},[[[{"a":[{}]}]]],"\"\\\/\b\f\n\r\t"]"#,
    #"{"a":{"b":{"c":[1,2,{"d":"é中"}]}},"e":[],"f":"\u0041\u00e9\u4e2d","g":12345678901234567890}"#,
    #" [ "x" , { "k" : null } ] "#,
]

@Suite struct JSONScannerTests {
    /// Strings are stepped over eight plain bytes at a time. Every byte that needs a second look
    /// (quote, backslash escape, control characters, DEL's neighbour, UTF-8 lead and stray
    /// continuation bytes), at every position 0 … 24 of a string, must be seen exactly as the
    /// parser sees it: strings of 0 … 40 bytes, so each word boundary and the tail are crossed.
    @Test func stringsReadEightBytesAtATimeSeeEverySpecialByte() {
        let specials: [[UInt8]] = [
            [0x22], Array(#"\n"#.utf8), Array(#"\u00e9"#.utf8), Array(#"\q"#.utf8), [0x5C], [0x00], [0x1F], [0x20], [0x7F],
            [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xC3], [0xFF],
        ]
        for length in 0...40 {
            let plain = Array(repeating: UInt8(ascii: "a"), count: length)
            expectAgreement(Array("[\"".utf8) + plain + Array("\"]".utf8))
            for position in 0...min(length, 24) {
                for special in specials {
                    var text = plain
                    text.insert(contentsOf: special, at: position)
                    expectAgreement(Array("[\"".utf8) + text + Array("\"]".utf8))
                    expectAgreement(Array("{\"".utf8) + text + Array("\": 1}".utf8))
                }
            }
            // Unterminated at every length: the scan must stop at the buffer's end.
            expectAgreement(Array("[\"".utf8) + plain)
        }
    }

    @Test func validTextsAreRebuiltExactly() throws {
        for text in validTexts {
            let bytes = Array(text.utf8)
            // Sanity: these really are valid (the parser accepts them).
            #expect(parsed(bytes).isAccepted, "\(show(bytes))")
            expectAgreement(bytes)
        }
        for bytes in validByteTexts {
            #expect(parsed(bytes).isAccepted, "\(show(bytes))")
            expectAgreement(bytes)
        }
    }

    @Test func invalidTextsGiveTheParsersErrorKindAndOffset() {
        for text in invalidTexts {
            let bytes = Array(text.utf8)
            // Sanity: these really are invalid.
            #expect(!parsed(bytes).isAccepted, "\(show(bytes))")
            expectAgreement(bytes)
        }
        for bytes in invalidByteTexts {
            #expect(!parsed(bytes).isAccepted, "\(show(bytes))")
            expectAgreement(bytes)
        }
    }

    /// Pinned values, independent of the parser: what the scanner reports for a few cases whose
    /// answers follow from JSONParseError's documentation (the offset of the backslash for escape
    /// errors, of the opening quote for an unterminated string, of the bracket one level too deep).
    @Test func pinnedErrors() {
        let cases: [(String, JSONParseError.Kind, Int)] = [
            (#"["ab\q"]"#, .invalidEscape, 4),
            (#"["ab\ud800x"]"#, .loneSurrogate, 4),
            (#"[1, "ab"#, .unterminatedString, 4),
            ("[1,]", .unexpectedCharacter, 3),
            (String(repeating: "[", count: 513), .tooDeep, 512),
            ("[1] 2", .trailingCharacters, 4),
            ("[01]", .invalidNumber, 2),
        ]
        for (text, kind, offset) in cases {
            #expect(scanned(Array(text.utf8)) == .rejected(kind, offset), "\(text)")
        }
    }

    /// BUG: `JSONScanner`'s documentation promises depth at most `JSONValue.maximumDepth`, but
    /// `beginObject`/`beginArray` do not count depth (only `skipValue` does, and from where it
    /// starts), so a caller that walks the structure itself accepts 513 levels, which the parser
    /// rejects (QueryPageDecoderTests shows the same through the page decoder).
    /// Fix: keep the absolute depth in the scanner: `beginObject`/`beginArray` throw `.tooDeep`
    /// at the bracket when `depth == maximumDepth`, else `depth += 1`; `nextKey` returning nil
    /// and `nextElement` returning false do `depth -= 1`; `skipValue` uses them.
    @Test func depthIsLimitedByTheScannerItself() {
        let limit = JSONValue.maximumDepth
        for levels in [limit, limit + 1] {
            let arrays = Array((String(repeating: "[", count: levels) + String(repeating: "]", count: levels)).utf8)
            let objects = Array((String(repeating: #"{"a":"#, count: levels - 1) + "{}" + String(repeating: "}", count: levels - 1)).utf8)
            // `[{"k":` pairs around `[]` (odd) or `[{}]` (even): exactly `levels` levels.
            let pairs = (levels - 1) / 2
            let mixed = Array((String(repeating: #"[{"k":"#, count: pairs) + (levels % 2 == 1 ? "[]" : "[{}]")
                + String(repeating: "}]", count: pairs)).utf8)
            for bytes in [arrays, objects, mixed] {
                #expect(scanned(bytes, checksDepth: false) == parsed(bytes), "\(levels) levels: \(show(bytes))")
            }
        }
    }

    @Test func spansMatchesAndStringsOfKeys() throws {
        let bytes = Array(#"{"Count" : 12 , "C\u006fu\u006et":"x\ty", "Items":[1.50,-0]}"#.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            var members = JSONScanner.Members()
            try scanner.beginObject()
            let first = try #require(try scanner.nextKey(&members))
            #expect(!first.hasEscapes)
            #expect(scanner.matches(first, "Count"))
            #expect(!scanner.matches(first, "Coun"))
            #expect(!scanner.matches(first, "Counts"))
            let number = try scanner.readNumber()
            #expect(scanner.string(number) == "12")
            #expect(number.start == 11 && number.end == 13)
            let second = try #require(try scanner.nextKey(&members))
            // An escaped key is flagged and decodes to the same text. (Whether it `matches` is
            // not pinned here: today it never does, which QueryPageDecoderTests and
            // StreamingDecoderTests show to be a bug for escaped member and attribute names.)
            #expect(second.hasEscapes)
            #expect(scanner.string(second) == "Count")
            #expect(!scanner.matches(second, "Coun"))
            let value = try scanner.readString()
            #expect(value.hasEscapes)
            #expect(scanner.string(value) == "x\ty")
            #expect(Array(scanner.raw(value)) == Array(#"x\ty"#.utf8))
            let third = try #require(try scanner.nextKey(&members))
            #expect(scanner.matches(third, "Items"))
            try scanner.beginArray()
            var elements = JSONScanner.Members()
            var numbers: [String] = []
            while try scanner.nextElement(&elements) { numbers.append(scanner.string(try scanner.readNumber())) }
            #expect(numbers == ["1.50", "-0"])
            #expect(try scanner.nextKey(&members) == nil)
            try scanner.finish()
            #expect(scanner.offset == buffer.count)
        }
    }

    @Test func typedReadsOfTheWrongKindAreErrorsAtTheirByte() {
        func error(_ text: String, _ read: (inout JSONScanner) throws(JSONParseError) -> Void) -> Outcome {
            Array(text.utf8).withUnsafeBufferPointer { buffer in
                Outcome(Result { () throws(JSONParseError) -> JSONValue in
                    var scanner = JSONScanner(buffer)
                    try read(&scanner)
                    return .null
                })
            }
        }
        // Each read skips white space, then finds a byte that cannot start its kind.
        #expect(error(" \"1\"") { (s: inout JSONScanner) throws(JSONParseError) in _ = try s.readNumber() } == .rejected(.unexpectedCharacter, 1))
        #expect(error(" 1") { (s: inout JSONScanner) throws(JSONParseError) in _ = try s.readString() } == .rejected(.unexpectedCharacter, 1))
        #expect(error("null") { (s: inout JSONScanner) throws(JSONParseError) in _ = try s.readBool() } == .rejected(.unexpectedCharacter, 0))
        #expect(error("nil") { (s: inout JSONScanner) throws(JSONParseError) in try s.readNull() } == .rejected(.unexpectedCharacter, 1))
        #expect(error("  ") { (s: inout JSONScanner) throws(JSONParseError) in try s.beginObject() } == .rejected(.unexpectedEnd, 2))
        #expect(error("{}") { (s: inout JSONScanner) throws(JSONParseError) in try s.beginArray() } == .rejected(.unexpectedCharacter, 0))
        #expect(error("-") { (s: inout JSONScanner) throws(JSONParseError) in _ = try s.readNumber() } == .rejected(.invalidNumber, 1))
        #expect(error("") { (s: inout JSONScanner) throws(JSONParseError) in _ = try s.readNumber() } == .rejected(.unexpectedEnd, 0))
    }

    /// A few thousand seeded byte-wise mutations (flip, insert, delete, truncate) of valid
    /// documents: the scanner never crashes and says exactly what the parser says.
    @Test func fuzzedMutationsAgreeWithTheParser() {
        var random = SplitMix64(state: 0x5EED_05CA_77E2)
        // Bytes that matter to the grammar, so mutations hit interesting branches often.
        let interesting: [UInt8] = Array(#"{}[]":,\u0123456789abcdefABCDEF.eE+-tfnrl /"#.utf8)
            + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
        var accepted = 0
        var rejected = 0
        let iterations = 4_000
        for iteration in 0..<iterations {
            var bytes = Array(fuzzSeeds[iteration % fuzzSeeds.count].utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let byte = Bool.random(using: &random)
                    ? interesting.randomElement(using: &random)!
                    : UInt8.random(in: 0...255, using: &random)
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<4 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &random)] = byte
                case 4..<7: bytes.insert(byte, at: Int.random(in: 0...bytes.count, using: &random))
                case 7..<9 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
                default: bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
                }
            }
            let reference = parsed(bytes)
            if reference.isAccepted { accepted += 1 } else { rejected += 1 }
            expectAgreement(bytes)
        }
        // The mutations must exercise both sides (else the comparison proves little).
        #expect(accepted > iterations / 20)
        #expect(rejected > iterations / 2)
    }
}
