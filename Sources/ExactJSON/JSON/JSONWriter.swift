extension JSONValue {
    /// Compact JSON text: no white space, object members in stored order, strings escaped per
    /// RFC 8259, numbers written as their text, so money never goes through `Double`.
    ///
    /// Strings: `"` and `\` are escaped, control characters as `\b \f \n \r \t` where JSON has a
    /// short escape and `\u00XX` (lowercase hex) otherwise; `/` and non-ASCII text are written as
    /// they are (UTF-8).
    public func serialized() -> String {
        serialized(pretty: false)
    }

    /// JSON text, compact or, when `pretty`, with each element and member on its own line,
    /// indented by two spaces, and `": "` after keys (empty arrays and objects stay `[]` and `{}`).
    public func serialized(pretty: Bool) -> String {
        String(decoding: serializedBytes(pretty: pretty), as: UTF8.self)
    }

    /// The UTF-8 bytes of `serialized(pretty:)`, for writing to a socket or file without a `String`.
    public func serializedBytes(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.write(self)
        return writer.output
    }
}

/// Writes JSON into one growing byte buffer.
private struct JSONWriter {
    let pretty: Bool
    var output: [UInt8] = []
    var depth = 0

    init(pretty: Bool) {
        self.pretty = pretty
        output.reserveCapacity(1024)
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .string(let text):
            writeString(text)
        case .number(let text):
            writeNumber(text)
        case .array(let elements):
            if elements.isEmpty {
                append("[]")
                return
            }
            output.append(UInt8(ascii: "["))
            depth += 1
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline()
                write(element)
            }
            depth -= 1
            newline()
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty {
                append("{}")
                return
            }
            output.append(UInt8(ascii: "{"))
            depth += 1
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline()
                writeString(member.key)
                output.append(UInt8(ascii: ":"))
                if pretty { output.append(UInt8(ascii: " ")) }
                write(member.value)
            }
            depth -= 1
            newline()
            output.append(UInt8(ascii: "}"))
        }
    }

    private mutating func append(_ text: StaticString) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// In pretty mode, a line break and the indentation of the current depth.
    private mutating func newline() {
        guard pretty else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }

    /// Valid JSON number text as it is; other text `ExactDecimal` understands in its canonical form;
    /// anything else as `null`, so the output stays valid JSON.
    private mutating func writeNumber(_ text: String) {
        if isJSONNumber(text.utf8) {
            output.append(contentsOf: text.utf8)
        } else if let decimal = ExactDecimal(text) {
            output.append(contentsOf: decimal.description.utf8)
        } else {
            append("null")
        }
    }

    private mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for position in 0 ..< bytes.count {
                let byte = bytes[position]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < position {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart ..< position]))
                }
                runStart = position + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default:
                    let hexDigits: StaticString = "0123456789abcdef"
                    output.append(UInt8(ascii: "u"))
                    output.append(UInt8(ascii: "0"))
                    output.append(UInt8(ascii: "0"))
                    output.append(hexDigits.utf8Start[Int(byte >> 4)])
                    output.append(hexDigits.utf8Start[Int(byte & 0x0F)])
                }
            }
            if runStart < bytes.count {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// Whether `text` is JSON number grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
private func isJSONNumber(_ text: String.UTF8View) -> Bool {
    var iterator = text.makeIterator()
    var byte = iterator.next()
    func isDigit(_ value: UInt8?) -> Bool {
        guard let value else { return false }
        return value &- 0x30 < 10
    }
    if byte == UInt8(ascii: "-") { byte = iterator.next() }
    guard isDigit(byte) else { return false }
    if byte == UInt8(ascii: "0") {
        byte = iterator.next()
    } else {
        repeat { byte = iterator.next() } while isDigit(byte)
    }
    if byte == UInt8(ascii: ".") {
        byte = iterator.next()
        guard isDigit(byte) else { return false }
        repeat { byte = iterator.next() } while isDigit(byte)
    }
    if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
        byte = iterator.next()
        if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { byte = iterator.next() }
        guard isDigit(byte) else { return false }
        repeat { byte = iterator.next() } while isDigit(byte)
    }
    return byte == nil
}
