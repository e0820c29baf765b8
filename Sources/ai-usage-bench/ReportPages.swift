import AIUsage
import AIUsageReports
import DynamoDB
import Foundation

/// One stored usage item as the report path sees it: the full item, as `MetricItemCodec` writes
/// it (every key and index attribute, `environment`, `user_id`, `error`, …: what a table holds,
/// what DynamoDB counts against a page's 1 MB, and what compaction reads), with what the report
/// must add up to.
struct UsageItem {
    var full: Item
    /// The GSI2 sort key, `COST#<date>#<service>`, and the table keys: the order of a GSI2 Query.
    var indexSortKey: String
    var partitionKey: String
    var sortKey: String
    /// DynamoDB's size of the full item, in bytes (names + values).
    var storedSize: Int
    var cost: ExactDecimal
    var tokens: Int
    var apiCalls: Int
    var legacy: Bool
}

/// A day-by-day usage table for the report path: `perDay` items for each day, from a seeded
/// workload, about a third of them in the older camelCase generation.
///
/// The older generation (`costUSD`, `totalTokens` or only `inputTokens`/`outputTokens`,
/// `apiCalls` or none at all, `userId`, a timestamp without a zone and, for some, no
/// `date`/`hour`) exercises every fallback the report has. Every item stands for one API call, so
/// the report's `total_api_calls` must equal the number of items.
struct UsageTable {
    let firstDay: CivilDate
    let days: Int
    /// `items[d]`: the items of day `firstDay + d`, in GSI2 order.
    let items: [[UsageItem]]

    init(firstDay: CivilDate, days: Int, perDay: Int, seed: UInt64) {
        self.firstDay = firstDay
        self.days = days
        var all: [[UsageItem]] = []
        all.reserveCapacity(days)
        for offset in 0..<days {
            let day = firstDay.adding(days: offset)
            let calls = Workload.calls(count: perDay, firstDay: day, days: 1, seed: seed &+ UInt64(offset) &* 7919)
            var random = BenchRandom(seed: seed ^ UInt64(offset + 1))
            var dayItems = calls.map { Self.usageItem($0, random: &random) }
            dayItems.sort {
                ($0.indexSortKey, $0.partitionKey, $0.sortKey) < ($1.indexSortKey, $1.partitionKey, $1.sortKey)
            }
            all.append(dayItems)
        }
        items = all
    }

    var lastDay: CivilDate { firstDay.adding(days: days - 1) }

    /// Every item, in GSI2 order.
    var allItems: [UsageItem] { Array(items.joined()) }

    /// The items of the days `first` … `last` (inclusive), in GSI2 order.
    func items(from first: CivilDate, through last: CivilDate) -> [UsageItem] {
        let start = max(0, first.daysSinceEpoch - firstDay.daysSinceEpoch)
        let end = min(days - 1, last.daysSinceEpoch - firstDay.daysSinceEpoch)
        guard start <= end else { return [] }
        return Array(items[start...end].joined())
    }

    private static func usageItem(_ call: Call, random: inout BenchRandom) -> UsageItem {
        var metric = call.metric
        if let context = call.context {
            metric.jobId = metric.jobId ?? context.jobId
            metric.batchId = metric.batchId ?? context.batchId
        }
        guard var item = try? MetricItemCodec.item(for: metric) else {
            preconditionFailure("the workload built an invalid metric: \(metric)")
        }
        let legacy = random.chance(35)
        if legacy { makeLegacy(&item, metric: metric, random: &random) }
        return UsageItem(
            full: item,
            indexSortKey: item["GSI2SK"]?.string ?? "",
            partitionKey: item["PK"]?.string ?? "",
            sortKey: item["SK"]?.string ?? "",
            storedSize: storedSize(item),
            cost: metric.costUSD ?? .zero,
            tokens: metric.totalTokens ?? ((metric.inputTokens ?? 0) + (metric.outputTokens ?? 0)),
            apiCalls: metric.apiCalls,
            legacy: legacy
        )
    }

    /// Rewrites a current item into the older camelCase generation (keys kept, so GSI2 finds it).
    private static func makeLegacy(_ item: inout Item, metric: AIUsageMetric, random: inout BenchRandom) {
        func rename(_ snake: String, _ camel: String) {
            if let value = item.removeValue(forKey: snake) { item[camel] = value }
        }
        rename("cost_usd", "costUSD")
        rename("input_tokens", "inputTokens")
        rename("output_tokens", "outputTokens")
        rename("request_id", "requestId")
        rename("latency_ms", "latencyMs")
        rename("user_id", "userId")
        rename("job_id", "jobId")
        rename("batch_id", "batchId")
        // Half keep a total; the rest are summed from input + output.
        if let total = item.removeValue(forKey: "total_tokens"), random.chance(50) { item["totalTokens"] = total }
        // Some say `apiCalls: 1`, the rest say nothing (which counts as 1).
        if let calls = item.removeValue(forKey: "api_calls"), random.chance(50) { item["apiCalls"] = calls }
        // A naive timestamp with microseconds, as the original writer stored it.
        // (`2026-11-24T18:24:21.833072`, no zone.)
        let iso = metric.timestamp.iso8601
        if iso.hasSuffix("+00:00") { item["timestamp"] = .s(String(iso.dropLast(6))) }
        // A third carry no date/hour attributes: the report reads them from the timestamp.
        if random.chance(33) {
            item["date"] = nil
            item["hour"] = nil
            item["month"] = nil
        }
    }

    /// DynamoDB's item size: every attribute name plus its value (strings by UTF-8 length,
    /// numbers about one byte per two digits plus one, maps and lists 3 bytes plus their parts).
    static func storedSize(_ item: Item) -> Int {
        item.reduce(0) { $0 + $1.key.utf8.count + valueSize($1.value) }
    }

    private static func valueSize(_ value: AttributeValue) -> Int {
        switch value {
        case .s(let text): return text.utf8.count
        case .n(let text): return (text.utf8.count + 1) / 2 + 1
        case .b(let bytes): return bytes.count
        case .bool, .null: return 1
        case .m(let map): return 3 + map.reduce(0) { $0 + $1.key.utf8.count + valueSize($1.value) + 1 }
        case .l(let list): return 3 + list.reduce(0) { $0 + valueSize($1) + 1 }
        case .ss(let texts): return texts.reduce(0) { $0 + $1.utf8.count }
        case .ns(let texts): return texts.reduce(0) { $0 + ($1.utf8.count + 1) / 2 + 1 }
        case .bs(let values): return values.reduce(0) { $0 + $1.count }
        }
    }
}

/// The attribute names the report path projects. `ReportFields` is internal to AIUsageReports,
/// so the bench spells them out; a drift shows up as a report that does not add up.
enum ReportNames {
    /// What a report reads (both generations): `ReportFields.names`.
    static let report = [
        "cost_usd", "costUSD", "total_tokens", "totalTokens", "input_tokens", "inputTokens", "output_tokens", "outputTokens",
        "api_calls", "apiCalls", "date", "hour", "timestamp", "service", "model", "operation",
    ]
    /// What compaction reads besides: `ReportFields.rollupNames`.
    static let rollup = ["environment", "user_id", "userId", "GSI1PK", "error"]
}

/// The answer a range's Query traffic must add up to.
struct ExpectedTotals: Sendable {
    var items: Int
    var apiCalls: Int
    var cost: ExactDecimal
    var tokens: Int
    var legacy: Int

    init(_ items: [UsageItem]) {
        self.items = 0
        apiCalls = 0
        cost = .zero
        tokens = 0
        legacy = 0
        for item in items {
            self.items += 1
            apiCalls += item.apiCalls
            cost += item.cost
            tokens += item.tokens
            if item.legacy { legacy += 1 }
        }
    }
}

/// DynamoDB's JSON form of items, written the way the bench's pages have always been written:
/// attributes in name order, numbers as strings.
enum DynamoJSON {
    static func writeItem(_ item: Item, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for name in item.keys.sorted() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(name, into: &out)
            out.append(UInt8(ascii: ":"))
            writeValue(item[name]!, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func writeValue(_ value: AttributeValue, into out: inout [UInt8]) {
        func tagged(_ tag: String, _ body: (inout [UInt8]) -> Void) {
            out.append(contentsOf: #"{""#.utf8)
            out.append(contentsOf: tag.utf8)
            out.append(contentsOf: #"":"#.utf8)
            body(&out)
            out.append(UInt8(ascii: "}"))
        }
        switch value {
        case .s(let text): tagged("S") { writeString(text, into: &$0) }
        case .n(let text): tagged("N") { writeString(text, into: &$0) }
        case .bool(let flag): tagged("BOOL") { $0.append(contentsOf: (flag ? "true" : "false").utf8) }
        case .null: tagged("NULL") { $0.append(contentsOf: "true".utf8) }
        case .m(let map): tagged("M") { writeItem(map, into: &$0) }
        default: preconditionFailure("the bench's items hold only S, N, BOOL, NULL and M")
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
