import ExactJSON
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// The type tag of a wire attribute value: `{"S": …}`, `{"N": …}`, ….
public enum WireType: UInt8, Sendable {
    case s, n, b, bool, null, m, l, ss, ns, bs
}

/// One attribute of an item as the streaming decoder meets it: its name and type, and for an
/// `S` or `N` the span of its text (a number's text is the string's content: exact decimal).
/// Other types are skipped unless the caller asked for full values.
public struct WireAttribute: Sendable {
    /// The attribute's name (a string span: compare it with `WireItem.matches`).
    public var name: JSONSpan
    public var type: WireType
    /// The text of an `S` or `N`; `nil` for other types.
    public var text: JSONSpan?
    /// The value of a `BOOL`.
    public var flag: Bool
}

/// An item being read from a Query page, attribute by attribute, without building a dictionary.
///
/// `next()` yields each attribute in the order the page has them; values of types other than
/// `S`, `N`, `BOOL` and `NULL` are stepped over without allocating. The item must be read to its
/// end (the decoder does so when the caller stops early).
public struct WireItem {
    @usableFromInline var scanner: JSONScanner
    var members = JSONScanner.Members()
    var finished = false

    init(scanner: JSONScanner) {
        self.scanner = scanner
    }

    /// The next attribute, or `nil` after the item's last.
    public mutating func next() throws(WireDecodingError) -> WireAttribute? {
        do throws(JSONParseError) {
            guard !finished else { return nil }
            guard let name = try scanner.nextKey(&members) else {
                finished = true
                return nil
            }
            return try Self.typedValue(name: name, &scanner)
        } catch {
            throw WireDecodingError(json: error)
        }
    }

    /// Reads the rest of the item as a dictionary (every type decoded).
    public mutating func decodeRest(into item: inout Item) throws(WireDecodingError) {
        do throws(JSONParseError) {
            guard !finished else { return }
            while let name = try scanner.nextKey(&members) {
                item[scanner.string(name)] = try Self.value(&scanner, depth: 1)
            }
            finished = true
        } catch {
            throw WireDecodingError(json: error)
        }
    }

    /// Steps over whatever attributes the caller did not read.
    mutating func skipRest() throws(WireDecodingError) {
        while try next() != nil {}
    }

    /// The bytes of a span.
    @inlinable
    public func raw(_ span: JSONSpan) -> UnsafeBufferPointer<UInt8> { scanner.raw(span) }

    /// Whether a span is exactly `literal`.
    @inlinable
    public func matches(_ span: JSONSpan, _ literal: StaticString) -> Bool { scanner.matches(span, literal) }

    /// A span's text, escapes decoded.
    public func string(_ span: JSONSpan) -> String { scanner.string(span) }

    /// The offset where the item's reading stands (for error messages).
    public var offset: Int { scanner.offset }

    // MARK: - Typed values

    /// `{"<T>": value}` after an attribute name: S and N give their span, BOOL its value, the
    /// rest are skipped.
    static func typedValue(name: JSONSpan, _ scanner: inout JSONScanner) throws(JSONParseError) -> WireAttribute {
        var members = JSONScanner.Members()
        try scanner.beginObject()
        guard let tag = try scanner.nextKey(&members) else {
            throw scanner.error(.unexpectedCharacter, "an attribute value has exactly one type key, found none")
        }
        let type = try Self.type(of: tag, scanner)
        var attribute = WireAttribute(name: name, type: type, text: nil, flag: false)
        switch type {
        case .s:
            attribute.text = try scanner.readString()
        case .n:
            let text = try scanner.readString()
            attribute.text = text
        case .bool:
            attribute.flag = try scanner.readBool()
        case .null:
            _ = try scanner.readBool()
        default:
            try scanner.skipValue()
        }
        guard try scanner.nextKey(&members) == nil else {
            throw scanner.error(.unexpectedCharacter, "an attribute value has exactly one type key, found more")
        }
        return attribute
    }

    static func type(of tag: JSONSpan, _ scanner: JSONScanner) throws(JSONParseError) -> WireType {
        if scanner.matches(tag, "S") { return .s }
        if scanner.matches(tag, "N") { return .n }
        if scanner.matches(tag, "BOOL") { return .bool }
        if scanner.matches(tag, "NULL") { return .null }
        if scanner.matches(tag, "M") { return .m }
        if scanner.matches(tag, "L") { return .l }
        if scanner.matches(tag, "SS") { return .ss }
        if scanner.matches(tag, "NS") { return .ns }
        if scanner.matches(tag, "B") { return .b }
        if scanner.matches(tag, "BS") { return .bs }
        throw JSONParseError(kind: .unexpectedCharacter, offset: tag.start, message: "unknown attribute value type \(InputEcho.short(scanner.string(tag), limit: 20))")
    }

    /// A whole attribute value, every type decoded (`{"M": {…}}` recursively).
    static func value(_ scanner: inout JSONScanner, depth: Int) throws(JSONParseError) -> AttributeValue {
        guard depth < JSONValue.maximumDepth / 2 else {
            throw scanner.error(.tooDeep, "attribute values are nested more than \(JSONValue.maximumDepth / 2) deep")
        }
        var members = JSONScanner.Members()
        try scanner.beginObject()
        guard let tag = try scanner.nextKey(&members) else {
            throw scanner.error(.unexpectedCharacter, "an attribute value has exactly one type key, found none")
        }
        let result: AttributeValue
        func texts() throws(JSONParseError) -> [String] {
            var list: [String] = []
            var elements = JSONScanner.Members()
            try scanner.beginArray()
            while try scanner.nextElement(&elements) { list.append(scanner.string(try scanner.readString())) }
            return list
        }
        func binary(_ text: String, at offset: Int) throws(JSONParseError) -> [UInt8] {
            guard let data = Data(base64Encoded: text) else {
                throw JSONParseError(kind: .unexpectedCharacter, offset: offset, message: "a B value is not valid base64")
            }
            return Array(data)
        }
        switch try type(of: tag, scanner) {
        case .s: result = .s(scanner.string(try scanner.readString()))
        case .n: result = .n(scanner.string(try scanner.readString()))
        case .bool: result = .bool(try scanner.readBool())
        case .null:
            _ = try scanner.readBool()
            result = .null
        case .b:
            let offset = scanner.offset
            result = .b(try binary(scanner.string(try scanner.readString()), at: offset))
        case .m:
            var map: Item = [:]
            var entries = JSONScanner.Members()
            try scanner.beginObject()
            while let key = try scanner.nextKey(&entries) { map[scanner.string(key)] = try value(&scanner, depth: depth + 1) }
            result = .m(map)
        case .l:
            var list: [AttributeValue] = []
            var elements = JSONScanner.Members()
            try scanner.beginArray()
            while try scanner.nextElement(&elements) { list.append(try value(&scanner, depth: depth + 1)) }
            result = .l(list)
        case .ss: result = .ss(try texts())
        case .ns: result = .ns(try texts())
        case .bs:
            let offset = scanner.offset
            var sets: [[UInt8]] = []
            for text in try texts() { sets.append(try binary(text, at: offset)) }
            result = .bs(sets)
        }
        guard try scanner.nextKey(&members) == nil else {
            throw scanner.error(.unexpectedCharacter, "an attribute value has exactly one type key, found more")
        }
        return result
    }
}

extension WireDecodingError {
    /// A malformed body, with the offset where reading stopped.
    init(json error: JSONParseError) {
        self.init("malformed page: \(error.message) at byte \(error.offset)")
    }
}
