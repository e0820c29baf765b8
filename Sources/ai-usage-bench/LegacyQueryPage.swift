import DynamoDB
import Foundation

/// The previous Query page decoder, kept only as the bench's point of comparison: the
/// `Decodable` conformances `DynamoDB` had before it read every response with `JSONValue`
/// (`JSONDecoder` into a page of `AttributeValue`s, numbers as their text).
struct LegacyQueryPage: Decodable {
    var items: [[String: LegacyAttributeValue]]
    var count: Int
    var scannedCount: Int
    var lastEvaluatedKey: [String: LegacyAttributeValue]?

    enum CodingKeys: String, CodingKey {
        case items = "Items", count = "Count", scannedCount = "ScannedCount", lastEvaluatedKey = "LastEvaluatedKey"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        items = try container.decodeIfPresent([[String: LegacyAttributeValue]].self, forKey: .items) ?? []
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? items.count
        scannedCount = try container.decodeIfPresent(Int.self, forKey: .scannedCount) ?? count
        lastEvaluatedKey = try container.decodeIfPresent([String: LegacyAttributeValue].self, forKey: .lastEvaluatedKey)
    }
}

/// An `AttributeValue` decoded as the former `Decodable` conformance did.
struct LegacyAttributeValue: Decodable {
    var value: AttributeValue

    private struct TypeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an AttributeValue has exactly one type key"))
        }
        func binary(_ text: String) throws -> [UInt8] {
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "B is not valid base64")
            }
            return Array(data)
        }
        switch key.stringValue {
        case "S": value = .s(try container.decode(String.self, forKey: key))
        case "N": value = .n(try container.decode(String.self, forKey: key))
        case "B": value = .b(try binary(try container.decode(String.self, forKey: key)))
        case "BOOL": value = .bool(try container.decode(Bool.self, forKey: key))
        case "NULL": value = .null
        case "M": value = .m(try container.decode([String: LegacyAttributeValue].self, forKey: key).mapValues(\.value))
        case "L": value = .l(try container.decode([LegacyAttributeValue].self, forKey: key).map(\.value))
        case "SS": value = .ss(try container.decode([String].self, forKey: key))
        case "NS": value = .ns(try container.decode([String].self, forKey: key))
        case "BS": value = .bs(try container.decode([String].self, forKey: key).map(binary))
        default:
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "unknown AttributeValue type \(key.stringValue)")
        }
    }
}
