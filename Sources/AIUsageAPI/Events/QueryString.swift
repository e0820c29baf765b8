/// The query string of a URL as `application/x-www-form-urlencoded` text.
enum QueryString {
    /// The parameters of `raw` (without the `?`): pairs split on `&` (empty pairs skipped), name
    /// and value split at the first `=` (a pair without one has the value `""`), both
    /// percent-decoded with `+` as a space. Repeated names keep every value, in order.
    static func parse(_ raw: String) -> [QueryParameter] {
        var list = QueryParameterList()
        let bytes = Array(raw.utf8)
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                list.append(
                    name: decode(pair[pair.startIndex ..< equals]),
                    value: decode(pair[(equals + 1)...])
                )
            } else {
                list.append(name: decode(pair), value: "")
            }
        }
        return list.parameters
    }

    /// Percent-decodes `bytes`, `+` becoming a space. A `%` not followed by two hex digits stays as
    /// it is; decoded bytes that are not UTF-8 become U+FFFD (as browsers and the WHATWG URL
    /// standard do).
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), bytes.endIndex - index >= 3,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
                continue
            } else {
                output.append(byte)
            }
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
