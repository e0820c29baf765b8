/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// Order and repetition are kept exactly as given, because AWS Signature V4 signs
/// repeated headers in the order they are sent.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value for `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Whether two field names are the same, ignoring ASCII case (RFC 9110 §5.1: field names are
    /// case-insensitive tokens). Compares bytes, with no allocation: lookups run on every response.
    static func sameName(_ left: String, _ right: String) -> Bool {
        var left = left
        var right = right
        return left.withUTF8 { leftBytes in
            right.withUTF8 { rightBytes in
                guard leftBytes.count == rightBytes.count else { return false }
                for index in 0..<leftBytes.count where leftBytes[index] != rightBytes[index] {
                    let a = leftBytes[index], b = rightBytes[index]
                    // Equal but for case only when both are letters and differ in bit 0x20.
                    guard a ^ b == 0x20, (a | 0x20) >= 0x61, (a | 0x20) <= 0x7A else { return false }
                }
                return true
            }
        }
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field, keeping any existing field of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field named `name` (case-insensitively) with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.sameName($0.name, name) }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
    public var isEmpty: Bool { fields.isEmpty }
}
