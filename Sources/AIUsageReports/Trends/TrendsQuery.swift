import AIUsage

/// One validated `GET /ai_usage/trends` question: the last day, an optional service, and the
/// anomaly test's trailing window, z threshold and number of days examined (docs/trends.md).
/// `parse` is the only way in, so every query has a real, past or present day and bounded sizes.
public struct TrendsQuery: Sendable, Hashable {
    /// The last day considered (inclusive); never after the `today` it was parsed with.
    public let end: CivilDate
    /// Lower-cased. `nil`: every service.
    public let service: String?
    /// The trailing days each examined day is compared with.
    public let window: Int
    /// A day is an anomaly when its z-score is above this.
    public let threshold: ExactDecimal
    /// How many days, ending with `end`, are examined for anomalies.
    public let anomalyDays: Int

    /// Every parameter name the trends API knows.
    public static let parameterNames = ["end_date", "service", "window", "threshold", "anomaly_days"]
    /// `window`: default 14, from 3 to 90 days.
    public static let defaultWindow = 14
    public static let windowRange = 3...90
    /// `threshold`: default 2, from 0.5 to 10.
    public static let defaultThreshold: ExactDecimal = 2
    public static let thresholdRange = ExactDecimal(significand: 5, scale: 1)...ExactDecimal(10)
    /// `anomaly_days`: default 7, from 1 to 90.
    public static let defaultAnomalyDays = 7
    public static let anomalyDaysRange = 1...90

    init(end: CivilDate, service: String? = nil, window: Int = defaultWindow, threshold: ExactDecimal = defaultThreshold, anomalyDays: Int = defaultAnomalyDays) {
        self.end = end
        self.service = service
        self.window = window
        self.threshold = threshold
        self.anomalyDays = anomalyDays
    }

    /// Validates query-string parameters (name → every value given, in order), as
    /// `UsageQuery.parse` does: empty values count as not given; an unknown or repeated parameter
    /// is refused. `today` is the UTC day `end_date` defaults to, and the latest it may be.
    public static func parse(_ parameters: [(name: String, values: [String])], today: CivilDate) throws(UsageQuery.Invalid) -> TrendsQuery {
        try parse(parameters, today: today, naming: { $0 })
    }

    /// `parse(_:today:)`, with messages that call each parameter `naming(name)` (the CLI names
    /// its options: `--to`, `--window`, …).
    public static func parse(
        _ parameters: [(name: String, values: [String])], today: CivilDate, naming: (String) -> String
    ) throws(UsageQuery.Invalid) -> TrendsQuery {
        var single: [String: String] = [:]
        for (name, values) in parameters {
            guard parameterNames.contains(name) else {
                throw UsageQuery.Invalid("unknown parameter '\(InputEcho.short(name))'; valid: \(parameterNames.joined(separator: ", "))")
            }
            let given = values.filter { !$0.isEmpty }
            guard single[name] == nil, given.count <= 1 else {
                throw UsageQuery.Invalid("\(naming(name)) is given \(given.count + (single[name] == nil ? 0 : 1)) times; give it once")
            }
            if let value = given.first { single[name] = value }
        }

        var end = today
        if let text = single["end_date"] {
            guard let date = CivilDate(text) else {
                throw UsageQuery.Invalid("\(naming("end_date")) must be a real date as YYYY-MM-DD, got '\(InputEcho.short(text))'")
            }
            guard date <= today else {
                throw UsageQuery.Invalid("\(naming("end_date")) \(date) is after today (\(today), UTC); give a day that has begun")
            }
            end = date
        }

        var service: String?
        if let text = single["service"] {
            let lowered = text.lowercased()
            // The one rule for filter values is UsageQuery's; its message names our parameter.
            do {
                _ = try UsageQuery.parse([("service", [lowered])], today: today)
            } catch {
                throw UsageQuery.Invalid("\(naming("service")) must match [a-z0-9_.:-]{1,64}, got '\(InputEcho.short(lowered))'")
            }
            service = lowered
        }

        let window = try wholeNumber(single["window"], name: naming("window"), range: windowRange, default: defaultWindow)
        let anomalyDays = try wholeNumber(single["anomaly_days"], name: naming("anomaly_days"), range: anomalyDaysRange, default: defaultAnomalyDays)

        var threshold = defaultThreshold
        if let text = single["threshold"] {
            guard let value = ExactDecimal(text), thresholdRange.contains(value) else {
                throw UsageQuery.Invalid(
                    "\(naming("threshold")) must be a decimal z-score from \(thresholdRange.lowerBound) to \(thresholdRange.upperBound) (such as 2.5), got '\(InputEcho.short(text))'"
                )
            }
            threshold = value
        }
        return TrendsQuery(end: end, service: service, window: window, threshold: threshold, anomalyDays: anomalyDays)
    }

    /// A whole number of days in `range`, or `fallback` when not given.
    private static func wholeNumber(_ text: String?, name: String, range: ClosedRange<Int>, default fallback: Int) throws(UsageQuery.Invalid) -> Int {
        guard let text else { return fallback }
        guard text.utf8.count <= 4, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(text), range.contains(value) else {
            throw UsageQuery.Invalid("\(name) must be a whole number of days from \(range.lowerBound) to \(range.upperBound), got '\(InputEcho.short(text))'")
        }
        return value
    }

    /// The `query` member of the answer: what was asked, after defaults and normalisation.
    public var echo: JSONValue {
        .object([
            .init(key: "end_date", value: .string(end.text)),
            .init(key: "service", value: service.map { .string($0) } ?? .null),
            .init(key: "window", value: .number(window)),
            .init(key: "threshold", value: .number(threshold)),
            .init(key: "anomaly_days", value: .number(anomalyDays)),
        ])
    }

    /// A stable text naming this query exactly (for caching answers).
    public var cacheKey: String { echo.serialized() }
}
