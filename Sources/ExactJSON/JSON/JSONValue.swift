/// A JSON value whose numbers never pass through binary floating point.
///
/// This is the project's one JSON model, parser (`parse(_:)`, in `JSONParser.swift`) and writer
/// (`serialized()`, in `JSONWriter.swift`). Numbers keep their exact text, so money written from an
/// `ExactDecimal` or read from a request comes out byte for byte.
///
/// Equality and hashing are structural: numbers compare by their text (`.number("1.0")` is not
/// `.number("1")`; compare `decimalValue`s for numeric equality) and objects by their members in
/// order.
public indirect enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A string (any Unicode text; the writer escapes what JSON requires).
    case string(String)
    /// A number as its text, exactly as parsed (`"0.0025"`, `"1e-05"`, `"1500"`). The parser only
    /// produces valid JSON number grammar. Text built by hand should be valid too; the writer writes
    /// anything else that `ExactDecimal` can parse (`"0012.50"`) in its canonical form (`12.5`), and
    /// anything that is not a number at all as `null`, so its output is always valid JSON.
    case number(String)
    /// An array.
    case array([JSONValue])
    /// An object: its members in the order given or parsed. Duplicate keys are all kept (and
    /// written, in order); lookup by key finds the last one, as JavaScript's `JSON.parse` does.
    case object([Member])

    /// One member of an object: a key and its value.
    public struct Member: Sendable, Hashable {
        /// The member's key.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// The member `key: value`.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// A number written as the decimal's canonical text (`ExactDecimal.description`: no exponent,
    /// no trailing fraction zeros), so money never goes through `Double`.
    public static func number(_ value: ExactDecimal) -> JSONValue {
        .number(value.description)
    }

    /// A number written as the integer's decimal text.
    public static func number(_ value: some BinaryInteger) -> JSONValue {
        .number(String(value))
    }

    /// An object from key-value pairs, in the given order.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { Member(key: $0.key, value: $0.value) })
    }
}

// MARK: - Access

extension JSONValue {
    /// The value of the last member named `key` of an object; `nil` for a missing key or a value
    /// that is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The element at `index` of an array; `nil` when out of bounds or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The string of a `.string`, otherwise `nil`.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The Boolean of a `.bool`, otherwise `nil`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The elements of an `.array`, otherwise `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The members of an `.object`, in order, otherwise `nil`.
    public var objectMembers: [Member]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The text of a `.number`, otherwise `nil`.
    public var numberText: String? {
        if case .number(let value) = self { value } else { nil }
    }

    /// The exact value of a `.number`; `nil` for other values (numeric strings included) and for
    /// numbers outside `ExactDecimal`'s range (more than 38 significant digits, magnitude 10^38 or
    /// more, more than 167 fraction digits).
    public var decimalValue: ExactDecimal? {
        if case .number(let text) = self { ExactDecimal(text) } else { nil }
    }

    /// A `.number` that is exactly an integer in `Int`'s range (`"1500"`, `"1.5e3"`, `"-0"`);
    /// `nil` for fractions (`"1.5"`), integers out of range and other values.
    public var intValue: Int? {
        guard let integer = decimalValue?.int64Value else { return nil }
        return Int(exactly: integer)
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByStringLiteral {
    /// A `.string`.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// A `.number` with the integer's text.
    public init(integerLiteral value: Int) {
        self = .number(String(value))
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// A `.bool`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An `.array` of the elements.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An `.object` with the members in the literal's order (duplicates kept).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { Member(key: $0.0, value: $0.1) })
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// `.null`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text, as `serialized()`.
    public var description: String { serialized() }
}
