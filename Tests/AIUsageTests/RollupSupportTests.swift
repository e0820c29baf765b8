import AIUsage
@testable import AIUsageReports
import AIUsageTracker
import CurlHTTP
import DynamoDB
import SigV4
import Synchronization
import TestSupport
import Testing

/// The pieces around rollups: index sharding, the raw segments, the byte budget, and the sink's
/// dirty markers.
@Suite struct RollupSupportTests {
    @Test func shardingIsDeterministicAndReadsEveryPartition() throws {
        let four = try #require(IndexSharding(count: 4))
        #expect(IndexSharding(count: 0) == nil)
        #expect(IndexSharding(count: 65) == nil)
        // The same request id always lands on the same shard (a replay overwrites), and random
        // ids spread: 4,000 ids over 4 shards, each within 10% of 1,000.
        var counts = [0, 0, 0, 0]
        var random = SplitMix64(state: 7)
        for _ in 0..<4000 { counts[four.shard(requestId: "id-\(random.next())")] += 1 }
        #expect(counts.allSatisfy { (900...1100).contains($0) }, "\(counts)")
        #expect(four.shard(requestId: "abc") == four.shard(requestId: "abc"))
        #expect(IndexSharding.single.shard(requestId: "abc") == 0)

        #expect(IndexSharding.single.costPartitionsToRead == ["AI_USAGE_COST"])
        #expect(four.costPartitionsToRead == ["AI_USAGE_COST", "AI_USAGE_COST#S00", "AI_USAGE_COST#S01", "AI_USAGE_COST#S02", "AI_USAGE_COST#S03"])
        #expect(four.servicePartitionsToRead(service: "openai").last == "AI_USAGE#openai#S03")
        #expect(IndexSharding.service(ofServicePartition: "AI_USAGE#openai#S03") == "openai")
        #expect(IndexSharding.service(ofServicePartition: "AI_USAGE#openai") == "openai")
        #expect(IndexSharding.service(ofServicePartition: "AI_USAGE#a#b") == "a#b")
        #expect(IndexSharding.service(ofServicePartition: "JOB#x") == nil)

        // The item's index keys follow the shard; the table's own key does not change.
        let metric = AIUsageMetric(service: "openai", model: "gpt-4o", operation: "completion",
                                   timestamp: UTCTimestamp(year: 2026, month: 11, day: 2), requestId: "abc")
        let item = try MetricItemCodec.item(for: metric, sharding: four)
        let shard = four.shard(requestId: "abc")
        #expect(item["GSI2PK"] == .s("AI_USAGE_COST#S0\(shard)"))
        #expect(item["GSI1PK"] == .s("AI_USAGE#openai#S0\(shard)"))
        #expect(item["PK"] == .s("AI_USAGE#openai#gpt-4o"))
        #expect(try MetricItemCodec.item(for: metric)["GSI2PK"] == .s("AI_USAGE_COST"))
    }

    @Test func theShardCountComesFromTheEnvironmentOrIsRefused() {
        #expect((try? IndexSharding.fromEnvironment([:]).get()) == .single)
        #expect((try? IndexSharding.fromEnvironment(["AI_USAGE_INDEX_SHARDS": "16"]).get())?.count == 16)
        for bad in ["0", "65", "x", "1.5", "-3"] {
            guard case .failure(let problem) = IndexSharding.fromEnvironment(["AI_USAGE_INDEX_SHARDS": bad]) else {
                Issue.record("\(bad) was accepted")
                continue
            }
            #expect(problem.description.contains("AI_USAGE_INDEX_SHARDS must be a whole number from 1 to 64"))
        }
        #expect(TrackerConfiguration.environmentProblems(["AI_USAGE_INDEX_SHARDS": "0"]).contains { $0.contains("AI_USAGE_INDEX_SHARDS") })
    }

    @Test func rawSegmentsSkipCoveredDaysAndSplitEvenly() {
        let query = UsageQuery(start: CivilDate(year: 2026, month: 11, day: 1), end: CivilDate(year: 2026, month: 11, day: 30))
        func text(_ segments: [(first: CivilDate, last: CivilDate)]) -> [String] { segments.map { "\($0.first.day)-\($0.last.day)" } }
        // 30 days in 8: four of 4 days and four of 3 (the longest run is halved until 8).
        let eight = UsageFetcher.segments(of: query, concurrency: 8)
        #expect(eight.count == 8)
        #expect(eight.map { $0.last.day - $0.first.day + 1 }.reduce(0, +) == 30)
        #expect(eight.allSatisfy { (3...4).contains($0.last.day - $0.first.day + 1) })
        #expect(text(UsageFetcher.segments(of: query, concurrency: 1)) == ["1-30"])
        // Days 1 … 28 from rollups: the open 29th and 30th are one run, split in two.
        let covered = Set((1...28).map { CivilDate(year: 2026, month: 11, day: $0) })
        #expect(text(UsageFetcher.segments(of: query, excluding: covered, concurrency: 8)) == ["29-29", "30-30"])
        #expect(text(UsageFetcher.segments(of: query, excluding: covered.subtracting([CivilDate(year: 2026, month: 11, day: 10)]), concurrency: 2)) == ["10-10", "29-30"])
        #expect(UsageFetcher.segments(of: query, excluding: Set((1...30).map { CivilDate(year: 2026, month: 11, day: $0) }), concurrency: 8).isEmpty)
    }

    @Test func theByteBudgetNeverLetsMoreThanItsLimitIn() async {
        // A limit of 3 pages; 12 readers each hold a page for a moment. However they
        // interleave, at most 3 are inside at once, and every one gets in.
        let budget = ByteBudget(limit: 3 * 1000)
        final class Inside: Sendable { let state = Mutex((now: 0, most: 0, done: 0)) }
        let inside = Inside()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    await budget.reserve(1000)
                    inside.state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                    await Task.yield()
                    try? await Task.sleep(for: .milliseconds(2))
                    inside.state.withLock { $0.now -= 1; $0.done += 1 }
                    budget.release(1000)
                }
            }
        }
        let figures = inside.state.withLock { $0 }
        #expect(figures.done == 12)
        #expect(figures.most <= 3)
        #expect(budget.reserved == 0)
        // A reservation larger than the limit is capped to it rather than waiting forever.
        await budget.reserve(10_000)
        #expect(budget.reserved == 3000)
        budget.release(10_000)
        #expect(budget.reserved == 0)
    }

    static func client(_ server: FaultResponder) throws -> DynamoDBClient {
        DynamoDBClient(
            configuration: try DynamoDBConfiguration(
                region: "us-east-1", credentials: Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "secret"),
                endpoint: Endpoint(server.endpoint),
                retryPolicy: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1), maxBackoff: .milliseconds(2))
            ),
            transport: CurlHTTPClient(maxConnections: 1)
        )
    }

    static func item(day: Int, id: String) throws -> Item {
        try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: "gpt-4o", operation: "completion",
            timestamp: UTCTimestamp(year: 2026, month: 11, day: day, hour: 23), requestId: id))
    }

    @Test func theSinkMarksLateDaysBeforeWritingThem() async throws {
        let server = try FaultResponder { _, _ in .dynamoJSON(#"{"UnprocessedItems":{}}"#) }
        let sink = DynamoDBSink(client: try Self.client(server), tableName: "Usage", now: { UTCTimestamp(year: 2026, month: 11, day: 20, hour: 0, minute: 5) })
        // Today's item and two of yesterday's: one marker (the 19th), then the batch.
        let outcome = await sink.write([try Self.item(day: 20, id: "a"), try Self.item(day: 19, id: "b"), try Self.item(day: 19, id: "c")])
        #expect(outcome.unwritten.isEmpty)
        let targets = server.requests.map { $0.header("X-Amz-Target") ?? "" }
        #expect(targets == ["DynamoDB_20120810.PutItem", "DynamoDB_20120810.BatchWriteItem"])
        let marker = try JSONValue.parse(server.requests[0].body)["Item"]
        #expect(marker?["PK"]?["S"]?.stringValue == "AI_USAGE_ROLLUP")
        #expect(marker?["SK"]?["S"]?.stringValue == "DAY#2026-11-19#!DIRTY")
        #expect(marker?["marked_at"]?["S"]?.stringValue == "2026-11-20T00:05:00.000000+00:00")
        #expect((marker?["token"]?["S"]?.stringValue ?? "").count == 36)

        // Only today's items: no marker at all.
        let quiet = try FaultResponder { _, _ in .dynamoJSON(#"{"UnprocessedItems":{}}"#) }
        _ = await DynamoDBSink(client: try Self.client(quiet), tableName: "Usage", now: { UTCTimestamp(year: 2026, month: 11, day: 20) })
            .write([try Self.item(day: 20, id: "a")])
        #expect(quiet.requests.map { $0.header("X-Amz-Target") ?? "" } == ["DynamoDB_20120810.BatchWriteItem"])
    }

    @Test func anUnmarkableBatchIsReturnedUnwrittenNotWrittenUnmarked() async throws {
        let server = try FaultResponder { _, _ in .dynamoError(status: 500, code: "InternalServerError") }
        let sink = DynamoDBSink(client: try Self.client(server), tableName: "Usage", now: { UTCTimestamp(year: 2026, month: 11, day: 20) })
        let items = [try Self.item(day: 20, id: "a"), try Self.item(day: 18, id: "b")]
        let outcome = await sink.write(items)
        #expect(outcome.unwritten == items)
        #expect(outcome.failure?.hasPrefix("cannot mark 2026-11-18 dirty for its late items") == true, "\(outcome.failure ?? "")")
        #expect(server.requests.allSatisfy { $0.header("X-Amz-Target") == "DynamoDB_20120810.PutItem" })
    }
}
