import AIUsage
import AIUsageAPI
import AIUsageBudgets
import AIUsageReports
import ArgumentParser
import CurlHTTP
import DynamoDB
import Foundation

struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Budgets per scope and period, and the threshold check that alerts on them.",
        discussion: """
            Budgets live in the usage table (PK = BUDGET#<scope>), one per scope and period. \
            Scopes: global, service:<s>, model:<m>, user:<u>, job:<j>, environment:<e>; a trailing * \
            matches a prefix (user:* gives every user a budget of their own; the most specific \
            budget of a kind and period wins). Periods are UTC calendar periods: daily, weekly \
            (from Monday), monthly, quarterly, annual. See docs/budgets.md.
            """,
        subcommands: [Set.self, List.self, Delete.self, Check.self]
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or replace the budget of a scope and period.",
            discussion: """
                Examples:
                  ai-usage budget set global --period monthly --limit 2000
                  ai-usage budget set 'user:*' --period daily --limit 100 --kind hard
                  ai-usage budget set service:openai --period monthly --limit 500 \\
                      --thresholds 60,90:critical,100 --channel slack:https://hooks.slack.com/services/…
                A hard budget also blocks: once a check finds it exhausted, Tracker.allow(scope:) \
                answers false for the rest of the period. A job prefix (job:nightly-*) is the one \
                costly scope: jobs are not kept in rollups, so each check reads every raw item of \
                the period (see docs/budgets.md).
                """
        )

        @OptionGroup var table: TableOptions
        @Argument(help: "global, service:<s>, model:<m>, user:<u>, job:<j>, environment:<e>; a trailing * matches a prefix.") var scope: String
        @Option(help: "daily, weekly, monthly, quarterly or annual (UTC calendar periods).") var period: String
        @Option(help: "The limit in USD, an exact decimal (0 is allowed: any spend is 100 %).") var limit: String
        @Option(help: "soft (alert only) or hard (alert, and Tracker.allow answers false once exhausted).") var kind: String = "soft"
        @Option(help: "Alert thresholds in percent, each optionally with its level: 50,80,95,100 (the default) or 60:info,90:critical.") var thresholds: String?
        @Option(name: .customLong("channel"), help: "Where alerts go: webhook:<url>, slack:<url> or stdout; repeat for several (default: $AI_USAGE_ALERT_CHANNELS).") var channels: [String] = []

        func run() async throws {
            try await reportingErrors {
                let budget = try Self.budget(scope: scope, period: period, limit: limit, kind: kind, thresholds: thresholds, channels: channels)
                let store = BudgetStore(client: try table.client(), tableName: try table.tableName())
                try await store.set(budget)
                print("Budget \(budget.scope) \(budget.period.rawValue): \(budget.limit) USD, \(budget.kind.rawValue), thresholds \(Threshold.listText(budget.thresholds))\(budget.channels.isEmpty ? "" : ", channels \(budget.channels.map(\.description).joined(separator: ", "))")")
            }
        }

        static func budget(scope: String, period: String, limit: String, kind: String, thresholds: String?, channels: [String]) throws -> Budget {
            do {
                let parsedScope = try BudgetScope(parsing: scope)
                guard let parsedPeriod = BudgetPeriod(rawValue: period.lowercased()) else {
                    throw BudgetError.invalid("--period must be one of \(BudgetPeriod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(InputEcho.short(period, limit: 30))'")
                }
                guard let parsedKind = Budget.Kind(rawValue: kind.lowercased()) else {
                    throw BudgetError.invalid("--kind must be soft or hard, got '\(InputEcho.short(kind, limit: 30))'")
                }
                var parsedChannels: [AlertChannel] = []
                for text in channels { parsedChannels += try AlertChannel.parseList(text) }
                return Budget(
                    scope: parsedScope, period: parsedPeriod, limit: try Budget.parseLimit(limit), kind: parsedKind,
                    thresholds: try thresholds.map { text throws(BudgetError) in try Threshold.parseList(text) } ?? Threshold.defaults,
                    channels: parsedChannels
                )
            } catch let error as BudgetError {
                throw CLIError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every budget (channel URLs shown as their host only).")

        @OptionGroup var table: TableOptions
        @Option(help: "table (aligned text, the default) or json.") var format: OutputFormat = .table

        func run() async throws {
            try await reportingErrors {
                let store = BudgetStore(client: try table.client(), tableName: try table.tableName())
                let listing = try await store.list()
                for problem in listing.unreadable { FileHandle.standardError.write(Data("ai-usage: skipped an unreadable budget item: \(problem)\n".utf8)) }
                switch format {
                case .json:
                    print(JSONValue.array(listing.budgets.map(\.json)).serialized(pretty: true))
                case .table:
                    guard !listing.budgets.isEmpty else {
                        print("No budgets. Add one with: ai-usage budget set global --period monthly --limit 2000")
                        return
                    }
                    var rows = [["SCOPE", "PERIOD", "LIMIT USD", "KIND", "THRESHOLDS", "CHANNELS"]]
                    for budget in listing.budgets {
                        rows.append([
                            budget.scope.text, budget.period.rawValue, budget.limit.description, budget.kind.rawValue,
                            Threshold.listText(budget.thresholds),
                            budget.channels.isEmpty ? "(default)" : budget.channels.map(\.description).joined(separator: " "),
                        ])
                    }
                    print(TextTable.render(rows))
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the budget of a scope and period.")

        @OptionGroup var table: TableOptions
        @Argument(help: "The budget's scope, as given to 'budget set'.") var scope: String
        @Option(help: "The budget's period.") var period: String

        func run() async throws {
            try await reportingErrors {
                let parsedScope: BudgetScope
                do { parsedScope = try BudgetScope(parsing: scope) } catch let error as BudgetError { throw CLIError(error.description) }
                guard let parsedPeriod = BudgetPeriod(rawValue: period.lowercased()) else {
                    throw CLIError("--period must be one of \(BudgetPeriod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(InputEcho.short(period, limit: 30))'")
                }
                let store = BudgetStore(client: try table.client(), tableName: try table.tableName())
                guard try await store.delete(scope: parsedScope, period: parsedPeriod) else {
                    throw CLIError("no \(parsedPeriod.rawValue) budget for \(parsedScope); 'ai-usage budget list' shows the budgets")
                }
                print("Deleted the \(parsedPeriod.rawValue) budget of \(parsedScope)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the threshold check: show what it would send, or send it with --send.",
            discussion: """
                Reads each budget's spend in its current period instance through the report path \
                (rollups for closed days), and lists the alerts it calls for: the highest \
                threshold reached per subject, and 'projected' when the period is on course to \
                overrun. Without --send nothing is written or sent, and alerts already raised in \
                this period are shown as in cooldown. With --send it does what the scheduled \
                check does: writes each new alert to the outbox, delivers it, retries due \
                deliveries, and updates the block marks of hard budgets. Channels and signing come \
                from the budgets and from AI_USAGE_ALERT_CHANNELS, AI_USAGE_ALERT_SECRET and \
                AI_USAGE_REPORT_URL (docs/budgets.md).
                """
        )

        @OptionGroup var table: TableOptions
        @Flag(help: "Write and deliver the alerts (default: a dry run).") var send = false
        @Option(help: "table (aligned text, the default) or json (the scheduled check's answer).") var format: OutputFormat = .table
        @Option(help: ArgumentHelp("Check as of this instant (ISO 8601 UTC) instead of now.", visibility: .hidden)) var at: String?

        func run() async throws {
            try await reportingErrors {
                let environment = ProcessInfo.processInfo.environment
                let sharding = try table.sharding()
                let alerts: AlertSettings
                switch AlertSettings.fromEnvironment(environment) {
                case .success(let value): alerts = value
                case .failure(let problem): throw CLIError(problem.description)
                }
                var instant = UTCTimestamp.now()
                if let at {
                    guard let parsed = UTCTimestamp(iso8601: at) else { throw CLIError("--at must be an ISO 8601 instant, e.g. 2026-03-15T12:00:00Z") }
                    instant = parsed
                }
                let client = try table.client()
                let tableName = try table.tableName()
                let fetcher = UsageFetcher(client: client, tableName: tableName, sharding: sharding)
                let checker = AIUsageHandler.makeBudgetChecker(
                    client: client, tableName: tableName, sharding: sharding, fetcher: fetcher, alerts: alerts,
                    transport: CurlHTTPClient(maxConnections: 2),
                    standardOutput: { line in print(line) },
                    log: { line in FileHandle.standardError.write(Data("ai-usage: \(line)\n".utf8)) }
                )
                let outcome = try await checker.check(at: instant, send: send)
                switch format {
                case .json: print(outcome.json(sent: send).serialized(pretty: true))
                case .table: print(Self.text(outcome, sent: send))
                }
            }
        }

        static func text(_ outcome: BudgetChecker.Outcome, sent: Bool) -> String {
            guard !outcome.evaluations.isEmpty else {
                return "No budgets to check. Add one with: ai-usage budget set global --period monthly --limit 2000"
            }
            var rows = [["SCOPE", "BUDGET", "PERIOD", "SPEND USD", "LIMIT USD", "PERCENT", "LEVEL", "PROJECTED USD"]]
            for evaluation in outcome.evaluations {
                rows.append([
                    evaluation.subject.text, evaluation.budget.id, evaluation.instance.label, evaluation.spend.description,
                    evaluation.budget.limit.description, "\(evaluation.percent)%", evaluation.level?.level.rawValue ?? "-",
                    evaluation.projectedSpend?.description ?? "-",
                ])
            }
            var lines = [TextTable.render(rows), ""]
            if outcome.raised.isEmpty {
                lines.append(sent ? "No new alerts." : "No alert would be sent.")
            } else {
                lines.append(sent ? "Alerts raised:" : "Alerts it would send (run with --send to send them):")
                for alert in outcome.raised { lines.append("  \(alert.id)  \(alert.message)") }
            }
            if !outcome.cooledDown.isEmpty {
                lines.append("\(outcome.cooledDown.count) alert(s) already raised in this period (cooldown): not sent again.")
            }
            for delivery in outcome.deliveries {
                lines.append("  delivery \(delivery.alertId) → \(delivery.channel): \(delivery.failure.map { "FAILED (\($0)); retried by the next check" } ?? "ok")")
            }
            for id in outcome.failedAlerts { lines.append("  alert \(id): delivery given up after the last attempt") }
            if !outcome.blocked.isEmpty { lines.append("Hard budgets exhausted (calls refused): \(outcome.blocked.joined(separator: ", "))") }
            return lines.joined(separator: "\n")
        }
    }
}

/// Left-aligned columns separated by two spaces.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
