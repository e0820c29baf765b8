import AIUsage
import DynamoDB

/// Answers a `ScopedReportQuery` completely for every scope, reading as little as that allows.
///
/// An item's GSI3 key holds only its highest-priority context (JOB > USER > BATCH > ENV), so a
/// GSI3 lookup is complete for a job only. Per scope (read cost in DynamoDB terms: a Query is
/// charged for every item its key condition reaches, whatever its filter drops):
///
/// | scope | reads | cost |
/// |---|---|---|
/// | job | GSI3 `JOB#<id>`, `GSI3SK` over the range, with the job filter | the job's items only |
/// | batch | every GSI2 partition over the range, filtered on `batch_id`/`batchId` | every raw item of the range (only matches are sent) |
/// | user, environment | `UsageFetcher`: closed clean days from the `FINE#` rollups, other days raw with the filter; then the raw items of the first and last day that have calls, for their exact instants | the rollups of the range, the raw items of the open and uncompacted days, and of at most two more days |
///
/// A job's or batch's items are read once, folding the sums, the first and last call and the
/// error count together. A user's or an environment's error count is not given: it would cost a
/// raw read of the whole range.
public struct ScopedReportFetcher: Sendable {
    public let fetcher: UsageFetcher

    public init(fetcher: UsageFetcher) {
        self.fetcher = fetcher
    }

    /// The levels every scoped report keeps.
    static let levels: [AggregationLevel] = [.day, .service, .model, .operation]

    /// The report of `query`. `today` (UTC) decides which days are still open (rollups).
    public func report(_ query: ScopedReportQuery, today: CivilDate) async throws(DynamoDBError) -> ScopedReport {
        let usage = query.scope.usageQuery(start: query.start, end: query.end, levels: Self.levels)
        var reads = ScopedReport.Reads()
        if query.scope.kind.isRun {
            let segments = UsageFetcher.segments(of: usage, concurrency: fetcher.concurrency)
            let scan = try await readRaw(usage, segments: segments, levels: Self.levels)
            reads.raw = scan.count
            reads.rawDays = query.days
            return ScopedReport(query: query, aggregate: scan.aggregate, activity: scan.activity, countsErrors: true, reads: reads)
        }
        let outcome = try await fetcher.aggregate(usage, today: today)
        reads.raw = outcome.raw
        reads.rawDays = outcome.rawDays
        reads.rollup = outcome.rollup
        reads.rollupDays = outcome.rollupDays
        // The days with calls, in order; the first and the last hold the first and last call.
        let days = outcome.aggregate.groups(.day).compactMap { CivilDate($0.key) }
        var activity = CallActivity()
        if let first = days.first, let last = days.last {
            let ends: [(first: CivilDate, last: CivilDate)] = first == last ? [(first, first)] : [(first, first), (last, last)]
            let scan = try await readRaw(usage, segments: ends, levels: [])
            activity = scan.activity
            reads.activity = scan.count
            reads.activityDays = ends.count
        }
        return ScopedReport(query: query, aggregate: outcome.aggregate, activity: activity, countsErrors: false, reads: reads)
    }

    /// What reading some raw items gave.
    struct Scan: Sendable {
        var aggregate: UsageAggregate
        var activity = CallActivity()
        var count = ReadCount()
    }

    /// Reads `segments` of `query`'s raw items from every partition that holds them, folding
    /// the sums, the first and last call and the error count together.
    func readRaw(
        _ query: UsageQuery, segments: [(first: CivilDate, last: CivilDate)], levels: [AggregationLevel]
    ) async throws(DynamoDBError) -> Scan {
        var (scan, count) = try await fetcher.readRawParts(
            query, segments: segments,
            empty: { Scan(aggregate: UsageAggregate(levels: levels)) },
            fold: { (scan: inout Scan, reader: inout WireItem) throws(WireDecodingError) in
                let fields = try ReportFields.read(&reader)
                let invalid = scan.aggregate.invalidItems
                fields.fold(into: &scan.aggregate, reader)
                // Only the items the sums count.
                if scan.aggregate.invalidItems == invalid { scan.activity.add(fields, reader) }
            },
            merge: { total, part in
                total.aggregate.merge(part.aggregate)
                total.activity.merge(part.activity)
            }
        )
        scan.count = count
        return scan
    }
}
