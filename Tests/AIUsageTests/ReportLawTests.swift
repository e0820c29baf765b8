import AIUsage
import AIUsageReports
import DynamoDB
import TestSupport
import Testing

/// One generated item and what it must contribute, worked out independently of the aggregator:
/// the cost in units of 10^-12 as an integer.
private struct Generated {
    var item: Item
    var valid: Bool
    var costUnits: Int128
    var tokens: Int
    var calls: Int
    var service: String
    var hour: String
    var user: String
    var job: String
}

private let unitsPerDollar: Int128 = 1_000_000_000_000

private extension Array {
    func pick(using random: inout SplitMix64) -> Element { self[Int.random(in: 0..<count, using: &random)] }
}

/// A random item of either generation (attribute by attribute), sometimes missing dimensions,
/// sometimes invalid.
private func generateItem(using random: inout SplitMix64) -> Generated {
    var item: Item = [:]
    func snake(_ snakeName: String, _ camelName: String) -> String {
        Bool.random(using: &random) ? snakeName : camelName
    }

    let service = ["openai", "anthropic", "google_places", "Azure", "unknown", "", nil].pick(using: &random)
    if let service { item["service"] = .s(service) }
    if let model = ["gpt-4", "gpt-4o-mini", "claude-3-opus", "places_api", nil].pick(using: &random) { item["model"] = .s(model) }
    if let operation = ["completion", "embedding", "place_lookup", nil].pick(using: &random) { item["operation"] = .s(operation) }

    // The user and the job, under either generation's name (snake first when both are there).
    var user = "unknown"
    if let name = ["alice", "bob", "", nil].pick(using: &random) {
        item[snake("user_id", "userId")] = .s(name)
        if !name.isEmpty { user = name }
    }
    var job = "unknown"
    switch Int.random(in: 0..<4, using: &random) {
    case 0: item["job_id"] = .s("job-1"); job = "job-1"
    case 1: item["jobId"] = .s("job-2"); job = "job-2"
    case 2: item["job_id"] = .s("job-3"); item["jobId"] = .s("job-4"); job = "job-3"
    default: break
    }

    let day = Int.random(in: 1...9, using: &random)
    let hourNumber = Int.random(in: 0...23, using: &random)
    let hh = hourNumber < 10 ? "0\(hourNumber)" : "\(hourNumber)"
    var hour = "unknown"
    switch Int.random(in: 0..<4, using: &random) {
    case 0:  // today's writer
        item["date"] = .s("2024-01-0\(day)")
        item["hour"] = .s("2024-01-0\(day)-\(hh)")
        item["timestamp"] = .s("2024-01-0\(day)T\(hh):12:34.567890+00:00")
        hour = hh
    case 1:  // only a timestamp
        item["timestamp"] = .s("2024-01-0\(day)T\(hh):00:00")
        hour = hh
    case 2:  // a date, no hour
        item["date"] = .s("2024-01-0\(day)")
    default:  // nothing
        break
    }

    var costUnits: Int128 = 0
    if Int.random(in: 0..<10, using: &random) > 0 {
        let whole = Bool.random(using: &random) ? 0 : Int.random(in: 0...999, using: &random)
        let fractionDigits = Int.random(in: 0...12, using: &random)
        var fraction = ""
        var fractionValue: Int128 = 0
        for _ in 0..<fractionDigits {
            let digit = Int.random(in: 0...9, using: &random)
            fraction += String(digit)
            fractionValue = fractionValue * 10 + Int128(digit)
        }
        for _ in fractionDigits..<12 { fractionValue *= 10 }
        costUnits = Int128(whole) * unitsPerDollar + fractionValue
        item[snake("cost_usd", "costUSD")] = .n(fractionDigits == 0 ? "\(whole)" : "\(whole).\(fraction)")
    }

    var tokens = 0
    switch Int.random(in: 0..<3, using: &random) {
    case 0:
        tokens = Int.random(in: 0...100_000, using: &random)
        item[snake("total_tokens", "totalTokens")] = .number(tokens)
    case 1:
        let input = Int.random(in: 0...50_000, using: &random)
        let output = Int.random(in: 0...50_000, using: &random)
        item[snake("input_tokens", "inputTokens")] = .number(input)
        item[snake("output_tokens", "outputTokens")] = .number(output)
        tokens = input + output
    default:
        break
    }

    var calls = 1
    if Bool.random(using: &random) {
        calls = Int.random(in: 0...5, using: &random)
        item[snake("api_calls", "apiCalls")] = .number(calls)
    }

    var valid = true
    if Int.random(in: 0..<40, using: &random) == 0 {
        valid = false
        switch Int.random(in: 0..<3, using: &random) {
        case 0: item["cost_usd"] = .s("0.5")
        case 1: item["total_tokens"] = .n("2.5")
        default: item["costUSD"] = .n("-1"); item["cost_usd"] = nil
        }
    }
    return Generated(
        item: item, valid: valid, costUnits: costUnits, tokens: tokens, calls: calls,
        service: service.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown", hour: hour, user: user, job: job
    )
}

private let allLevels: [AggregationLevel] = [.day, .service, .model, .operation, .hour, .user, .job]
private let start = CivilDate(year: 2024, month: 1, day: 1)
private let end = CivilDate(year: 2024, month: 1, day: 9)

private func aggregate(_ items: some Sequence<Item>) -> UsageAggregate {
    var aggregate = UsageAggregate(levels: allLevels)
    for item in items { aggregate.add(item) }
    return aggregate
}

private func text(_ aggregate: UsageAggregate) -> String {
    aggregate.report(start: start, end: end, query: .null).serialized()
}

/// 200 random tables of 0–300 items, each from its own seed.
private let tables: [[Generated]] = (0..<200).map { seed in
    var random = SplitMix64(state: UInt64(seed) &* 0x5851_F42D_4C95_7F2D &+ 1)
    let count = seed < 3 ? seed : Int.random(in: 0...300, using: &random)
    return (0..<count).map { _ in generateItem(using: &random) }
}

@Suite struct ReportLawTests {
    @Test(arguments: 0..<tables.count)
    func totalsMatchAnIndependentSum(_ index: Int) {
        let table = tables[index]
        let all = aggregate(table.map(\.item))
        let valid = table.filter(\.valid)
        let units = valid.reduce(Int128(0)) { $0 + $1.costUnits }
        #expect(all.totalCost == ExactDecimal(significand: units, scale: 12))
        #expect(all.totalTokens == valid.reduce(0) { $0 + $1.tokens })
        #expect(all.totalAPICalls == valid.reduce(0) { $0 + $1.calls })
        #expect(all.itemCount == valid.count)
        #expect(all.invalidItems == table.count - valid.count)
        #expect(all.invalidReasons.count == min(5, table.count - valid.count))

        // Two levels against group sums computed by the test itself.
        var byService: [String: (Int128, Int)] = [:]
        var byHour: [String: (Int128, Int)] = [:]
        var byUser: [String: (Int128, Int)] = [:]
        var byJob: [String: (Int128, Int)] = [:]
        for generated in valid {
            byUser[generated.user, default: (0, 0)].0 += generated.costUnits
            byUser[generated.user, default: (0, 0)].1 += generated.calls
            byJob[generated.job, default: (0, 0)].0 += generated.costUnits
            byJob[generated.job, default: (0, 0)].1 += generated.calls
            byService[generated.service, default: (0, 0)].0 += generated.costUnits
            byService[generated.service, default: (0, 0)].1 += generated.calls
            byHour[generated.hour, default: (0, 0)].0 += generated.costUnits
            byHour[generated.hour, default: (0, 0)].1 += generated.calls
        }
        func reference(_ groups: [String: (Int128, Int)]) -> [ExpectedGroup] {
            groups.map { ExpectedGroup(key: $0.key, cost: ExactDecimal(significand: $0.value.0, scale: 12), calls: $0.value.1) }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        }
        let services = all.groups(.service).map { ExpectedGroup(key: $0.key, cost: $0.cost, calls: $0.apiCalls) }
        let hours = all.groups(.hour).map { ExpectedGroup(key: $0.key, cost: $0.cost, calls: $0.apiCalls) }
        #expect(services == reference(byService))
        #expect(hours == reference(byHour))
        let users = all.groups(.user).map { ExpectedGroup(key: $0.key, cost: $0.cost, calls: $0.apiCalls) }
        let jobs = all.groups(.job).map { ExpectedGroup(key: $0.key, cost: $0.cost, calls: $0.apiCalls) }
        #expect(users == reference(byUser))
        #expect(jobs == reference(byJob))
    }

    @Test(arguments: 0..<tables.count)
    func groupsAddUpToTheTotalsAtEveryLevel(_ index: Int) {
        let all = aggregate(tables[index].map(\.item))
        for level in allLevels {
            let groups = all.groups(level)
            #expect(groups.reduce(ExactDecimal.zero) { $0 + $1.cost } == all.totalCost, "\(level) cost")
            #expect(groups.reduce(0) { $0 + $1.tokens } == all.totalTokens, "\(level) tokens")
            #expect(groups.reduce(0) { $0 + $1.apiCalls } == all.totalAPICalls, "\(level) calls")
            #expect(groups.isEmpty == (all.itemCount == 0), "\(level) groups")
            let report = all.report(start: start, end: end, query: .null)
            #expect(report["aggregations"]?[level.reportKey]?.objectMembers?.map(\.key) == groups.map(\.key))
        }
    }

    @Test(arguments: 0..<tables.count)
    func mergingAnySplitEqualsAggregatingEverything(_ index: Int) {
        let items = tables[index].map(\.item)
        let expected = text(aggregate(items))
        var random = SplitMix64(state: 0xA5A5_0000 &+ UInt64(index))

        // Random buckets (parallel day segments), merged in a random order.
        let bucketCount = Int.random(in: 1...8, using: &random)
        var buckets = [[Item]](repeating: [], count: bucketCount)
        for item in items { buckets[Int.random(in: 0..<bucketCount, using: &random)].append(item) }
        buckets.shuffle(using: &random)
        var merged = UsageAggregate(levels: allLevels)
        for bucket in buckets { merged.merge(aggregate(bucket)) }
        #expect(text(merged) == expected)
        let all = aggregate(items)
        #expect(merged.invalidItems == all.invalidItems)
        #expect(merged.itemCount == all.itemCount)
        for level in allLevels {
            #expect(merged.groups(level) == all.groups(level), "\(level) groups")
        }

        // Pages of a random size, folded one after another and merged.
        let pageSize = Int.random(in: 1...50, using: &random)
        var paged = UsageAggregate(levels: allLevels)
        var offset = 0
        while offset < items.count {
            paged.merge(aggregate(items[offset..<min(items.count, offset + pageSize)]))
            offset += pageSize
        }
        #expect(text(paged) == expected)

        // Merging a tree: halves merged into each other, in the other order.
        let middle = items.count / 2
        var right = aggregate(items[middle...])
        right.merge(aggregate(items[..<middle]))
        #expect(text(right) == expected)

        // Merging empty aggregates changes nothing.
        var withEmpty = aggregate(items)
        withEmpty.merge(UsageAggregate(levels: [.job, .user, .hour, .operation, .model, .service, .day]))
        #expect(text(withEmpty) == expected)
    }

    @Test(arguments: 0..<tables.count)
    func itemOrderDoesNotMatter(_ index: Int) {
        var items = tables[index].map(\.item)
        let expected = text(aggregate(items))
        var random = SplitMix64(state: 0x5EED_0000 &+ UInt64(index))
        items.shuffle(using: &random)
        #expect(text(aggregate(items)) == expected)
        items.reverse()
        #expect(text(aggregate(items)) == expected)
    }

    @Test func theTablesAreVaried() {
        let items = tables.flatMap { $0 }
        #expect(items.count > 20_000)
        #expect(items.filter { !$0.valid }.count > 100)
        #expect(items.filter { $0.service == "unknown" }.count > 1000)
        #expect(items.filter { $0.hour == "unknown" }.count > 1000)
        #expect(items.filter { $0.item["costUSD"] != nil }.count > 1000)
        #expect(items.filter { $0.item["cost_usd"] != nil }.count > 1000)
        #expect(items.filter { $0.item["userId"] != nil }.count > 1000)
        #expect(items.filter { $0.item["job_id"] != nil && $0.item["jobId"] != nil }.count > 1000)
    }
}

/// A group's cost and calls, for comparing with the test's own sums.
private struct ExpectedGroup: Equatable {
    var key: String
    var cost: ExactDecimal
    var calls: Int
}
