import AIUsage
/// One validated `GET /ai_usage` question: a date range, optional filters, and the
/// aggregations wanted. Building one is the only way in, so every query that reaches DynamoDB
/// has real dates, a bounded range and filter values that cannot reach into another key.
public struct UsageQuery: Sendable, Hashable {
    public var start: CivilDate
    public var end: CivilDate
    /// Lower-cased. `nil`: every service in the range.
    public var service: String?
    public var operation: String?
    public var model: String?
    public var jobId: String?
    public var batchId: String?
    public var userId: String?
    public var environment: String?
    /// Only the items whose `job_id` or `jobId` begins with this (`""`: every item with a job).
    /// Not an API parameter: budget checks of job prefix scopes set it. Never answered from
    /// rollups, which do not keep jobs.
    public var jobIdPrefix: String?
    /// In the order asked for, without repeats; never empty.
    public var aggregation: [AggregationLevel]
    /// The answer's form: the JSON report, or its cells as CSV (`UsageAggregate.csv`).
    public var format: ReportFormat

    /// The longest range one request may cover, in days (inclusive of both ends).
    public static let maximumDays = 366
    /// The default range when `start_date` is not given: `end_date` − 30 days.
    public static let defaultDays = 30
    /// Every parameter name the API knows.
    public static let parameterNames = [
        "start_date", "end_date", "service", "operation", "model", "job_id", "batch_id", "user_id", "environment", "aggregation",
        "format",
    ]

    public init(
        start: CivilDate,
        end: CivilDate,
        service: String? = nil,
        operation: String? = nil,
        model: String? = nil,
        jobId: String? = nil,
        batchId: String? = nil,
        userId: String? = nil,
        environment: String? = nil,
        jobIdPrefix: String? = nil,
        aggregation: [AggregationLevel] = [.day],
        format: ReportFormat = .json
    ) {
        self.start = start
        self.end = end
        self.service = service
        self.operation = operation
        self.model = model
        self.jobId = jobId
        self.batchId = batchId
        self.userId = userId
        self.environment = environment
        self.jobIdPrefix = jobIdPrefix
        self.aggregation = aggregation.isEmpty ? [.day] : aggregation
        self.format = format
    }

    /// A parameter the API refuses, with the message the 400 answer carries.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Validates query-string parameters (name → every value given, in order).
    ///
    /// - Empty values count as not given (`service=` means every service).
    /// - A parameter given more than once is refused, except `aggregation`, whose values join.
    /// - `today` is the UTC day that `end_date` defaults to.
    public static func parse(_ parameters: [(name: String, values: [String])], today: CivilDate) throws(Invalid) -> UsageQuery {
        var single: [String: String] = [:]
        var aggregationTexts: [String] = []
        var formats: [String] = []
        for (name, values) in parameters {
            guard parameterNames.contains(name) else {
                throw Invalid("unknown parameter '\(printable(name))'; valid: \(parameterNames.joined(separator: ", "))")
            }
            let given = values.filter { !$0.isEmpty }
            if name == "aggregation" {
                aggregationTexts += given
                continue
            }
            if name == "format" {
                formats += given
                continue
            }
            guard single[name] == nil, given.count <= 1 else {
                throw Invalid("\(name) is given \(given.count + (single[name] == nil ? 0 : 1)) times; give it once")
            }
            if let value = given.first { single[name] = value }
        }

        let end = try date("end_date", single["end_date"]) ?? today
        let start = try date("start_date", single["start_date"]) ?? end.adding(days: -defaultDays)
        guard start <= end else { throw Invalid("start_date \(start) is after end_date \(end)") }
        let days = end.daysSinceEpoch - start.daysSinceEpoch + 1
        guard days <= maximumDays else {
            throw Invalid("the range \(start)..\(end) is \(days) days; at most \(maximumDays) are allowed")
        }

        var levels: [AggregationLevel] = []
        for text in aggregationTexts {
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let name = part.trimmingWhitespace()
                if name.isEmpty { continue }
                guard let level = AggregationLevel(rawValue: name.lowercased()) else {
                    throw Invalid("unknown aggregation '\(printable(name))'; valid: \(AggregationLevel.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if !levels.contains(level) { levels.append(level) }
            }
        }

        return UsageQuery(
            start: start, end: end,
            service: try value("service", single["service"]?.lowercased()),
            operation: try value("operation", single["operation"]),
            model: try value("model", single["model"]),
            jobId: try value("job_id", single["job_id"]),
            batchId: try value("batch_id", single["batch_id"]),
            userId: try value("user_id", single["user_id"]),
            environment: try value("environment", single["environment"]),
            aggregation: levels,
            format: try ReportFormat.parse(formats)
        )
    }

    private static func date(_ name: String, _ text: String?) throws(Invalid) -> CivilDate? {
        guard let text else { return nil }
        guard let date = CivilDate(text) else { throw Invalid("\(name) must be a real date as YYYY-MM-DD, got '\(printable(text))'") }
        return date
    }

    /// `[a-z0-9_.:-]{1,64}`: what a key or filter value may hold.
    private static func value(_ name: String, _ text: String?) throws(Invalid) -> String? {
        guard let text else { return nil }
        let allowed = text.utf8.count <= 64 && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: false
            }
        }
        guard allowed else { throw Invalid("\(name) must match [a-z0-9_.:-]{1,64}, got '\(printable(text))'") }
        return text
    }

    /// Echo of user input in a message: at most 80 characters, control characters shown as `?`.
    private static func printable(_ text: some StringProtocol) -> String {
        InputEcho.short(text)
    }

    /// The `query` member of the answer: what was asked, after normalisation.
    public var echo: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return .object([
            .init(key: "service", value: text(service)),
            .init(key: "operation", value: text(operation)),
            .init(key: "model", value: text(model)),
            .init(key: "job_id", value: text(jobId)),
            .init(key: "batch_id", value: text(batchId)),
            .init(key: "user_id", value: text(userId)),
            .init(key: "environment", value: text(environment)),
            .init(key: "start_date", value: .string(start.text)),
            .init(key: "end_date", value: .string(end.text)),
            .init(key: "aggregation", value: .array(aggregation.map { .string($0.rawValue) })),
        ])
    }

    /// A stable text naming this query exactly (for caching answers).
    public var cacheKey: String {
        echo.serialized() + (jobIdPrefix.map { "\u{1F}job_prefix=\($0)" } ?? "") + (format == .json ? "" : "\u{1F}format=\(format.rawValue)")
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
