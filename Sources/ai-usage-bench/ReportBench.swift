import AIUsage
import AIUsageReports
import CurlHTTP
import DynamoDB
import Foundation

/// Part 4: the report path in-process, on the Query pages of a month: how fast the bytes can be
/// parsed at all (`JSONValue.parse`, "raw parse"), against what the handler does with them:
/// (b) each page decoded as `DynamoDBClient.queryPage` decodes it (`JSONValue.parse`, then each
/// item's attributes with `AttributeValue(wire:)`), every item folded into a `UsageAggregate` of
/// all five levels, then the report; and (c) the same through `DynamoDBClient.queryPage` itself
/// over an in-memory transport (so with the request's signing and the response's CRC32 check).
struct ParseFigures: Codable {
    var pages: Int
    var items: Int
    var bytes: Int
    var runs: Int
    /// Items/s of `JSONValue.parse` of every page.
    var rawParse: Throughput
    var rawParseMBPerSecond: Double
    /// Items/s of decode + aggregate + report, (b).
    var decodeAggregate: Throughput
    var decodeAggregateMBPerSecond: Double
    /// decodeAggregate.median / rawParse.median: the goal's figure.
    var ratio: Double
    /// Items/s of (c): `DynamoDBClient.queryPage` on an in-memory transport + aggregate + report.
    var clientAggregate: Throughput
    /// clientAggregate.median / rawParse.median.
    var clientRatio: Double
    /// Where (b)'s time went, from its median run (seconds).
    var breakdown: Breakdown
    /// The reports of (b) and (c) match the items: calls, cost, tokens.
    var verified: Bool
    var reportBytes: Int

    struct Breakdown: Codable {
        var totalSeconds: Double
        /// `JSONValue.parse` of every page, inside (b).
        var parseSeconds: Double
        /// The parsed tree into `[Item]` (`AttributeValue(wire:)` for every attribute).
        var buildSeconds: Double
        /// `aggregate.add(item)` for every item.
        var aggregateSeconds: Double
        /// `report(...)` and its serialization.
        var reportSeconds: Double
        /// The rest: freeing each decoded page, the loop.
        var otherSeconds: Double
        /// Of `aggregate.add(item)`: reading the row (`UsageRow(item:)`) alone, items/s.
        var rowReadItemsPerSecond: Double
        /// `aggregate.add(item)` alone (row + grouping), items/s.
        var addItemsPerSecond: Double
        /// parse + build, items/s.
        var decodeItemsPerSecond: Double
        /// For comparison, the previous decoder: `JSONDecoder().decode(LegacyQueryPage.self, from: Data(bytes))`, items/s.
        var jsonDecoderItemsPerSecond: Double
    }
}

/// Hands out the pages in order, as DynamoDB would answer one Query after another.
final class PageTransport: HTTPTransport, @unchecked Sendable {
    private let pages: [ResponsePage]
    private let lock = NSLock()
    private var next = 0

    init(pages: [ResponsePage]) { self.pages = pages }

    func rewind() { lock.withLock { next = 0 } }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let page: ResponsePage = lock.withLock {
            defer { next = (next + 1) % pages.count }
            return pages[next]
        }
        return HTTPResponse(status: 200, headers: [
            "Content-Type": DynamoDBClient.contentType,
            "x-amz-crc32": String(page.crc32),
            "x-amzn-RequestId": "bench",
        ], body: page.body)
    }
}

enum ReportBench {
    static let levels: [AggregationLevel] = [.day, .service, .model, .operation, .hour]
    static let clock = ContinuousClock()

    /// `JSONValue.parse` of every page; the items found (so nothing is optimised away).
    static func rawParse(_ pages: [[UInt8]]) -> (Duration, Int) {
        var found = 0
        let started = clock.now
        for page in pages {
            guard let value = try? JSONValue.parse(page), case .array(let items)? = value["Items"] else {
                preconditionFailure("a bench page is not valid JSON")
            }
            found &+= items.count
        }
        return (clock.now - started, found)
    }

    struct RealRun {
        var total: Duration
        var parse: Duration
        var build: Duration
        var aggregate: Duration
        var report: Duration
        var result: UsageAggregate
        var reportBytes: [UInt8]
    }

    /// A page's items, decoded as `DynamoDBClient.queryPage` decodes them (whose own
    /// `QueryPage(wire:)` is internal to DynamoDB): every item's attributes with the public
    /// `AttributeValue(wire:)`.
    static func items(_ page: JSONValue) -> [Item] {
        guard case .array(let elements)? = page["Items"] else { preconditionFailure("a bench page has no Items") }
        var items: [Item] = []
        items.reserveCapacity(elements.count)
        for element in elements {
            guard case .object(let members) = element else { preconditionFailure("a bench item is not an object") }
            var item = Item(minimumCapacity: members.count)
            for member in members {
                do {
                    item[member.key] = try AttributeValue(wire: member.value)
                } catch {
                    preconditionFailure("a bench attribute does not decode: \(error)")
                }
            }
            items.append(item)
        }
        return items
    }

    /// (b): decode each page as the client does, fold its items, drop it; then the report.
    static func decodeAndAggregate(_ pages: [[UInt8]], start: CivilDate, end: CivilDate) -> RealRun {
        var aggregate = UsageAggregate(levels: levels)
        var parse = Duration.zero
        var build = Duration.zero
        var fold = Duration.zero
        let started = clock.now
        for bytes in pages {
            let t0 = clock.now
            let tree: JSONValue
            do {
                tree = try JSONValue.parse(bytes)
            } catch {
                preconditionFailure("a bench page is not JSON: \(error)")
            }
            let t1 = clock.now
            let page = items(tree)
            let t2 = clock.now
            for item in page { aggregate.add(item) }
            let t3 = clock.now
            parse += t1 - t0
            build += t2 - t1
            fold += t3 - t2
        }
        let t4 = clock.now
        let query = UsageQuery(start: start, end: end, aggregation: levels)
        let body = aggregate.report(start: start, end: end, query: query.echo).serializedBytes()
        let finished = clock.now
        return RealRun(total: finished - started, parse: parse, build: build, aggregate: fold, report: finished - t4, result: aggregate, reportBytes: body)
    }

    /// (c): the same through `DynamoDBClient.queryPage` on the in-memory transport.
    static func clientAndAggregate(_ client: DynamoDBClient, transport: PageTransport, pages: Int, start: CivilDate, end: CivilDate) async -> (Duration, UsageAggregate) {
        transport.rewind()
        let input = QueryInput(
            tableName: "ai-usage-bench", indexName: "GSI2", keyConditionExpression: "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to",
            expressionAttributeValues: [":pk": .s("AI_USAGE_COST"), ":from": .s("COST#\(start.text)"), ":to": .s("COST#\(end.text)#~")]
        )
        var aggregate = UsageAggregate(levels: levels)
        let started = clock.now
        for _ in 0..<pages {
            let page: QueryPage
            do {
                page = try await client.queryPage(input)
            } catch {
                preconditionFailure("DynamoDBClient.queryPage refused a bench page: \(error)")
            }
            for item in page.items { aggregate.add(item) }
        }
        let query = UsageQuery(start: start, end: end, aggregation: levels)
        _ = aggregate.report(start: start, end: end, query: query.echo).serializedBytes()
        return (clock.now - started, aggregate)
    }

    /// `runs` interleaved runs of each after one warm-up of each.
    static func run(_ responsePages: [ResponsePage], expected: ExpectedTotals, start: CivilDate, end: CivilDate, runs: Int) async throws -> ParseFigures {
        let pages = responsePages.map(\.body)
        let bytes = pages.reduce(0) { $0 + $1.count }
        let transport = PageTransport(pages: responsePages)
        let client = DynamoDBClient(
            configuration: try DynamoDBConfiguration.fromEnvironment([
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDBENCHPAGES", "AWS_SECRET_ACCESS_KEY": "bench-pages-secret",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
            ]),
            transport: transport
        )
        func matches(_ aggregate: UsageAggregate) -> Bool {
            aggregate.totalAPICalls == expected.apiCalls && aggregate.itemCount == expected.items
                && aggregate.totalCost == expected.cost && aggregate.totalTokens == expected.tokens && aggregate.invalidItems == 0
        }
        _ = rawParse(pages)
        _ = decodeAndAggregate(pages, start: start, end: end)
        _ = await clientAndAggregate(client, transport: transport, pages: pages.count, start: start, end: end)
        var rawRates: [Double] = []
        var realRuns: [RealRun] = []
        var clientRates: [Double] = []
        var clientVerified = true
        for index in 1...runs {
            let (rawTime, found) = rawParse(pages)
            precondition(found == expected.items, "raw parse found \(found) items, expected \(expected.items)")
            rawRates.append(Double(found) / rawTime.seconds)
            let real = decodeAndAggregate(pages, start: start, end: end)
            realRuns.append(real)
            let (clientTime, clientResult) = await clientAndAggregate(client, transport: transport, pages: pages.count, start: start, end: end)
            clientRates.append(Double(expected.items) / clientTime.seconds)
            clientVerified = clientVerified && matches(clientResult)
            say("   run \(index): raw parse \(grouped(rawRates.last!)) items/s (\(fixed(rawTime.seconds * 1000, 0)) ms); "
                + "decode + aggregate + report \(grouped(Double(expected.items) / real.total.seconds)) items/s (\(fixed(real.total.seconds * 1000, 0)) ms: "
                + "parse \(fixed(real.parse.seconds * 1000, 0)), build items \(fixed(real.build.seconds * 1000, 0)), aggregate \(fixed(real.aggregate.seconds * 1000, 0)), report \(fixed(real.report.seconds * 1000, 1))); "
                + "through DynamoDBClient.queryPage \(grouped(clientRates.last!)) items/s (\(fixed(clientTime.seconds * 1000, 0)) ms)")
        }
        let raw = Throughput(runs: rawRates)
        let real = Throughput(runs: realRuns.map { Double(expected.items) / $0.total.seconds })
        let viaClient = Throughput(runs: clientRates)
        let median = realRuns.sorted { $0.total < $1.total }[realRuns.count / 2]
        let verified = matches(median.result) && clientVerified

        let sample = Array(pages.prefix(12))
        let split = splitAggregate(sample)
        let rawMedianSeconds = Double(expected.items) / raw.median
        let realMedianSeconds = median.total.seconds
        return ParseFigures(
            pages: pages.count,
            items: expected.items,
            bytes: bytes,
            runs: runs,
            rawParse: raw,
            rawParseMBPerSecond: rounded(Double(bytes) / 1e6 / rawMedianSeconds, places: 1),
            decodeAggregate: real,
            decodeAggregateMBPerSecond: rounded(Double(bytes) / 1e6 / realMedianSeconds, places: 1),
            ratio: rounded(real.median / raw.median, places: 3),
            clientAggregate: viaClient,
            clientRatio: rounded(viaClient.median / raw.median, places: 3),
            breakdown: ParseFigures.Breakdown(
                totalSeconds: rounded(median.total.seconds, places: 3),
                parseSeconds: rounded(median.parse.seconds, places: 3),
                buildSeconds: rounded(median.build.seconds, places: 3),
                aggregateSeconds: rounded(median.aggregate.seconds, places: 3),
                reportSeconds: rounded(median.report.seconds, places: 4),
                otherSeconds: rounded((median.total - median.parse - median.build - median.aggregate - median.report).seconds, places: 3),
                rowReadItemsPerSecond: rounded(split.rowRead),
                addItemsPerSecond: rounded(split.add),
                decodeItemsPerSecond: rounded(Double(expected.items) / (median.parse + median.build).seconds),
                jsonDecoderItemsPerSecond: rounded(split.jsonDecoder)
            ),
            verified: verified,
            reportBytes: median.reportBytes.count
        )
    }

    /// On a sample of pages: `UsageRow(item:)` alone and `aggregate.add(item)` alone (best of 3),
    /// and the previous decoder, `JSONDecoder` into `QueryPage` (one pass), each as items/s.
    static func splitAggregate(_ pages: [[UInt8]]) -> (rowRead: Double, add: Double, jsonDecoder: Double) {
        let items = pages.flatMap { page in (try? JSONValue.parse(page)).map { Self.items($0) } ?? [] }
        guard !items.isEmpty else { return (0, 0, 0) }
        var rowBest = Duration.seconds(1_000)
        var addBest = Duration.seconds(1_000)
        for _ in 0..<3 {
            var cost = ExactDecimal.zero
            var started = clock.now
            for item in items { if let row = try? UsageRow(item: item) { cost += row.cost } }
            rowBest = min(rowBest, clock.now - started)
            precondition(cost >= .zero)

            var aggregate = UsageAggregate(levels: levels)
            started = clock.now
            for item in items { aggregate.add(item) }
            addBest = min(addBest, clock.now - started)
            precondition(aggregate.itemCount == items.count)
        }
        let decoder = JSONDecoder()
        let started = clock.now
        var decoded = 0
        for page in pages { decoded &+= (try? decoder.decode(LegacyQueryPage.self, from: Data(page)))?.items.count ?? 0 }
        let decoderTime = clock.now - started
        precondition(decoded == items.count, "JSONDecoder decoded \(decoded) items, the wire decoder \(items.count)")
        let count = Double(items.count)
        return (count / rowBest.seconds, count / addBest.seconds, count / decoderTime.seconds)
    }
}
