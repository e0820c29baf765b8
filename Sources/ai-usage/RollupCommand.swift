import AIUsage
import AIUsageReports
import ArgumentParser
import DynamoDB
import Foundation

struct RollupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollup",
        abstract: "Compact closed days into daily rollups, so reports read O(days) items.",
        discussion: """
            For each closed UTC day from --from to --to, sums the day's raw items into one rollup \
            item per group (service, model, operation, environment, user) with its 24 hourly sums, \
            then writes the day's manifest. Today and yesterday stay open and are always read raw; \
            a later day in the range is skipped. Running it again changes nothing: a day whose \
            rollups are clean is left alone (--force re-reads it), and a day that received a late \
            item (marked dirty by its writer) is compacted afresh. A dirty marker younger than \
            15 minutes is not cleared yet: the day stays on raw reads until the next run. \
            Default range: the last 7 closed days. Shows progress on a terminal; quiet in a pipe.
            """
    )

    @OptionGroup var table: TableOptions
    @Option(help: "First day, YYYY-MM-DD (default: 7 closed days before --to).") var from: String?
    @Option(help: "Last day, YYYY-MM-DD (default: the day before yesterday, UTC, the last closed day).") var to: String?
    @Flag(help: "Re-read the raw items of days whose rollups are already clean.") var force = false

    func validate() throws {
        if let from, CivilDate(from) == nil { throw ValidationError("--from must be a real date as YYYY-MM-DD, got '\(from)'") }
        if let to, CivilDate(to) == nil { throw ValidationError("--to must be a real date as YYYY-MM-DD, got '\(to)'") }
        if let from = from.flatMap(CivilDate.init), let to = to.flatMap(CivilDate.init) {
            guard from <= to else { throw ValidationError("--from \(from) is after --to \(to)") }
            guard to.daysSinceEpoch - from.daysSinceEpoch < 3660 else { throw ValidationError("--from..--to spans more than 3660 days") }
        }
    }

    func run() async throws {
        try await reportingErrors {
            let sharding = try table.sharding()
            let lastClosed = RollupKeys.lastClosedDay(today: UTCTimestamp.now().civilDate)
            let last = to.flatMap(CivilDate.init) ?? lastClosed
            let first = from.flatMap(CivilDate.init) ?? last.adding(days: -6)
            guard first <= last else { throw CLIError("--from \(first) is after the last day \(last)") }
            let summary = try await Self.compact(
                table: table, sharding: sharding, from: first, to: last, force: force, settleSeconds: RollupCompactor.defaultSettleSeconds
            )
            print(summary)
        }
    }

    /// Compacts `first` … `last` with progress on a terminal; the one-line summary.
    static func compact(
        table: TableOptions, sharding: IndexSharding, from first: CivilDate, to last: CivilDate, force: Bool, settleSeconds: Int64
    ) async throws -> String {
        let source = DynamoDBUsageSource(client: try table.client(), tableName: try table.tableName(), sharding: sharding)
        let compactor = RollupCompactor(source: source, sharding: sharding, settleSeconds: settleSeconds, force: force)
        var progress = Progress(total: last.daysSinceEpoch - first.daysSinceEpoch + 1, label: "compacting")
        var done = 0
        let outcomes = try await compactor.compact(from: first, to: last) { _ in
            done += 1
            progress.update(done)
        }
        let count = { (result: RollupCompactor.DayOutcome.Result) in outcomes.filter { $0.result == result }.count }
        let dirty = outcomes.filter(\.stillDirty).map(\.day.text)
        var text = "Rollups \(first)..\(last) in \(try table.tableName()): \(count(.written)) days written, \(count(.unchanged)) unchanged, \(count(.open)) still open"
        text += " (\(outcomes.reduce(0) { $0 + $1.rawItems }) raw items read, \(outcomes.reduce(0) { $0 + $1.groups }) groups, "
            + "\(outcomes.reduce(0) { $0 + $1.summaryGroups }) summary groups)"
        if !dirty.isEmpty { text += "; still dirty (a late write under 15 minutes old): \(dirty.joined(separator: ", "))" }
        return text
    }
}
