import AIUsage
import AIUsageReports
import ArgumentParser
import DynamoDB
import Foundation

/// `ai-usage trends`: what `GET /ai_usage/trends` answers, as a table or its JSON.
struct TrendsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trends",
        abstract: "Week-over-week change, a month-end forecast and anomaly days.",
        discussion: """
            Reads the days it needs through the report path (closed days from rollups) and shows:
            - week over week: the 7 days ending --to against the 7 before, in total, per service \
            and per service and model, with the change in dollars and percent (none when the \
            previous week spent nothing: status 'new');
            - the month-end forecast for --to's month: the spend so far plus a least-squares line \
            over the month's complete days, projected to its last day (days projected below 0 \
            count as 0; today's partial spend counts, and today is projected at least that);
            - anomaly days per service: each of the last --anomaly-days days whose spend has a \
            z-score above --threshold against the --window days before it (zero days included; \
            a flat history is never an anomaly).
            Money has 4 decimals, percents and z-scores 2, rounded half-even once. Every formula \
            and the JSON shape: docs/trends.md.
            """
    )

    @OptionGroup var table: TableOptions
    @Option(help: ArgumentHelp("The last day, YYYY-MM-DD (default: today, UTC; not after today).", valueName: "date"))
    var to: String?
    @Option(help: ArgumentHelp("Only this service, e.g. openai (lower-cased).", valueName: "name"))
    var service: String?
    @Option(help: ArgumentHelp("Trailing days each examined day is compared with, 3 to 90 (default 14).", valueName: "days"))
    var window: String?
    @Option(help: ArgumentHelp("z-score above which a day is an anomaly, 0.5 to 10, e.g. 2.5 (default 2).", valueName: "z"))
    var threshold: String?
    @Option(help: ArgumentHelp("How many days, ending --to, are examined for anomalies, 1 to 90 (default 7).", valueName: "days"))
    var anomalyDays: String?
    @Option(help: "table (aligned text) or json (the API's body, one line).")
    var format: Format = .table

    /// The option each query parameter comes from, for messages.
    private static let optionNames = [
        "end_date": "--to", "service": "--service", "window": "--window", "threshold": "--threshold", "anomaly_days": "--anomaly-days",
    ]

    func run() async throws {
        try await reportingErrors {
            let today = UTCTimestamp.now().civilDate
            let parameters: [(name: String, values: [String])] = [
                ("end_date", to), ("service", service), ("window", window), ("threshold", threshold), ("anomaly_days", anomalyDays),
            ].compactMap { name, value in value.map { (name, [$0]) } }
            let query: TrendsQuery
            do {
                query = try TrendsQuery.parse(parameters, today: today) { Self.optionNames[$0] ?? $0 }
            } catch let invalid as UsageQuery.Invalid {
                throw CLIError(invalid.message)
            }
            let sharding = try table.sharding()
            let fetcher = UsageFetcher(client: try table.client(), tableName: try table.tableName(), sharding: sharding)
            let report = try await TrendsFetcher(fetcher: fetcher).trends(query, today: today)
            switch format {
            case .table: print(report.table, terminator: "")
            case .json: print(report.json.serialized())
            }
        }
    }

    /// What `--format` accepts.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }
}
