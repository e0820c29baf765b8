import AIUsage
import AIUsageReports
import DynamoDB
import Foundation

/// Part 4: the report path's decoder, in-process, on the Query pages of a month (the 8 segments
/// `UsageFetcher` reads 30 days in, each cut at 1 MB of stored size), all five levels:
///
/// - (a) raw parse: `JSONValue.parse` of every page (a tree, nothing else);
/// - scan only: `QueryPageDecoder.decode` with an empty item closure (the byte scanner walking
///   every item, nothing kept);
/// - (b) the previous path: `JSONValue.parse`, every attribute through `AttributeValue(wire:)`,
///   `UsageAggregate.add(item)` for every item, then the report and its JSON;
/// - **`addPage`**: `UsageAggregate.addPage(body)` for every page, then the report and its JSON
///   (what `UsageFetcher` does with each page);
/// - (c) `UsageFetcher` (rollups off, 8 segments) over `DynamoDBUsageSource` and a
///   `DynamoDBClient` on an in-memory transport that serves the same pages: everything the
///   handler does but the socket (request encoding and signing, the CRC-32 check, the byte
///   budget, the task group, merging).
///
/// - (c') the same fetcher with rollups on, when the store holds them: the 30 closed days'
///   rollup items instead of the raw ones.
///
/// (a), scan, (b) and `addPage` run on one core; (c) may use both. The report JSON
/// of (b), `addPage`, (c) and (c') must be byte for byte the same.
struct DecoderFigures: Codable {
    var pages: Int
    var items: Int
    var bytes: Int
    var runs: Int
    /// Items/s.
    var rawParse: Throughput
    var scanOnly: Throughput
    var previousPath: Throughput
    var addPage: Throughput
    var fetcherInMemory: Throughput
    /// The CPU (user + system, every thread) of (c), median of the runs, in ms.
    var fetcherCPUMilliseconds: Double
    /// (c'), ms a run (nil without rollups in the store).
    var fetcherRollupsMilliseconds: Throughput?
    var fetcherRollupsCPUMilliseconds: Double?
    var addPageMBPerSecond: Double
    /// addPage / previousPath, medians of the same run.
    var addPageToPrevious: Double
    /// addPage / rawParse.
    var addPageToRawParse: Double
    /// previousPath / rawParse (the previous goal's figure).
    var previousToRawParse: Double
    /// addPage / the previous report's (b), 80,175 items/s.
    var addPageToPreviousReport: Double
    /// The reports of (b), addPage and (c) are the same bytes.
    var reportsIdentical: Bool
    var reportBytes: Int
    /// Every path's totals match the items (calls, cost, tokens, no invalid items).
    var verified: Bool
    var problems: [String]
}

enum ReportBench {
    static let levels: [AggregationLevel] = [.day, .service, .model, .operation, .hour]
    static let clock = ContinuousClock()
    /// The previous report's (b), in items/s (docs/benchmarks.md, 2026-12-01).
    static let previousReportItemsPerSecond = 80_175.0

    /// The month's pages as `UsageFetcher` reads them with 8 segments (the same pages the
    /// replay server sends the handler).
    static func monthPages(_ store: ReplayStore, start: CivilDate, end: CivilDate) -> [ResponsePage] {
        let query = UsageQuery(start: start, end: end, aggregation: levels)
        return UsageFetcher.segments(of: query, concurrency: 8).flatMap { segment in
            store.pages(ReplayStore.rawRequest(from: segment.first, to: segment.last))
        }
    }

    /// (a): `JSONValue.parse` of every page; the items found (so nothing is optimised away).
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

    /// The byte scanner alone: every item walked and skipped.
    static func scanOnly(_ pages: [[UInt8]]) -> (Duration, Int) {
        var found = 0
        let started = clock.now
        for page in pages {
            do {
                let summary = try page.withUnsafeBufferPointer { buffer throws(WireDecodingError) in
                    try QueryPageDecoder.decode(buffer) { (_: inout WireItem) throws(WireDecodingError) in }
                }
                found &+= summary.itemsRead
            } catch {
                preconditionFailure("QueryPageDecoder refused a bench page: \(error)")
            }
        }
        return (clock.now - started, found)
    }

    /// A page's items as the previous path decoded them: the tree, then every attribute with
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

    struct Run {
        var time: Duration
        var aggregate: UsageAggregate
        var report: [UInt8]
    }

    static func report(_ aggregate: UsageAggregate, start: CivilDate, end: CivilDate) -> [UInt8] {
        let query = UsageQuery(start: start, end: end, aggregation: levels)
        return aggregate.report(start: start, end: end, query: query.echo).serializedBytes()
    }

    /// (b): each page parsed to a tree, its items built, each folded, the page dropped; then the report.
    static func previousPath(_ pages: [[UInt8]], start: CivilDate, end: CivilDate) -> Run {
        var aggregate = UsageAggregate(levels: levels)
        let started = clock.now
        for bytes in pages {
            let tree: JSONValue
            do {
                tree = try JSONValue.parse(bytes)
            } catch {
                preconditionFailure("a bench page is not JSON: \(error)")
            }
            for item in items(tree) { aggregate.add(item) }
        }
        let body = report(aggregate, start: start, end: end)
        return Run(time: clock.now - started, aggregate: aggregate, report: body)
    }

    /// `addPage` for every page, then the report.
    static func addPages(_ pages: [[UInt8]], start: CivilDate, end: CivilDate) -> Run {
        var aggregate = UsageAggregate(levels: levels)
        let started = clock.now
        for page in pages {
            do {
                try page.withUnsafeBufferPointer { buffer throws(WireDecodingError) in _ = try aggregate.addPage(buffer) }
            } catch {
                preconditionFailure("addPage refused a bench page: \(error)")
            }
        }
        let body = report(aggregate, start: start, end: end)
        return Run(time: clock.now - started, aggregate: aggregate, report: body)
    }

    /// (c): the fetcher over an in-memory transport, then the report; and its CPU seconds.
    static func fetcher(_ fetcher: UsageFetcher, start: CivilDate, end: CivilDate, today: CivilDate) async -> (Run, Double) {
        let query = UsageQuery(start: start, end: end, aggregation: levels)
        let cpu = processCPUSeconds()
        let started = clock.now
        let outcome: UsageFetcher.Outcome
        do {
            outcome = try await fetcher.aggregate(query, today: today)
        } catch {
            preconditionFailure("UsageFetcher failed on the in-memory transport: \(error)")
        }
        let body = report(outcome.aggregate, start: start, end: end)
        let time = clock.now - started
        return (Run(time: time, aggregate: outcome.aggregate, report: body), processCPUSeconds() - cpu)
    }

    /// `runs` interleaved runs of each after one warm-up of each.
    static func run(
        _ responsePages: [ResponsePage], store: ReplayStore, expected: ExpectedTotals, start: CivilDate, end: CivilDate, runs: Int
    ) async throws -> DecoderFigures {
        let pages = responsePages.map(\.body)
        let bytes = pages.reduce(0) { $0 + $1.count }
        let client = DynamoDBClient(
            configuration: try DynamoDBConfiguration.fromEnvironment([
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDBENCHPAGES", "AWS_SECRET_ACCESS_KEY": "bench-pages-secret",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
            ]),
            transport: ReplayTransport(store: store)
        )
        let inMemory = UsageFetcher(client: client, tableName: "ai-usage-bench-replay", concurrency: 8, usesRollups: false)
        let fromRollups = store.rollupCount > 0 ? UsageFetcher(client: client, tableName: "ai-usage-bench-replay", concurrency: 8, usesRollups: true) : nil
        let today = end.adding(days: 4)
        var problems: [String] = []
        func check(_ name: String, _ run: Run) {
            let aggregate = run.aggregate
            if aggregate.totalAPICalls != expected.apiCalls || aggregate.itemCount != expected.items || aggregate.totalCost != expected.cost
                || aggregate.totalTokens != expected.tokens || aggregate.invalidItems != 0 {
                problems.append("\(name): \(aggregate.itemCount) items, \(aggregate.totalAPICalls) calls, \(aggregate.totalCost) USD, "
                    + "\(aggregate.totalTokens) tokens, \(aggregate.invalidItems) invalid; expected \(expected.items), \(expected.apiCalls), \(expected.cost), \(expected.tokens), 0")
            }
        }

        _ = rawParse(pages)
        _ = scanOnly(pages)
        _ = previousPath(pages, start: start, end: end)
        _ = addPages(pages, start: start, end: end)
        _ = await fetcher(inMemory, start: start, end: end, today: today)
        if let fromRollups { _ = await fetcher(fromRollups, start: start, end: end, today: today) }

        var raw: [Double] = []
        var scan: [Double] = []
        var previous: [Double] = []
        var added: [Double] = []
        var viaFetcher: [Double] = []
        var fetcherCPU: [Double] = []
        var rollupTimes: [Double] = []
        var rollupCPU: [Double] = []
        var identical = true
        var reportBytes = 0
        for index in 1...runs {
            let (rawTime, found) = rawParse(pages)
            let (scanTime, scanned) = scanOnly(pages)
            precondition(found == expected.items && scanned == expected.items, "the pages hold \(found)/\(scanned) items, expected \(expected.items)")
            let old = previousPath(pages, start: start, end: end)
            let new = addPages(pages, start: start, end: end)
            let (full, cpu) = await fetcher(inMemory, start: start, end: end, today: today)
            var rollupLine = ""
            if let fromRollups {
                let (rolled, cpu) = await fetcher(fromRollups, start: start, end: end, today: today)
                rollupTimes.append(rolled.time.seconds * 1000)
                rollupCPU.append(cpu * 1000)
                check("fetcher from rollups, run \(index)", rolled)
                if rolled.report != old.report {
                    identical = false
                    problems.append("run \(index): the report from rollups differs from the raw items' (\(rolled.report.count) against \(old.report.count) bytes)")
                }
                rollupLine = "; from rollups \(fixed(rolled.time.seconds * 1000, 1)) ms (CPU \(fixed(cpu * 1000, 1)) ms)"
            }
            let count = Double(expected.items)
            raw.append(count / rawTime.seconds)
            scan.append(count / scanTime.seconds)
            previous.append(count / old.time.seconds)
            added.append(count / new.time.seconds)
            viaFetcher.append(count / full.time.seconds)
            fetcherCPU.append(cpu * 1000)
            check("previous path, run \(index)", old)
            check("addPage, run \(index)", new)
            check("fetcher, run \(index)", full)
            if new.report != old.report || full.report != old.report {
                identical = false
                problems.append("run \(index): the report JSON differs: previous \(old.report.count) bytes, addPage \(new.report.count), fetcher \(full.report.count)"
                    + (new.report != old.report ? "; addPage first differs at byte \(firstDifference(new.report, old.report))" : ""))
            }
            reportBytes = new.report.count
            say("   run \(index): raw parse \(grouped(raw.last!)) items/s (\(fixed(rawTime.seconds * 1000, 0)) ms); scan only \(grouped(scan.last!)) (\(fixed(scanTime.seconds * 1000, 1)) ms); "
                + "previous path \(grouped(previous.last!)) (\(fixed(old.time.seconds * 1000, 0)) ms); addPage \(grouped(added.last!)) (\(fixed(new.time.seconds * 1000, 1)) ms); "
                + "fetcher in memory \(grouped(viaFetcher.last!)) (\(fixed(full.time.seconds * 1000, 1)) ms, CPU \(fixed(cpu * 1000, 1)) ms)\(rollupLine)")
        }
        let addPage = Throughput(runs: added)
        let previousPath = Throughput(runs: previous)
        let rawParse = Throughput(runs: raw)
        return DecoderFigures(
            pages: pages.count, items: expected.items, bytes: bytes, runs: runs,
            rawParse: rawParse, scanOnly: Throughput(runs: scan), previousPath: previousPath, addPage: addPage,
            fetcherInMemory: Throughput(runs: viaFetcher),
            fetcherCPUMilliseconds: rounded(Throughput(runs: fetcherCPU.map { $0 * 1000 }).median / 1000, places: 1),
            fetcherRollupsMilliseconds: rollupTimes.isEmpty ? nil : milliseconds(rollupTimes),
            fetcherRollupsCPUMilliseconds: rollupCPU.isEmpty ? nil : rounded(Throughput(runs: rollupCPU.map { $0 * 1000 }).median / 1000, places: 1),
            addPageMBPerSecond: rounded(Double(bytes) / 1e6 * addPage.median / Double(expected.items), places: 1),
            addPageToPrevious: rounded(addPage.median / previousPath.median, places: 2),
            addPageToRawParse: rounded(addPage.median / rawParse.median, places: 2),
            previousToRawParse: rounded(previousPath.median / rawParse.median, places: 3),
            addPageToPreviousReport: rounded(addPage.median / previousReportItemsPerSecond, places: 2),
            reportsIdentical: identical, reportBytes: reportBytes, verified: problems.isEmpty, problems: problems
        )
    }

    /// Milliseconds to one decimal place, as a Throughput of several runs.
    static func milliseconds(_ runs: [Double]) -> Throughput {
        var figure = Throughput(runs: runs.map { $0 * 10 })
        figure.runs = figure.runs.map { $0 / 10 }
        figure.median /= 10
        figure.min /= 10
        figure.max /= 10
        return figure
    }

    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    }

    /// Prints the figures (part 4's summary lines).
    static func show(_ figures: DecoderFigures) {
        say("   \(figures.pages) pages, \(grouped(Double(figures.items))) items, \(fixed(Double(figures.bytes) / 1e6, 1)) MB; medians of \(figures.runs):")
        say("     addPage + report            \(grouped(figures.addPage.median)) items/s (\(fixed(figures.addPageMBPerSecond, 1)) MB/s, spread \(fixed(figures.addPage.spreadPercent, 0))%; goal >= \(grouped(Target.decoderItemsPerSecond)): \(figures.addPage.median >= Target.decoderItemsPerSecond ? "met" : "NOT MET"))")
        say("     previous path (b) + report  \(grouped(figures.previousPath.median)) items/s (spread \(fixed(figures.previousPath.spreadPercent, 0))%); addPage / (b) = \(fixed(figures.addPageToPrevious, 2))x; "
            + "addPage / the previous report's (b), \(grouped(previousReportItemsPerSecond)) items/s = \(fixed(figures.addPageToPreviousReport, 2))x")
        say("     raw parse (a)               \(grouped(figures.rawParse.median)) items/s (spread \(fixed(figures.rawParse.spreadPercent, 0))%); addPage / (a) = \(fixed(figures.addPageToRawParse, 2))x; (b) / (a) = \(fixed(figures.previousToRawParse * 100, 1))%")
        say("     scan only                   \(grouped(figures.scanOnly.median)) items/s: the scanner's share of addPage \(fixed(figures.addPage.median / figures.scanOnly.median * 100, 0))%")
        say("     fetcher, in-memory (c)      \(grouped(figures.fetcherInMemory.median)) items/s (8 segments on 2 cores; CPU \(fixed(figures.fetcherCPUMilliseconds, 1)) ms a run)")
        if let rollups = figures.fetcherRollupsMilliseconds {
            say("     fetcher from rollups (c')   \(fixed(rollups.median, 1)) ms a run, in memory (CPU \(fixed(figures.fetcherRollupsCPUMilliseconds ?? 0, 1)) ms)")
        }
        say("     report: \(grouped(Double(figures.reportBytes))) bytes; (b), addPage, (c)\(figures.fetcherRollupsMilliseconds == nil ? "" : " and (c')") \(figures.reportsIdentical ? "byte-identical" : "DIFFER"); totals \(figures.verified ? "match the items" : "DO NOT MATCH")")
        for problem in figures.problems { say("     PROBLEM: \(problem)") }
    }
}

/// The report path's data set (parts 4 and 5): 30 days of 3,000 items a day, ending 2026-11-30.
enum ReportSetup {
    static let lastDay = CivilDate(year: 2026, month: 11, day: 30)
    static let perDay = 3_000
    static let days = 30
    static let seed: UInt64 = 20261130
    static let decoderRuns = 5
    static var firstDay: CivilDate { lastDay.adding(days: -(days - 1)) }

    /// The store of the month's items, the month's totals and those of the week from
    /// `weekStart`; the table itself is dropped once the store holds its items.
    static func store(weekStart: CivilDate) -> (ReplayStore, month: ExpectedTotals, week: ExpectedTotals) {
        let table = UsageTable(firstDay: firstDay, days: days, perDay: perDay, seed: seed)
        return (
            ReplayStore(items: table.allItems),
            ExpectedTotals(table.items(from: firstDay, through: lastDay)),
            ExpectedTotals(table.items(from: weekStart, through: lastDay))
        )
    }
}

extension ReportBench {
    static let onlyFlag = "--decoder-only"

    /// Part 4 on its own (`--decoder-only`): its lines, then its figures as JSON.
    static func standalone() async -> Never {
        say("ai-usage-bench \(onlyFlag): part 4 alone (\(Machine.buildConfiguration) build); load average \(Machine.currentLoadAverage())")
        let (store, month, _) = ReportSetup.store(weekStart: ReportSetup.lastDay)
        let pages = monthPages(store, start: ReportSetup.firstDay, end: ReportSetup.lastDay)
        do {
            let figures = try await run(pages, store: store, expected: month, start: ReportSetup.firstDay, end: ReportSetup.lastDay, runs: ReportSetup.decoderRuns)
            show(figures)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            say(String(decoding: try encoder.encode(figures), as: UTF8.self))
            exit(figures.verified && figures.reportsIdentical ? 0 : 1)
        } catch {
            say("FAILED: \(error)")
            exit(1)
        }
    }
}
