import AIUsage
@testable import AIUsageReports
import DynamoDB
import Synchronization
import TestSupport

/// A usage table in memory, served as a `UsageSource`: it selects items as DynamoDB's key
/// conditions and the fetcher's filter expression would, projects them, cuts them into pages of
/// `pageSize`, writes each page as DynamoDB-JSON bytes (attributes in a seeded random order) and
/// runs the real streaming decoder over them. Writes apply puts and deletes by `PK`/`SK`.
final class InMemoryUsageSource: UsageSource, Sendable {
    private struct State {
        var items: [String: Item] = [:]
        var random: SplitMix64
        var writes = 0
    }

    private let state: Mutex<State>
    let pageSize: Int
    let sharding: IndexSharding
    /// Writes after this many `write` calls fail (a crash mid-compaction); `nil`: never.
    let failWritesAfter: Int?

    init(items: [Item] = [], pageSize: Int = 7, seed: UInt64 = 1, sharding: IndexSharding = .single, failWritesAfter: Int? = nil) {
        var map: [String: Item] = [:]
        for item in items { map[Self.key(item)] = item }
        state = Mutex(State(items: map, random: SplitMix64(state: seed)))
        self.pageSize = max(1, pageSize)
        self.sharding = sharding
        self.failWritesAfter = failWritesAfter
    }

    static func key(_ item: Item) -> String { "\(item["PK"]?.string ?? "")\u{0}\(item["SK"]?.string ?? "")" }

    /// Every item, by key (for comparing table states).
    var snapshot: [String: Item] { state.withLock { $0.items } }

    func put(_ item: Item) { state.withLock { $0.items[Self.key(item)] = item } }

    // MARK: - UsageSource

    func rawPartitions(for query: UsageQuery) -> [String] {
        switch query.rawIndex {
        case .service: sharding.servicePartitionsToRead(service: query.service ?? "")
        case .job: [ScopeIndex.jobPartition(query.jobId ?? "")]
        case .cost: sharding.costPartitionsToRead
        }
    }

    func readRaw(
        _ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try serve(select(query, partition: partition, from: first, to: last), projection: query.rawProjection, item: item)
    }

    func readDay(
        _ day: CivilDate, partition: String,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try serve(select(UsageQuery(start: day, end: day), partition: partition, from: day, to: day),
                  projection: ReportFields.names + ReportFields.rollupNames, item: item)
    }

    func readRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try serveRollups(from: RollupKeys.dayPrefix(first.text), to: RollupKeys.dayEnd(last.text), item: item)
    }

    func readFineRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try serveRollups(from: RollupKeys.finePrefix(first.text), to: RollupKeys.fineEnd(last.text), item: item)
    }

    /// The rollup partition's items with sort keys `low` … `high`, in sort-key order.
    private func serveRollups(
        from low: String, to high: String, item: (inout WireItem) throws(WireDecodingError) -> Void
    ) throws(DynamoDBError) -> ReadCount {
        let selected = state.withLock { state in
            state.items.values.filter { item in
                guard item["PK"]?.string == RollupKeys.partition, let sk = item["SK"]?.string else { return false }
                return !sk.utf8.lexicographicallyPrecedes(low.utf8) && !high.utf8.lexicographicallyPrecedes(sk.utf8)
            }.sorted { ($0["SK"]?.string ?? "").utf8.lexicographicallyPrecedes(($1["SK"]?.string ?? "").utf8) }
        }
        return try serve(selected, projection: nil, item: item)
    }

    func write(_ requests: [WriteRequest]) async throws(DynamoDBError) {
        try state.withLock { state throws(DynamoDBError) in
            state.writes += 1
            if let limit = failWritesAfter, state.writes > limit {
                throw DynamoDBError(kind: .transport, code: "TransportError", message: "injected: the process died", operation: "BatchWriteItem")
            }
            for request in requests {
                switch request {
                case .put(let item): state.items[Self.key(item)] = item
                case .delete(let key): state.items[Self.key(key)] = nil
                }
            }
        }
    }

    // MARK: - Selecting and serving

    /// What DynamoDB's key condition and the fetcher's filter select, in index order.
    private func select(_ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate) -> [Item] {
        let (pk, sk, low, high) = switch query.rawIndex {
        case .service:
            ("GSI1PK", "GSI1SK", MetricItemCodec.serviceIndexSortKey(date: first.text), MetricItemCodec.serviceIndexSortKey(date: last.text))
        case .job:
            ("GSI3PK", "GSI3SK", ScopeIndex.sortKeyStart(first), ScopeIndex.sortKeyEnd(last))
        case .cost:
            ("GSI2PK", "GSI2SK", MetricItemCodec.costIndexDayStart(date: first.text), MetricItemCodec.costIndexSortKey(date: last.text, service: "~"))
        }
        let filters = query.serverFilters
        return state.withLock { state in
            state.items.values.filter { item in
                guard item[pk]?.string == partition, let key = item[sk]?.string,
                      !key.utf8.lexicographicallyPrecedes(low.utf8), !high.utf8.lexicographicallyPrecedes(key.utf8) else { return false }
                return filters.allSatisfy { filter in filter.attributes.contains { filter.matches(item[$0]) } }
            }.sorted { Self.order($0, sk) < Self.order($1, sk) }
        }
    }

    private static func order(_ item: Item, _ sortKey: String) -> String {
        "\(item[sortKey]?.string ?? "")\u{0}\(key(item))"
    }

    /// Pages of `pageSize` items as DynamoDB-JSON bytes, each decoded by `QueryPageDecoder`.
    private func serve(_ items: [Item], projection: [String]?, item: (inout WireItem) throws(WireDecodingError) -> Void) throws(DynamoDBError) -> ReadCount {
        var count = ReadCount(queries: 1)
        var start = 0
        repeat {
            let page = Array(items[start..<min(start + pageSize, items.count)])
            start += page.count
            let bytes = state.withLock { state in
                Self.pageBytes(page, projection: projection, last: start < items.count, random: &state.random)
            }
            do {
                let summary = try bytes.withUnsafeBufferPointer { buffer throws(WireDecodingError) in
                    try QueryPageDecoder.decode(buffer, item: item)
                }
                count.items += summary.itemsRead
            } catch {
                throw DynamoDBError(kind: .invalidResponse, code: "InvalidResponse", message: "\(error)", operation: "Query")
            }
            count.pages += 1
            count.bytes += bytes.count
        } while start < items.count
        return count
    }

    /// `{"Items":[…],"Count":n,"ScannedCount":n[,"LastEvaluatedKey":{…}]}` with each item's
    /// projected attributes in a random order.
    static func pageBytes(_ items: [Item], projection: [String]?, last more: Bool, random: inout SplitMix64) -> [UInt8] {
        var members: [JSONValue.Member] = []
        var list: [JSONValue] = []
        for item in items {
            var attributes = item.filter { projection?.contains($0.key) ?? true }.map { JSONValue.Member(key: $0.key, value: wire($0.value)) }
            attributes.shuffle(using: &random)
            list.append(.object(attributes))
        }
        members.append(.init(key: "Items", value: .array(list)))
        members.append(.init(key: "Count", value: .number(items.count)))
        members.append(.init(key: "ScannedCount", value: .number(items.count)))
        if more { members.append(.init(key: "LastEvaluatedKey", value: .object([.init(key: "PK", value: .object([.init(key: "S", value: "opaque")]))]))) }
        members.shuffle(using: &random)
        return JSONValue.object(members).serializedBytes()
    }

    /// DynamoDB's JSON form of a value (numbers as strings).
    static func wire(_ value: AttributeValue) -> JSONValue {
        switch value {
        case .s(let text): .object([.init(key: "S", value: .string(text))])
        case .n(let text): .object([.init(key: "N", value: .string(text))])
        case .bool(let flag): .object([.init(key: "BOOL", value: .bool(flag))])
        case .null: .object([.init(key: "NULL", value: .bool(true))])
        case .m(let map): .object([.init(key: "M", value: .object(map.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: wire($0.value)) }))])
        case .l(let list): .object([.init(key: "L", value: .array(list.map(wire)))])
        case .ss(let texts): .object([.init(key: "SS", value: .array(texts.map { .string($0) }))])
        case .ns(let texts): .object([.init(key: "NS", value: .array(texts.map { .string($0) }))])
        case .b, .bs: .object([.init(key: "NULL", value: .bool(true))])  // not used by these tests
        }
    }
}
