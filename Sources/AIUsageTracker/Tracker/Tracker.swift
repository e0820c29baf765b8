import AIUsage
import Dispatch
import DynamoDB
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records metrics without slowing the caller down, and loses none of them.
///
/// `record(_:)` is synchronous, non-throwing and cheap: it fills in the task-local
/// `TrackingContext`, validates, encodes the item and appends it to an in-memory buffer. The
/// actor flushes the buffer with BatchWriteItem when it holds `batchSize` items, every
/// `flushInterval`, and on `flush()`/`shutdown()`. Items the sink cannot write (after the
/// DynamoDB client's own retries) are tried once more, then appended to the spill file, from
/// which `replaySpill()` or `ai-usage replay` writes them later. Keys are deterministic, so a
/// replay can never count a call twice.
///
/// ```swift
/// let tracker = try Tracker.fromEnvironment()
/// tracker.record(AIUsageMetric(service: "openai", model: "gpt-4o", operation: "completion", inputTokens: 1000, outputTokens: 500, costUSD: ExactDecimal("0.0125")))
/// await tracker.shutdown()
/// ```
public actor Tracker {
    public nonisolated let configuration: TrackerConfiguration
    /// Prices the calls `track` records: the current catalogue (a published one is refreshed
    /// in the background; see `Tracker.start(environment:)`).
    public nonisolated var calculator: CostCalculator { pricing.withLock { $0 } }
    nonisolated let pricing: Mutex<CostCalculator>
    /// The models already warned about as unpriced, by `service/model`: one warning each per process.
    nonisolated let warnedUnpriced = Mutex<Set<String>>([])
    /// Re-reads a published catalogue now and then; cancelled by `shutdown()`.
    var priceRefresh: Task<Void, Never>?
    /// Where `allow(scope:)` learns of exhausted hard budgets; `nil`: every call is allowed.
    public nonisolated let budgetGate: (any BudgetGate)?
    private let sink: any MetricSink
    private nonisolated let buffer = Mutex(Buffer())
    nonisolated let counters = Mutex(TrackerStats())
    /// Spill appends run here, one at a time, off the caller's thread and the cooperative pool.
    private nonisolated let spillQueue = DispatchQueue(label: "ai-usage.tracker.spill")
    private nonisolated let spills = DispatchGroup()
    private var timer: Task<Void, Never>?
    /// The last write queued; each waits for the one before it.
    private var writes: Task<Void, Never>?
    private var isShutDown = false

    private struct Buffer {
        var items: [Item] = []
        /// A flush task is already on its way.
        var flushScheduled = false
        /// The interval timer has been asked for (it is started once, on the first record).
        var timerRequested = false
    }

    public init(
        sink: any MetricSink, configuration: TrackerConfiguration = TrackerConfiguration(), calculator: CostCalculator = CostCalculator(),
        budgetGate: (any BudgetGate)? = nil
    ) {
        self.sink = sink
        self.configuration = configuration
        self.pricing = Mutex(calculator)
        self.budgetGate = budgetGate
    }

    // MARK: - Hard budgets

    /// Whether calls in `scope` may go ahead: `false` once a hard budget covering it is
    /// exhausted (as of the last budget check; see `DynamoDBBudgetGate` for how fresh that is).
    /// `scope` is a concrete subject: `global`, `service:openai`, `model:gpt-4o`, `user:alice`,
    /// `job:nightly-42`, `environment:prod`. Fails open: when the table cannot be read the call
    /// is allowed and one line goes to standard error, so an outage of the budget store never
    /// stops the work.
    public nonisolated func allow(scope: String) async -> Bool {
        guard let budgetGate else { return true }
        do {
            return try await !budgetGate.isBlocked(subject: scope, at: .now())
        } catch {
            StandardError.write("ai-usage tracker: could not read budget blocks for \(InputEcho.short(scope, limit: 80)) (allowing the call): \(error.description)")
            return true
        }
    }

    /// The first exhausted scope among those a call would count against: `global`, its service
    /// and model, and the task's `TrackingContext` (job, user, environment); `nil` when the call
    /// may go ahead. What the tracked clients' preflight asks.
    public nonisolated func blockedScope(service: String, model: String) async -> String? {
        let context = configuration.defaults.merging(TrackingContext.current)
        var scopes = ["global", "service:\(service.lowercased())", "model:\(model)"]
        if let job = context.jobId { scopes.append("job:\(job)") }
        if let user = context.userId { scopes.append("user:\(user)") }
        if let environment = context.environment { scopes.append("environment:\(environment)") }
        for scope in scopes where await !allow(scope: scope) { return scope }
        return nil
    }

    /// A tracker writing to `DYNAMODB_TABLE_NAME` through a client configured from the environment,
    /// pricing with the built-in catalogue and `AI_USAGE_PRICING_FILE`. With
    /// `AI_USAGE_PRICING_FROM_TABLE=on`, use `Tracker.start(environment:)`, which reads the
    /// published catalogue.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Tracker {
        switch PublishedCatalogue.isEnabled(environment) {
        case false?: break
        case nil:
            throw AIUsageMetric.ValidationError("\(PublishedCatalogue.environmentVariable) must be on or off, got '\(InputEcho.short(environment[PublishedCatalogue.environmentVariable] ?? "", limit: 40))'")
        case true?:
            throw AIUsageMetric.ValidationError("\(PublishedCatalogue.environmentVariable) is '\(environment[PublishedCatalogue.environmentVariable] ?? "")': a tracker that reads the published catalogue is made with 'try await Tracker.start()' (or set the variable to off)")
        }
        guard let table = environment["DYNAMODB_TABLE_NAME"], !table.isEmpty else {
            throw AIUsageMetric.ValidationError("DYNAMODB_TABLE_NAME is not set: export the table the metrics go to")
        }
        if let problem = DynamoDBConfiguration.tableNameProblem(table) {
            throw AIUsageMetric.ValidationError("DYNAMODB_TABLE_NAME \(problem)")
        }
        if let problem = TrackerConfiguration.environmentProblems(environment).first {
            throw AIUsageMetric.ValidationError(problem)
        }
        let client = DynamoDBClient(configuration: try DynamoDBConfiguration.fromEnvironment(environment))
        return Tracker(
            sink: DynamoDBSink(client: client, tableName: table),
            configuration: .fromEnvironment(environment),
            calculator: CostCalculator(catalogue: try PricingCatalogue.load(environment: environment)),
            budgetGate: DynamoDBBudgetGate(client: client, tableName: table)
        )
    }

    // MARK: - Recording

    /// Queues one metric. Never throws and never waits for I/O; an invalid metric is refused
    /// with a log line and counted in `stats().rejected`. Returns the metric as it will be
    /// stored (context applied), or `nil` when it was refused.
    @discardableResult
    public nonisolated func record(_ metric: AIUsageMetric) -> AIUsageMetric? {
        var metric = metric
        configuration.defaults.merging(TrackingContext.current).apply(to: &metric)
        let item: Item
        do {
            item = try MetricItemCodec.item(for: metric, sharding: configuration.sharding)
        } catch {
            counters.withLock { $0.rejected += 1 }
            Self.log("refused a metric for \(metric.service)/\(metric.model)/\(metric.operation): \(error.message)")
            return nil
        }
        if let mirror = configuration.mirrorFile { MetricLog.append(metric, to: mirror) }

        enum Next { case nothing, startTimer, flush, spill([Item]) }
        let next: Next = buffer.withLock { buffer in
            if buffer.items.count >= configuration.maxBuffered {
                // The writer is not keeping up (DynamoDB is failing, or the caller never lets the
                // flush task run). Move the whole backlog to the spill file in one append, rather
                // than one item at a time, and start over with an empty buffer.
                var overflow = buffer.items
                overflow.append(item)
                buffer.items.removeAll(keepingCapacity: true)
                return .spill(overflow)
            }
            buffer.items.append(item)
            if buffer.items.count >= configuration.batchSize, !buffer.flushScheduled {
                buffer.flushScheduled = true
                return .flush
            }
            if !buffer.timerRequested {
                buffer.timerRequested = true
                return .startTimer
            }
            return .nothing
        }
        switch next {
        case .nothing:
            counters.withLock { $0.queued += 1 }
        case .startTimer:
            counters.withLock { $0.queued += 1 }
            Task { await self.startTimerIfNeeded() }
        case .flush:
            counters.withLock { $0.queued += 1 }
            Task { await self.flushScheduledBatches() }  // hop onto the actor; returns at once
        case .spill(let overflow):
            counters.withLock { $0.queued -= overflow.count - 1 }
            spill(overflow, reason: "more than \(configuration.maxBuffered) items were waiting to be written")
        }
        return metric
    }

    /// Counts so far.
    public nonisolated func stats() -> TrackerStats { counters.withLock { $0 } }

    // MARK: - Flushing

    /// Writes everything buffered now, and waits for writes already under way; returns when
    /// every item recorded before the call is written or spilled.
    public func flush() async {
        while true {
            while let batch = takeBatch(force: true) { chain(batch) }
            guard let current = writes else {
                await spillsWritten()
                return
            }
            await current.value
            if writes == current, buffer.withLock({ $0.items.isEmpty }) {
                writes = nil
                await spillsWritten()
                return
            }
        }
    }

    /// Flushes and stops the interval timer. Metrics recorded later still buffer; call
    /// `flush()` again for them.
    public func shutdown() async {
        isShutDown = true
        timer?.cancel()
        timer = nil
        priceRefresh?.cancel()
        priceRefresh = nil
        await flush()
    }

    /// Queues every full batch for writing.
    private func flushScheduledBatches() {
        while let batch = takeBatch(force: false) { chain(batch) }
    }

    /// Writes run one after another, in order, so `flush()` can wait for the last one.
    private func chain(_ batch: [Item]) {
        let previous = writes
        writes = Task {
            await previous?.value
            await self.write(batch)
        }
    }

    /// The next batch to write: a full one, or (when forced) whatever there is.
    private nonisolated func takeBatch(force: Bool) -> [Item]? {
        buffer.withLock { buffer in
            guard buffer.items.count >= configuration.batchSize || (force && !buffer.items.isEmpty) else {
                buffer.flushScheduled = false
                return nil
            }
            let count = min(configuration.batchSize * 4, buffer.items.count)
            let batch = Array(buffer.items.prefix(count))
            buffer.items.removeFirst(count)
            return batch
        }
    }

    private func write(_ batch: [Item]) async {
        var outcome = await sink.write(batch)
        if !outcome.unwritten.isEmpty {
            counters.withLock { $0.retried += outcome.unwritten.count }
            let written = batch.count - outcome.unwritten.count
            counters.withLock { $0.written += written; $0.queued -= written }
            let retry = outcome.unwritten
            outcome = await sink.write(retry)
            let rewritten = retry.count - outcome.unwritten.count
            counters.withLock { $0.written += rewritten; $0.queued -= rewritten }
        } else {
            counters.withLock { $0.written += batch.count; $0.queued -= batch.count }
        }
        if !outcome.unwritten.isEmpty {
            counters.withLock { $0.queued -= outcome.unwritten.count }
            spill(outcome.unwritten, reason: outcome.failure ?? "the sink did not write them")
        }
    }

    /// Appends to the spill file on the tracker's own serial queue, so that the `record()` call
    /// that overflows the buffer does not wait for the encoding and the write (tens of
    /// milliseconds for thousands of items); `flush()` waits for every append.
    private nonisolated func spill(_ items: [Item], reason: String) {
        let file = configuration.spillFile
        spillQueue.async(group: spills) { [self] in
            do {
                try file.append(items)
                counters.withLock { $0.spilled += items.count }
                Self.log("spilled \(items.count) metrics to \(file.path) (\(reason)); run 'ai-usage replay' to write them later")
            } catch {
                counters.withLock { $0.lost += items.count }
                Self.log("LOST \(items.count) metrics: \(reason), and the spill file failed: \(error)")
            }
        }
    }

    /// Returns once every spill queued so far is on disk.
    private nonisolated func spillsWritten() async {
        await withCheckedContinuation { continuation in
            spills.notify(queue: spillQueue) { continuation.resume() }
        }
    }

    private func startTimerIfNeeded() {
        guard timer == nil, !isShutDown else { return }
        let interval = configuration.flushInterval
        timer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.flush()
            }
        }
    }

    // MARK: - Replay

    /// Writes the spill file's items through the sink and keeps only what still fails.
    /// Do not call it while this tracker may be spilling (it locks the file): it is for
    /// start-up, a quiet moment, or `ai-usage replay` in another process.
    public func replaySpill() async throws(SpillFile.Failure) -> (replayed: Int, remaining: Int, malformed: Int) {
        let sink = self.sink
        let result = try await configuration.spillFile.drain { items in
            var left: [Item] = []
            var start = 0
            while start < items.count {
                let chunk = Array(items[start..<min(start + 100, items.count)])
                left += await sink.write(chunk).unwritten
                start += chunk.count
            }
            return left
        }
        counters.withLock { $0.replayed += result.replayed }
        return result
    }

    static func log(_ message: String) {
        StandardError.write("ai-usage tracker: \(message)")
    }
}
