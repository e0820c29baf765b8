import AIUsage
import DynamoDB

/// Answers a `UsageQuery` from a `UsageSource`: closed, clean, compacted days from their
/// rollups, every other day from raw items, the same answer to the last digit either way.
///
/// 1. Rollups, when the query's filters are rollup dimensions (no `job_id` or `batch_id`): one
///    read of the rollup partition for the range's closed days (today and yesterday are never
///    read from rollups). A day counts only when `RollupDay.isClean`; its groups that match the
///    filters are folded in.
/// 2. Raw items for the other days: contiguous runs of them, cut into at most `concurrency`
///    segments, each read from every raw partition (the original key and each shard's), run in
///    parallel, each page folded as it arrives; the parts merge exactly.
public struct UsageFetcher: Sendable {
    public let source: any UsageSource
    /// Reads in flight at once (segments × partitions).
    public let concurrency: Int
    /// Whether closed days may be answered from rollups.
    public let usesRollups: Bool

    public init(source: any UsageSource, concurrency: Int = 8, usesRollups: Bool = true) {
        self.source = source
        self.concurrency = max(1, concurrency)
        self.usesRollups = usesRollups
    }

    /// The table through `DynamoDBUsageSource`.
    public init(
        client: DynamoDBClient, tableName: String, concurrency: Int = 8, pageLimit: Int? = nil,
        sharding: IndexSharding = .single, usesRollups: Bool = true
    ) {
        self.init(
            source: DynamoDBUsageSource(client: client, tableName: tableName, sharding: sharding, pageLimit: pageLimit),
            concurrency: concurrency, usesRollups: usesRollups
        )
    }

    /// What a fetch found, and what it read.
    public struct Outcome: Sendable {
        public var aggregate: UsageAggregate
        /// Raw-item reads.
        public var raw = ReadCount()
        /// Rollup-partition reads.
        public var rollup = ReadCount()
        /// Days answered from rollups, and from raw items.
        public var rollupDays = 0
        public var rawDays = 0

        /// Query calls in all.
        public var queries: Int { raw.queries + rollup.queries }
        /// Pages in all.
        public var pages: Int { raw.pages + rollup.pages }

        /// `raw 5 days (1,234 items, 3 pages, 8 queries); rollups 25 days (600 items, 1 page)`.
        public var readSummary: String {
            "raw \(rawDays) days (\(raw.items) items, \(raw.pages) pages, \(raw.queries) queries); rollups \(rollupDays) days (\(rollup.items) items, \(rollup.pages) pages)"
        }
    }

    /// Fetches and aggregates every matching item of the query's range. `today` (UTC) decides
    /// which days are still open.
    public func aggregate(_ query: UsageQuery, today: CivilDate) async throws(DynamoDBError) -> Outcome {
        var outcome = Outcome(aggregate: UsageAggregate(levels: query.aggregation))
        var covered: Set<CivilDate> = []
        let lastClosed = RollupKeys.lastClosedDay(today: today)
        if usesRollups, RollupGroup.canAnswer(query), query.start <= min(query.end, lastClosed) {
            let last = min(query.end, lastClosed)
            var days: [String: RollupDay] = [:]
            outcome.rollup = try await source.readRollups(from: query.start, to: last) { (reader: inout WireItem) throws(WireDecodingError) in
                var item: Item = [:]
                try reader.decodeRest(into: &item)
                RollupDay.add(item, to: &days)
            }
            for (text, day) in days.sorted(by: { $0.key < $1.key }) where day.isClean {
                guard let date = CivilDate(text), date >= query.start, date <= last else { continue }
                covered.insert(date)
                for group in day.currentGroups where group.matches(query) { group.fold(into: &outcome.aggregate) }
            }
        }
        outcome.rollupDays = covered.count

        let segments = Self.segments(of: query, excluding: covered, concurrency: concurrency)
        outcome.rawDays = segments.reduce(0) { $0 + $1.last.daysSinceEpoch - $1.first.daysSinceEpoch + 1 }
        let partitions = source.rawPartitions(for: query)
        var tasks: [(first: CivilDate, last: CivilDate, partition: String)] = []
        for segment in segments {
            for partition in partitions { tasks.append((segment.first, segment.last, partition)) }
        }
        let levels = query.aggregation
        let source = self.source
        do {
            try await withThrowingTaskGroup(of: (UsageAggregate, ReadCount).self) { group in
                var next = 0
                func startNext() {
                    guard next < tasks.count else { return }
                    let task = tasks[next]
                    next += 1
                    group.addTask {
                        var aggregate = UsageAggregate(levels: levels)
                        let count = try await source.readRaw(query, partition: task.partition, from: task.first, to: task.last) {
                            (reader: inout WireItem) throws(WireDecodingError) in
                            let fields = try ReportFields.read(&reader)
                            fields.fold(into: &aggregate, reader)
                        }
                        return (aggregate, count)
                    }
                }
                for _ in 0..<min(concurrency, tasks.count) { startNext() }
                while let (part, count) = try await group.next() {
                    outcome.aggregate.merge(part)
                    outcome.raw += count
                    startNext()
                }
            }
        } catch let error as DynamoDBError {
            throw error
        } catch {
            throw DynamoDBError(kind: .invalidResponse, code: "UnexpectedError", message: "\(error)", operation: "Query")
        }
        return outcome
    }

    /// The days of the query's range not in `covered`, as contiguous runs cut into at most
    /// `concurrency` segments of whole days (as even as possible), in order.
    public static func segments(
        of query: UsageQuery, excluding covered: Set<CivilDate> = [], concurrency: Int
    ) -> [(first: CivilDate, last: CivilDate)] {
        var runs: [(first: Int, last: Int)] = []
        for day in query.start.daysSinceEpoch...query.end.daysSinceEpoch where !covered.contains(CivilDate(daysSinceEpoch: day)) {
            if let last = runs.last, last.last == day - 1 {
                runs[runs.count - 1].last = day
            } else {
                runs.append((day, day))
            }
        }
        // Split the longest run in two until there are enough segments or every run is one day.
        while runs.count < concurrency, let longest = runs.indices.max(by: { runs[$0].last - runs[$0].first < runs[$1].last - runs[$1].first }),
              runs[longest].last > runs[longest].first {
            let run = runs[longest]
            let middle = run.first + (run.last - run.first + 1) / 2
            runs[longest] = (run.first, middle - 1)
            runs.insert((middle, run.last), at: longest + 1)
        }
        return runs.map { (CivilDate(daysSinceEpoch: $0.first), CivilDate(daysSinceEpoch: $0.last)) }
    }
}
