import DynamoDB
import ExactJSON
import Foundation
import Testing

@Suite struct AttributeValueTests {
    func roundTrip(_ value: AttributeValue) throws -> (AttributeValue, String) {
        let text = value.wire.serialized()
        return (try AttributeValue(wire: JSONValue.parse(text)), text)
    }

    @Test(arguments: [
        AttributeValue.s("héllo \"quoted\" \n"),
        .n("0.1"),
        .n("-1E-130"),
        .b([0, 1, 2, 255]),
        .bool(true),
        .bool(false),
        .null,
        .ss(["a", "b"]),
        .ns(["1", "2.50", "99999999999999999999999999999999999999"]),
        .bs([[1], [2, 3]]),
        .l([.s("x"), .n("1"), .null, .l([])]),
        .m(["a": .m(["b": .l([.m(["c": .n("3.14")])])])]),
    ])
    func everyTypeRoundTrips(_ value: AttributeValue) throws {
        #expect(try roundTrip(value).0 == value)
    }

    @Test func thirtyEightDigitNumberIsByteExact() throws {
        let digits = "12345678901234567890123456789012345678"
        #expect(digits.count == 38)
        for text in [digits, "0.\(digits)", "-\(digits)E+87", "9.9999999999999999999999999999999999999E+125"] {
            let (decoded, json) = try roundTrip(.n(text))
            #expect(json == #"{"N":"\#(text)"}"#)
            #expect(decoded.numberText == text)
        }
    }

    @Test func wireFormatOfEachType() throws {
        let json = #"{"S":"x"}|{"N":"1.50"}|{"B":"AAEC\/w=="}|{"BOOL":true}|{"NULL":true}|{"SS":["a"]}|{"NS":["7"]}|{"BS":["AQ=="]}|{"L":[{"N":"1"}]}|{"M":{"k":{"S":"v"}}}"#
        let expected: [AttributeValue] = [.s("x"), .n("1.50"), .b([0, 1, 2, 255]), .bool(true), .null, .ss(["a"]), .ns(["7"]), .bs([[1]]), .l([.n("1")]), .m(["k": .s("v")])]
        let decoded = try json.split(separator: "|").map { try AttributeValue(wire: JSONValue.parse(String($0))) }
        #expect(decoded == expected)
        #expect(expected.map(\.typeTag) == ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"])
    }

    @Test func nestedItemRoundTrips() throws {
        let item: Item = [
            "PK": .s("AI_USAGE#openai#gpt-4o"),
            "cost_usd": .n("0.0125"),
            "metadata": .m(["tags": .l([.s("a"), .bool(false), .null]), "nested": .m(["deep": .ns(["1", "2"])])]),
            "blob": .b(Array(0...255)),
        ]
        #expect(try Item(wire: JSONValue.parse(item.wire.serializedBytes())) == item)
    }

    @Test(arguments: [#"{}"#, #"{"S":"a","N":"1"}"#, #"{"X":"a"}"#, #"{"B":"***"}"#])
    func malformedValuesAreRejected(_ json: String) {
        #expect(throws: WireDecodingError.self) { try AttributeValue(wire: JSONValue.parse(json)) }
    }
}
