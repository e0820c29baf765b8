import AIUsage
@testable import AIUsageReports
import DynamoDB
import TestSupport
import Testing

// MARK: - Fixture helpers

/// Which attribute names an item is written with.
private enum Generation {
    /// Today's writer: `cost_usd`, `total_tokens`, `api_calls`, ….
    case snake
    /// The 645 writer: `costUSD`, `totalTokens`, `apiCalls`, ….
    case camel
}

/// One usage item on 2024-01-15, as either generation writes it.
private func usageItem(
    _ generation: Generation,
    service: String,
    model: String,
    operation: String,
    hour: Int,
    tokens: (input: Int, output: Int, total: Int)?,
    cost: String
) -> Item {
    let hh = hour < 10 ? "0\(hour)" : "\(hour)"
    var item: Item = [
        "PK": .s("AI_USAGE#\(service)#\(model)"),
        "service": .s(service),
        "model": .s(model),
        "operation": .s(operation),
        "timestamp": .s("2024-01-15T\(hh):00:00"),
        "date": .s("2024-01-15"),
        "hour": .s("2024-01-15-\(hh)"),
    ]
    switch generation {
    case .snake:
        item["cost_usd"] = .n(cost)
        item["api_calls"] = .n("1")
        if let tokens {
            item["input_tokens"] = .number(tokens.input)
            item["output_tokens"] = .number(tokens.output)
            item["total_tokens"] = .number(tokens.total)
        }
    case .camel:
        item["costUSD"] = .n(cost)
        item["apiCalls"] = .n("1")
        if let tokens {
            item["inputTokens"] = .number(tokens.input)
            item["outputTokens"] = .number(tokens.output)
            item["totalTokens"] = .number(tokens.total)
        }
    }
    return item
}

/// The original handler's test fixture (spec §7): 11 items on 2024-01-15, hour 10 + i within each
/// model. Costs are the exact decimal values 0.000225·(1+0.1i), 0.009·(1+0.1i), 0.015·(1+0.1i),
/// written by hand (the original computed them in float: `Decimal(str(0.000225 * 1.4))` is
/// `0.00031499999999999996`).
private func handlerFixture(_ generation: (Int) -> Generation) -> [Item] {
    var items: [Item] = []
    let gpt35 = ["0.000225", "0.0002475", "0.00027", "0.0002925", "0.000315"]
    for i in 0..<5 {
        items.append(usageItem(
            generation(items.count), service: "openai", model: "gpt-3.5-turbo", operation: "completion", hour: 10 + i,
            tokens: (100 + 10 * i, 50 + 5 * i, 150 + 15 * i), cost: gpt35[i]
        ))
    }
    let gpt4 = ["0.009", "0.0099", "0.0108"]
    for i in 0..<3 {
        items.append(usageItem(
            generation(items.count), service: "openai", model: "gpt-4", operation: "completion", hour: 10 + i,
            tokens: (200 + 20 * i, 100 + 10 * i, 300 + 30 * i), cost: gpt4[i]
        ))
    }
    let opus = ["0.015", "0.0165"]
    for i in 0..<2 {
        items.append(usageItem(
            generation(items.count), service: "anthropic", model: "claude-3-opus-20240229", operation: "completion", hour: 10 + i,
            tokens: (150 + 15 * i, 75 + 10 * i, 225 + 25 * i), cost: opus[i]
        ))
    }
    // The original fixture's operation for Places is `place_lookup`.
    items.append(usageItem(
        generation(items.count), service: "google_places", model: "places_api", operation: "place_lookup", hour: 10,
        tokens: nil, cost: "0.017"
    ))
    return items
}

private let day = CivilDate(year: 2024, month: 1, day: 15)

/// The `query` object the handler would pass for `levels`.
private func queryObject(_ levels: [AggregationLevel]) -> JSONValue {
    .object([
        .init(key: "service", value: .null),
        .init(key: "operation", value: .null),
        .init(key: "model", value: .null),
        .init(key: "job_id", value: .null),
        .init(key: "batch_id", value: .null),
        .init(key: "user_id", value: .null),
        .init(key: "environment", value: .null),
        .init(key: "aggregation", value: .array(levels.map { .string($0.rawValue) })),
    ])
}

private let allLevels: [AggregationLevel] = [.day, .service, .model, .operation, .hour]

/// The serialized report of `items` over 2024-01-15.
private func reportText(_ items: [Item], levels: [AggregationLevel] = allLevels) -> String {
    var aggregate = UsageAggregate(levels: levels)
    for item in items { aggregate.add(item) }
    return aggregate.report(start: day, end: day, query: queryObject(levels)).serialized()
}

/// The aggregate of `rows`.
private func aggregate(_ rows: [UsageRow], levels: [AggregationLevel] = allLevels) -> UsageAggregate {
    var aggregate = UsageAggregate(levels: levels)
    for row in rows { aggregate.add(row) }
    return aggregate
}

/// A row on 2024-01-15 at 10:00 of openai/gpt-4/completion.
private func row(cost: String, tokens: Int = 0, calls: Int = 1) -> UsageRow {
    UsageRow(
        date: "2024-01-15", hour: "10", service: "openai", model: "gpt-4", operation: "completion",
        cost: dec(cost), tokens: tokens, apiCalls: calls
    )
}

/// The value of `key` inside `summary` of a report.
private func summary(_ aggregate: UsageAggregate, _ key: String) -> String? {
    aggregate.report(start: day, end: day, query: .null)["summary"]?[key]?.serialized()
}

private let queryText =
    #"{"service":null,"operation":null,"model":null,"job_id":null,"batch_id":null,"user_id":null,"environment":null,"#
    + #""aggregation":["day","service","model","operation","hour"]}"#

/// The fixture's report, every number worked out by hand from the exact item costs.
///
/// - total 0.07955 → 0.0796 (tie at 4 places, 5 is odd → up to even 6); average 0.07955 / 11 =
///   0.0072318… → 0.007232.
/// - openai 0.00135 + 0.0297 = 0.03105 → 0.031 (tie, 0 is even → down); its average from the
///   unrounded 0.03105 / 8 = 0.00388125 → 0.003881.
/// - gpt-3.5-turbo 0.00135 → 0.0014 (tie, 3 odd → up); completion 0.06255 → 0.0626 (tie, up).
/// - hours: 10 = 0.000225 + 0.009 + 0.015 + 0.017 = 0.041225 → 0.0412; 11 = 0.0266475 → 0.0266;
///   12 = 0.01107 → 0.0111; 13 = 0.0002925 → 0.0003; 14 = 0.000315 → 0.0003.
/// - claude: 475 tokens / 2 calls = 237.5.
///
/// The original (float item costs, float JSON) gave instead: total_cost_usd 0.0795 (its sum is
/// 0.07954999999999999896), gpt-3.5-turbo 0.0013, completion 0.0625, openai
/// average_cost_per_call 0.003875 (from the rounded 0.031), tokens as floats (`2365.0`,
/// `average_tokens_per_call` 180.0), total_api_calls the number of items, lists unsorted, and no
/// `invalid_items`.
private let fixtureReport =
    #"{"summary":{"total_cost_usd":0.0796,"total_tokens":2365,"total_api_calls":11,"average_cost_per_call":0.007232,"#
    + #""date_range":{"start":"2024-01-15","end":"2024-01-15"},"invalid_items":0,"unpriced_calls":0},"#
    + #""aggregations":{"#
    + #""by_day":{"2024-01-15":{"cost_usd":0.0796,"tokens":2365,"api_calls":11,"services":["anthropic","google_places","openai"]}},"#
    + #""by_service":{"#
    + #""anthropic":{"cost_usd":0.0315,"tokens":475,"api_calls":2,"models":["claude-3-opus-20240229"],"operations":["completion"],"average_cost_per_call":0.01575},"#
    + #""google_places":{"cost_usd":0.017,"tokens":0,"api_calls":1,"models":["places_api"],"operations":["place_lookup"],"average_cost_per_call":0.017},"#
    + #""openai":{"cost_usd":0.031,"tokens":1890,"api_calls":8,"models":["gpt-3.5-turbo","gpt-4"],"operations":["completion"],"average_cost_per_call":0.003881}},"#
    + #""by_model":{"#
    + #""claude-3-opus-20240229":{"cost_usd":0.0315,"tokens":475,"api_calls":2,"service":"anthropic","average_tokens_per_call":237.5},"#
    + #""gpt-3.5-turbo":{"cost_usd":0.0014,"tokens":900,"api_calls":5,"service":"openai","average_tokens_per_call":180},"#
    + #""gpt-4":{"cost_usd":0.0297,"tokens":990,"api_calls":3,"service":"openai","average_tokens_per_call":330},"#
    + #""places_api":{"cost_usd":0.017,"tokens":0,"api_calls":1,"service":"google_places","average_tokens_per_call":0}},"#
    + #""by_operation":{"#
    + #""completion":{"cost_usd":0.0626,"tokens":2365,"api_calls":10,"services":["anthropic","openai"]},"#
    + #""place_lookup":{"cost_usd":0.017,"tokens":0,"api_calls":1,"services":["google_places"]}},"#
    + #""by_hour":{"10":{"cost_usd":0.0412,"api_calls":4},"11":{"cost_usd":0.0266,"api_calls":3},"#
    + #""12":{"cost_usd":0.0111,"api_calls":2},"13":{"cost_usd":0.0003,"api_calls":1},"14":{"cost_usd":0.0003,"api_calls":1}}},"#
    + #""query":"# + queryText + "}"

/// The report aggregator: `UsageRow`, `UsageAggregate` and its report (the laws are in
/// `ReportLawTests`).
@Suite enum AggregatorTests {}

// MARK: - The handler fixture

extension AggregatorTests {
    @Suite struct HandlerFixture {
        @Test func fixtureReportIsExact() {
            #expect(reportText(handlerFixture { _ in .snake }) == fixtureReport)
        }

        @Test func camelCaseFixtureGivesTheSameReport() {
            #expect(reportText(handlerFixture { _ in .camel }) == fixtureReport)
        }

        @Test func mixedGenerationsGiveTheSameReport() {
            #expect(reportText(handlerFixture { $0 % 2 == 0 ? .snake : .camel }) == fixtureReport)
            #expect(reportText(handlerFixture { $0 % 3 == 1 ? .snake : .camel }) == fixtureReport)
        }

        @Test func fixtureTotals() {
            var aggregate = UsageAggregate(levels: [.day])
            for item in handlerFixture({ _ in .snake }) { aggregate.add(item) }
            #expect(aggregate.totalCost == dec("0.07955"))
            #expect(aggregate.totalTokens == 2365)
            #expect(aggregate.totalAPICalls == 11)
            #expect(aggregate.itemCount == 11)
            #expect(aggregate.invalidItems == 0)
            #expect(aggregate.invalidReasons.isEmpty)
        }

        @Test func defaultDayLevelOnly() {
            let text = reportText(handlerFixture { _ in .snake }, levels: [.day])
            #expect(text.contains(#""aggregations":{"by_day":{"2024-01-15":{"cost_usd":0.0796,"tokens":2365,"api_calls":11,"services":["anthropic","google_places","openai"]}}}"#))
            #expect(!text.contains("by_service"))
            #expect(!text.contains("by_hour"))
        }

        @Test func levelsComeOutInCanonicalOrderWhateverTheRequest() {
            let levels: [AggregationLevel] = [.hour, .day, .hour]
            var aggregate = UsageAggregate(levels: levels)
            for item in handlerFixture({ _ in .snake }) { aggregate.add(item) }
            #expect(aggregate.levels == [.hour, .day])
            let report = aggregate.report(start: day, end: day, query: queryObject(aggregate.levels))
            #expect(report["aggregations"]?.objectMembers?.map(\.key) == ["by_day", "by_hour"])
            #expect(report["query"]?["aggregation"]?.serialized() == #"["hour","day"]"#)
            #expect(report.objectMembers?.map(\.key) == ["summary", "aggregations", "query"])
            #expect(report["summary"]?.objectMembers?.map(\.key) == [
                "total_cost_usd", "total_tokens", "total_api_calls", "average_cost_per_call", "date_range", "invalid_items", "unpriced_calls",
            ])
        }

        @Test func dateRangeIsTheRequestedRange() {
            let aggregate = UsageAggregate(levels: [.day])
            let report = aggregate.report(
                start: CivilDate(year: 2024, month: 1, day: 9), end: CivilDate(year: 2024, month: 2, day: 1), query: .null
            )
            #expect(report["summary"]?["date_range"]?.serialized() == #"{"start":"2024-01-09","end":"2024-02-01"}"#)
        }

        @Test func aggregationLevelOrderAndKeys() {
            #expect(AggregationLevel.allCases.map(\.rawValue) == ["day", "service", "model", "operation", "hour", "user", "job"])
            #expect(AggregationLevel.allCases.map(\.reportKey) == ["by_day", "by_service", "by_model", "by_operation", "by_hour", "by_user", "by_job"])
            #expect(AggregationLevel.deduplicated([.model, .day, .model, .hour, .day]) == [.model, .day, .hour])
        }
    }
}

// MARK: - Both generations

extension AggregatorTests {
    @Suite struct Generations {
        @Test func apiCallsAreSummed() {
            var item = usageItem(.snake, service: "openai", model: "gpt-4", operation: "completion", hour: 9, tokens: (1, 2, 3), cost: "0.3")
            item["api_calls"] = .n("3")
            var aggregate = UsageAggregate(levels: allLevels)
            aggregate.add(item)
            #expect(aggregate.totalAPICalls == 3)
            #expect(aggregate.itemCount == 1)
            #expect(summary(aggregate, "average_cost_per_call") == "0.1")
            let report = aggregate.report(start: day, end: day, query: .null)
            #expect(report["aggregations"]?["by_hour"]?.serialized() == #"{"09":{"cost_usd":0.3,"api_calls":3}}"#)
            #expect(report["aggregations"]?["by_model"]?["gpt-4"]?["average_tokens_per_call"]?.serialized() == "1")
        }

        @Test func camelCaseApiCallsAreSummed() throws {
            let row = try UsageRow(item: ["apiCalls": .n("4"), "costUSD": .n("1")])
            #expect(row.apiCalls == 4)
            #expect(row.cost == 1)
        }

        @Test func snakeCaseWinsWhenBothArePresent() throws {
            let row = try UsageRow(item: [
                "cost_usd": .n("1.5"), "costUSD": .n("2"),
                "total_tokens": .n("10"), "totalTokens": .n("20"),
                "api_calls": .n("2"), "apiCalls": .n("5"),
            ])
            #expect(row.cost == dec("1.5"))
            #expect(row.tokens == 10)
            #expect(row.apiCalls == 2)
        }

        @Test func nullSnakeCaseFallsBackToCamelCase() throws {
            let row = try UsageRow(item: ["cost_usd": .null, "costUSD": .n("0.25"), "total_tokens": .null, "totalTokens": .n("7")])
            #expect(row.cost == dec("0.25"))
            #expect(row.tokens == 7)
        }

        @Test func tokensFromInputAndOutputWhenNoTotal() throws {
            #expect(try UsageRow(item: ["input_tokens": .n("100"), "output_tokens": .n("50")]).tokens == 150)
            #expect(try UsageRow(item: ["inputTokens": .n("100"), "outputTokens": .n("50")]).tokens == 150)
            #expect(try UsageRow(item: ["inputTokens": .n("100"), "output_tokens": .n("5")]).tokens == 105)
            #expect(try UsageRow(item: ["input_tokens": .n("40")]).tokens == 40)
            #expect(try UsageRow(item: ["output_tokens": .n("0"), "input_tokens": .n("0")]).tokens == 0)
            // A total wins over the parts, even when it disagrees.
            #expect(try UsageRow(item: ["input_tokens": .n("1"), "output_tokens": .n("2"), "total_tokens": .n("9")]).tokens == 9)
        }

        @Test func defaultsForAnEmptyItem() throws {
            let row = try UsageRow(item: [:])
            // No cost and no error: a call without a price, counted at 0.
            #expect(row == UsageRow(date: nil, hour: nil, service: nil, model: nil, operation: nil, cost: .zero, tokens: 0, apiCalls: 1, isUnpriced: true))
        }

        @Test func aCallIsUnpricedWithoutACostUnlessItFailed() throws {
            // No cost under either name (absent or NULL), no error: unpriced.
            #expect(try UsageRow(item: ["total_tokens": .n("5")]).isUnpriced)
            #expect(try UsageRow(item: ["cost_usd": .null, "costUSD": .null]).isUnpriced)
            #expect(try UsageRow(item: ["error": .s("")]).isUnpriced)        // an empty error is none
            #expect(try UsageRow(item: ["error": .null]).isUnpriced)
            #expect(try UsageRow(item: ["error": .n("1")]).isUnpriced)       // not an S: none, as error counts read it
            // A cost, even 0, under either generation's name: priced.
            #expect(try !UsageRow(item: ["cost_usd": .n("0")]).isUnpriced)
            #expect(try !UsageRow(item: ["costUSD": .n("0.25")]).isUnpriced)
            #expect(try !UsageRow(item: ["cost_usd": .null, "costUSD": .n("1")]).isUnpriced)
            // A failed call without a cost was not billed: not unpriced.
            #expect(try !UsageRow(item: ["error": .s("Timeout")]).isUnpriced)
            // A cost that cannot be read makes the item invalid, not unpriced.
            #expect(throws: UsageRow.Invalid.self) { try UsageRow(item: ["cost_usd": .s("0.1")]) }
        }

        @Test func unpricedCallsAreCountedPerGroupAndLeaveTheSumsAlone() throws {
            var aggregate = UsageAggregate(levels: allLevels)
            aggregate.add(["service": .s("openai"), "model": .s("gpt-4o"), "cost_usd": .n("0.5"), "hour": .s("2024-01-15-09"), "date": .s("2024-01-15")])
            aggregate.add(["service": .s("openai"), "model": .s("gpt-9"), "api_calls": .n("3"), "hour": .s("2024-01-15-09"), "date": .s("2024-01-15")])
            aggregate.add(["service": .s("openai"), "model": .s("gpt-9"), "error": .s("Timeout"), "date": .s("2024-01-15")])
            aggregate.add(["service": .s("acme"), "model": .s("m"), "costUSD": .null, "date": .s("2024-01-16")])
            aggregate.add(["service": .s("acme"), "model": .s("m"), "cost_usd": .s("bad"), "date": .s("2024-01-16")])
            #expect(aggregate.totalCost == dec("0.5"))
            #expect(aggregate.totalAPICalls == 6)
            #expect(aggregate.invalidItems == 1)
            #expect(aggregate.unpricedCalls == 4)  // gpt-9's 3 calls and acme's 1; not the failed one
            #expect(aggregate.groups(.model).map(\.unpricedCalls) == [0, 3, 1])  // gpt-4o, gpt-9, m
            #expect(aggregate.groups(.day).map(\.unpricedCalls) == [3, 1])
            #expect(aggregate.groups(.hour).map(\.unpricedCalls) == [3, 1])   // 09, unknown
            // Merging adds them; `GET /ai_usage`'s body shows the total in its summary only (its
            // groups are the original's), the scoped shape in every group too.
            var twice = aggregate
            twice.merge(aggregate)
            #expect(twice.unpricedCalls == 8)
            let body = aggregate.report(start: day, end: day, query: .null)
            #expect(body["summary"]?["unpriced_calls"] == .number(4))
            #expect(!body["aggregations"]!.serialized().contains("unpriced"))
            let scoped = aggregate.report(start: day, end: day, query: .null, unpricedCalls: true)
            #expect(scoped["summary"]?["unpriced_calls"] == .number(4))
            #expect(scoped["aggregations"]?["by_service"]?["openai"]?.objectMembers?.last?.key == "unpriced_calls")
            #expect(scoped["aggregations"]?["by_service"]?["openai"]?["unpriced_calls"] == .number(3))
        }

        @Test func integerSpellingsOfCounts() throws {
            #expect(try UsageRow(item: ["total_tokens": .n("1.5e2")]).tokens == 150)
            #expect(try UsageRow(item: ["total_tokens": .n("150.000")]).tokens == 150)
            #expect(try UsageRow(item: ["total_tokens": .n("9223372036854775807")]).tokens == Int.max)
            #expect(try UsageRow(item: ["api_calls": .n("0")]).apiCalls == 0)
            #expect(try UsageRow(item: ["api_calls": .n("-0")]).apiCalls == 0)
        }

        @Test func dateAndHourFromTheTimestampWhenAbsent() throws {
            let row = try UsageRow(item: ["timestamp": .s("2024-02-03T07:15:00.123456+00:00")])
            #expect(row.date == "2024-02-03")
            #expect(row.hour == "07")
            // The stored `date` and `hour` win over the timestamp.
            let stored = try UsageRow(item: [
                "timestamp": .s("2024-02-03T07:15:00+00:00"), "date": .s("2024-02-04"), "hour": .s("2024-02-04-23"),
            ])
            #expect(stored.date == "2024-02-04")
            #expect(stored.hour == "23")
        }

        @Test func unreadableHoursAndDatesAreAbsent() throws {
            let row = try UsageRow(item: ["hour": .s("2024-01-15-24"), "timestamp": .s("garbage text here")])
            #expect(row.hour == nil)
            #expect(row.date == nil)
            let fallback = try UsageRow(item: ["hour": .s("x"), "timestamp": .s("2024-01-15 21:00:00")])
            #expect(fallback.hour == "21")
            #expect(fallback.date == "2024-01-15")
            #expect(try UsageRow(item: ["service": .s(""), "model": .n("4"), "operation": .null]).service == nil)
            #expect(try UsageRow(item: ["model": .n("4")]).model == nil)
        }
    }
}

// MARK: - Decimal traps

extension AggregatorTests {
    @Suite struct Decimals {
        @Test func pointOnePlusPointTwoIsPointThree() {
            let aggregate = aggregate([row(cost: "0.1"), row(cost: "0.2")])
            #expect(aggregate.totalCost.description == "0.3")
            #expect(summary(aggregate, "total_cost_usd") == "0.3")
            #expect(summary(aggregate, "average_cost_per_call") == "0.15")
        }

        @Test func longCostRoundsToFourPlaces() {
            let aggregate = aggregate([row(cost: "10.123456789")])
            #expect(summary(aggregate, "total_cost_usd") == "10.1235")
            #expect(summary(aggregate, "average_cost_per_call") == "10.123457")
        }

        @Test func fourPlaceTiesRoundToEven() {
            #expect(summary(aggregate([row(cost: "0.00005")]), "total_cost_usd") == "0")
            #expect(summary(aggregate([row(cost: "0.00015")]), "total_cost_usd") == "0.0002")
            #expect(summary(aggregate([row(cost: "0.00025")]), "total_cost_usd") == "0.0002")
            #expect(summary(aggregate([row(cost: "0.000250001")]), "total_cost_usd") == "0.0003")
            // Group costs round the same way.
            let report = aggregate([row(cost: "0.00015")]).report(start: day, end: day, query: .null)
            #expect(report["aggregations"]?["by_service"]?["openai"]?["cost_usd"]?.serialized() == "0.0002")
        }

        @Test func sixPlaceAverageTiesRoundToEven() {
            // 0.000005 / 2 = 0.0000025 → 0.000002; 0.000007 / 2 = 0.0000035 → 0.000004.
            let down = aggregate([row(cost: "0.000005", calls: 2)])
            #expect(summary(down, "average_cost_per_call") == "0.000002")
            let up = aggregate([row(cost: "0.000007", calls: 2)])
            #expect(summary(up, "average_cost_per_call") == "0.000004")
            let report = down.report(start: day, end: day, query: .null)
            #expect(report["aggregations"]?["by_service"]?["openai"]?["average_cost_per_call"]?.serialized() == "0.000002")
        }

        @Test func averageFromUnroundedTotals() {
            // 0.00005 rounds to 0 at 4 places, but the average is of the exact total: 0.000025.
            let aggregate = aggregate([row(cost: "0.00003"), row(cost: "0.00002")])
            #expect(summary(aggregate, "total_cost_usd") == "0")
            #expect(summary(aggregate, "average_cost_per_call") == "0.000025")
        }

        @Test func averageTokensTiesRoundToEven() {
            let report = aggregate([row(cost: "0", tokens: 1, calls: 8), row(cost: "0", tokens: 0, calls: 0)])
                .report(start: day, end: day, query: .null)
            // 1 / 8 = 0.125 → 0.12.
            #expect(report["aggregations"]?["by_model"]?["gpt-4"]?["average_tokens_per_call"]?.serialized() == "0.12")
            let up = aggregate([row(cost: "0", tokens: 3, calls: 8)]).report(start: day, end: day, query: .null)
            // 3 / 8 = 0.375 → 0.38.
            #expect(up["aggregations"]?["by_model"]?["gpt-4"]?["average_tokens_per_call"]?.serialized() == "0.38")
        }

        @Test func averagesOverNoCallsAreZero() {
            let aggregate = aggregate([row(cost: "1.5", tokens: 10, calls: 0)])
            #expect(summary(aggregate, "average_cost_per_call") == "0")
            let report = aggregate.report(start: day, end: day, query: .null)
            #expect(report["aggregations"]?["by_service"]?["openai"]?["average_cost_per_call"]?.serialized() == "0")
            #expect(report["aggregations"]?["by_model"]?["gpt-4"]?["average_tokens_per_call"]?.serialized() == "0")
            #expect(summary(aggregate, "total_cost_usd") == "1.5")
        }

        @Test func exponentCostsAreExact() {
            let aggregate = aggregate([row(cost: "1e-05"), row(cost: "2.5E-5")])
            #expect(aggregate.totalCost == dec("0.000035"))
            #expect(summary(aggregate, "average_cost_per_call") == "0.000018")
        }
    }
}

// MARK: - Unknown dimensions, invalid items

extension AggregatorTests {
    @Suite struct EdgeCases {
        @Test func missingDimensionsAreUnknownInEveryLevel() {
            var aggregate = UsageAggregate(levels: allLevels)
            aggregate.add(["cost_usd": .n("0.5")])
            aggregate.add([
                "cost_usd": .n("0.25"), "service": .s("anthropic"), "date": .s("2024-01-15"), "hour": .s("2024-01-15-03"),
                "model": .s("claude"), "operation": .s("completion"), "total_tokens": .n("4"),
            ])
            let text = aggregate.report(start: day, end: day, query: .null).serialized()
            let expected =
                #"{"summary":{"total_cost_usd":0.75,"total_tokens":4,"total_api_calls":2,"average_cost_per_call":0.375,"#
                + #""date_range":{"start":"2024-01-15","end":"2024-01-15"},"invalid_items":0,"unpriced_calls":0},"aggregations":{"#
                + #""by_day":{"2024-01-15":{"cost_usd":0.25,"tokens":4,"api_calls":1,"services":["anthropic"]},"#
                + #""unknown":{"cost_usd":0.5,"tokens":0,"api_calls":1,"services":["unknown"]}},"#
                + #""by_service":{"anthropic":{"cost_usd":0.25,"tokens":4,"api_calls":1,"models":["claude"],"operations":["completion"],"average_cost_per_call":0.25},"#
                + #""unknown":{"cost_usd":0.5,"tokens":0,"api_calls":1,"models":["unknown"],"operations":["unknown"],"average_cost_per_call":0.5}},"#
                + #""by_model":{"claude":{"cost_usd":0.25,"tokens":4,"api_calls":1,"service":"anthropic","average_tokens_per_call":4},"#
                + #""unknown":{"cost_usd":0.5,"tokens":0,"api_calls":1,"service":"unknown","average_tokens_per_call":0}},"#
                + #""by_operation":{"completion":{"cost_usd":0.25,"tokens":4,"api_calls":1,"services":["anthropic"]},"#
                + #""unknown":{"cost_usd":0.5,"tokens":0,"api_calls":1,"services":["unknown"]}},"#
                + #""by_hour":{"03":{"cost_usd":0.25,"api_calls":1},"unknown":{"cost_usd":0.5,"api_calls":1}}},"query":null}"#
            #expect(text == expected)
        }

        @Test func keysAndListsSortInByteOrder() {
            var aggregate = UsageAggregate(levels: [.service, .model])
            for (service, model) in [("zeta", "m"), ("Zeta", "m"), ("unknown", "b"), ("alpha", "m"), ("zeta", "a")] {
                aggregate.add(["service": .s(service), "model": .s(model)])
            }
            aggregate.add(["model": .s("b")])
            let report = aggregate.report(start: day, end: day, query: .null)
            #expect(report["aggregations"]?["by_service"]?.objectMembers?.map(\.key) == ["Zeta", "alpha", "unknown", "zeta"])
            #expect(report["aggregations"]?["by_service"]?["zeta"]?["models"]?.serialized() == #"["a","m"]"#)
            // A missing service and the literal service "unknown" share the group.
            #expect(report["aggregations"]?["by_service"]?["unknown"]?["api_calls"]?.serialized() == "2")
            // The model's service is the byte-wise first of its services.
            #expect(report["aggregations"]?["by_model"]?["m"]?["service"]?.serialized() == #""Zeta""#)
            #expect(report["aggregations"]?["by_model"]?["b"]?["service"]?.serialized() == #""unknown""#)
        }

        @Test func differentlyNormalisedNamesStayApart() {
            var aggregate = UsageAggregate(levels: [.service])
            aggregate.add(["service": .s("caf\u{E9}")])  // precomposed é
            aggregate.add(["service": .s("cafe\u{301}")])  // e + combining acute
            #expect(aggregate.groups(.service).count == 2)
        }

        @Test func invalidItemsAreCountedExcludedAndExplained() {
            var aggregate = UsageAggregate(levels: allLevels)
            aggregate.add(["cost_usd": .n("1"), "service": .s("openai")])
            aggregate.add(["cost_usd": .s("abc"), "service": .s("openai")])
            aggregate.add(["cost_usd": .n("0.5"), "total_tokens": .n("1.5")])
            aggregate.add(["cost_usd": .n("-0.01")])
            aggregate.add(["costUSD": .n("abc")])
            aggregate.add(["apiCalls": .n("-1")])
            aggregate.add(["input_tokens": .bool(true)])
            #expect(aggregate.invalidItems == 6)
            #expect(aggregate.itemCount == 1)
            #expect(aggregate.totalCost == 1)
            #expect(aggregate.totalTokens == 0)
            #expect(aggregate.totalAPICalls == 1)
            #expect(aggregate.invalidReasons.count == UsageAggregate.keptReasonCount)
            #expect(aggregate.invalidReasons.map(\.attribute) == ["cost_usd", "total_tokens", "cost_usd", "costUSD", "apiCalls"])
            #expect(aggregate.invalidReasons.map(\.description) == [
                #"cost_usd holds S "abc": not an N"#,
                #"total_tokens holds N "1.5": not a non-negative integer"#,
                #"cost_usd holds N "-0.01": a negative cost"#,
                #"costUSD holds N "abc": not an exact decimal"#,
                #"apiCalls holds N "-1": not a non-negative integer"#,
            ])
            #expect(summary(aggregate, "invalid_items") == "6")
            #expect(summary(aggregate, "total_cost_usd") == "1")
            let report = aggregate.report(start: day, end: day, query: .null)
            #expect(report["aggregations"]?["by_service"]?.serialized()
                == #"{"openai":{"cost_usd":1,"tokens":0,"api_calls":1,"models":["unknown"],"operations":["unknown"],"average_cost_per_call":1}}"#)
        }

        @Test func rowDecodingErrorsNameTheAttribute() {
            #expect(throws: UsageRow.Invalid(attribute: "total_tokens", held: #"N "1.5""#, problem: "not a non-negative integer")) {
                try UsageRow(item: ["total_tokens": .n("1.5")])
            }
            #expect(throws: UsageRow.Invalid(attribute: "inputTokens", held: "BOOL", problem: "not an N")) {
                try UsageRow(item: ["inputTokens": .bool(true)])
            }
            #expect(throws: UsageRow.Invalid(attribute: "api_calls", held: #"N "1e400""#, problem: "not an exact decimal")) {
                try UsageRow(item: ["api_calls": .n("1e400")])
            }
            #expect(throws: UsageRow.Invalid.self) { try UsageRow(item: ["cost_usd": .n("")]) }
            #expect(throws: UsageRow.Invalid.self) { try UsageRow(item: ["cost_usd": .n("NaN")]) }
            #expect(throws: UsageRow.Invalid.self) { try UsageRow(item: ["total_tokens": .n("92233720368547758070")]) }
            #expect(throws: UsageRow.Invalid.self) {
                try UsageRow(item: ["input_tokens": .n("9223372036854775807"), "output_tokens": .n("1")])
            }
            // A long held text is shortened for the log.
            let long = String(repeating: "x", count: 100)
            #expect(throws: UsageRow.Invalid(attribute: "cost_usd", held: "S \"\(String(repeating: "x", count: 40))…\"", problem: "not an N")) {
                try UsageRow(item: ["cost_usd": .s(long)])
            }
        }

        @Test func handBuiltNegativeRowsAreInvalid() {
            var aggregate = UsageAggregate(levels: [.day])
            aggregate.add(row(cost: "-1"))
            aggregate.add(row(cost: "1", tokens: -1))
            aggregate.add(row(cost: "1", calls: -1))
            #expect(aggregate.invalidItems == 3)
            #expect(aggregate.itemCount == 0)
            #expect(aggregate.totalCost == 0)
            #expect(aggregate.invalidReasons.map(\.attribute) == ["cost_usd", "total_tokens", "api_calls"])
        }

        @Test func overflowingSumsMakeTheItemInvalidInsteadOfTrapping() {
            var aggregate = UsageAggregate(levels: allLevels)
            aggregate.add(["cost_usd": .n("9e37"), "total_tokens": .n("9223372036854775807"), "api_calls": .n("9223372036854775807")])
            aggregate.add(["cost_usd": .n("9e37")])
            aggregate.add(["total_tokens": .n("1"), "api_calls": .n("0")])
            aggregate.add(["api_calls": .n("1")])
            aggregate.add(["cost_usd": .n("1"), "api_calls": .n("0")])
            #expect(aggregate.itemCount == 2)
            #expect(aggregate.invalidItems == 3)
            #expect(aggregate.totalCost == dec("90000000000000000000000000000000000001"))
            #expect(aggregate.totalTokens == Int.max)
            #expect(aggregate.totalAPICalls == Int.max)
            #expect(aggregate.invalidReasons.map(\.problem) == ["cost sum would overflow", "token sum would overflow", "call sum would overflow"])
            #expect(aggregate.groups(.service).map(\.cost) == [aggregate.totalCost])
        }

        @Test func overflowingMergeCountsTheOtherPartAsInvalid() {
            var left = UsageAggregate(levels: [.day])
            left.add(["cost_usd": .n("9e37")])
            var right = UsageAggregate(levels: [.day])
            right.add(["cost_usd": .n("9e37")])
            right.add(["cost_usd": .n("1")])
            right.add(["cost_usd": .s("bad")])
            left.merge(right)
            #expect(left.itemCount == 1)
            #expect(left.invalidItems == 3)
            #expect(left.totalCost == dec("9e37"))
            #expect(left.invalidReasons.map(\.problem) == ["not an N", "merged sums would overflow"])
        }

        @Test func emptyInputGivesZerosAndEmptyGroups() {
            let text = UsageAggregate(levels: allLevels).report(start: day, end: day, query: queryObject(allLevels)).serialized()
            let expected =
                #"{"summary":{"total_cost_usd":0,"total_tokens":0,"total_api_calls":0,"average_cost_per_call":0,"#
                + #""date_range":{"start":"2024-01-15","end":"2024-01-15"},"invalid_items":0,"unpriced_calls":0},"#
                + #""aggregations":{"by_day":{},"by_service":{},"by_model":{},"by_operation":{},"by_hour":{}},"#
                + #""query":"# + queryText + "}"
            #expect(text == expected)
            let noLevels = UsageAggregate(levels: []).report(start: day, end: day, query: .null).serialized()
            #expect(noLevels.hasSuffix(#""invalid_items":0,"unpriced_calls":0},"aggregations":{},"query":null}"#))
        }

        @Test func onlyRequestedLevelsKeepGroups() {
            var aggregate = UsageAggregate(levels: [.model])
            for item in handlerFixture({ _ in .snake }) { aggregate.add(item) }
            #expect(aggregate.groups(.day).isEmpty)
            #expect(aggregate.groups(.hour).isEmpty)
            #expect(aggregate.groups(.model).map(\.key) == ["claude-3-opus-20240229", "gpt-3.5-turbo", "gpt-4", "places_api"])
            #expect(aggregate.groups(.model).map(\.apiCalls) == [2, 5, 3, 1])
        }
    }
}
