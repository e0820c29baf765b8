/// Why JSON text could not be parsed, and where.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of malformed input.
    public enum Kind: Sendable, Hashable {
        /// The input ended where more was needed (`[1,`, `{"a"`, empty input).
        case unexpectedEnd
        /// A byte that cannot start or continue the construct here (a trailing comma's `]`, `'`).
        case unexpectedCharacter
        /// A number outside JSON's grammar (`01`, `1.`, `-`, `1e`).
        case invalidNumber
        /// A string without its closing quote; the offset is its opening quote.
        case unterminatedString
        /// An unknown escape or bad `\u` hex digits; the offset is the backslash.
        case invalidEscape
        /// A `\u` escape of a UTF-16 surrogate that is not part of a high-low pair; the offset is
        /// the backslash. Such text cannot be a Swift `String`, so it is rejected, not replaced.
        case loneSurrogate
        /// An unescaped control character (U+0000…U+001F) inside a string.
        case controlCharacterInString
        /// Bytes inside a string that are not well-formed UTF-8.
        case invalidUTF8
        /// Arrays and objects nested deeper than `JSONValue.maximumDepth`; the offset is the
        /// bracket that opens one level too many.
        case tooDeep
        /// Something other than white space after the complete value.
        case trailingCharacters
    }

    /// What is wrong.
    public let kind: Kind
    /// The zero-based byte offset in the input where the problem was found.
    public let offset: Int
    /// A human-readable explanation.
    public let message: String

    /// An error of `kind` at `offset`.
    public init(kind: Kind, offset: Int, message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    /// "`message` at byte `offset`".
    public var description: String { "\(message) at byte \(offset)" }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects `parse(_:)` accepts: 512.
    public static let maximumDepth = 512

    /// Parses UTF-8 JSON text (RFC 8259): any value at the top, white space around it, nothing
    /// else. Numbers keep their text exactly (`.number("1e-05")`); strings must be well-formed
    /// UTF-8, escapes are decoded (surrogate pairs joined; a lone surrogate is an error); object
    /// members keep their order, duplicates included. No byte-order mark, comments or trailing
    /// commas. Nesting deeper than `maximumDepth` is an error, never a stack overflow: the parser
    /// keeps its own stack. Any size.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let outcome = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(bytes: buffer)
            return parser.parseDocumentResult()
        }
        if let outcome { return try outcome.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            return parser.parseDocumentResult()
        }.get()
    }

    /// Parses JSON text, as `parse(_:)` on its UTF-8 bytes.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8)
    }
}

/// A parser over contiguous bytes, with an explicit stack for arrays and objects.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Reused for strings with escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// An array or object whose elements are being parsed.
    private struct Frame {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [JSONValue.Member] = []
        /// The key of the member whose value comes next.
        var key = ""
    }

    mutating func parseDocumentResult() -> Result<JSONValue, JSONParseError> {
        do throws(JSONParseError) {
            return .success(try parseDocument())
        } catch {
            return .failure(error)
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        var stack: [Frame] = []
        var value: JSONValue
        parsing: while true {
            skipWhitespace()
            guard index < bytes.count else {
                throw error(.unexpectedEnd, "expected a value but the input ended")
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "["):
                guard stack.count < JSONValue.maximumDepth else {
                    throw error(.tooDeep, "arrays and objects are nested more than \(JSONValue.maximumDepth) deep")
                }
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    value = .array([])
                } else {
                    stack.append(Frame(isObject: false))
                    continue parsing
                }
            case UInt8(ascii: "{"):
                guard stack.count < JSONValue.maximumDepth else {
                    throw error(.tooDeep, "arrays and objects are nested more than \(JSONValue.maximumDepth) deep")
                }
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    value = .object([])
                } else {
                    let key = try parseKey()
                    stack.append(Frame(isObject: true, key: key))
                    continue parsing
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"):
                value = .number(try parseNumber())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            default:
                throw unexpected(byte, expecting: "a value")
            }

            // Hand the finished value to the enclosing containers, closing those that end here.
            while !stack.isEmpty {
                let top = stack.count - 1
                skipWhitespace()
                if stack[top].isObject {
                    stack[top].members.append(JSONValue.Member(key: stack[top].key, value: value))
                    guard index < bytes.count else {
                        throw error(.unexpectedEnd, "expected ',' or '}' but the input ended")
                    }
                    switch bytes[index] {
                    case UInt8(ascii: ","):
                        index += 1
                        skipWhitespace()
                        stack[top].key = try parseKey()
                        continue parsing
                    case UInt8(ascii: "}"):
                        index += 1
                        value = .object(stack.removeLast().members)
                    default:
                        throw unexpected(bytes[index], expecting: "',' or '}'")
                    }
                } else {
                    stack[top].elements.append(value)
                    guard index < bytes.count else {
                        throw error(.unexpectedEnd, "expected ',' or ']' but the input ended")
                    }
                    switch bytes[index] {
                    case UInt8(ascii: ","):
                        index += 1
                        continue parsing
                    case UInt8(ascii: "]"):
                        index += 1
                        value = .array(stack.removeLast().elements)
                    default:
                        throw unexpected(bytes[index], expecting: "',' or ']'")
                    }
                }
            }
            skipWhitespace()
            guard index == bytes.count else {
                throw error(.trailingCharacters, "unexpected \(Self.show(bytes[index])) after the JSON value")
            }
            return value
        }
    }

    // MARK: Tokens

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// A member's key and the `:` after it; white space before it is already skipped.
    mutating func parseKey() throws(JSONParseError) -> String {
        guard index < bytes.count else {
            throw error(.unexpectedEnd, "expected a string key but the input ended")
        }
        guard bytes[index] == UInt8(ascii: "\"") else {
            throw unexpected(bytes[index], expecting: "a string key")
        }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count else {
            throw error(.unexpectedEnd, "expected ':' but the input ended")
        }
        guard bytes[index] == UInt8(ascii: ":") else {
            throw unexpected(bytes[index], expecting: "':' after an object key")
        }
        index += 1
        return key
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        for k in 0 ..< count {
            guard index < bytes.count else {
                throw error(.unexpectedEnd, "expected '\(literal)' but the input ended")
            }
            guard bytes[index] == start[k] else {
                throw unexpected(bytes[index], expecting: "'\(literal)'")
            }
            index += 1
        }
    }

    /// A number's text, validated against JSON's grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw error(.invalidNumber, "expected a digit in a number")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw error(.invalidNumber, "a number cannot have a leading zero")
            }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw error(.invalidNumber, "expected a digit after the decimal point")
            }
            skipDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw error(.invalidNumber, "expected a digit in the exponent")
            }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    // MARK: Strings

    /// A string from its opening quote (at `index`) to past its closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let quote = index
        index += 1
        let contentStart = index
        var runStart = index
        var escaped = false
        while true {
            guard index < bytes.count else {
                throw JSONParseError(kind: .unterminatedString, offset: quote, message: "unterminated string")
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text: String
                if escaped {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart ..< index]))
                    text = String(decoding: scratch, as: UTF8.self)
                } else {
                    text = String(decoding: UnsafeBufferPointer(rebasing: bytes[contentStart ..< index]), as: UTF8.self)
                }
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") {
                if !escaped {
                    escaped = true
                    scratch.removeAll(keepingCapacity: true)
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart ..< index]))
                try parseEscape(stringStart: quote)
                runStart = index
            } else if byte < 0x20 {
                throw error(.controlCharacterInString, "control character \(Self.show(byte)) must be escaped in a string")
            } else if byte < 0x80 {
                index += 1
            } else {
                try skipUTF8Sequence()
            }
        }
    }

    /// One escape from its backslash (at `index`), decoded into `scratch`.
    private mutating func parseEscape(stringStart: Int) throws(JSONParseError) {
        let backslash = index
        guard index + 1 < bytes.count else {
            throw JSONParseError(kind: .unterminatedString, offset: stringStart, message: "unterminated string")
        }
        let letter = bytes[index + 1]
        index += 2
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(letter)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hexQuad(backslash: backslash, stringStart: stringStart)
            var scalar = UInt32(unit)
            if 0xD800 ... 0xDBFF ~= unit {
                let lowStart = index
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(
                        kind: .loneSurrogate, offset: backslash,
                        message: "high surrogate \\u\(Self.hex(unit)) is not followed by a low surrogate"
                    )
                }
                index += 2
                let low = try hexQuad(backslash: lowStart, stringStart: stringStart)
                guard 0xDC00 ... 0xDFFF ~= low else {
                    throw JSONParseError(
                        kind: .loneSurrogate, offset: backslash,
                        message: "high surrogate \\u\(Self.hex(unit)) is not followed by a low surrogate"
                    )
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if 0xDC00 ... 0xDFFF ~= unit {
                throw JSONParseError(
                    kind: .loneSurrogate, offset: backslash,
                    message: "low surrogate \\u\(Self.hex(unit)) without a high surrogate before it"
                )
            }
            appendUTF8(scalar)
        default:
            throw JSONParseError(
                kind: .invalidEscape, offset: backslash,
                message: "invalid escape: \(Self.show(letter)) after a backslash"
            )
        }
    }

    /// Four hex digits at `index`, consumed.
    private mutating func hexQuad(backslash: Int, stringStart: Int) throws(JSONParseError) -> UInt16 {
        var unit: UInt16 = 0
        for _ in 0 ..< 4 {
            guard index < bytes.count else {
                throw JSONParseError(kind: .unterminatedString, offset: stringStart, message: "unterminated string")
            }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw JSONParseError(
                    kind: .invalidEscape, offset: backslash,
                    message: "\\u needs four hex digits, found \(Self.show(byte))"
                )
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0 ..< 0x80:
            scratch.append(UInt8(scalar))
        case 0x80 ..< 0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800 ..< 0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Checks one multi-byte UTF-8 sequence at `index` (its lead byte is ≥ 0x80) and steps over it:
    /// no overlong forms, no surrogates, nothing above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[index]
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
            let position = index + k
            guard position < bytes.count else {
                throw JSONParseError(kind: .invalidUTF8, offset: position, message: "the input ended inside a UTF-8 sequence")
            }
            let byte = bytes[position]
            guard byte >= lower, byte <= upper else {
                throw JSONParseError(
                    kind: .invalidUTF8, offset: position,
                    message: "byte 0x\(Self.hex(byte)) is not a valid continuation of a UTF-8 sequence"
                )
            }
            lower = 0x80
            upper = 0xBF
        }
        index += length
    }

    // MARK: Errors

    private func error(_ kind: JSONParseError.Kind, _ message: String) -> JSONParseError {
        JSONParseError(kind: kind, offset: index, message: message)
    }

    private func unexpected(_ byte: UInt8, expecting expected: String) -> JSONParseError {
        JSONParseError(kind: .unexpectedCharacter, offset: index, message: "unexpected \(Self.show(byte)), expected \(expected)")
    }

    /// A byte for a message: `'x'` when printable ASCII, otherwise `byte 0x0A`.
    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x21, byte < 0x7F {
            return "'\(String(decoding: [byte], as: UTF8.self))'"
        }
        return "byte 0x\(hex(byte))"
    }

    private static func hex(_ value: some FixedWidthInteger) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        let width = value.bitWidth / 4
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}
