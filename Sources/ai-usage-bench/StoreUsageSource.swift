import AIUsage
import AIUsageReports
import DynamoDB

/// The replay store as a `UsageSource`, for `RollupCompactor`: it reads the same pages the
/// replay server sends (built by `ReplayStore`, decoded by the real `QueryPageDecoder`) and
/// writes the rollups into the store. GSI2 only, no filters: what compaction asks for.
struct StoreUsageSource: UsageSource {
    let store: ReplayStore

    func rawPartitions(for query: UsageQuery) -> [String] {
        IndexSharding.single.costPartitionsToRead
    }

    func readRaw(
        _ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        guard query.service == nil, query.serverFilters.isEmpty else {
            throw DynamoDBError(kind: .invalidResponse, code: "BenchUnsupported", message: "the bench's store reads GSI2 without filters only", operation: "Query")
        }
        var request = ReplayStore.rawRequest(from: first, to: last)
        request.partition = partition
        return try read(request, item: item)
    }

    func readDay(
        _ day: CivilDate, partition: String,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        var request = ReplayStore.rawRequest(from: day, to: day, projection: ReportNames.report + ReportNames.rollup)
        request.partition = partition
        return try read(request, item: item)
    }

    func readRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try read(ReplayStore.rollupRequest(from: first, to: last), item: item)
    }

    func readFineRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try read(ReplayStore.fineRollupRequest(from: first, to: last), item: item)
    }

    func write(_ requests: [WriteRequest]) async throws(DynamoDBError) {
        store.apply(requests)
    }

    /// Every page of `request`, decoded as the client decodes a response body.
    private func read(_ request: ReplayStore.Request, item: (inout WireItem) throws(WireDecodingError) -> Void) throws(DynamoDBError) -> ReadCount {
        var count = ReadCount(queries: 1)
        var request = request
        while true {
            let page = store.page(request, count: false)
            let decoded = page.body.withUnsafeBufferPointer { buffer in
                Result { () throws(WireDecodingError) -> QueryPageSummary in try QueryPageDecoder.decode(buffer, item: item) }
            }
            switch decoded {
            case .success(let summary): count.items += summary.itemsRead
            case .failure(let error):
                throw DynamoDBError(kind: .invalidResponse, code: "InvalidResponse", message: "\(error)", operation: "Query")
            }
            count.pages += 1
            count.bytes += page.body.count
            guard let next = page.next else { return count }
            request.after = next
        }
    }
}

/// What compacting the bench's month did.
struct CompactionFigures: Codable {
    var days: Int
    var written: Int
    var rawItemsRead: Int
    var groups: Int
    /// Groups and manifests in the store afterwards.
    var rollupItems: Int
    var seconds: Double
}

enum Compaction {
    /// `RollupCompactor` (no settle time: every item is in) over the store, `first` … `last`.
    static func run(store: ReplayStore, from first: CivilDate, to last: CivilDate) async throws -> CompactionFigures {
        let today = UTCTimestamp.now().civilDate
        guard last <= RollupKeys.lastClosedDay(today: today) else {
            throw Failure(description: "\(last) is not closed yet on \(today) (UTC): no rollups to read")
        }
        let compactor = RollupCompactor(source: StoreUsageSource(store: store), settleSeconds: 0, now: { UTCTimestamp.now() })
        let clock = ContinuousClock()
        let started = clock.now
        let outcomes = try await compactor.compact(from: first, to: last)
        let seconds = (clock.now - started).seconds
        let failed = outcomes.filter { $0.result != .written || $0.stillDirty }
        guard failed.isEmpty else { throw Failure(description: "days not compacted: \(failed.map { "\($0.day) \($0.result)" }.joined(separator: ", "))") }
        return CompactionFigures(
            days: outcomes.count, written: outcomes.count, rawItemsRead: outcomes.reduce(0) { $0 + $1.rawItems },
            groups: outcomes.reduce(0) { $0 + $1.groups }, rollupItems: store.rollupCount, seconds: rounded(seconds, places: 2)
        )
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }
}
