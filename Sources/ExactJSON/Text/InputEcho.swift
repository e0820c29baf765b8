/// How an error message quotes what a caller sent: a short prefix, with control characters
/// shown as `?`, so that a 1 MB path or a terminal escape never comes back in an answer or a log.
public enum InputEcho {
    /// At most this many characters of the input are echoed; a longer input ends in `…`.
    public static let defaultLimit = 80

    /// `text` cut to `limit` characters (then `…`), control characters replaced by `?`.
    public static func short(_ text: some StringProtocol, limit: Int = defaultLimit) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return result + "…" }
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029
            result.unicodeScalars.append(isControl ? "?" : scalar)
            count += 1
        }
        return result
    }
}
