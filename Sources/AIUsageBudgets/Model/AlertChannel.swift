import AIUsage

/// Where an alert goes: a generic webhook (JSON, signed with HMAC-SHA256), a Slack incoming
/// webhook, or standard output (local runs).
public enum AlertChannel: Sendable, Hashable, CustomStringConvertible {
    case webhook(url: String)
    case slack(url: String)
    case stdout

    /// Parses `webhook:https://…`, `slack:https://hooks.slack.com/…` or `stdout`. URLs must be
    /// `http://` or `https://`, printable ASCII without spaces, at most 2048 bytes.
    public init(parsing text: String) throws(BudgetError) {
        if text == "stdout" {
            self = .stdout
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw BudgetError.invalid("channel '\(InputEcho.short(Self.masked(text), limit: 60))' must be webhook:<url>, slack:<url> or stdout")
        }
        guard parts[0] == "webhook" || parts[0] == "slack" else {
            throw BudgetError.invalid("unknown channel type '\(InputEcho.short(parts[0], limit: 30))'; use webhook:<url>, slack:<url> or stdout")
        }
        let url = String(parts[1])
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= 2048, url.utf8.count > 8,
              url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw BudgetError.invalid("channel \(parts[0]): the URL must start with https:// or http:// and hold printable ASCII without spaces (at most 2048 bytes)")
        }
        self = parts[0] == "webhook" ? .webhook(url: url) : .slack(url: url)
    }

    /// Parses a comma-separated list (empty: none).
    public static func parseList(_ text: String) throws(BudgetError) -> [AlertChannel] {
        var channels: [AlertChannel] = []
        for part in text.split(separator: ",") where !part.isEmpty {
            let channel = try AlertChannel(parsing: String(part))
            if !channels.contains(channel) { channels.append(channel) }
        }
        return channels
    }

    /// The stored form, URL included (the table is the configuration's home).
    public var text: String {
        switch self {
        case .webhook(let url): "webhook:\(url)"
        case .slack(let url): "slack:\(url)"
        case .stdout: "stdout"
        }
    }

    /// For logs and listings: the URL's scheme and host only (a Slack webhook's path is its
    /// secret).
    public var description: String {
        switch self {
        case .webhook(let url): "webhook:\(Self.masked(url))"
        case .slack(let url): "slack:\(Self.masked(url))"
        case .stdout: "stdout"
        }
    }

    /// `https://hooks.slack.com/…`: the scheme and host, then an ellipsis.
    static func masked(_ url: String) -> String {
        let scheme: String
        if url.hasPrefix("https://") { scheme = "https://" } else if url.hasPrefix("http://") { scheme = "http://" } else { return "…" }
        let rest = url.dropFirst(scheme.count)
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var host = rest[..<hostEnd]
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        let tail = hostEnd == rest.endIndex ? "" : "/…"
        return scheme + String(host) + tail
    }

    /// A stable id for outbox entries: `webhook`, `slack`, `stdout` plus a short hash of the URL.
    var key: String {
        switch self {
        case .webhook(let url): "webhook-\(String(FNV1a.hash64(url.utf8), radix: 16))"
        case .slack(let url): "slack-\(String(FNV1a.hash64(url.utf8), radix: 16))"
        case .stdout: "stdout"
        }
    }
}
