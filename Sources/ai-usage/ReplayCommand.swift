import AIUsage
import AIUsageTracker
import ArgumentParser
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Write the metrics a tracker spilled while DynamoDB was unavailable.",
        discussion: """
            Reads FILE (default: AI_USAGE_SPILL_FILE, else ai-usage-spill.jsonl in TMPDIR or /tmp), \
            writes its items with BatchWriteItem and leaves in the file only what still failed. \
            Every item keeps its own key, so replaying twice never counts a call twice. Exits 1 \
            while anything remains.
            """
    )

    @OptionGroup var table: TableOptions
    @Argument(help: "The spill file.") var file: String?

    func run() async throws {
        try await reportingErrors {
            let environment = ProcessInfo.processInfo.environment
            let path = file ?? SpillFile.defaultPath(environment)
            guard FileManager.default.fileExists(atPath: path) else {
                print("Nothing to replay: \(path) does not exist")
                return
            }
            if let problem = TrackerConfiguration.environmentProblems(environment).first { throw CLIError(problem) }
            var configuration = TrackerConfiguration.fromEnvironment(environment)
            configuration.spillFile = SpillFile(path: path)
            let tracker = Tracker(sink: DynamoDBSink(client: try table.client(), tableName: try table.tableName()), configuration: configuration)
            let result = try await tracker.replaySpill()
            print("Replayed \(result.replayed) metrics from \(path) into \(try table.tableName()); \(result.remaining) remain\(result.malformed > 0 ? ", \(result.malformed) unreadable lines kept" : "")")
            if result.remaining > 0 {
                throw CLIError("\(result.remaining) metrics could not be written yet; they stay in \(path): run 'ai-usage replay' again later")
            }
        }
    }
}
