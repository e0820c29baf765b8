/// How raw items spread over the partitions of the two date indexes (GSI1 by service, GSI2 for
/// every service), so that writes are not capped by one partition (about 1,000 writes/s).
///
/// - `count == 1` (the default): the original keys, `AI_USAGE_COST` and `AI_USAGE#<service>`,
///   which the original system reads.
/// - `count > 1`: each item goes to shard `fnv1a(request_id) mod count`, under
///   `AI_USAGE_COST#S<k>` and `AI_USAGE#<service>#S<k>` (`k` two digits). Readers query every
///   shard and the original key too, so items written before sharding stay readable.
///
/// Writers and readers take the count from `AI_USAGE_INDEX_SHARDS`. Raise it on readers first,
/// and never lower it while items written with the larger count are still read: a reader
/// queries only the shards it knows.
public struct IndexSharding: Sendable, Hashable {
    /// The number of shards, 1 … `maximum`.
    public let count: Int

    /// The most shards: 64 partitions take a month's reads to 65 Queries per segment.
    public static let maximum = 64
    /// The original keys only.
    public static let single = IndexSharding(uncheckedCount: 1)

    private init(uncheckedCount: Int) {
        count = uncheckedCount
    }

    /// `nil` unless 1 ≤ `count` ≤ `maximum`.
    public init?(count: Int) {
        guard (1...Self.maximum).contains(count) else { return nil }
        self.count = count
    }

    /// From `AI_USAGE_INDEX_SHARDS` (unset or empty: 1); an error message naming it otherwise.
    public static func fromEnvironment(_ environment: [String: String]) -> Result<IndexSharding, ProblemText> {
        guard let text = environment["AI_USAGE_INDEX_SHARDS"], !text.isEmpty else { return .success(.single) }
        guard let number = Int(text), let sharding = IndexSharding(count: number) else {
            return .failure(ProblemText("AI_USAGE_INDEX_SHARDS must be a whole number from 1 to \(maximum), got '\(InputEcho.short(text, limit: 40))'"))
        }
        return .success(sharding)
    }

    /// A configuration problem, as one sentence.
    public struct ProblemText: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The shard of an item, from its request id: deterministic, so a replay lands where the
    /// first write did.
    public func shard(requestId: String) -> Int {
        guard count > 1 else { return 0 }
        return Int(FNV1a.hash32(requestId.utf8) % UInt32(count))
    }

    /// GSI2's partition key for a shard.
    public func costPartition(shard: Int) -> String {
        count == 1 ? MetricItemCodec.costIndexPartition : "\(MetricItemCodec.costIndexPartition)#\(Self.suffix(shard))"
    }

    /// GSI1's partition key for a service and shard.
    public func servicePartition(service: String, shard: Int) -> String {
        count == 1 ? MetricItemCodec.serviceIndexKey(service: service) : "\(MetricItemCodec.serviceIndexKey(service: service))#\(Self.suffix(shard))"
    }

    /// Every GSI2 partition a reader queries: the original key, then each shard's.
    public var costPartitionsToRead: [String] {
        count == 1 ? [MetricItemCodec.costIndexPartition] : [MetricItemCodec.costIndexPartition] + (0..<count).map { costPartition(shard: $0) }
    }

    /// Every GSI1 partition of a service a reader queries.
    public func servicePartitionsToRead(service: String) -> [String] {
        let original = MetricItemCodec.serviceIndexKey(service: service)
        return count == 1 ? [original] : [original] + (0..<count).map { servicePartition(service: service, shard: $0) }
    }

    /// The service a GSI1 partition key names (`AI_USAGE#openai#S03` → `openai`), or `nil`.
    public static func service(ofServicePartition key: String) -> String? {
        let prefix = "AI_USAGE#"
        guard key.hasPrefix(prefix) else { return nil }
        var rest = key.dropFirst(prefix.count)
        if let hash = rest.lastIndex(of: "#") {
            let tail = rest[rest.index(after: hash)...]
            if tail.count == 3, tail.first == "S", tail.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) { rest = rest[..<hash] }
        }
        return rest.isEmpty ? nil : String(rest)
    }

    /// `S00` … `S63`.
    private static func suffix(_ shard: Int) -> String { shard < 10 ? "S0\(shard)" : "S\(shard)" }
}
