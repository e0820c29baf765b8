/// A path this API answers, under any stage or base-path prefix.
///
/// `Route.aiUsage` matches `/ai_usage`, `/ai_usage/`, `/prod/ai_usage` and `/v1/api/ai_usage/`, and
/// not `/ai_usage_x`, `/ai_usagex` or `/other`: the route must be the whole last segment of the
/// path. Matching is exact (case-sensitive) on the raw path.
public struct Route: Sendable, Hashable {
    /// The route's own path, starting with `/` (`/ai_usage`).
    public let path: String

    /// The route `path`; a missing leading `/` is added and a trailing `/` removed, so
    /// `Route("ai_usage/")` is `Route("/ai_usage")`.
    public init(_ path: String) {
        var normalised = path
        while normalised.count > 1, normalised.hasSuffix("/") {
            normalised.removeLast()
        }
        if !normalised.hasPrefix("/") {
            normalised = "/" + normalised
        }
        self.path = normalised
    }

    /// `GET /ai_usage`, the report.
    public static let aiUsage = Route("/ai_usage")
    /// `GET /ai_usage/report`, a scoped report (job, batch, user or environment).
    public static let report = Route("/ai_usage/report")
    /// `GET /ai_usage/trends`.
    public static let trends = Route("/ai_usage/trends")
    /// `GET /ai_usage/budgets`: the budgets and where each subject stands.
    public static let budgets = Route("/ai_usage/budgets")
    /// `GET /ai_usage/dashboard`: the HTML page.
    public static let dashboard = Route("/ai_usage/dashboard")
    /// Every route, the longest first (so `/ai_usage/report` is never taken for `/ai_usage`).
    public static let all = [dashboard, report, trends, budgets, aiUsage]

    /// Whether a request for `path` is for this route: `path` is the route, or ends with `/` and
    /// the route's segments, optionally followed by one `/`.
    public func matches(path candidate: String) -> Bool {
        var requested = candidate.utf8[...]
        if requested.count > 1, requested.last == UInt8(ascii: "/") {
            requested = requested.dropLast()
        }
        let own = path.utf8
        guard requested.count >= own.count else { return false }
        return requested.suffix(own.count).elementsEqual(own)
    }
}
