/// What may stand as the host of a URL handed to libcurl: a host name or IPv4 address (letters,
/// digits, `-`, `.`, `_`, at most 253 bytes) or a bracketed IPv6 address. Nothing that a URL
/// would read as user information, a port, a path or a second host passes.
public enum URLHost {
    public static func isValid(_ host: Substring) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return false }
            return host.dropFirst().dropLast().unicodeScalars.allSatisfy {
                ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) || $0 == ":" || $0 == "."
            }
        }
        return host.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_"
        }
    }
}
