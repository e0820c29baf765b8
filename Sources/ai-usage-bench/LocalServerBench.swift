import AIUsage
import AIUsageTracker
import DynamoDB
import Foundation

/// End to end into a DynamoDB-compatible server: a fresh table, the real `DynamoDBSink`.
struct EndToEnd: Codable {
    var endpoint: String
    var server: String
    var table: String
    var records: Int
    var seconds: Double
    var recordsPerSecond: Double
    var msPerRecord: Double
    /// CPU time this process (every thread) used during the timed part: the rest of the wall
    /// time is spent waiting for the server.
    var clientCPUSeconds: Double
    var written: Int
    var spilled: Int
    var lost: Int
    var createTableSeconds: Double
    var queryPages: Int
    var querySeconds: Double
    var itemsFound: Int
    var distinctRequestIdsFound: Int
    var verified: Bool
    var tableDeleted: Bool
}

enum LocalServerBench {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates a table, records `calls` through a tracker into it (timed from the first
    /// `record` to the return of `shutdown()`), counts what landed with a GSI2 Query over the
    /// days used, and deletes the table whatever happened.
    static func run(_ calls: [Call], firstDay: CivilDate, lastDay: CivilDate, environment: [String: String]) async throws -> EndToEnd {
        let configuration: DynamoDBConfiguration
        do {
            configuration = try DynamoDBConfiguration.fromEnvironment(environment)
        } catch {
            throw Failure(description: "cannot configure the DynamoDB client: \(error)")
        }
        let client = DynamoDBClient(configuration: configuration)
        let tableName = "ai-usage-bench-\(getpid())-\(Int(Date().timeIntervalSince1970))"
        let clock = ContinuousClock()

        let createStarted = clock.now
        do {
            _ = try await client.createTableIfMissing(AIUsageTable.createTableInput(name: tableName), timeout: .seconds(60))
        } catch {
            throw Failure(description: "cannot create the table \(tableName): \(error)")
        }
        let createSeconds = (clock.now - createStarted).seconds

        var result: EndToEnd?
        var failure: (any Error)?
        do {
            result = try await measure(calls, client: client, tableName: tableName, firstDay: firstDay, lastDay: lastDay)
            result?.createTableSeconds = rounded(createSeconds, places: 3)
        } catch {
            failure = error
        }
        var deleted = false
        do {
            deleted = try await client.deleteTableAndWait(tableName, timeout: .seconds(60))
        } catch {
            say("warning: could not delete the bench table \(tableName): \(error)")
        }
        if let failure { throw failure }
        guard var result else { throw Failure(description: "no result") }
        result.tableDeleted = deleted
        return result
    }

    private static func measure(_ calls: [Call], client: DynamoDBClient, tableName: String, firstDay: CivilDate, lastDay: CivilDate) async throws -> EndToEnd {
        let spill = benchSpillFile("dynamodb")
        defer { removeSpillFile(spill) }
        let tracker = Tracker(
            sink: DynamoDBSink(client: client, tableName: tableName),
            configuration: TrackerConfiguration(spillFile: spill)
        )
        let clock = ContinuousClock()
        let cpuBefore = processCPUSeconds()
        let started = clock.now
        for call in calls { record(call, into: tracker) }
        await tracker.shutdown()
        let elapsed = clock.now - started
        let cpu = processCPUSeconds() - cpuBefore
        let stats = tracker.stats()

        // Every item has GSI2PK = AI_USAGE_COST and GSI2SK = COST#<date>#<service>; the table is
        // new, so the days used must hold exactly the items just written.
        let query = QueryInput(
            tableName: tableName,
            indexName: "GSI2",
            keyConditionExpression: "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to",
            projectionExpression: "request_id",
            expressionAttributeValues: [
                ":pk": .s(MetricItemCodec.costIndexPartition),
                ":from": .s("COST#\(firstDay.text)"),
                ":to": .s("COST#\(lastDay.text)#~"),
            ]
        )
        let queryStarted = clock.now
        var found = 0
        var pages = 0
        var ids = Set<String>()
        do {
            for try await page in client.query(query) {
                pages += 1
                found += page.items.count
                for item in page.items { if let id = item["request_id"]?.string { ids.insert(id) } }
            }
        } catch {
            throw Failure(description: "the verification Query failed: \(error)")
        }
        let querySeconds = (clock.now - queryStarted).seconds
        let expected = Set(calls.map(\.metric.requestId))
        let seconds = elapsed.seconds
        return EndToEnd(
            endpoint: client.configuration.endpoint.url,
            server: ProcessInfo.processInfo.environment["AI_USAGE_TEST_SERVER"] ?? "unknown",
            table: tableName,
            records: calls.count,
            seconds: rounded(seconds, places: 3),
            recordsPerSecond: rounded(Double(calls.count) / seconds),
            msPerRecord: rounded(seconds * 1000 / Double(calls.count), places: 3),
            clientCPUSeconds: rounded(cpu, places: 3),
            written: stats.written,
            spilled: stats.spilled,
            lost: stats.lost,
            createTableSeconds: 0,
            queryPages: pages,
            querySeconds: rounded(querySeconds, places: 3),
            itemsFound: found,
            distinctRequestIdsFound: ids.count,
            verified: found == calls.count && ids == expected,
            tableDeleted: false
        )
    }
}

/// User + system CPU time of this process so far, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    let who = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    let who = RUSAGE_SELF
    #endif
    guard getrusage(who, &usage) == 0 else { return 0 }
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
