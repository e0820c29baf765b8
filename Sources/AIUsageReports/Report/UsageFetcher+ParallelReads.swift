import AIUsage
import DynamoDB

extension UsageFetcher {
    /// Runs `read` on each of `reads`, at most `concurrency` at once, handing each result to
    /// `merge` as it finishes (in finishing order). The first error cancels the rest.
    static func inParallel<Input: Sendable, Output: Sendable>(
        _ reads: [Input], concurrency: Int,
        read: @escaping @Sendable (Input) async throws(DynamoDBError) -> Output,
        merge: (Output) -> Void
    ) async throws(DynamoDBError) {
        guard !reads.isEmpty else { return }
        do {
            try await withThrowingTaskGroup(of: Output.self) { group in
                var next = 0
                func startNext() {
                    guard next < reads.count else { return }
                    let input = reads[next]
                    next += 1
                    group.addTask { try await read(input) }
                }
                for _ in 0..<min(max(1, concurrency), reads.count) { startNext() }
                while let result = try await group.next() {
                    merge(result)
                    startNext()
                }
            }
        } catch let error as DynamoDBError {
            throw error
        } catch {
            throw DynamoDBError(kind: .invalidResponse, code: "UnexpectedError", message: "\(error)", operation: "Query")
        }
    }

    /// Reads `segments` of `query`'s raw items from every partition that holds them, at most
    /// `concurrency` reads in flight. Each read folds its items, page by page, into a part of its
    /// own (`empty()`), and the parts merge into the answer as they finish.
    func readRawParts<Part: Sendable>(
        _ query: UsageQuery,
        segments: [(first: CivilDate, last: CivilDate)],
        empty: @escaping @Sendable () -> Part,
        fold: @escaping @Sendable (inout Part, inout WireItem) throws(WireDecodingError) -> Void,
        merge: (inout Part, Part) -> Void
    ) async throws(DynamoDBError) -> (part: Part, count: ReadCount) {
        let source = self.source
        var reads: [(first: CivilDate, last: CivilDate, partition: String)] = []
        for segment in segments {
            for partition in source.rawPartitions(for: query) { reads.append((segment.first, segment.last, partition)) }
        }
        var total = empty()
        var count = ReadCount()
        try await Self.inParallel(reads, concurrency: concurrency, read: { (read) throws(DynamoDBError) -> (Part, ReadCount) in
            var part = empty()
            let count = try await source.readRaw(query, partition: read.partition, from: read.first, to: read.last) {
                (reader: inout WireItem) throws(WireDecodingError) in
                try fold(&part, &reader)
            }
            return (part, count)
        }, merge: { (part, partCount) in
            merge(&total, part)
            count += partCount
        })
        return (total, count)
    }
}
