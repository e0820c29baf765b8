import AIUsage
import AIUsageReports
import DynamoDB
import Foundation
import Synchronization

/// One Query response page, as DynamoDB would send it: the JSON bytes and their CRC-32.
struct ResponsePage: Sendable {
    var body: [UInt8]
    var crc32: UInt32
    var items: Int
    /// Where the next page starts (its `LastEvaluatedKey`); nil on the last page.
    var next: ReplayStore.Position?
}

/// The usage table the report path reads, in memory: the raw items in GSI2 order and the rollup
/// items (`PK = AI_USAGE_ROLLUP`) in sort-key order. It answers the two Queries `UsageFetcher`
/// and `RollupCompactor` send, page by page, as DynamoDB would:
///
/// - raw: `IndexName = GSI2`, `GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to`;
/// - rollups: no index, `PK = :pk AND SK BETWEEN :from AND :to` with `:pk = AI_USAGE_ROLLUP`;
///
/// each with any `ProjectionExpression`, `Limit` and `ExclusiveStartKey` (the page starts after
/// that key). A page is cut once the next item would take it past 1 MB of the items' full stored
/// size, carries `LastEvaluatedKey` (the index and table keys of its last item) unless it ends the
/// range, and is built on first use and cached. Anything else (a `FilterExpression`, GSI1, a raw
/// `PK` Query) is refused with a reason: the caller answers 400.
///
/// Served traffic is counted by kind. Compaction writes its rollups through `apply(_:)`.
final class ReplayStore: Sendable {
    enum Kind: String, Sendable { case raw, rollup }

    /// Where an item sorts: the partition and sort key its Query is keyed on, then the table keys
    /// (GSI2 orders equal index keys by them).
    struct Position: Sendable, Comparable {
        var partition: String
        var sortKey: String
        var pk: String
        var sk: String

        // Every key here is ASCII, where String's order is DynamoDB's byte order.
        static func < (a: Position, b: Position) -> Bool {
            (a.partition, a.sortKey, a.pk, a.sk) < (b.partition, b.sortKey, b.pk, b.sk)
        }
    }

    struct Stored: Sendable {
        var position: Position
        var item: Item
        var storedSize: Int
    }

    /// A Query, as far as the store reads it.
    struct Request: Sendable {
        var kind: Kind
        var partition: String
        var from: String
        var to: String
        /// Attribute names to keep; nil: the whole item.
        var projection: [String]?
        var limit: Int?
        /// `ExclusiveStartKey`, as a position; nil: from the start of the range.
        var after: Position?
    }

    struct Served: Sendable, Codable {
        var queries = 0
        var pages = 0
        var items = 0
        var bytes = 0
    }

    struct Counts: Sendable {
        var raw = Served()
        var rollup = Served()
        var refused = 0
        var firstRefusal: String?
    }

    /// DynamoDB stops a page once it has read 1 MB of items (their full size, before projection).
    static let pageLimitBytes = 1_048_576

    private let raw: [Stored]

    private struct State {
        var rollups: [String: Item] = [:]
        /// `rollups` sorted, rebuilt after a write.
        var sortedRollups: [Stored]?
        var cache: [String: ResponsePage] = [:]
        var counts = Counts()
    }

    private let state = Mutex(State())

    init(items: [UsageItem]) {
        raw = items.map { item in
            Stored(
                position: Position(
                    partition: item.full["GSI2PK"]?.string ?? "", sortKey: item.indexSortKey, pk: item.partitionKey, sk: item.sortKey
                ),
                item: item.full, storedSize: item.storedSize
            )
        }.sorted { $0.position < $1.position }
    }

    // MARK: - Counting

    var counts: Counts { state.withLock { $0.counts } }

    func resetCounts() { state.withLock { $0.counts = Counts() } }

    /// How many rollup items the store holds.
    var rollupCount: Int { state.withLock { $0.rollups.count } }

    // MARK: - Writes (compaction)

    func apply(_ requests: [WriteRequest]) {
        state.withLock { state in
            for request in requests {
                switch request {
                case .put(let item): state.rollups[item["SK"]?.string ?? ""] = item
                case .delete(let key): state.rollups[key["SK"]?.string ?? ""] = nil
                }
            }
            state.sortedRollups = nil
            state.cache = state.cache.filter { !$0.key.hasPrefix(Kind.rollup.rawValue) }
        }
    }

    // MARK: - Pages

    /// The page `request` asks for (cached), counted as served when `count` is set.
    func page(_ request: Request, count: Bool = true) -> ResponsePage {
        let items: [Stored]
        switch request.kind {
        case .raw: items = raw
        case .rollup:
            items = state.withLock { state in
                if let sorted = state.sortedRollups { return sorted }
                let sorted = state.rollups.map { sk, item in
                    Stored(position: Position(partition: RollupKeys.partition, sortKey: sk, pk: "", sk: ""), item: item,
                           storedSize: UsageTable.storedSize(item))
                }.sorted { $0.position < $1.position }
                state.sortedRollups = sorted
                return sorted
            }
        }
        let low = Position(partition: request.partition, sortKey: request.from, pk: "", sk: "")
        var start = Self.firstIndex(items) { !($0 < low) }
        if let after = request.after { start = max(start, Self.firstIndex(items) { after < $0 }) }
        let end = Self.firstIndex(items) { $0.partition > request.partition || ($0.partition == request.partition && $0.sortKey > request.to) }
        let cacheKey = "\(request.kind.rawValue)\u{1F}\(request.partition)\u{1F}\(request.from)\u{1F}\(request.to)\u{1F}"
            + "\(request.projection?.joined(separator: ",") ?? "*")\u{1F}\(request.limit ?? 0)\u{1F}\(start)"
        let page = state.withLock { $0.cache[cacheKey] } ?? {
            let built = Self.build(items, start: start, end: max(start, end), request: request)
            state.withLock { $0.cache[cacheKey] = built }
            return built
        }()
        if count {
            state.withLock { state in
                func add(_ served: inout Served) {
                    if request.after == nil { served.queries += 1 }
                    served.pages += 1
                    served.items += page.items
                    served.bytes += page.body.count
                }
                switch request.kind {
                case .raw: add(&state.counts.raw)
                case .rollup: add(&state.counts.rollup)
                }
            }
        }
        return page
    }

    /// Every page of a Query, in order (not counted).
    func pages(_ request: Request) -> [ResponsePage] {
        var request = request
        var pages: [ResponsePage] = []
        while true {
            let page = page(request, count: false)
            pages.append(page)
            guard let next = page.next else { return pages }
            request.after = next
        }
    }

    /// The raw Query `DynamoDBUsageSource.rawQuery` sends for one segment (no filters).
    static func rawRequest(from first: CivilDate, to last: CivilDate, projection: [String]? = ReportNames.report) -> Request {
        Request(
            kind: .raw, partition: MetricItemCodec.costIndexPartition,
            from: MetricItemCodec.costIndexDayStart(date: first.text), to: MetricItemCodec.costIndexSortKey(date: last.text, service: "~"),
            projection: projection
        )
    }

    /// The rollup Query of days `first` … `last` (`DAY#`: markers, manifests, summary groups).
    static func rollupRequest(from first: CivilDate, to last: CivilDate) -> Request {
        Request(kind: .rollup, partition: RollupKeys.partition, from: RollupKeys.dayPrefix(first.text), to: RollupKeys.dayEnd(last.text))
    }

    /// The fine-group Query of days `first` … `last` (`FINE#`).
    static func fineRollupRequest(from first: CivilDate, to last: CivilDate) -> Request {
        Request(kind: .rollup, partition: RollupKeys.partition, from: RollupKeys.finePrefix(first.text), to: RollupKeys.fineEnd(last.text))
    }

    private static func firstIndex(_ items: [Stored], where predicate: (Position) -> Bool) -> Int {
        // The predicate is false, then true, along the sorted items.
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(items[middle].position) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private static func build(_ items: [Stored], start: Int, end: Int, request: Request) -> ResponsePage {
        var stop = start
        var size = 0
        while stop < end, stop == start || size + items[stop].storedSize <= pageLimitBytes, stop - start < (request.limit ?? .max) {
            size += items[stop].storedSize
            stop += 1
        }
        let more = stop < end
        var out: [UInt8] = []
        out.reserveCapacity((stop - start) * 420 + 256)
        out.append(contentsOf: #"{"Items":["#.utf8)
        for index in start..<stop {
            if index > start { out.append(UInt8(ascii: ",")) }
            let item = items[index].item
            if let names = request.projection {
                DynamoJSON.writeItem(item.filter { names.contains($0.key) }, into: &out)
            } else {
                DynamoJSON.writeItem(item, into: &out)
            }
        }
        out.append(contentsOf: #"],"Count":\#(stop - start),"ScannedCount":\#(stop - start)"#.utf8)
        var next: Position?
        if more {
            let last = items[stop - 1]
            next = last.position
            let key: Item = request.kind == .raw
                ? ["GSI2PK": .s(last.position.partition), "GSI2SK": .s(last.position.sortKey), "PK": .s(last.position.pk), "SK": .s(last.position.sk)]
                : ["PK": .s(last.position.partition), "SK": .s(last.position.sortKey)]
            out.append(contentsOf: #","LastEvaluatedKey":"#.utf8)
            DynamoJSON.writeItem(key, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return ResponsePage(body: out, crc32: CRC32.checksum(out), items: stop - start, next: next)
    }

    // MARK: - The wire

    /// What the store answers to one DynamoDB JSON 1.0 request: a page, or a refusal (400).
    enum Answer {
        case page(ResponsePage)
        case refused(type: String, message: String)
    }

    func answer(target: String, body: [UInt8]) -> Answer {
        switch Self.request(target: target, body: body) {
        case .success(let request):
            return .page(page(request))
        case .failure(let refusal):
            state.withLock { state in
                state.counts.refused += 1
                if state.counts.firstRefusal == nil { state.counts.firstRefusal = refusal.message }
            }
            return .refused(type: refusal.type, message: refusal.message)
        }
    }

    struct Refusal: Error {
        var type: String
        var message: String
    }

    /// Reads a Query request, or says why the store cannot answer it.
    static func request(target: String, body: [UInt8]) -> Result<Request, Refusal> {
        func refuse(_ message: String, type: String = "ValidationException") -> Result<Request, Refusal> {
            .failure(Refusal(type: type, message: message))
        }
        guard target == "\(DynamoDBClient.targetPrefix).Query" else {
            return refuse("the replay server answers Query only, not \(target)", type: "UnknownOperationException")
        }
        guard let json = try? JSONValue.parse(body) else { return refuse("the request is not JSON") }
        guard json["FilterExpression"] == nil || json["FilterExpression"]?.isNull == true else {
            return refuse("no FilterExpression: the replay server does not filter")
        }
        let values = json["ExpressionAttributeValues"]
        guard let pk = values?[":pk"]?["S"]?.stringValue, let from = values?[":from"]?["S"]?.stringValue,
              let to = values?[":to"]?["S"]?.stringValue else {
            return refuse("no :pk/:from/:to in the Query")
        }
        let condition = json["KeyConditionExpression"]?.stringValue ?? ""
        let index = json["IndexName"]?.stringValue
        let kind: Kind
        switch (index, condition) {
        case ("GSI2", "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to"): kind = .raw
        case (nil, "PK = :pk AND SK BETWEEN :from AND :to") where pk == RollupKeys.partition: kind = .rollup
        default: return refuse("cannot route \(index ?? "the table"): \(condition) with :pk = \(pk)")
        }
        var projection: [String]?
        if let expression = json["ProjectionExpression"]?.stringValue {
            var names: [String] = []
            for part in expression.split(separator: ",") {
                let token = part.trimmingCharacters(in: .whitespaces)
                if token.hasPrefix("#") {
                    guard let name = json["ExpressionAttributeNames"]?[token]?.stringValue else {
                        return refuse("\(token) is not in ExpressionAttributeNames")
                    }
                    names.append(name)
                } else {
                    names.append(token)
                }
            }
            projection = names
        }
        var after: Position?
        if let start = json["ExclusiveStartKey"], !start.isNull {
            func key(_ name: String) -> String? { start[name]?["S"]?.stringValue }
            switch kind {
            case .raw:
                guard let gsiPK = key("GSI2PK"), let gsiSK = key("GSI2SK"), let tablePK = key("PK"), let tableSK = key("SK"), gsiPK == pk else {
                    return refuse("an ExclusiveStartKey without GSI2PK = :pk, GSI2SK, PK and SK")
                }
                after = Position(partition: gsiPK, sortKey: gsiSK, pk: tablePK, sk: tableSK)
            case .rollup:
                guard let tablePK = key("PK"), let tableSK = key("SK"), tablePK == pk else {
                    return refuse("an ExclusiveStartKey without PK = :pk and SK")
                }
                after = Position(partition: tablePK, sortKey: tableSK, pk: "", sk: "")
            }
        }
        return .success(Request(
            kind: kind, partition: pk, from: from, to: to, projection: projection, limit: json["Limit"]?.intValue, after: after
        ))
    }
}
