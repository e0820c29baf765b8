import AIUsage
import AIUsageReports
import ArgumentParser
import DynamoDB
import Foundation

struct RepriceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprice",
        abstract: "Recompute the cost of recorded calls with the current price catalogue.",
        discussion: """
            Reads the raw items of each UTC day from --from to --to (optionally one service, or \
            one model: its exact name, or any name that resolves to the same catalogue model), \
            prices each with the catalogue in force at its own timestamp (the built-in prices, \
            the published catalogue when AI_USAGE_PRICING_FROM_TABLE is on, AI_USAGE_PRICING_FILE \
            over them), and rewrites the items whose cost changes, in place: \
            the same keys, so nothing is counted twice. A rewritten item keeps its previous cost \
            (previous_cost_usd, or previously_unpriced), and records priced_with and repriced_at. \
            Each day with a change is marked for the rollups (as a late write is), so \
            'ai-usage rollup' rebuilds it.

            Failed calls, and calls the catalogue still cannot price, are left as recorded. Each \
            write is conditional on the cost it replaces: an item changed meanwhile is reported \
            as a conflict. Running it again changes nothing more (it is idempotent), and an \
            interrupted run is finished by running the same command again.

            Prints what it changed (up to 50 items) and the total difference; --dry-run prints \
            the same and writes nothing. Shows progress on a terminal; quiet in a pipe.
            """
    )

    @OptionGroup var table: TableOptions
    @Option(help: "First day, YYYY-MM-DD (UTC).") var from: String
    @Option(help: "Last day, YYYY-MM-DD (UTC), inclusive.") var to: String
    @Option(help: "Only this service (openai, anthropic, google_places, …).") var service: String?
    @Option(help: "Only this model, or names that resolve to the same catalogue model (needs --service).") var model: String?
    @Flag(help: "Show what would change; write nothing.") var dryRun = false

    func validate() throws {
        guard let first = CivilDate(from) else { throw ValidationError("--from must be a real date as YYYY-MM-DD, got '\(from)'") }
        guard let last = CivilDate(to) else { throw ValidationError("--to must be a real date as YYYY-MM-DD, got '\(to)'") }
        guard first <= last else { throw ValidationError("--from \(from) is after --to \(to)") }
        guard last.daysSinceEpoch - first.daysSinceEpoch < 3660 else { throw ValidationError("--from..--to spans more than 3660 days") }
        if model != nil && service == nil { throw ValidationError("--model needs --service (a model name is resolved within its service)") }
    }

    func run() async throws {
        try await reportingErrors {
            let catalogue = try await table.catalogue()
            let first = CivilDate(from)!
            let last = CivilDate(to)!
            let repricer = Repricer(
                client: try table.client(), tableName: try table.tableName(), sharding: try table.sharding(),
                calculator: CostCalculator(catalogue: catalogue)
            )
            var progress = Progress(total: last.daysSinceEpoch - first.daysSinceEpoch + 1, label: dryRun ? "checking" : "repricing")
            var days = 0
            let outcome = try await repricer.run(.init(from: first, to: last, service: service, model: model, dryRun: dryRun)) { _, _ in
                days += 1
                progress.update(days)
            }
            print(Self.summary(outcome, first: first, last: last, catalogue: catalogue, dryRun: dryRun))
        }
    }

    static func summary(_ outcome: Repricer.Outcome, first: CivilDate, last: CivilDate, catalogue: PricingCatalogue, dryRun: Bool) -> String {
        var lines: [String] = []
        let verb = dryRun ? "would change" : "changed"
        for change in outcome.changes {
            let from = change.from.map(\.description) ?? "unpriced"
            lines.append("\(change.date) \(change.service)/\(change.model) \(change.requestId): \(from) → \(change.to)")
        }
        if outcome.changed > outcome.changes.count {
            lines.append("… and \(outcome.changed - outcome.changes.count) more")
        }
        var text = "Reprice \(first)..\(last) with catalogue \(catalogue.version)\(dryRun ? " (dry run: nothing written)" : ""): "
        text += "\(outcome.itemsRead) items read, \(outcome.changed) \(verb), \(outcome.unchanged) unchanged, \(outcome.leftAlone) left as recorded"
        if outcome.conflicts > 0 { text += ", \(outcome.conflicts) changed by someone else meanwhile (run again)" }
        lines.append(text)
        lines.append("Total of the \(verb) items: \(outcome.totalBefore) → \(outcome.totalAfter) (difference \(outcome.difference.isNegative ? "" : "+")\(outcome.difference) USD)")
        for (reason, count) in outcome.leftAloneReasons.sorted(by: { $0.key < $1.key }) {
            lines.append("Left as recorded: \(count) × \(reason)")
        }
        if !outcome.daysMarked.isEmpty {
            lines.append("Days marked for the rollups (run 'ai-usage rollup' to rebuild them): \(outcome.daysMarked.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
