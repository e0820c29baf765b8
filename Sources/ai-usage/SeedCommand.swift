import AIUsage
import AIUsageReports
import AIUsageTracker
import ArgumentParser
import DynamoDB
import Foundation

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Write realistic, deterministic metrics through the tracker.",
        discussion: """
            Spreads --per-day calls over each of --days days from --start, across OpenAI, Anthropic \
            and Google Places, many models and operations, with job, batch, user and environment \
            contexts. The same --seed writes the same items (same keys), so seeding twice overwrites \
            instead of doubling. Then compacts the seeded closed days into rollups ('ai-usage \
            rollup'; --no-rollup skips it). Shows progress on a terminal; quiet in a pipe.
            """
    )

    @OptionGroup var table: TableOptions
    @Option(help: "First day, YYYY-MM-DD (default: --days days ending today, UTC).") var start: String?
    @Option(help: "How many days.") var days: Int = 30
    @Option(name: .customLong("per-day"), help: "Calls per day.") var perDay: Int = 200
    @Option(help: "Random seed; the same seed gives the same data.") var seed: UInt64 = 42
    @Flag(name: .customLong("no-rollup"), help: "Do not compact the seeded days into rollups afterwards.") var noRollup = false

    func validate() throws {
        guard days >= 1, days <= 3660 else { throw ValidationError("--days must be between 1 and 3660") }
        guard perDay >= 1, perDay <= 1_000_000 else { throw ValidationError("--per-day must be between 1 and 1000000") }
        if let start, CivilDate(start) == nil { throw ValidationError("--start must be a real date as YYYY-MM-DD, got '\(start)'") }
    }

    func run() async throws {
        try await reportingErrors {
            let tracker = try await table.tracker()
            let first = start.flatMap { CivilDate($0) } ?? UTCTimestamp.now().civilDate.adding(days: -(days - 1))
            var generator = SeedData(seed: seed, calculator: tracker.calculator)
            let total = days * perDay
            var progress = Progress(total: total, label: "seeding")
            for day in 0..<days {
                for index in 0..<perDay {
                    let (metric, context) = generator.metric(on: first.adding(days: day), index: index, of: perDay)
                    TrackingContext.$current.withValue(context) { _ = tracker.record(metric) }
                    // Let the tracker write as it goes, so memory stays flat and progress is real.
                    if index % 500 == 499 { await tracker.flush() }
                    progress.update(day * perDay + index + 1)
                }
                await tracker.flush()
            }
            await tracker.shutdown()
            let stats = tracker.stats()
            print("Seeded \(stats.written) metrics over \(days) days from \(first) into \(try table.tableName()) (\(stats))")
            if stats.written != total {
                throw CLIError("\(total - stats.written) of \(total) metrics were not written; see the lines above (spilled ones: 'ai-usage replay')")
            }
            let lastClosed = RollupKeys.lastClosedDay(today: UTCTimestamp.now().civilDate)
            let last = min(first.adding(days: days - 1), lastClosed)
            if !noRollup, first <= last {
                // Every write above is acknowledged (the tracker has shut down), so the markers
                // its late items left may be cleared at once.
                let sharding = TrackerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment).sharding
                print(try await RollupCommand.compact(table: table, sharding: sharding, from: first, to: last, force: false, settleSeconds: 0))
            }
        }
    }
}

/// Deterministic, realistic calls: a SplitMix64 stream decides everything, so a seed always
/// yields the same metrics, request ids included.
struct SeedData {
    private var state: UInt64
    let calculator: CostCalculator

    init(seed: UInt64, calculator: CostCalculator) {
        // Scramble the seed, so that nearby seeds start far apart in the stream (seed 8 must not
        // be seed 7 shifted by one step, or the two would share request ids).
        state = Self.mix(seed ^ 0x632B_E59B_D9B4_E019)
        self.calculator = calculator
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }

    struct Shape {
        var service: String
        var model: String
        var operation: String
        var weight: Int
        var input: ClosedRange<Int>
        var output: ClosedRange<Int>
    }

    static let shapes: [Shape] = [
        Shape(service: "openai", model: "gpt-4o-2024-08-06", operation: "completion", weight: 20, input: 200...6000, output: 50...1500),
        Shape(service: "openai", model: "gpt-4o-mini", operation: "completion", weight: 25, input: 100...4000, output: 20...800),
        Shape(service: "openai", model: "gpt-4.1", operation: "completion", weight: 6, input: 500...8000, output: 100...2000),
        Shape(service: "openai", model: "text-embedding-3-small", operation: "embedding", weight: 15, input: 10...2000, output: 0...0),
        Shape(service: "anthropic", model: "claude-3-5-sonnet-20241022", operation: "completion", weight: 12, input: 300...9000, output: 100...2500),
        Shape(service: "anthropic", model: "claude-3-haiku-20240307", operation: "completion", weight: 8, input: 100...3000, output: 20...600),
        Shape(service: "anthropic", model: "claude-sonnet-4-20250514", operation: "code_review", weight: 3, input: 2000...12000, output: 500...3000),
        Shape(service: "google_places", model: "places_api", operation: "place_details", weight: 6, input: 0...0, output: 0...0),
        Shape(service: "google_places", model: "places_api", operation: "place_search", weight: 3, input: 0...0, output: 0...0),
        Shape(service: "google_places", model: "places_api", operation: "place_autocomplete", weight: 2, input: 0...0, output: 0...0),
    ]
    static let totalWeight = shapes.reduce(0) { $0 + $1.weight }
    static let jobs = ["receipt-ocr-nightly", "label-validation", "merchant-enrichment", "embedding-backfill"]
    static let users = ["alice", "bob", "carol", "ci-bot"]
    static let environments = ["production", "production", "staging", "development", "cicd"]

    /// The `index`-th of `count` calls on `day`, and the context it is recorded in.
    mutating func metric(on day: CivilDate, index: Int, of count: Int) -> (AIUsageMetric, TrackingContext) {
        var roll = int(1...Self.totalWeight)
        var shape = Self.shapes[0]
        for candidate in Self.shapes {
            roll -= candidate.weight
            if roll <= 0 { shape = candidate; break }
        }
        // Business hours are busier: pick an hour with a bump between 08 and 18.
        let hour = int(0...9) < 7 ? int(8...18) : int(0...23)
        let microsecond = Int(next() % 3_600_000_000)
        let timestamp = UTCTimestamp(microsecondsSinceEpoch: UTCTimestamp(year: day.year, month: day.month, day: day.day, hour: hour).microsecondsSinceEpoch + Int64(microsecond))
        let isTokens = shape.service != "google_places"
        let input = isTokens ? int(shape.input) : nil
        let output = isTokens && shape.operation != "embedding" ? int(shape.output) : nil
        let isBatch = shape.service == "openai" && int(0...9) == 0
        let failed = int(0...99) < 2
        var usage = TokenUsage(inputTokens: input, outputTokens: output)
        if shape.operation == "embedding" { usage.totalTokens = input }
        let cost = failed ? nil : calculator.cost(service: shape.service, model: shape.model, operation: shape.operation, usage: usage, isBatch: isBatch)
        var metadata: [String: AttributeValue] = ["seeded": .bool(true)]
        if isBatch { metadata["is_batch"] = .bool(true) }
        if let note = cost?.note { metadata["cost_note"] = .s(note) }
        let metric = AIUsageMetric(
            service: shape.service, model: shape.model, operation: shape.operation,
            timestamp: timestamp, requestId: requestId(),
            inputTokens: failed ? nil : input, outputTokens: failed ? nil : output, totalTokens: failed ? nil : usage.totalTokens,
            costUSD: cost?.costUSD, latencyMs: int(80...9000),
            error: failed ? pick(["RateLimitError: 429 Too Many Requests", "APITimeoutError: Request timed out", "InternalServerError: 500"]) : nil,
            metadata: metadata
        )
        var context = TrackingContext(environment: pick(Self.environments))
        switch int(0...9) {
        case 0...4: context.jobId = pick(Self.jobs); context.batchId = "batch-\(day.text)-\(index / max(1, count / 10))"
        case 5...7: context.userId = pick(Self.users)
        case 8: context.batchId = "adhoc-\(int(1...50))"
        default: break
        }
        if shape.operation == "code_review" { context.githubPR = int(100...999); context.userId = "github-actions" }
        return (metric, context)
    }

    /// A UUID-shaped id from the stream (version 4 layout).
    mutating func requestId() -> String {
        let high = next(), low = next()
        let hex = String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
        let chars = Array(hex)
        var text = String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-4" + String(chars[13..<16]) + "-"
        text += String(chars[16..<20]) + "-" + String(chars[20..<32])
        return text
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
