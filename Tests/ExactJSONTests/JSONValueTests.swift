import ExactJSON
import Foundation
import Testing

/// Parses text that must be valid JSON (test inputs only).
private func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        Issue.record("parse failed: \(error)", sourceLocation: sourceLocation)
        return .null
    }
}

/// The error parsing `text` gives, or nil when it parses.
private func parseError(_ text: String) -> JSONParseError? {
    parseError(Array(text.utf8))
}

private func parseError(_ bytes: [UInt8]) -> JSONParseError? {
    do {
        _ = try JSONValue.parse(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite struct JSONValueTests {
    // MARK: Round trips

    @Test func nestedDocumentRoundTripsByteForByte() {
        let text = #"{"name":"caf\u00e9 \"quoted\" back\\slash","list":[1,-2.5,3e-7,true,false,null,[],{}],"#
            + #""nested":{"z":{"y":[{"x":"\ud83d\ude00"}]}},"tab":"a\tb\nc\r\b\f","ctl":"\u0001\u001f","slash":"a/b"}"#
        let value = parse(text)
        #expect(value["name"]?.stringValue == "café \"quoted\" back\\slash")
        #expect(value["nested"]?["z"]?["y"]?[0]?["x"]?.stringValue == "😀")
        #expect(value["tab"]?.stringValue == "a\tb\nc\r\u{8}\u{C}")
        #expect(value["ctl"]?.stringValue == "\u{1}\u{1F}")
        #expect(value["list"]?[2] == .number("3e-7"))
        // Written back: non-ASCII raw, the short escapes where JSON has them, \u00XX otherwise.
        let written = value.serialized()
        #expect(written == #"{"name":"café \"quoted\" back\\slash","list":[1,-2.5,3e-7,true,false,null,[],{}],"#
            + #""nested":{"z":{"y":[{"x":"😀"}]}},"tab":"a\tb\nc\r\b\f","ctl":"\u0001\u001f","slash":"a/b"}"#)
        #expect(parse(written) == value)
        #expect(parse(written).serialized() == written)
    }

    @Test func everyControlCharacterIsEscapedAndParsesBack() throws {
        let all = String(decoding: (0 ..< 0x20).map { UInt8($0) } + Array("\"\\/\u{7F}é".utf8), as: UTF8.self)
        let written = JSONValue.string(all).serialized()
        #expect(!written.utf8.dropFirst().dropLast().contains { $0 < 0x20 })
        #expect(written.hasPrefix(#""\u0000\u0001"#))
        #expect(written.hasSuffix(#"\u001e\u001f\"\\/\#u{7F}é""#))
        #expect(try JSONValue.parse(written) == .string(all))
        // Foundation agrees it is valid JSON with the same string.
        let foundation = try JSONSerialization.jsonObject(with: Data(written.utf8), options: .fragmentsAllowed) as? String
        #expect(foundation == all)
    }

    @Test func numbersKeepTheirExactText() {
        for number in [
            "0.000000000000000000000000000001", "123456789012345678901234567890123456789", "1e-05", "1E+3", "-0",
            "0.0025", "1500", "-0.0", "6.02214076e23", "1e400", "12345678901234567890.12345678901234567890",
        ] {
            let text = "[\(number),{\"n\":\(number)}]"
            let value = parse(text)
            #expect(value[0] == .number(number))
            #expect(value.serialized() == text)
        }
    }

    @Test func numberAccessors() {
        #expect(parse("1500").intValue == 1500)
        #expect(parse("1.5e3").intValue == 1500)
        #expect(parse("-0").intValue == 0)
        #expect(parse("1.5").intValue == nil)
        #expect(parse("9223372036854775807").intValue == Int.max)
        #expect(parse("9223372036854775808").intValue == nil)
        #expect(parse("\"15\"").intValue == nil)
        #expect(parse("0.0025").decimalValue == ExactDecimal("0.0025"))
        #expect(parse("1e-05").decimalValue?.description == "0.00001")
        #expect(parse("\"0.5\"").decimalValue == nil)  // only .number
        #expect(parse("123456789012345678901234567890123456789").decimalValue == nil)  // 39 digits
        #expect(parse("2.5").numberText == "2.5")
    }

    @Test func numberFactoriesWriteCanonicalText() throws {
        let sum = try #require(ExactDecimal("0.1")) + #require(ExactDecimal("0.2"))
        #expect(JSONValue.number(sum).serialized() == "0.3")
        #expect(JSONValue.number(try #require(ExactDecimal("12.50"))) == .number("12.5"))
        #expect(JSONValue.number(try #require(ExactDecimal("1e-05"))).serialized() == "0.00001")
        #expect(JSONValue.number(-42).serialized() == "-42")
        #expect(JSONValue.number(UInt64.max).serialized() == "18446744073709551615")
        #expect(JSONValue.number(Int8(-7)) == .number("-7"))
        // Hand-made number text: valid JSON as is, other decimals canonical, the rest null.
        #expect(JSONValue.number("0012.50").serialized() == "12.5")
        #expect(JSONValue.number("+3").serialized() == "3")
        #expect(JSONValue.number("NaN").serialized() == "null")
        #expect(JSONValue.number("").serialized() == "null")
        #expect(JSONValue.number("1e5").serialized() == "1e5")
    }

    @Test func objectKeyOrderIsPreserved() {
        let text = #"{"zeta":1,"alpha":2,"mid":3,"beta":{"y":1,"x":2}}"#
        let value = parse(text)
        #expect(value.objectMembers?.map(\.key) == ["zeta", "alpha", "mid", "beta"])
        #expect(value["beta"]?.objectMembers?.map(\.key) == ["y", "x"])
        #expect(value.serialized() == text)
        let built: JSONValue = ["z": 1, "a": [true, nil, "s"], "m": ["k": 1]]
        #expect(built.serialized() == #"{"z":1,"a":[true,null,"s"],"m":{"k":1}}"#)
        #expect(JSONValue.object(["b": 1, "a": 2]).serialized() == #"{"b":1,"a":2}"#)
    }

    @Test func duplicateKeysAreKeptAndTheLastOneWinsOnLookup() {
        let value = parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value["a"] == .number("3"))
        #expect(value.objectMembers?.count == 3)
        #expect(value.serialized() == #"{"a":1,"b":2,"a":3}"#)
    }

    @Test func accessorsReturnNilForOtherKinds() {
        let value = parse(#"{"s":"x","b":true,"a":[1],"n":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["s"]?.boolValue == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [.number("1")])
        #expect(value["a"]?[1] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
        #expect(value["a"]?["x"] == nil)
        #expect(value.stringValue == nil)
    }

    @Test func whitespaceAndTopLevelScalars() {
        #expect(parse(" \t\r\n[ 1 , { \"a\" : [ ] } ]\n ") == [1, ["a": []]])
        #expect(parse("\"top\"") == "top")
        #expect(parse("  true ") == true)
        #expect(parse("null") == .null)
        #expect(parse("-12.5e+2") == .number("-12.5e+2"))
        #expect(parse(#""\/\u0041\u00e9\u4e2d""#) == "/Aé中")
        #expect(parse("\"\\u0000\"").stringValue == "\u{0}")
    }

    @Test func parsesAnyByteCollection() throws {
        let bytes: [UInt8] = Array(#"{"k":[1,2]}"#.utf8)
        #expect(try JSONValue.parse(bytes) == ["k": [1, 2]])
        #expect(try JSONValue.parse(bytes[...]) == ["k": [1, 2]])
        #expect(try JSONValue.parse(Data(bytes)) == ["k": [1, 2]])
        // A collection without contiguous storage.
        #expect(try JSONValue.parse(bytes.lazy.map { $0 }) == ["k": [1, 2]])
        let offsets = try JSONValue.parse(#"  [1, 2, 3]"#.utf8.dropFirst(2))
        #expect(offsets == [1, 2, 3])
    }

    @Test func prettyOutput() {
        let value: JSONValue = ["a": [1, 2], "b": [:], "c": [], "d": ["e": "f"]]
        #expect(value.serialized(pretty: true) == """
        {
          "a": [
            1,
            2
          ],
          "b": {},
          "c": [],
          "d": {
            "e": "f"
          }
        }
        """)
        #expect(parse(value.serialized(pretty: true)) == value)
        #expect(JSONValue.number("1").serialized(pretty: true) == "1")
        #expect(value.serializedBytes() == Array(value.serialized().utf8))
    }

    @Test func largeDocumentRoundTrips() throws {
        var items: [JSONValue] = []
        for index in 0 ..< 5_000 {
            items.append(["id": .number(index), "cost": .number("0.000\(index)"), "name": .string("item \(index) ✓")])
        }
        let document: JSONValue = ["items": .array(items)]
        let text = document.serialized()
        let parsed = try JSONValue.parse(text)
        #expect(parsed == document)
        #expect(parsed["items"]?[4_999]?["cost"]?.numberText == "0.0004999")
        #expect(parsed.serialized() == text)
    }

    // MARK: Depth

    @Test func nestingUpToTheLimitParses() throws {
        let depth = JSONValue.maximumDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONValue.parse(text)
        var levels = 0
        while let inner = value.arrayValue {
            levels += 1
            value = inner.first ?? .null
        }
        #expect(levels == depth)
        let objects = String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        #expect(throws: Never.self) { try JSONValue.parse(objects) }
    }

    @Test func nestingBeyondTheLimitIsAnErrorNotACrash() {
        let depth = JSONValue.maximumDepth + 1
        let error = parseError(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        #expect(error?.kind == .tooDeep)
        #expect(error?.offset == JSONValue.maximumDepth)
        let mixed = parseError(String(repeating: #"{"k":["#, count: 300) + "1" + String(repeating: "]}", count: 300))
        #expect(mixed?.kind == .tooDeep)
        // Far deeper input, unterminated: still the depth error, at the first bracket too many.
        let deep = parseError(String(repeating: "[", count: 1_000_000))
        #expect(deep?.kind == .tooDeep)
        #expect(deep?.offset == 512)
    }

    // MARK: Malformed input

    @Test(arguments: [
        // (input, kind, offset)
        ("[1,2,]", JSONParseError.Kind.unexpectedCharacter, 5),
        (#"{"a":1,}"#, .unexpectedCharacter, 7),
        ("[1 2]", .unexpectedCharacter, 3),
        (#"{"a" 1}"#, .unexpectedCharacter, 5),
        ("{1:2}", .unexpectedCharacter, 1),
        ("['x']", .unexpectedCharacter, 1),
        (#""abc"#, .unterminatedString, 0),
        (#"[1,"abc]"#, .unterminatedString, 3),
        (#"["a\"]"#, .unterminatedString, 1),
        (#""a\x""#, .invalidEscape, 2),
        (#""\u12G4""#, .invalidEscape, 1),
        (#""\u12""#, .invalidEscape, 1),
        ("01", .invalidNumber, 1),
        ("-01", .invalidNumber, 2),
        ("[00]", .invalidNumber, 2),
        ("1.", .invalidNumber, 2),
        (".5", .unexpectedCharacter, 0),
        ("-", .invalidNumber, 1),
        ("-a", .invalidNumber, 1),
        ("1e", .invalidNumber, 2),
        ("1e+", .invalidNumber, 3),
        ("+1", .unexpectedCharacter, 0),
        ("NaN", .unexpectedCharacter, 0),
        ("Infinity", .unexpectedCharacter, 0),
        ("tru", .unexpectedEnd, 3),
        ("trux", .unexpectedCharacter, 3),
        ("nul", .unexpectedEnd, 3),
        ("", .unexpectedEnd, 0),
        ("   ", .unexpectedEnd, 3),
        ("[", .unexpectedEnd, 1),
        ("[1", .unexpectedEnd, 2),
        (#"{"a":"#, .unexpectedEnd, 5),
        (#"{"a""#, .unexpectedEnd, 4),
        ("{", .unexpectedEnd, 1),
        ("1 2", .trailingCharacters, 2),
        ("{} x", .trailingCharacters, 3),
        ("[]]", .trailingCharacters, 2),
        ("\"a\u{1}b\"", .controlCharacterInString, 2),
        ("\"a\nb\"", .controlCharacterInString, 2),
        // Lone surrogates are rejected (a Swift String cannot hold one), at the escape's backslash.
        (#""\ud83d""#, .loneSurrogate, 1),
        (#""x\ud83dy""#, .loneSurrogate, 2),
        (#""\ude00""#, .loneSurrogate, 1),
        (#""\ud83d\u0041""#, .loneSurrogate, 1),
        (#""\ud83d\ud83d""#, .loneSurrogate, 1),
        (#""\ud83d\n""#, .loneSurrogate, 1),
    ])
    func malformedInputGivesAnErrorWithItsOffset(_ input: String, _ kind: JSONParseError.Kind, _ offset: Int) {
        let error = parseError(input)
        #expect(error?.kind == kind)
        #expect(error?.offset == offset)
        #expect(error?.message.isEmpty == false)
    }

    @Test func invalidUTF8IsRejectedWithItsOffset() {
        // A stray continuation byte, an overlong "/", an encoded surrogate, a truncated sequence, above U+10FFFF.
        let cases: [([UInt8], Int)] = [
            ([0x22, 0x61, 0x80, 0x22], 2),
            ([0x22, 0xC0, 0xAF, 0x22], 1),
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 2),
            ([0x22, 0xE2, 0x82], 3),
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 2),
            ([0x22, 0xE2, 0x28, 0xA1, 0x22], 2),
        ]
        for (bytes, offset) in cases {
            let error = parseError(bytes)
            #expect(error?.kind == .invalidUTF8, "\(bytes)")
            #expect(error?.offset == offset, "\(bytes)")
        }
        // Well-formed multi-byte text of every length is accepted.
        #expect(parse("\"é中😀\"").stringValue == "é中😀")
        // Outside strings, a non-ASCII byte is just unexpected.
        #expect(parseError([0xEF, 0xBB, 0xBF, 0x31])?.kind == .unexpectedCharacter)
    }

    @Test func errorDescriptionNamesTheOffset() {
        let error = parseError("[1,]")
        #expect(error?.description == "unexpected ']', expected a value at byte 3")
    }
}
