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
