/// A span of the input that `JSONScanner` read: a string's content between its quotes (still
/// escaped when `hasEscapes`), or a number's text.
public struct JSONSpan: Sendable, Hashable {
    /// Offset of the first byte.
    public var start: Int
    /// Offset just past the last byte.
    public var end: Int
    /// Whether a string's content holds backslash escapes (then `JSONScanner.string(_:)` decodes them).
    public var hasEscapes: Bool

    /// The number of bytes.
    @inlinable public var count: Int { end - start }
}

/// A pull reader over UTF-8 JSON bytes: the streaming decoder's building block.
///
/// It walks the input once, validating as strictly as `JSONValue.parse` (RFC 8259, well-formed
/// UTF-8, no lone surrogates, depth at most `JSONValue.maximumDepth`), and hands the caller spans
/// of the input instead of building values: what the caller does not ask for is skipped without
/// allocating. Every error names its byte offset.
///
/// ```swift
/// var scanner = JSONScanner(buffer)
/// var members = JSONScanner.Members()
/// try scanner.beginObject()
/// while let key = try scanner.nextKey(&members) {
///     if scanner.matches(key, "Count") { count = try scanner.readNumber() } else { try scanner.skipValue() }
/// }
/// try scanner.finish()
/// ```
public struct JSONScanner {
    /// The whole input.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    public private(set) var offset = 0
    /// The arrays and objects open at `offset`.
    public private(set) var depth = 0

    /// A scanner at the start of `bytes` (which must outlive it).
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Where a caller is inside one object or array: before its first member or after one.
    public struct Members: Sendable {
        var started = false
        /// Before the first member.
        public init() {}
    }

    /// The kind of the value that starts at the next non-blank byte.
    public enum ValueKind: Sendable {
        case object, array, string, number, bool, null
    }

    // MARK: - Structure

    /// The kind of the next value (after white space), or `nil` at the end or before a byte that
    /// cannot start one.
    public mutating func peekKind() -> ValueKind? {
        skipWhitespace()
        guard offset < bytes.count else { return nil }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return nil
        }
    }

    /// Consumes the `{` that opens an object.
    public mutating func beginObject() throws(JSONParseError) {
        try open(UInt8(ascii: "{"), "'{'")
    }

    /// Consumes the `[` that opens an array.
    public mutating func beginArray() throws(JSONParseError) {
        try open(UInt8(ascii: "["), "'['")
    }

    private mutating func open(_ byte: UInt8, _ name: String) throws(JSONParseError) {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected \(name) but the input ended") }
        guard bytes[offset] == byte else { throw unexpected(bytes[offset], expecting: name) }
        guard depth < JSONValue.maximumDepth else { throw error(.tooDeep, "arrays and objects are nested more than \(JSONValue.maximumDepth) deep") }
        offset += 1
        depth += 1
    }

    /// The next member's key (its `:` consumed), or `nil` after consuming the object's `}`.
    public mutating func nextKey(_ members: inout Members) throws(JSONParseError) -> JSONSpan? {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, members.started ? "expected ',' or '}' but the input ended" : "expected a string key or '}' but the input ended") }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return nil
        }
        if members.started {
            guard byte == UInt8(ascii: ",") else { throw unexpected(byte, expecting: "',' or '}'") }
            offset += 1
            skipWhitespace()
            guard offset < bytes.count else { throw error(.unexpectedEnd, "expected a string key but the input ended") }
        }
        members.started = true
        guard bytes[offset] == UInt8(ascii: "\"") else { throw unexpected(bytes[offset], expecting: "a string key") }
        let key = try readStringAtQuote()
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected ':' but the input ended") }
        guard bytes[offset] == UInt8(ascii: ":") else { throw unexpected(bytes[offset], expecting: "':' after an object key") }
        offset += 1
        return key
    }

    /// Whether another element follows (then read it); `false` after consuming the array's `]`.
    public mutating func nextElement(_ members: inout Members) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, members.started ? "expected ',' or ']' but the input ended" : "expected a value or ']' but the input ended") }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return false
        }
        if members.started {
            guard byte == UInt8(ascii: ",") else { throw unexpected(byte, expecting: "',' or ']'") }
            offset += 1
        }
        members.started = true
        return true
    }

    /// Checks that nothing but white space is left.
    public mutating func finish() throws(JSONParseError) {
        skipWhitespace()
        guard offset == bytes.count else {
            throw error(.trailingCharacters, "unexpected \(Self.show(bytes[offset])) after the JSON value")
        }
    }

    // MARK: - Values

    /// A string value's span (its quotes consumed, its content validated).
    public mutating func readString() throws(JSONParseError) -> JSONSpan {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected a string but the input ended") }
        guard bytes[offset] == UInt8(ascii: "\"") else { throw unexpected(bytes[offset], expecting: "a string") }
        return try readStringAtQuote()
    }

    /// A number value's text, validated against JSON's grammar.
    public mutating func readNumber() throws(JSONParseError) -> JSONSpan {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected a number but the input ended") }
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else {
            if start == offset, offset < bytes.count { throw unexpected(bytes[offset], expecting: "a number") }
            throw error(.invalidNumber, "expected a digit in a number")
        }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) { throw error(.invalidNumber, "a number cannot have a leading zero") }
        } else {
            skipDigits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error(.invalidNumber, "expected a digit after the decimal point") }
            skipDigits()
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error(.invalidNumber, "expected a digit in the exponent") }
            skipDigits()
        }
        return JSONSpan(start: start, end: offset, hasEscapes: false)
    }

    /// `true` or `false`.
    public mutating func readBool() throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected true or false but the input ended") }
        if bytes[offset] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        guard bytes[offset] == UInt8(ascii: "f") else { throw unexpected(bytes[offset], expecting: "true or false") }
        try literal("false")
        return false
    }

    /// `null`.
    public mutating func readNull() throws(JSONParseError) {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected null but the input ended") }
        try literal("null")
    }

    /// Steps over the next value of any kind, validating it, without allocating (unless nested).
    public mutating func skipValue() throws(JSONParseError) {
        switch peekKind() {
        case .object:
            try beginObject()
            var members = Members()
            while try nextKey(&members) != nil { try skipValue() }
        case .array:
            try beginArray()
            var members = Members()
            while try nextElement(&members) { try skipValue() }
        case .string: _ = try readStringAtQuote()
        case .number: _ = try readNumber()
        case .bool: _ = try readBool()
        case .null: try literal("null")
        case nil:
            guard offset < bytes.count else { throw error(.unexpectedEnd, "expected a value but the input ended") }
            throw unexpected(bytes[offset], expecting: "a value")
        }
    }

    // MARK: - Reading spans

    /// The bytes of a span (a string's content still escaped).
    @inlinable
    public func raw(_ span: JSONSpan) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[span.start ..< span.end])
    }

    /// Whether a span's bytes are exactly `literal` (an escaped string never matches).
    @inlinable
    public func matches(_ span: JSONSpan, _ literal: StaticString) -> Bool {
        if span.hasEscapes { return matchesDecoded(span, literal) }
        guard span.count == literal.utf8CodeUnitCount else { return false }
        let start = literal.utf8Start
        for k in 0 ..< span.count where bytes[span.start + k] != start[k] { return false }
        return true
    }

    @usableFromInline
    func matchesDecoded(_ span: JSONSpan, _ literal: StaticString) -> Bool {
        Array(string(span).utf8) == Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A string's content with its escapes decoded, or a number's text.
    public func string(_ span: JSONSpan) -> String {
        guard span.hasEscapes else { return String(decoding: raw(span), as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(span.count)
        var index = span.start
        while index < span.end {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                index += 1
                continue
            }
            // Validated when read: a known escape, and \u pairs well formed.
            let letter = bytes[index + 1]
            index += 2
            switch letter {
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(hexValue(at: index))
                index += 4
                if 0xD800 ... 0xDBFF ~= scalar {
                    let low = UInt32(hexValue(at: index + 2))
                    index += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                Self.appendUTF8(scalar, to: &decoded)
            default: decoded.append(letter)
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    // MARK: - Tokens

    @inline(__always)
    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ name: String) throws(JSONParseError) {
        skipWhitespace()
        guard offset < bytes.count else { throw error(.unexpectedEnd, "expected \(name) but the input ended") }
        guard bytes[offset] == byte else { throw unexpected(bytes[offset], expecting: name) }
        offset += 1
    }

    private mutating func literal(_ literal: StaticString) throws(JSONParseError) {
        let start = literal.utf8Start
        for k in 0 ..< literal.utf8CodeUnitCount {
            guard offset < bytes.count else { throw error(.unexpectedEnd, "expected '\(literal)' but the input ended") }
            guard bytes[offset] == start[k] else { throw unexpected(bytes[offset], expecting: "'\(literal)'") }
            offset += 1
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    @inline(__always)
    private mutating func skipDigits() {
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    /// A string from its opening quote (at `offset`) to past its closing quote.
    private mutating func readStringAtQuote() throws(JSONParseError) -> JSONSpan {
        let quote = offset
        offset += 1
        let start = offset
        var escaped = false
        let count = bytes.count
        // Bytes before this offset are known to hold one that needs the byte loop.
        var slowUntil = offset
        while offset < count {
            if offset >= slowUntil, count - offset >= 8, let base = bytes.baseAddress {
                if Self.isPlainWord(UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)) {
                    offset += 8
                    continue
                }
                slowUntil = offset + 8
            }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return JSONSpan(start: start, end: offset - 1, hasEscapes: escaped)
            }
            if byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") {
                offset += 1
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                try checkEscape(stringStart: quote)
            } else if byte < 0x20 {
                throw error(.controlCharacterInString, "control character \(Self.show(byte)) must be escaped in a string")
            } else {
                try skipUTF8Sequence()
            }
        }
        throw JSONParseError(kind: .unterminatedString, offset: quote, message: "unterminated string")
    }

    /// Whether none of eight string bytes needs a second look: no `"`, no `\\`, no control
    /// character, nothing outside ASCII (SWAR: a byte's high bit is set in the mask exactly when
    /// the first such byte is found; bytes after it may be flagged too, which only sends them to
    /// the byte loop).
    @inline(__always)
    private static func isPlainWord(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let flagged = ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | word
        return flagged & (ones &* 0x80) == 0
    }

    /// Validates one escape from its backslash (at `offset`) and steps over it.
    private mutating func checkEscape(stringStart: Int) throws(JSONParseError) {
        let backslash = offset
        guard offset + 1 < bytes.count else {
            throw JSONParseError(kind: .unterminatedString, offset: stringStart, message: "unterminated string")
        }
        let letter = bytes[offset + 1]
        offset += 2
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            let unit = try hexQuad(backslash: backslash, stringStart: stringStart)
            if 0xD800 ... 0xDBFF ~= unit {
                let lowStart = offset
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(kind: .loneSurrogate, offset: backslash, message: "high surrogate \\u\(Self.hex(unit)) is not followed by a low surrogate")
                }
                offset += 2
                let low = try hexQuad(backslash: lowStart, stringStart: stringStart)
                guard 0xDC00 ... 0xDFFF ~= low else {
                    throw JSONParseError(kind: .loneSurrogate, offset: backslash, message: "high surrogate \\u\(Self.hex(unit)) is not followed by a low surrogate")
                }
            } else if 0xDC00 ... 0xDFFF ~= unit {
                throw JSONParseError(kind: .loneSurrogate, offset: backslash, message: "low surrogate \\u\(Self.hex(unit)) without a high surrogate before it")
            }
        default:
            throw JSONParseError(kind: .invalidEscape, offset: backslash, message: "invalid escape: \(Self.show(letter)) after a backslash")
        }
    }

    private mutating func hexQuad(backslash: Int, stringStart: Int) throws(JSONParseError) -> UInt16 {
        for k in 0 ..< 4 {
            guard offset + k < bytes.count else {
                throw JSONParseError(kind: .unterminatedString, offset: stringStart, message: "unterminated string")
            }
            guard Self.hexDigit(bytes[offset + k]) != nil else {
                throw JSONParseError(kind: .invalidEscape, offset: backslash, message: "\\u needs four hex digits, found \(Self.show(bytes[offset + k]))")
            }
        }
        let unit = hexValue(at: offset)
        offset += 4
        return unit
    }

    /// Four hex digits known to be valid.
    private func hexValue(at index: Int) -> UInt16 {
        var unit: UInt16 = 0
        for k in 0 ..< 4 { unit = unit << 4 | UInt16(Self.hexDigit(bytes[index + k]) ?? 0) }
        return unit
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
        switch scalar {
        case 0 ..< 0x80:
            bytes.append(UInt8(scalar))
        case 0x80 ..< 0x800:
            bytes.append(UInt8(0xC0 | scalar >> 6))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800 ..< 0x10000:
            bytes.append(UInt8(0xE0 | scalar >> 12))
            bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        default:
            bytes.append(UInt8(0xF0 | scalar >> 18))
            bytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Checks one multi-byte UTF-8 sequence at `offset` and steps over it: no overlong forms, no
    /// surrogates, nothing above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[offset]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2 ... 0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1 ... 0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default:
            throw error(.invalidUTF8, "byte 0x\(Self.hex(lead)) cannot start a UTF-8 sequence")
        }
        for k in 1 ..< length {
            let position = offset + k
            guard position < bytes.count else {
                throw JSONParseError(kind: .invalidUTF8, offset: position, message: "the input ended inside a UTF-8 sequence")
            }
            let byte = bytes[position]
            guard byte >= lower, byte <= upper else {
                throw JSONParseError(kind: .invalidUTF8, offset: position, message: "byte 0x\(Self.hex(byte)) is not a valid continuation of a UTF-8 sequence")
            }
            lower = 0x80
            upper = 0xBF
        }
        offset += length
    }

    // MARK: - Errors

    /// An error of `kind` at the current offset.
    public func error(_ kind: JSONParseError.Kind, _ message: String) -> JSONParseError {
        JSONParseError(kind: kind, offset: offset, message: message)
    }

    private func unexpected(_ byte: UInt8, expecting expected: String) -> JSONParseError {
        JSONParseError(kind: .unexpectedCharacter, offset: offset, message: "unexpected \(Self.show(byte)), expected \(expected)")
    }

    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x21, byte < 0x7F { return "'\(String(decoding: [byte], as: UTF8.self))'" }
        return "byte 0x\(hex(byte))"
    }

    private static func hex(_ value: some FixedWidthInteger) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        let width = value.bitWidth / 4
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}
