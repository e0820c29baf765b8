import AIUsage
import AIUsageReports
import ArgumentParser
import DynamoDB
import Foundation

/// `ai-usage report`: the scoped report of one job, batch, user or environment.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Cost report for the whole table, or for one job, batch, user or environment, over a date range.",
        discussion: """
            Without a scope, reports the whole table as GET /ai_usage does: the table form \
            lists one row per day, service, model and operation (cost rounded to 4 places) under \
            the totals; --format json prints the API's answer (by_day, by_service, by_model, \
            by_operation); --format csv prints exactly the rows of GET /ai_usage?format=csv, with \
            exact costs. --service, --model and --operation narrow it.

            With a scope, gives the totals (cost, tokens, calls, cost per call), the breakdowns by service, \
            model, operation and day, the top models, and the first and last call; for a job or \
            a batch also its duration and how many of its calls failed. Sums are exact; the table \
            and JSON round costs half-even to 4 places (averages to 6), CSV gives exact costs.

            Every scope is complete, whichever context an item's index key names:
              --job-id     the job's own GSI3 partition: its items only;
              --batch-id   every raw item of the range (GSI2), filtered on the server;
              --user-id, --environment
                           closed days from the daily rollups, open days raw, then the
                           raw items of the first and last day with calls (exact times).
            Days are UTC; a range has at most 366 days. More: docs/reports.md.

            Settings come from the environment, as for the API: DYNAMODB_TABLE_NAME (or --table), \
            AWS_*, AI_USAGE_INDEX_SHARDS, AI_USAGE_ROLLUPS and AI_USAGE_QUERY_CONCURRENCY.

            Examples:
              ai-usage report --from 2026-11-01 --to 2026-11-30 --format csv --output november.csv
              ai-usage report --job-id nightly-ocr --from 2026-11-01 --to 2026-11-30
              ai-usage report --user-id alice --format csv --output alice.csv
            """
    )

    @OptionGroup var table: TableOptions
    @Option(name: .customLong("job-id"), help: ArgumentHelp("Report on one job.", valueName: "id")) var jobId: String?
    @Option(name: .customLong("batch-id"), help: ArgumentHelp("Report on one batch.", valueName: "id")) var batchId: String?
    @Option(name: .customLong("user-id"), help: ArgumentHelp("Report on one user.", valueName: "id")) var userId: String?
    @Option(help: ArgumentHelp("Report on one environment (production, staging, cicd, …).", valueName: "name")) var environment: String?
    @Option(help: ArgumentHelp("Only this service (whole-table report).", valueName: "name")) var service: String?
    @Option(help: ArgumentHelp("Only this model (whole-table report).", valueName: "name")) var model: String?
    @Option(help: ArgumentHelp("Only this operation (whole-table report).", valueName: "name")) var operation: String?
    @Option(help: ArgumentHelp("First day, YYYY-MM-DD (default: 30 days before --to).", valueName: "date")) var from: String?
    @Option(help: ArgumentHelp("Last day, YYYY-MM-DD (default: today, UTC).", valueName: "date")) var to: String?
    @Option(help: "Output form: table (aligned text), json (the API's answer) or csv (RFC 4180).") var format: OutputFormat = .table
    @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file")) var output: String?

    func validate() throws {
        let today = UTCTimestamp.now().civilDate
        if isWholeTable { _ = try wholeTableQuery(today: today) } else { _ = try query(today: today) }
    }

    /// No scope given: the report of `GET /ai_usage`.
    var isWholeTable: Bool {
        [jobId, batchId, userId, environment].allSatisfy { ($0 ?? "").isEmpty }
    }

    func run() async throws {
        try await reportingErrors {
            let today = UTCTimestamp.now().civilDate
            let text: String
            if isWholeTable {
                let query = try wholeTableQuery(today: today)
                let aggregate = try await fetcher().aggregate(query, today: today).aggregate
                text = switch format {
                case .table: Self.table(aggregate, query: query)
                case .json: aggregate.report(start: query.start, end: query.end, query: query.echo).serialized() + "\n"
                case .csv: aggregate.csv
                }
            } else {
                let query = try query(today: today)
                let report = try await ScopedReportFetcher(fetcher: try fetcher()).report(query, today: today)
                text = switch format {
                case .table: report.table
                case .json: report.json.serialized() + "\n"
                case .csv: report.csv
                }
            }
            guard let output else {
                FileHandle.standardOutput.write(Data(text.utf8))
                return
            }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIError("cannot write --output \(output): \((error as NSError).localizedDescription); check that its folder exists and is writable")
            }
        }
    }

    /// The whole-table question, as `GET /ai_usage` checks it: every level (the JSON form
    /// shows them all), the filters given.
    func wholeTableQuery(today: CivilDate) throws -> UsageQuery {
        var parameters: [(name: String, values: [String])] = [("aggregation", ["day,service,model,operation"])]
        for (name, value) in [("service", service), ("model", model), ("operation", operation), ("start_date", from), ("end_date", to)] {
            if let value { parameters.append((name, [value])) }
        }
        do throws(UsageQuery.Invalid) {
            return try UsageQuery.parse(parameters, today: today)
        } catch {
            throw ValidationError(Self.cliMessage(error.message))
        }
    }

    /// The whole-table report as aligned text: the totals, then one row per CSV row.
    static func table(_ aggregate: UsageAggregate, query: UsageQuery) -> String {
        var lines = ["Usage of the whole table, \(query.start.text) .. \(query.end.text) (UTC)", ""]
        lines.append("Total cost  \(aggregate.totalCost.rounded(scale: UsageAggregate.costScale).formatted(scale: UsageAggregate.costScale)) USD")
        lines.append("Tokens      \(aggregate.totalTokens)")
        lines.append("API calls   \(aggregate.totalAPICalls)")
        if aggregate.unpricedCalls > 0 { lines.append("Unpriced    \(aggregate.unpricedCalls) calls (no price in the catalogue; see docs/pricing.md)") }
        if aggregate.invalidItems > 0 { lines.append("Unreadable  \(aggregate.invalidItems) items (left out of every sum)") }
        let rows = aggregate.csvRecords
        guard !rows.isEmpty else { return (lines + ["", "No calls in this range."]).joined(separator: "\n") + "\n" }
        var table: [[String]] = [["DATE", "SERVICE", "MODEL", "OPERATION", "COST_USD", "TOKENS", "CALLS"]]
        for fields in rows {
            let cost = ExactDecimal(fields[4]).map { $0.rounded(scale: UsageAggregate.costScale).formatted(scale: UsageAggregate.costScale) } ?? fields[4]
            table.append(fields[0..<4].map { InputEcho.short($0, limit: 60) } + [cost, fields[5], fields[6]])
        }
        return (lines + ["", TextTable.render(table)]).joined(separator: "\n") + "\n"
    }

    /// The validated question, with the API's rules; messages name the CLI's options.
    func query(today: CivilDate) throws -> ScopedReportQuery {
        let scopes: [(option: String, parameter: String, value: String?)] = [
            ("--job-id", "job_id", jobId), ("--batch-id", "batch_id", batchId),
            ("--user-id", "user_id", userId), ("--environment", "environment", environment),
        ]
        let given = scopes.filter { !($0.value ?? "").isEmpty }
        guard given.count == 1, let scope = given.first else {
            let choices = "--job-id, --batch-id, --user-id or --environment"
            throw ValidationError("give one scope only (one of \(choices)); got \(given.map(\.option).joined(separator: " and "))")
        }
        let filters = [("--service", service), ("--model", model), ("--operation", operation)].filter { $0.1 != nil }.map(\.0)
        guard filters.isEmpty else {
            throw ValidationError("\(filters.joined(separator: " and ")) \(filters.count == 1 ? "narrows" : "narrow") the whole-table report only; drop \(filters.count == 1 ? "it" : "them") or \(scope.option)")
        }
        var parameters: [(name: String, values: [String])] = [(scope.parameter, [scope.value ?? ""])]
        if let from { parameters.append(("start_date", [from])) }
        if let to { parameters.append(("end_date", [to])) }
        do throws(UsageQuery.Invalid) {
            return try ScopedReportQuery.parse(parameters, today: today)
        } catch {
            throw ValidationError(Self.cliMessage(error.message))
        }
    }

    /// An API message with the parameter names it starts with written as options:
    /// `start_date 2026-12-01 is after end_date 2026-11-01` → `--from 2026-12-01 is after --to 2026-11-01`.
    /// What follows `got '` is the caller's own text and stays as it is.
    static func cliMessage(_ message: String) -> String {
        let cut = message.range(of: " got '")?.lowerBound ?? message.endIndex
        var head = String(message[..<cut])
        for (parameter, option) in [("start_date", "--from"), ("end_date", "--to"), ("job_id", "--job-id"), ("batch_id", "--batch-id"),
                                    ("user_id", "--user-id"), ("environment", "--environment")] {
            head = head.replacingOccurrences(of: parameter, with: option)
        }
        return head + message[cut...]
    }

    /// The fetcher the API would build from the same environment.
    func fetcher() throws -> UsageFetcher {
        let environment = ProcessInfo.processInfo.environment
        let sharding = try table.sharding()
        let rollups: Bool
        switch environment["AI_USAGE_ROLLUPS"]?.lowercased() ?? "" {
        case "", "on", "true", "1": rollups = true
        case "off", "false", "0": rollups = false
        case let other: throw CLIError("AI_USAGE_ROLLUPS must be on or off, got '\(InputEcho.short(other, limit: 20))'")
        }
        var concurrency = 8
        if let text = environment["AI_USAGE_QUERY_CONCURRENCY"], !text.isEmpty {
            guard let value = Int(text), (1...64).contains(value) else {
                throw CLIError("AI_USAGE_QUERY_CONCURRENCY must be a whole number from 1 to 64, got '\(InputEcho.short(text, limit: 20))'")
            }
            concurrency = value
        }
        return UsageFetcher(client: try table.client(), tableName: try table.tableName(), concurrency: concurrency, sharding: sharding, usesRollups: rollups)
    }

    // Declared last: the docs checker reads a command's options up to its first nested type.
    /// What to print.
    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }
}
