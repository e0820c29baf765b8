import AIUsage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the tracker buffers, flushes and spills.
public struct TrackerConfiguration: Sendable {
    /// Items per BatchWriteItem flush; a full buffer flushes at once (DynamoDB takes 25 per call).
    public var batchSize: Int
    /// A partial buffer is flushed at least this often.
    public var flushInterval: Duration
    /// The most items held in memory while writes are failing or slow; beyond it, new items go
    /// straight to the spill file, so memory stays bounded during an outage.
    public var maxBuffered: Int
    /// Where unwritable items go (`AI_USAGE_SPILL_FILE`).
    public var spillFile: SpillFile
    /// When set (`TRACK_TO_FILE=true`), every metric is also appended to this JSONL file
    /// (`AI_USAGE_LOG_FILE`, default `/tmp/ai_usage.jsonl`).
    public var mirrorFile: String?
    /// Context fields every metric gets unless the task-local context or the call sets them.
    public var defaults: TrackingContext
    /// How items spread over the date indexes' partitions (`AI_USAGE_INDEX_SHARDS`).
    public var sharding: IndexSharding

    public init(
        batchSize: Int = 25,
        flushInterval: Duration = .seconds(5),
        maxBuffered: Int = 10_000,
        spillFile: SpillFile = SpillFile(path: SpillFile.defaultPath([:])),
        mirrorFile: String? = nil,
        defaults: TrackingContext = TrackingContext(),
        sharding: IndexSharding = .single
    ) {
        self.batchSize = max(1, batchSize)
        self.flushInterval = flushInterval
        self.maxBuffered = max(self.batchSize, maxBuffered)
        self.spillFile = spillFile
        self.mirrorFile = mirrorFile
        self.defaults = defaults
        self.sharding = sharding
    }

    /// From the environment: `AI_USAGE_SPILL_FILE`, `TRACK_TO_FILE` / `AI_USAGE_LOG_FILE`,
    /// `USER_ID`, `AI_USAGE_INDEX_SHARDS`, and the environment detected by `EnvironmentDetector`.
    public static func fromEnvironment(_ environment: [String: String]) -> TrackerConfiguration {
        let mirror = ["true", "1"].contains((environment["TRACK_TO_FILE"] ?? "").lowercased())
            ? (environment["AI_USAGE_LOG_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/ai_usage.jsonl")
            : nil
        return TrackerConfiguration(
            spillFile: SpillFile(path: SpillFile.defaultPath(environment)),
            mirrorFile: mirror,
            defaults: TrackingContext(
                userId: environment["USER_ID"].flatMap { $0.isEmpty ? nil : $0 },
                environment: EnvironmentDetector.detect(environment)
            ),
            // A bad value is reported by `environmentProblems`; the original keys meanwhile.
            sharding: (try? IndexSharding.fromEnvironment(environment).get()) ?? .single
        )
    }
}

extension TrackerConfiguration {
    /// What is wrong with the tracker's variables, one line each naming the variable (empty when
    /// nothing is): a spill or mirror file whose directory cannot be written (metrics would be
    /// lost in an outage), a `TRACK_TO_FILE` that is neither true nor false, and context values
    /// (`USER_ID`, `ENVIRONMENT`) that could not be stored as key parts.
    public static func environmentProblems(_ environment: [String: String]) -> [String] {
        var problems: [String] = []
        if case .failure(let problem) = IndexSharding.fromEnvironment(environment) { problems.append(problem.description) }
        func quoted(_ text: String) -> String { "'\(InputEcho.short(text, limit: 60))'" }
        func unwritableDirectory(of path: String) -> Bool {
            let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            return access(directory.isEmpty ? "/" : directory, W_OK | X_OK) != 0
        }
        if let spill = environment["AI_USAGE_SPILL_FILE"], !spill.isEmpty {
            if unwritableDirectory(of: spill) {
                problems.append("AI_USAGE_SPILL_FILE names \(quoted(spill)), in a directory that does not exist or cannot be written: metrics DynamoDB refuses would be lost; point it at a writable place")
            }
        } else if let directory = environment["TMPDIR"], !directory.isEmpty, access(directory, W_OK | X_OK) != 0 {
            problems.append("TMPDIR names \(quoted(directory)), which is not a writable directory, and the spill file goes there: fix TMPDIR or set AI_USAGE_SPILL_FILE")
        }
        let track = (environment["TRACK_TO_FILE"] ?? "").lowercased()
        if !["", "true", "false", "1", "0"].contains(track) {
            problems.append("TRACK_TO_FILE must be true or false, got \(quoted(environment["TRACK_TO_FILE"] ?? ""))")
        }
        if track == "true" || track == "1", let mirror = environment["AI_USAGE_LOG_FILE"], !mirror.isEmpty, unwritableDirectory(of: mirror) {
            problems.append("AI_USAGE_LOG_FILE names \(quoted(mirror)), in a directory that does not exist or cannot be written")
        }
        for name in ["USER_ID", "ENVIRONMENT"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            if value.utf8.count > 128 || value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                problems.append("\(name) must be at most 128 bytes without control characters, got \(quoted(value))")
            }
        }
        return problems
    }
}

/// What the tracker has done so far.
public struct TrackerStats: Sendable, Hashable, CustomStringConvertible {
    /// Accepted by `record` and not yet written or spilled.
    public var queued = 0
    /// Stored by the sink.
    public var written = 0
    /// Items sent again after a flush left them unwritten.
    public var retried = 0
    /// Appended to the spill file.
    public var spilled = 0
    /// Written from the spill file by `replaySpill()`.
    public var replayed = 0
    /// Refused by `record` because they broke a validation rule (logged).
    public var rejected = 0
    /// Could be neither written nor spilled (the spill file itself failed; logged).
    public var lost = 0
    /// Recorded without a cost because the catalogue has no price for the model (each model
    /// is also warned about once per process).
    public var unpriced = 0

    public var description: String {
        "queued \(queued), written \(written), retried \(retried), spilled \(spilled), replayed \(replayed), rejected \(rejected), lost \(lost), unpriced \(unpriced)"
    }
}
