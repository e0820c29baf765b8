import AIUsage
import DynamoDB

/// The spend of each job whose id begins with a prefix, over a range of days: what a budget on
/// `job:nightly-*` needs.
///
/// Jobs are not rollup dimensions, so this is the one spend that rollups cannot answer. It reads
/// every GSI2 partition (the original key and each shard's) over the range with a server-side
/// filter, `begins_with(job_id, prefix) OR begins_with(jobId, prefix)` (`attribute_exists` for an
/// empty prefix), projecting the cost and both job id names. A Query is charged for every item
/// its key condition reaches, so the read costs every raw item of the range, whatever the prefix;
/// only the matching items cross the network.
public struct JobSpendReader: Sendable {
    public let fetcher: UsageFetcher

    public init(fetcher: UsageFetcher) {
        self.fetcher = fetcher
    }

    /// Spend per job id, and what reading it cost.
    public struct Outcome: Sendable, Hashable {
        /// Job id → exact USD spent, for every job with a counted item.
        public var spend: [String: ExactDecimal] = [:]
        /// Matching items whose cost could not be read, or whose sum would overflow (left out,
        /// as reports leave them out).
        public var invalidItems = 0
        public var reads = ReadCount()

        public init() {}
    }

    /// Every job with spend in `first` … `last` whose `job_id` (else `jobId`) begins with
    /// `prefix`, byte for byte.
    public func spend(jobPrefix prefix: String, from first: CivilDate, to last: CivilDate) async throws(DynamoDBError) -> Outcome {
        let query = UsageQuery(start: first, end: last, jobIdPrefix: prefix)
        let segments = UsageFetcher.segments(of: query, concurrency: fetcher.concurrency)
        let prefixBytes = Array(prefix.utf8)
        var (outcome, count) = try await fetcher.readRawParts(
            query, segments: segments,
            empty: { Outcome() },
            fold: { (outcome: inout Outcome, reader: inout WireItem) throws(WireDecodingError) in
                let fields = try ReportFields.read(&reader)
                // The job the filter matched on: job_id when it has the prefix, else jobId.
                let candidates = [fields.jobId, fields.jobIdCamel].compactMap { ReportFields.text($0, reader) }
                guard let job = candidates.first(where: { $0.utf8.starts(with: prefixBytes) }) else { return }
                guard case .success(let numbers) = fields.numbers(reader),
                      let sum = (outcome.spend[job] ?? .zero).adding(numbers.cost) else {
                    outcome.invalidItems += 1
                    return
                }
                outcome.spend[job] = sum
            },
            merge: { total, part in
                for (job, amount) in part.spend {
                    if let sum = (total.spend[job] ?? .zero).adding(amount) {
                        total.spend[job] = sum
                    } else {
                        total.invalidItems += 1
                    }
                }
                total.invalidItems += part.invalidItems
            }
        )
        outcome.reads = count
        return outcome
    }
}
