/// Comma-separated text as RFC 4180 defines it: records end in CRLF, and a field holding a comma,
/// a double quote, CR or LF is enclosed in double quotes with its quotes doubled. Every other
/// field is written as it is (any Unicode text, as UTF-8).
///
/// ```swift
/// var csv = CSVWriter(header: ["name", "cost_usd"])
/// csv.append(["a, \"b\"", "0.1"])
/// csv.text   // "name,cost_usd\r\n\"a, \"\"b\"\"\",0.1\r\n"
/// ```
public struct CSVWriter: Sendable {
    /// The text written so far: whole records, each ending in CRLF.
    public private(set) var text = ""
    /// The number of fields of the first record; every later one must have as many.
    public private(set) var width: Int?

    /// An empty document; `header`, when given, is its first record.
    public init(header: [String]? = nil) {
        if let header { append(header) }
    }

    /// Appends one record.
    ///
    /// - Precondition: it has as many fields as the first record (RFC 4180 §2.4).
    public mutating func append(_ fields: [String]) {
        if let width {
            precondition(fields.count == width, "a CSV record of \(fields.count) fields after one of \(width)")
        } else {
            width = fields.count
        }
        for (index, field) in fields.enumerated() {
            if index > 0 { text += "," }
            text += Self.field(field)
        }
        text += "\r\n"
    }

    /// One field as it appears in a record: quoted only when it must be.
    public static func field(_ value: String) -> String {
        let needsQuotes = value.utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }
        guard needsQuotes else { return value }
        var quoted = "\""
        for character in value.unicodeScalars {
            if character == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(character) }
        }
        return quoted + "\""
    }
}
