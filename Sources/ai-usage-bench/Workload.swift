import AIUsage
import AIUsageTracker
import DynamoDB

/// One call to record: the metric, and the task-local context it is recorded in (nil: none).
struct Call: Sendable {
    var metric: AIUsageMetric
    var context: TrackingContext?
}

/// A small seeded generator (xorshift64*), so every run of the bench records the same data.
struct BenchRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x2545_F491_4F6C_DD1D : seed
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func within(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Builds realistic metrics before any timing starts: several providers, models and
/// operations, token counts in plausible ranges, costs from the built-in price table, a few
/// failed calls, and about a third recorded inside a job/batch context.
enum Workload {
    private struct Kind {
        let service: String
        let model: String
        let operation: String
        let share: Int
        let input: ClosedRange<Int>
        let output: ClosedRange<Int>
    }

    private static let kinds: [Kind] = [
        Kind(service: "openai", model: "gpt-4o-mini", operation: "completion", share: 24, input: 80...3500, output: 10...700),
        Kind(service: "openai", model: "gpt-4o-2024-08-06", operation: "completion", share: 16, input: 300...7000, output: 40...1800),
        Kind(service: "openai", model: "gpt-4.1", operation: "completion", share: 6, input: 400...9000, output: 80...2200),
        Kind(service: "openai", model: "text-embedding-3-small", operation: "embedding", share: 14, input: 8...2400, output: 0...0),
        Kind(service: "anthropic", model: "claude-3-5-sonnet-20241022", operation: "completion", share: 12, input: 250...10000, output: 90...2600),
        Kind(service: "anthropic", model: "claude-3-haiku-20240307", operation: "completion", share: 9, input: 60...2800, output: 15...500),
        Kind(service: "anthropic", model: "claude-sonnet-4-5", operation: "code_review", share: 4, input: 1500...14000, output: 400...3200),
        Kind(service: "google_places", model: "places_api", operation: "place_details", share: 8, input: 0...0, output: 0...0),
        Kind(service: "google_places", model: "places_api", operation: "place_search", share: 4, input: 0...0, output: 0...0),
        Kind(service: "google_places", model: "places_api", operation: "place_autocomplete", share: 3, input: 0...0, output: 0...0),
    ]
    private static let totalShare = kinds.reduce(0) { $0 + $1.share }
    private static let jobs = ["receipt-ocr-nightly", "merchant-enrichment", "label-validation", "embedding-backfill", "pr-review"]
    private static let users = ["alice", "bob", "dana", "ci-bot"]
    private static let environments = ["production", "production", "production", "staging", "development"]

    /// `count` calls spread over `days` consecutive UTC days starting at `firstDay`.
    static func calls(count: Int, firstDay: CivilDate, days: Int, seed: UInt64) -> [Call] {
        var random = BenchRandom(seed: seed)
        let calculator = CostCalculator()
        let dayStarts = (0..<days).map { offset -> Int64 in
            let day = firstDay.adding(days: offset)
            return UTCTimestamp(year: day.year, month: day.month, day: day.day).microsecondsSinceEpoch
        }
        var calls: [Call] = []
        calls.reserveCapacity(count)
        var seen = Set<String>(minimumCapacity: count)
        while calls.count < count {
            let call = makeCall(&random, calculator: calculator, dayStart: dayStarts[random.below(days)])
            // Request ids are random; make sure they are distinct, as real ones are.
            guard seen.insert(call.metric.requestId).inserted else { continue }
            calls.append(call)
        }
        return calls
    }

    private static func pickKind(_ random: inout BenchRandom) -> Kind {
        var roll = random.below(totalShare)
        for kind in kinds {
            if roll < kind.share { return kind }
            roll -= kind.share
        }
        return kinds[0]
    }

    private static func makeCall(_ random: inout BenchRandom, calculator: CostCalculator, dayStart: Int64) -> Call {
        let kind = pickKind(&random)
        let timestamp = UTCTimestamp(microsecondsSinceEpoch: dayStart + Int64(random.below(86_400_000_000)))
        let failed = random.chance(2)
        let usesTokens = kind.service != "google_places"
        let usage: TokenUsage
        if usesTokens {
            let input = random.within(kind.input)
            let output = random.within(kind.output)
            let cached = kind.service == "openai" && input > 1024 && random.chance(30) ? input / 2 : nil
            usage = TokenUsage(inputTokens: input, outputTokens: output, cachedInputTokens: cached)
        } else {
            usage = TokenUsage()
        }
        var metadata: [String: AttributeValue] = [:]
        var cost: ExactDecimal?
        if !failed {
            let result = calculator.cost(service: kind.service, model: kind.model, operation: kind.operation, usage: usage)
            cost = result.costUSD
            if let note = result.note { metadata["cost_note"] = .s(note) }
            if let cached = usage.cachedInputTokens { metadata["cached_input_tokens"] = .number(cached) }
        }
        if random.chance(10) { metadata["prompt_version"] = .s("v\(random.within(1...9))") }
        let metric = AIUsageMetric(
            service: kind.service,
            model: kind.model,
            operation: kind.operation,
            timestamp: timestamp,
            requestId: uuid(&random),
            inputTokens: failed || !usesTokens ? nil : usage.inputTokens,
            outputTokens: failed || !usesTokens ? nil : usage.outputTokens,
            costUSD: cost,
            latencyMs: random.within(failed ? 50...30_000 : 120...9_000),
            userId: random.chance(25) ? users[random.below(users.count)] : nil,
            githubPR: kind.operation == "code_review" ? random.within(1...4000) : nil,
            environment: environments[random.below(environments.count)],
            error: failed ? "HTTP 429: rate limited" : nil,
            metadata: metadata
        )
        var context: TrackingContext?
        if random.chance(35) {
            let job = jobs[random.below(jobs.count)]
            context = TrackingContext(jobId: job, batchId: random.chance(60) ? "\(job)-b\(random.within(1...400))" : nil)
        }
        return Call(metric: metric, context: context)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A version-4-shaped UUID from the seeded generator.
    private static func uuid(_ random: inout BenchRandom) -> String {
        let high = random.next()
        let low = random.next()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        for index in 0..<16 {
            var byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (UInt64(index % 8) * 8))
            if index == 6 { byte = (byte & 0x0F) | 0x40 }
            if index == 8 { byte = (byte & 0x3F) | 0x80 }
            if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Records one call, inside its context when it has one.
@inline(__always)
func record(_ call: Call, into tracker: Tracker) {
    if let context = call.context {
        TrackingContext.$current.withValue(context) { _ = tracker.record(call.metric) }
    } else {
        _ = tracker.record(call.metric)
    }
}
