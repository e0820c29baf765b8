import AIUsage
import DynamoDB

/// Answers a `UsageQuery` from a `UsageSource`: closed, clean, compacted days from their
/// rollups, every other day from raw items, the same answer to the last digit either way.
///
/// 1. Rollups, when the query's filters are rollup dimensions (no `job_id` or `batch_id`): the
///    range's closed days (today and yesterday are never read from rollups), in segments of whole
///    days, each streamed through a `RollupStream`: the summary groups (`DAY#` range) when there
///    is no environment or user filter, else the markers and manifests then the fine groups
///    (`FINE#` range). A day counts only when it is clean; its groups that match the filters are
///    folded in.
/// 2. Raw items for the other days: contiguous runs of them, cut into at most `concurrency`
///    segments, each read from every raw partition (the original key and each shard's), run in
///    parallel with the rollup reads, each page folded as it arrives; the parts merge exactly.
///    Closed days the rollups could not answer are read from raw items afterwards.
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
    ///
    /// Two rounds of at most `concurrency` reads in flight: first the closed days' rollups (in
    /// segments of whole days, each folded as it streams) together with the open days' raw items;
    /// then raw items for any closed day the rollups could not answer.
    public func aggregate(_ query: UsageQuery, today: CivilDate) async throws(DynamoDBError) -> Outcome {
        var outcome = Outcome(aggregate: UsageAggregate(levels: query.aggregation))
        let lastClosed = min(query.end, RollupKeys.lastClosedDay(today: today))
        let days = query.end.daysSinceEpoch - query.start.daysSinceEpoch + 1
        guard usesRollups, RollupGroup.canAnswer(query), query.start <= lastClosed else {
            try await run(rawReads(query, excluding: []), query: query, into: &outcome)
            outcome.rawDays = days
            return outcome
        }
        var closed: Set<CivilDate> = []
        for day in query.start.daysSinceEpoch...lastClosed.daysSinceEpoch { closed.insert(CivilDate(daysSinceEpoch: day)) }
        let rollupQuery = UsageQuery(start: query.start, end: lastClosed)
        var reads = Self.segments(of: rollupQuery, concurrency: concurrency).map { Read.rollups(first: $0.first, last: $0.last) }
        reads += rawReads(query, excluding: closed)
        let covered = try await run(reads, query: query, into: &outcome)
        outcome.rollupDays = covered.count
        // The closed days the rollups could not answer (none once compaction has run).
        var answered = covered
        if lastClosed < query.end {
            for day in lastClosed.daysSinceEpoch + 1...query.end.daysSinceEpoch { answered.insert(CivilDate(daysSinceEpoch: day)) }
        }
        try await run(rawReads(query, excluding: answered), query: query, into: &outcome)
        outcome.rawDays = days - covered.count
        return outcome
    }

    /// One read: a segment of the rollup partition, or a segment of one raw partition.
    enum Read {
        case rollups(first: CivilDate, last: CivilDate)
        case raw(first: CivilDate, last: CivilDate, partition: String)
    }

    /// The raw reads of the query's days not in `excluding`: segments × partitions.
    private func rawReads(_ query: UsageQuery, excluding: Set<CivilDate>) -> [Read] {
        let partitions = source.rawPartitions(for: query)
        var reads: [Read] = []
        for segment in Self.segments(of: query, excluding: excluding, concurrency: concurrency) {
            for partition in partitions { reads.append(.raw(first: segment.first, last: segment.last, partition: partition)) }
        }
        return reads
    }

    /// Runs `reads` with at most `concurrency` in flight, merging each part as it finishes;
    /// returns the days the rollup reads answered.
    @discardableResult
    private func run(_ reads: [Read], query: UsageQuery, into outcome: inout Outcome) async throws(DynamoDBError) -> Set<CivilDate> {
        var covered: Set<CivilDate> = []
        guard !reads.isEmpty else { return covered }
        let levels = query.aggregation
        let source = self.source
        let concurrency = self.concurrency
        struct Part: Sendable {
            var aggregate: UsageAggregate
            var count: ReadCount
            var isRollup: Bool
            var covered: [CivilDate]
        }
        try await Self.inParallel(reads, concurrency: concurrency, read: { (read) throws(DynamoDBError) -> Part in
            switch read {
            case .rollups(let first, let last):
                var count: ReadCount
                var stream: RollupStream
                if RollupGroup.summariesAnswer(query) {
                    stream = RollupStream(query: query, from: first, to: last, level: .summary)
                    count = try await source.readRollups(from: first, to: last) { (reader: inout WireItem) throws(WireDecodingError) in
                        try stream.add(&reader)
                    }
                } else {
                    // The markers and manifests, then the fine groups.
                    stream = RollupStream(query: query, from: first, to: last, level: .fine)
                    count = try await source.readRollups(from: first, to: last) { (reader: inout WireItem) throws(WireDecodingError) in
                        try stream.addHeader(&reader)
                    }
                    count += try await source.readFineRollups(from: first, to: last) { (reader: inout WireItem) throws(WireDecodingError) in
                        try stream.add(&reader)
                    }
                }
                stream.finish()
                return Part(aggregate: stream.aggregate, count: count, isRollup: true, covered: stream.covered)
            case .raw(let first, let last, let partition):
                var aggregate = UsageAggregate(levels: levels)
                let count = try await source.readRaw(query, partition: partition, from: first, to: last) {
                    (reader: inout WireItem) throws(WireDecodingError) in
                    let fields = try ReportFields.read(&reader)
                    fields.fold(into: &aggregate, reader)
                }
                return Part(aggregate: aggregate, count: count, isRollup: false, covered: [])
            }
        }, merge: { part in
            outcome.aggregate.merge(part.aggregate)
            if part.isRollup { outcome.rollup += part.count } else { outcome.raw += part.count }
            covered.formUnion(part.covered)
        })
        return covered
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
