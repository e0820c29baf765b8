#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// A DynamoDB attribute value, every type of the JSON 1.0 wire format.
///
/// Numbers (`N`, `NS`) stay the exact decimal strings DynamoDB sends: no conversion through
/// binary floating point ever happens here, so 38 significant digits survive byte for byte.
public indirect enum AttributeValue: Sendable, Hashable {
    case s(String)
    case n(String)
    case b([UInt8])
    case bool(Bool)
    case null
    case m([String: AttributeValue])
    case l([AttributeValue])
    case ss([String])
    case ns([String])
    case bs([[UInt8]])

    /// An `N` from an integer.
    public static func number(_ value: some BinaryInteger) -> AttributeValue { .n(String(value)) }

    public var string: String? { if case .s(let value) = self { value } else { nil } }
    /// The exact decimal text of an `N`.
    public var numberText: String? { if case .n(let value) = self { value } else { nil } }
    public var map: [String: AttributeValue]? { if case .m(let value) = self { value } else { nil } }
    public var list: [AttributeValue]? { if case .l(let value) = self { value } else { nil } }

    /// The wire type tag: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS` or `BS`.
    public var typeTag: String {
        switch self {
        case .s: "S"
        case .n: "N"
        case .b: "B"
        case .bool: "BOOL"
        case .null: "NULL"
        case .m: "M"
        case .l: "L"
        case .ss: "SS"
        case .ns: "NS"
        case .bs: "BS"
        }
    }
}

/// A DynamoDB item: attribute name → value.
public typealias Item = [String: AttributeValue]

extension AttributeValue: Codable {
    private struct TypeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "an AttributeValue has exactly one type key, found \(container.allKeys.map(\.stringValue))"
            ))
        }
        func binary(_ text: String) throws -> [UInt8] {
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "B is not valid base64")
            }
            return Array(data)
        }
        switch key.stringValue {
        case "S": self = .s(try container.decode(String.self, forKey: key))
        case "N": self = .n(try container.decode(String.self, forKey: key))
        case "B": self = .b(try binary(try container.decode(String.self, forKey: key)))
        case "BOOL": self = .bool(try container.decode(Bool.self, forKey: key))
        case "NULL": self = .null
        case "M": self = .m(try container.decode([String: AttributeValue].self, forKey: key))
        case "L": self = .l(try container.decode([AttributeValue].self, forKey: key))
        case "SS": self = .ss(try container.decode([String].self, forKey: key))
        case "NS": self = .ns(try container.decode([String].self, forKey: key))
        case "BS": self = .bs(try container.decode([String].self, forKey: key).map(binary))
        default:
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "unknown AttributeValue type \(key.stringValue)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        let key = TypeKey(typeTag)
        switch self {
        case .s(let value), .n(let value): try container.encode(value, forKey: key)
        case .b(let bytes): try container.encode(Data(bytes).base64EncodedString(), forKey: key)
        case .bool(let value): try container.encode(value, forKey: key)
        case .null: try container.encode(true, forKey: key)
        case .m(let value): try container.encode(value, forKey: key)
        case .l(let value): try container.encode(value, forKey: key)
        case .ss(let value), .ns(let value): try container.encode(value, forKey: key)
        case .bs(let value): try container.encode(value.map { Data($0).base64EncodedString() }, forKey: key)
        }
    }
}
