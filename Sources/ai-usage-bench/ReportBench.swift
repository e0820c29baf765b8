import AIUsage
import DynamoDB
import Foundation

/// Part 4: the report path in-process, on the Query pages of a month: how fast the bytes can be
/// parsed at all (`JSONValue.parse`, "raw parse"), against what the handler does with them
/// (`JSONDecoder` into `QueryPage`, as `DynamoDBClient.queryPage` decodes, then every item into
/// a `UsageAggregate` of all five levels, then the report).
struct ParseFigures: Codable {
    var pages: Int
    var items: Int
    var bytes: Int
    var runs: Int
    /// Items/s of `JSONValue.parse` of every page.
    var rawParse: Throughput
    var rawParseMBPerSecond: Double
    /// Items/s of decode + aggregate + report, the whole real path.
    var decodeAggregate: Throughput
    var decodeAggregateMBPerSecond: Double
    /// decodeAggregate.median / rawParse.median.
    var ratio: Double
    /// Where the real path's time went, from its median run (seconds).
    var breakdown: Breakdown
    /// The report of the real path matches the items: calls, cost, tokens.
    var verified: Bool
    var reportBytes: Int

    struct Breakdown: Codable {
        var totalSeconds: Double
        /// `JSONDecoder().decode(QueryPage.self, from: Data(bytes))`, every page.
        var decodeSeconds: Double
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
        /// `JSONDecoder` alone, items/s.
        var decodeItemsPerSecond: Double
        /// For comparison: `JSONValue.parse` plus building the same `[Item]`s from its tree, items/s.
        var parseAndBuildItemsPerSecond: Double
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
        var decode: Duration
        var aggregate: Duration
        var report: Duration
        var result: UsageAggregate
        var reportBytes: [UInt8]
    }

    /// The handler's path over `pages`: decode each as the client does, fold its items, drop it;
    /// then the report and its JSON.
    static func decodeAndAggregate(_ pages: [[UInt8]], start: CivilDate, end: CivilDate) -> RealRun {
        let decoder = JSONDecoder()
        var aggregate = UsageAggregate(levels: levels)
        var decode = Duration.zero
        var fold = Duration.zero
        let started = clock.now
        for bytes in pages {
            let t0 = clock.now
            let page: QueryPage
            do {
                page = try decoder.decode(QueryPage.self, from: Data(bytes))
            } catch {
                preconditionFailure("JSONDecoder refused a bench page: \(error)")
            }
            let t1 = clock.now
            for item in page.items { aggregate.add(item) }
            let t2 = clock.now
            decode += t1 - t0
            fold += t2 - t1
        }
        let t3 = clock.now
        let query = UsageQuery(start: start, end: end, aggregation: levels)
        let body = aggregate.report(start: start, end: end, query: query.echo).serializedBytes()
        let finished = clock.now
        return RealRun(total: finished - started, decode: decode, aggregate: fold, report: finished - t3, result: aggregate, reportBytes: body)
    }

    /// `runs` interleaved runs of each after one warm-up of each.
    static func run(_ pages: [[UInt8]], expected: ExpectedTotals, start: CivilDate, end: CivilDate, runs: Int) -> ParseFigures {
        let bytes = pages.reduce(0) { $0 + $1.count }
        _ = rawParse(pages)
        _ = decodeAndAggregate(pages, start: start, end: end)
        var rawRates: [Double] = []
        var realRuns: [RealRun] = []
        for index in 1...runs {
            let (rawTime, found) = rawParse(pages)
            precondition(found == expected.items, "raw parse found \(found) items, expected \(expected.items)")
            rawRates.append(Double(found) / rawTime.seconds)
            let real = decodeAndAggregate(pages, start: start, end: end)
            realRuns.append(real)
            say("   run \(index): raw parse \(grouped(rawRates.last!)) items/s (\(fixed(rawTime.seconds * 1000, 0)) ms); "
                + "decode + aggregate + report \(grouped(Double(expected.items) / real.total.seconds)) items/s (\(fixed(real.total.seconds * 1000, 0)) ms: "
                + "decode \(fixed(real.decode.seconds * 1000, 0)), aggregate \(fixed(real.aggregate.seconds * 1000, 0)), report \(fixed(real.report.seconds * 1000, 1)))")
        }
        let raw = Throughput(runs: rawRates)
        let real = Throughput(runs: realRuns.map { Double(expected.items) / $0.total.seconds })
        let median = realRuns.sorted { $0.total < $1.total }[realRuns.count / 2]
        let aggregate = median.result
        let verified = aggregate.totalAPICalls == expected.apiCalls && aggregate.itemCount == expected.items
            && aggregate.totalCost == expected.cost && aggregate.totalTokens == expected.tokens && aggregate.invalidItems == 0

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
            breakdown: ParseFigures.Breakdown(
                totalSeconds: rounded(median.total.seconds, places: 3),
                decodeSeconds: rounded(median.decode.seconds, places: 3),
                aggregateSeconds: rounded(median.aggregate.seconds, places: 3),
                reportSeconds: rounded(median.report.seconds, places: 4),
                otherSeconds: rounded((median.total - median.decode - median.aggregate - median.report).seconds, places: 3),
                rowReadItemsPerSecond: rounded(split.rowRead),
                addItemsPerSecond: rounded(split.add),
                decodeItemsPerSecond: rounded(Double(expected.items) / median.decode.seconds),
                parseAndBuildItemsPerSecond: rounded(split.parseAndBuild)
            ),
            verified: verified,
            reportBytes: median.reportBytes.count
        )
    }

    /// On a sample of pages, decoded once: `UsageRow(item:)` alone, `aggregate.add(item)`
    /// alone, and `JSONValue.parse` + building the `[Item]`s (what a decoder without
    /// `Codable` would cost), each as items/s (best of 3).
    static func splitAggregate(_ pages: [[UInt8]]) -> (rowRead: Double, add: Double, parseAndBuild: Double) {
        let decoder = JSONDecoder()
        let items = pages.flatMap { (try? decoder.decode(QueryPage.self, from: Data($0)))?.items ?? [] }
        guard !items.isEmpty else { return (0, 0, 0) }
        var rowBest = Duration.seconds(1_000)
        var addBest = Duration.seconds(1_000)
        var buildBest = Duration.seconds(1_000)
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

            started = clock.now
            var built = 0
            for page in pages {
                guard let value = try? JSONValue.parse(page), case .array(let list)? = value["Items"] else { continue }
                for element in list { if let item = self.item(element) { built &+= item.count } }
            }
            buildBest = min(buildBest, clock.now - started)
            precondition(built > 0)
        }
        let count = Double(items.count)
        return (count / rowBest.seconds, count / addBest.seconds, count / buildBest.seconds)
    }

    /// An `Item` from the parsed JSON of one (`S`/`N` only) item.
    private static func item(_ value: JSONValue) -> Item? {
        guard case .object(let members) = value else { return nil }
        var item = Item(minimumCapacity: members.count)
        for member in members {
            guard case .object(let typed) = member.value, typed.count == 1 else { return nil }
            switch (typed[0].key, typed[0].value) {
            case ("S", .string(let text)): item[member.key] = .s(text)
            case ("N", .string(let text)): item[member.key] = .n(text)
            default: return nil
            }
        }
        return item
    }
}
