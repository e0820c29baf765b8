import AIUsage

/// The form of a report's answer: the `format` query parameter of `GET /ai_usage` and
/// `GET /ai_usage/report`.
public enum ReportFormat: String, Sendable, Hashable, CaseIterable {
    /// `application/json` (the default).
    case json
    /// `text/csv`, RFC 4180.
    case csv

    /// The format the values of `format` name (already without empty values): `json` when none is
    /// given, case-insensitive; more than one value, or an unknown one, is refused.
    static func parse(_ given: [String]) throws(UsageQuery.Invalid) -> ReportFormat {
        guard given.count <= 1 else { throw UsageQuery.Invalid("format is given \(given.count) times; give it once") }
        guard let text = given.first else { return .json }
        guard let known = ReportFormat(rawValue: text.lowercased()) else {
            throw UsageQuery.Invalid("format must be json or csv, got '\(InputEcho.short(text))'")
        }
        return known
    }
}
