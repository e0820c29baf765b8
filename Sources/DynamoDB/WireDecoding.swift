import ExactJSON
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// Decoding DynamoDB's wire JSON straight from `JSONValue`, for the hot path: a Query page of
/// thousands of items. (`JSONDecoder` spends most of a report's time on this; the parser that
/// keeps numbers as exact text is several times faster and never touches binary floating point.)
extension AttributeValue {
    /// The value a one-key wire object (`{"S": "…"}`, `{"N": "…"}`, `{"M": {…}}`, …) holds.
    public init(wire json: JSONValue) throws(WireDecodingError) {
        guard case .object(let members) = json, members.count == 1, let member = members.first else {
            throw WireDecodingError("an AttributeValue has exactly one type key, found \(json.objectMembers.map { $0.map(\.key) } ?? [])")
        }
        let value = member.value
        func text() throws(WireDecodingError) -> String {
            guard case .string(let text) = value else { throw WireDecodingError("\(member.key) must hold a string") }
            return text
        }
        func texts() throws(WireDecodingError) -> [String] {
            guard case .array(let elements) = value else { throw WireDecodingError("\(member.key) must hold an array") }
            var result: [String] = []
            result.reserveCapacity(elements.count)
            for element in elements {
                guard case .string(let text) = element else { throw WireDecodingError("\(member.key) must hold strings") }
                result.append(text)
            }
            return result
        }
        func bytes(_ text: String) throws(WireDecodingError) -> [UInt8] {
            guard let data = Data(base64Encoded: text) else { throw WireDecodingError("\(member.key) is not valid base64") }
            return Array(data)
        }
        switch member.key {
        case "S": self = .s(try text())
        case "N": self = .n(try text())
        case "B": self = .b(try bytes(try text()))
        case "BOOL":
            guard case .bool(let flag) = value else { throw WireDecodingError("BOOL must hold true or false") }
            self = .bool(flag)
        case "NULL": self = .null
        case "M":
            guard case .object(let entries) = value else { throw WireDecodingError("M must hold an object") }
            self = .m(try Item(wire: entries))
        case "L":
            guard case .array(let elements) = value else { throw WireDecodingError("L must hold an array") }
            var list: [AttributeValue] = []
            list.reserveCapacity(elements.count)
            for element in elements { list.append(try AttributeValue(wire: element)) }
            self = .l(list)
        case "SS": self = .ss(try texts())
        case "NS": self = .ns(try texts())
        case "BS":
            var sets: [[UInt8]] = []
            for text in try texts() { sets.append(try bytes(text)) }
            self = .bs(sets)
        default:
            throw WireDecodingError("unknown AttributeValue type \(member.key)")
        }
    }
}

extension Dictionary where Key == String, Value == AttributeValue {
    /// An item from a wire object's members.
    init(wire members: [JSONValue.Member]) throws(WireDecodingError) {
        self.init(minimumCapacity: members.count)
        for member in members { self[member.key] = try AttributeValue(wire: member.value) }
    }
}

extension QueryPage {
    /// A Query response body.
    init(wire json: JSONValue) throws(WireDecodingError) {
        guard case .object = json else { throw WireDecodingError("a Query response is a JSON object") }
        var items: [Item] = []
        if let list = json["Items"] {
            guard case .array(let elements) = list else { throw WireDecodingError("Items must be an array") }
            items.reserveCapacity(elements.count)
            for element in elements {
                guard case .object(let members) = element else { throw WireDecodingError("each item must be an object") }
                items.append(try Item(wire: members))
            }
        }
        var lastKey: Item?
        if let key = json["LastEvaluatedKey"] {
            guard case .object(let members) = key else { throw WireDecodingError("LastEvaluatedKey must be an object") }
            lastKey = try Item(wire: members)
        }
        self.init(items: items, count: json["Count"]?.intValue ?? items.count,
                  scannedCount: json["ScannedCount"]?.intValue ?? json["Count"]?.intValue ?? items.count,
                  lastEvaluatedKey: lastKey)
    }
}

/// A response body that is JSON but not the shape DynamoDB documents.
public struct WireDecodingError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
