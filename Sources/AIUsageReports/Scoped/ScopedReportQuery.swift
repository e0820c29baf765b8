import AIUsage

/// One validated `GET /ai_usage/report` question: exactly one scope (`job_id`, `batch_id`,
/// `user_id` or `environment`), a date range, and the answer's format.
///
/// Dates and values follow `UsageQuery.parse` to the letter (the same defaults, the same
/// 366-day limit, the same `[a-z0-9_.:-]{1,64}` values, the same messages).
public struct ScopedReportQuery: Sendable, Hashable {
    /// The answer's form.
    public typealias Format = ReportFormat

    public var scope: ReportScope
    public var start: CivilDate
    public var end: CivilDate
    public var format: Format

    public init(scope: ReportScope, start: CivilDate, end: CivilDate, format: Format = .json) {
        self.scope = scope
        self.start = start
        self.end = end
        self.format = format
    }

    /// Every parameter name the report knows.
    public static let parameterNames = ReportScope.Kind.allCases.map(\.parameterName) + ["start_date", "end_date", "format"]

    /// `job_id, batch_id, user_id or environment`.
    static let scopeChoices: String = {
        let names = ReportScope.Kind.allCases.map(\.parameterName)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }()

    /// Validates query-string parameters (name → every value given, in order).
    ///
    /// - Empty values count as not given; a parameter given more than once is refused.
    /// - Exactly one scope parameter must be given.
    /// - `today` is the UTC day `end_date` defaults to.
    public static func parse(_ parameters: [(name: String, values: [String])], today: CivilDate) throws(UsageQuery.Invalid) -> ScopedReportQuery {
        var scopes: [ReportScope.Kind] = []
        var formats: [String] = []
        var forwarded: [(name: String, values: [String])] = []
        for (name, values) in parameters {
            guard parameterNames.contains(name) else {
                throw UsageQuery.Invalid("unknown parameter '\(InputEcho.short(name))'; valid: \(parameterNames.joined(separator: ", "))")
            }
            let given = values.filter { !$0.isEmpty }
            if name == "format" {
                formats += given
                continue
            }
            if let kind = ReportScope.Kind.allCases.first(where: { $0.parameterName == name }), !given.isEmpty, !scopes.contains(kind) {
                scopes.append(kind)
            }
            forwarded.append((name, values))
        }
        let format = try ReportFormat.parse(formats)
        guard let kind = scopes.first else {
            throw UsageQuery.Invalid("give the report's scope: one of \(scopeChoices)")
        }
        guard scopes.count == 1 else {
            throw UsageQuery.Invalid(
                "give one scope only, one of \(scopeChoices); got \(scopes.map(\.parameterName).joined(separator: " and "))"
            )
        }
        // The dates, the value and repeats, checked exactly as `GET /ai_usage` checks them.
        let usage = try UsageQuery.parse(forwarded, today: today)
        let id: String? = switch kind {
        case .job: usage.jobId
        case .batch: usage.batchId
        case .user: usage.userId
        case .environment: usage.environment
        }
        guard let id else { throw UsageQuery.Invalid("give the report's scope: one of \(scopeChoices)") }
        return ScopedReportQuery(scope: ReportScope(kind, id), start: usage.start, end: usage.end, format: format)
    }

    /// The days of the range, both ends included.
    public var days: Int { end.daysSinceEpoch - start.daysSinceEpoch + 1 }

    /// The `query` member of the JSON answer: what was asked, after normalisation; the scope
    /// parameters not given are `null`.
    public var echo: JSONValue {
        var members = ReportScope.Kind.allCases.map { kind in
            JSONValue.Member(key: kind.parameterName, value: kind == scope.kind ? .string(scope.id) : .null)
        }
        members.append(.init(key: "start_date", value: .string(start.text)))
        members.append(.init(key: "end_date", value: .string(end.text)))
        members.append(.init(key: "format", value: .string(format.rawValue)))
        return .object(members)
    }

    /// A stable text naming this question exactly (for caching answers).
    public var cacheKey: String { "report:" + echo.serialized() }
}
