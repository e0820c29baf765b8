/// How an error message quotes what a caller sent: a short prefix, with control characters
/// shown as `?`, so that a 1 MB path or a terminal escape never comes back in an answer or a log.
/// Bidirectional controls (U+200E/F, U+202A–U+202E, U+2066–U+2069) count as control characters:
/// echoed, they would reorder the text around them wherever the message is shown.
public enum InputEcho {
    /// At most this many characters of the input are echoed; a longer input ends in `…`.
    public static let defaultLimit = 80

    /// `text` cut to `limit` characters (then `…`), control and bidirectional characters replaced by `?`.
    public static func short(_ text: some StringProtocol, limit: Int = defaultLimit) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return result + "…" }
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029
                || scalar.value == 0x200E || scalar.value == 0x200F
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
            result.unicodeScalars.append(isControl ? "?" : scalar)
            count += 1
        }
        return result
    }
}
