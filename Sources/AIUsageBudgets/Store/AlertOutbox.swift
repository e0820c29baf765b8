import AIUsage
import DynamoDB

/// The alert outbox in the usage table: an alert is written as pending before anything is
/// sent, then delivered, and its per-channel outcome recorded.
///
/// Layout: `PK = AI_USAGE_ALERTS`, `SK = ALERT#<alert key>`, `TYPE = AIUsageAlert`. While any
/// channel is still to be tried the item also has `GSI1PK = AI_USAGE_ALERTS_PENDING` and
/// `GSI1SK = <next_attempt_at>#<key>`, so the due ones are one Query away.
///
/// Concurrency: the first write of an alert is conditional (`attribute_not_exists(PK)`): of two
/// checkers raising the same alert, one writes it and the other learns it exists, which is the
/// cooldown. Every later write is conditional on the `version` it read, and a checker only
/// delivers after taking a lease (a conditional write that sets `lease_until`), so one alert is
/// delivered by one checker at a time.
public struct AlertOutbox: Sendable {
    public let client: DynamoDBClient
    public let tableName: String
    /// Attempts per channel before it is marked failed.
    public let maxAttempts: Int
    /// The first retry's delay; each further one doubles it, up to six hours.
    public let retrySeconds: Int64
    /// How long a lease lasts: past it, a crashed checker's alert is picked up again.
    public let leaseSeconds: Int64

    public static let partition = "AI_USAGE_ALERTS"
    public static let pendingPartition = "AI_USAGE_ALERTS_PENDING"
    public static let type = "AIUsageAlert"

    public init(client: DynamoDBClient, tableName: String, maxAttempts: Int = 6, retrySeconds: Int64 = 300, leaseSeconds: Int64 = 120) {
        self.client = client
        self.tableName = tableName
        self.maxAttempts = max(1, maxAttempts)
        self.retrySeconds = max(0, retrySeconds)
        self.leaseSeconds = max(1, leaseSeconds)
    }

    /// One channel's delivery state.
    public struct Delivery: Sendable, Hashable {
        public enum Status: String, Sendable { case pending, sent, failed }
        public var channel: AlertChannel
        public var status: Status
        public var attempts: Int
        public var lastError: String?
    }

    /// An outbox item as read.
    public struct Entry: Sendable {
        public var key: String
        public var id: String
        public var payload: JSONValue
        public var deliveries: [Delivery]
        public var status: Delivery.Status
        public var version: Int
        public var leaseUntil: UTCTimestamp?
        public var nextAttemptAt: UTCTimestamp
        public var createdAt: UTCTimestamp
    }

    // MARK: - Writes

    /// Writes a new alert as pending, leased to the caller. `nil` when it already exists (it was
    /// raised before in this period instance: the cooldown).
    public func claim(_ alert: BudgetAlert, channels: [AlertChannel], now: UTCTimestamp) async throws(DynamoDBError) -> Entry? {
        let entry = Entry(
            key: alert.key, id: alert.id, payload: alert.payload(createdAt: now),
            deliveries: channels.map { Delivery(channel: $0, status: .pending, attempts: 0) },
            status: .pending, version: 1, leaseUntil: now.adding(seconds: leaseSeconds), nextAttemptAt: now, createdAt: now
        )
        do {
            try await client.putItem(PutItemInput(tableName: tableName, item: item(entry, alert: alert, now: now), conditionExpression: "attribute_not_exists(PK)"))
            return entry
        } catch where error.code == "ConditionalCheckFailedException" {
            return nil
        }
    }

    /// Takes the lease on a due entry. `nil` when another checker changed it first or holds a
    /// live lease.
    public func lease(_ entry: Entry, now: UTCTimestamp) async throws(DynamoDBError) -> Entry? {
        guard entry.status == .pending else { return nil }
        if let lease = entry.leaseUntil, now < lease { return nil }
        var leased = entry
        leased.version += 1
        leased.leaseUntil = now.adding(seconds: leaseSeconds)
        return try await replace(entry, with: leased, now: now) ? leased : nil
    }

    /// Records the outcome of one round of deliveries on a leased entry: each channel tried is
    /// sent, or pending with one more attempt (failed at `maxAttempts`). Returns the new entry,
    /// or `nil` if the lease was lost (another checker took over after it expired).
    public func record(_ entry: Entry, outcomes: [String: String?], now: UTCTimestamp) async throws(DynamoDBError) -> Entry? {
        var next = entry
        next.version += 1
        next.leaseUntil = nil
        var attempts = 0
        for index in next.deliveries.indices {
            let channelKey = next.deliveries[index].channel.key
            guard next.deliveries[index].status == .pending, let outcome = outcomes[channelKey] else { continue }
            next.deliveries[index].attempts += 1
            if let failure = outcome {
                next.deliveries[index].lastError = failure
                if next.deliveries[index].attempts >= maxAttempts { next.deliveries[index].status = .failed }
            } else {
                next.deliveries[index].status = .sent
                next.deliveries[index].lastError = nil
            }
            attempts = max(attempts, next.deliveries[index].attempts)
        }
        if next.deliveries.contains(where: { $0.status == .pending }) {
            next.status = .pending
            next.nextAttemptAt = now.adding(seconds: backoff(afterAttempts: max(1, attempts)))
        } else {
            next.status = next.deliveries.contains(where: { $0.status == .failed }) ? .failed : .sent
        }
        return try await replace(entry, with: next, now: now) ? next : nil
    }

    /// The delay before the next try after `attempts` failures: `retrySeconds × 2^(attempts−1)`,
    /// at most six hours.
    public func backoff(afterAttempts attempts: Int) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 20)
        return min(retrySeconds << Int64(exponent), 6 * 3600)
    }

    // MARK: - Reads

    /// The entry of one alert key, read consistently.
    public func entry(key: String) async throws(DynamoDBError) -> Entry? {
        let page = try await client.queryPage(QueryInput(
            tableName: tableName, keyConditionExpression: "PK = :pk AND SK = :sk",
            expressionAttributeValues: [":pk": .s(Self.partition), ":sk": .s("ALERT#\(key)")], consistentRead: true
        ))
        return page.items.first.flatMap(Self.entry)
    }

    /// Pending entries whose next attempt is due at `now`, each re-read consistently.
    public func due(now: UTCTimestamp) async throws(DynamoDBError) -> [Entry] {
        var keys: [String] = []
        var input = QueryInput(
            tableName: tableName, indexName: "GSI1", keyConditionExpression: "GSI1PK = :pk AND GSI1SK < :bound",
            expressionAttributeValues: [":pk": .s(Self.pendingPartition), ":bound": .s(now.adding(microseconds: 1).iso8601)]
        )
        while true {
            let page = try await client.queryPage(input)
            keys += page.items.compactMap { $0["alert_key"]?.string }
            guard let next = page.lastEvaluatedKey else { break }
            input.exclusiveStartKey = next
        }
        var entries: [Entry] = []
        for key in keys {
            if let entry = try await entry(key: key), entry.status == .pending { entries.append(entry) }
        }
        return entries
    }

    /// The entries created from `since` on, newest first (for listings).
    public func recent(limit: Int = 50) async throws(DynamoDBError) -> [Entry] {
        var entries: [Entry] = []
        var input = QueryInput(
            tableName: tableName, keyConditionExpression: "PK = :pk",
            expressionAttributeValues: [":pk": .s(Self.partition)]
        )
        while true {
            let page = try await client.queryPage(input)
            entries += page.items.compactMap(Self.entry)
            guard let next = page.lastEvaluatedKey else { break }
            input.exclusiveStartKey = next
        }
        return Array(entries.sorted { $0.createdAt > $1.createdAt }.prefix(limit))
    }

    // MARK: - Items

    private func replace(_ old: Entry, with new: Entry, now: UTCTimestamp) async throws(DynamoDBError) -> Bool {
        do {
            try await client.putItem(PutItemInput(
                tableName: tableName, item: item(new, alert: nil, now: now),
                conditionExpression: "#version = :version",
                expressionAttributeNames: ["#version": "version"],
                expressionAttributeValues: [":version": .n(String(old.version))]
            ))
            return true
        } catch where error.code == "ConditionalCheckFailedException" {
            return false
        }
    }

    private func item(_ entry: Entry, alert: BudgetAlert?, now: UTCTimestamp) -> Item {
        var item: Item = [
            "PK": .s(Self.partition), "SK": .s("ALERT#\(entry.key)"), "TYPE": .s(Self.type),
            "alert_key": .s(entry.key), "id": .s(entry.id),
            "payload": .s(entry.payload.serialized()),
            "level": .s(entry.payload["level"]?.stringValue ?? ""),
            "scope": .s(entry.payload["scope"]?.stringValue ?? ""),
            "status": .s(entry.status.rawValue), "version": .n(String(entry.version)),
            "next_attempt_at": .s(entry.nextAttemptAt.iso8601),
            "created_at": .s(entry.createdAt.iso8601), "updated_at": .s(now.iso8601),
            "deliveries": .l(entry.deliveries.map { delivery in
                var map: [String: AttributeValue] = [
                    "channel": .s(delivery.channel.text), "status": .s(delivery.status.rawValue), "attempts": .n(String(delivery.attempts)),
                ]
                if let error = delivery.lastError { map["last_error"] = .s(error) }
                return .m(map)
            }),
        ]
        if let lease = entry.leaseUntil { item["lease_until"] = .s(lease.iso8601) }
        if entry.status == .pending {
            item["GSI1PK"] = .s(Self.pendingPartition)
            item["GSI1SK"] = .s("\(entry.nextAttemptAt.iso8601)#\(entry.key)")
        }
        return item
    }

    static func entry(_ item: Item) -> Entry? {
        guard item["TYPE"]?.string == type, let key = item["alert_key"]?.string, let id = item["id"]?.string,
              let payloadText = item["payload"]?.string, let payload = try? JSONValue.parse(Array(payloadText.utf8)),
              let status = item["status"]?.string.flatMap(Delivery.Status.init(rawValue:)),
              let version = item["version"]?.numberText.flatMap({ Int($0) }),
              let next = item["next_attempt_at"]?.string.flatMap(UTCTimestamp.init(iso8601:)),
              let created = item["created_at"]?.string.flatMap(UTCTimestamp.init(iso8601:)),
              let list = item["deliveries"]?.list else { return nil }
        var deliveries: [Delivery] = []
        for value in list {
            guard let map = value.map, let channelText = map["channel"]?.string, let channel = try? AlertChannel(parsing: channelText),
                  let deliveryStatus = map["status"]?.string.flatMap(Delivery.Status.init(rawValue:)),
                  let attempts = map["attempts"]?.numberText.flatMap({ Int($0) }) else { return nil }
            deliveries.append(Delivery(channel: channel, status: deliveryStatus, attempts: attempts, lastError: map["last_error"]?.string))
        }
        return Entry(
            key: key, id: id, payload: payload, deliveries: deliveries, status: status, version: version,
            leaseUntil: item["lease_until"]?.string.flatMap(UTCTimestamp.init(iso8601:)), nextAttemptAt: next, createdAt: created
        )
    }
}

extension UTCTimestamp {
    func adding(seconds: Int64) -> UTCTimestamp { UTCTimestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + seconds * 1_000_000) }
    func adding(microseconds: Int64) -> UTCTimestamp { UTCTimestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + microseconds) }
}
