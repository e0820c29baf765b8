import AIUsage
@testable import AIUsageReports
import DynamoDB
import ExactJSON
import Testing
import TestSupport

// The streaming report path (`QueryPageDecoder.decode` + `ReportFields.read` + `row`/`fold`)
// must give exactly what the dictionary path gives for the same item: `UsageRow(item:)` and
// `UsageAggregate.add(_:)`. The reference is that path itself, on the very `Item` the page
// bytes were written from (and the page decoder must give that item back, checked first). A
// few hand-computed expectations (`pinnedTraps`, `everyOrderOfSixAttributes`) follow the rules
// table in UsageRow.swift, so the reference is checked too.

private let allLevels: [AggregationLevel] = [.day, .service, .model, .operation, .hour, .user, .job]
private let start = CivilDate(year: 2024, month: 1, day: 1)
private let end = CivilDate(year: 2024, month: 1, day: 9)

private func report(_ aggregate: UsageAggregate) -> String {
    aggregate.report(start: start, end: end, query: .null).serialized()
}

/// What the dictionary path says about an item: the row, or why it is invalid.
private func reference(_ item: Item) -> Result<UsageRow, UsageRow.Invalid> {
    Result { () throws(UsageRow.Invalid) -> UsageRow in try UsageRow(item: item) }
}

// MARK: - Writing pages

private extension SplitMix64 {
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
    mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &self)! }
}

/// Writes items as DynamoDB-JSON page bytes, by hand: every attribute value a one-key object,
/// numbers as strings (`{"N":"1.5"}`), each item's attributes in a random order, white space
/// here and there, and (when `escapes`) string values with extra escapes (`\u002d`, `\/`,
/// surrogate pairs) that JSON reads as the same text. Attribute names are written plainly:
/// escaped names are a known bug, tested on their own (`escapedAttributeNames`).
private struct PageWriter {
    var random: SplitMix64
    var escapes = true

    mutating func space() -> String {
        random.chance(10) ? random.pick([" ", "\n", "\t", " \r\n  "]) : ""
    }

    mutating func string(_ text: String, plain: Bool = false) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += random.chance(50) ? "\\t" : "\\u0009"
            case _ where scalar.value < 0x20: out += "\\u" + hex4(scalar.value)
            case _ where !plain && escapes && random.chance(15):
                if scalar == "/" && random.chance(50) {
                    out += "\\/"
                } else if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += "\\u" + hex4(0xD800 + (value >> 10)) + "\\u" + hex4(0xDC00 + (value & 0x3FF))
                } else {
                    out += "\\u" + hex4(scalar.value)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private mutating func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: random.chance(50))
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    mutating func value(_ value: AttributeValue) -> String {
        func base64(_ bytes: [UInt8]) -> String {
            let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            var out = ""
            for chunk in stride(from: 0, to: bytes.count, by: 3) {
                let part = Array(bytes[chunk..<min(chunk + 3, bytes.count)])
                let n = (UInt32(part[0]) << 16) | (UInt32(part.count > 1 ? part[1] : 0) << 8) | UInt32(part.count > 2 ? part[2] : 0)
                for k in 0..<4 { out.append(k <= part.count ? table[Int((n >> (18 - 6 * UInt32(k))) & 63)] : "=") }
            }
            return out
        }
        let body: (String, String)
        switch value {
        case .s(let text): body = ("S", string(text))
        case .n(let text): body = ("N", string(text))
        case .b(let bytes): body = ("B", "\"\(base64(bytes))\"")
        case .bool(let flag): body = ("BOOL", flag ? "true" : "false")
        case .null: body = ("NULL", "true")
        case .m(let map): body = ("M", item(map))
        case .l(let list): body = ("L", "[" + list.map { self.value($0) }.joined(separator: ",") + "]")
        case .ss(let texts): body = ("SS", "[" + texts.map { string($0) }.joined(separator: ",") + "]")
        case .ns(let texts): body = ("NS", "[" + texts.map { string($0) }.joined(separator: ",") + "]")
        case .bs(let list): body = ("BS", "[" + list.map { "\"\(base64($0))\"" }.joined(separator: ",") + "]")
        }
        return "{\(space())\"\(body.0)\"\(space()):\(space())\(body.1)\(space())}"
    }

    /// An item with its attributes in `order` (a random order when nil).
    mutating func item(_ item: Item, order: [String]? = nil) -> String {
        let names = order ?? item.keys.sorted().shuffled(using: &random)
        let members = names.map { name in "\(space())\(string(name, plain: true))\(space()):\(space())\(value(item[name]!))" }
        return "{" + members.joined(separator: ",") + space() + "}"
    }

    /// A Query page: its members in a random order, an unknown member now and then.
    mutating func page(_ items: [Item], orders: [[String]]? = nil) -> [UInt8] {
        var list: [String] = []
        for (index, entry) in items.enumerated() { list.append(item(entry, order: orders?[index])) }
        var members = [
            "\"Items\":[" + list.joined(separator: ",\(space())") + "]",
            "\"Count\":\(items.count)",
            "\"ScannedCount\":\(items.count + Int.random(in: 0...3, using: &random))",
        ]
        if random.chance(50) { members.append(#""LastEvaluatedKey":{"PK":{"S":"USAGE#x"},"SK":{"S":"2024-01-05#1"}}"#) }
        if random.chance(30) { members.append(#""ConsumedCapacity":{"TableName":"usage","CapacityUnits":2.5}"#) }
        members.shuffle(using: &random)
        return Array(("{" + members.joined(separator: ",\(space())") + "}").utf8)
    }
}

// MARK: - Generated items

private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

/// One usage item, of either generation, with the traps `UsageRow` has rules for.
///
/// `wideCosts` adds costs whose sums need more than 38 significant digits (38-digit costs,
/// 10^38 − 1, 10^-38): `ExactDecimal` addition rounds those, so a group's sum depends on the order
/// its cells are added in, which `UsageAggregate` leaves to `Dictionary` iteration (a known bug,
/// `groupSumsDoNotDependOnHashOrder`). Pages with them are compared row by row only.
private func generateItem(_ random: inout SplitMix64, wideCosts: Bool) -> Item {
    var item: Item = [:]
    let legacy = random.chance(35)
    let day = "2024-01-\(pad(Int.random(in: 1...9, using: &random)))"
    let hour = Int.random(in: 0...23, using: &random)
    let time = "\(day)T\(pad(hour)):\(pad(Int.random(in: 0...59, using: &random))):07.123456"

    // Keys and other attributes the report path must step over.
    item["PK"] = .s("USAGE#\(Int.random(in: 0...99, using: &random))")
    item["SK"] = .s("\(time)#req")
    if random.chance(30) { item["metadata"] = .m(["tags": .l([.s("a"), .n("1"), .null, .m([:])]), "set": .ss(["x", "y"])]) }
    if random.chance(20) { item["blob"] = .b([0, 1, 2, 0xFF]) }
    if random.chance(20) { item["error"] = .bool(random.chance(50)) }
    if random.chance(10) { item["sizes"] = .ns(["1", "2.5"]) }
    if random.chance(10) { item["chunks"] = .bs([[1], [2, 3]]) }
    // The user and the job (`by_user`, `by_job`): either generation; both, where snake wins; an
    // empty or NULL snake, where camel is used; a value that is not an S, which is no value.
    for (snake, camel, prefix) in [("user_id", "userId", "u"), ("job_id", "jobId", "j")] {
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1: item[legacy ? camel : snake] = .s(random.pick(["\(prefix)-1", "\(prefix)-2", "ü-\(prefix)"]))
        case 2: item[snake] = .s("\(prefix)-1"); item[camel] = .s("\(prefix)-2")
        case 3: item[snake] = .s(""); item[camel] = .s("\(prefix)-2")
        case 4: item[snake] = .null; item[camel] = .s("\(prefix)-1")
        case 5: item[snake] = .n("7")
        default: break
        }
    }
    if random.chance(10) { item["environment"] = .null }

    // Timestamp: with a zone (the tracker), without one (legacy), or unreadable.
    switch Int.random(in: 0..<100, using: &random) {
    case 0..<70:
        item["timestamp"] = .s(legacy ? time : time + random.pick(["+00:00", "Z", "+05:30", "-08:00"]))
    case 70..<74: item["timestamp"] = .s("2024-1-5T10:00:00")  // not DDDD-DD-DD
    case 74..<78: item["timestamp"] = .s(day)  // a date, no hour
    case 78..<81: item["timestamp"] = .s("\(day)T7:00:00")  // "7:" is no hour
    case 81..<84: item["timestamp"] = .s("２０２４-01-05T10:00:00")  // non-ASCII digits
    case 84..<87: item["timestamp"] = .s("")
    case 87..<90: item["timestamp"] = .null
    case 90..<92: item["timestamp"] = .n("1704067200")
    default: break
    }
    // Date: the attribute (any non-empty S is used as is), else the timestamp's.
    switch Int.random(in: 0..<100, using: &random) {
    case 0..<(legacy ? 40 : 80): item["date"] = .s(day)
    case 80..<84: item["date"] = .s("")
    case 84..<87: item["date"] = .null
    case 87..<89: item["date"] = .s("yesterday")
    case 89..<91: item["date"] = .n("20240105")
    default: break
    }
    // Hour: the last two characters of `hour`, else the timestamp's.
    switch Int.random(in: 0..<100, using: &random) {
    case 0..<(legacy ? 40 : 75): item["hour"] = .s("\(day)-\(pad(hour))")
    case 75..<79: item["hour"] = .s("\(day)-24")
    case 79..<83: item["hour"] = .s("\(day)-7")
    case 83..<85: item["hour"] = .s("7")
    case 85..<87: item["hour"] = .s("")
    case 87..<89: item["hour"] = .s("\(day)-1\u{0663}")  // an Arabic-Indic digit
    case 89..<91: item["hour"] = .n("12")
    case 91..<93: item["hour"] = .s("09")
    default: break
    }

    // Names: ASCII, non-ASCII (NFC and NFD spellings are different names), quotes and
    // backslashes, `unknown` itself, empty, NULL, not an S, absent.
    let names: [AttributeValue?] = [
        .s("openai"), .s("anthropic"), .s("gpt-4o"), .s("claude-3-5-sonnet"), .s("gpt/4o"), .s("modèle-é"),
        .s("e\u{301}"), .s("\u{E9}"), .s("🤖 bot"), .s("a\"b\\c"), .s("tab\tname"), .s("unknown"), .s("UNKNOWN"),
        .s(""), .null, .n("5"), .bool(true), nil,
    ]
    func name(_ common: [String], _ percent: Int) -> AttributeValue? {
        random.chance(percent) ? .s(random.pick(common)) : random.pick(names)
    }
    item["service"] = name(["openai", "anthropic", "bedrock"], 80)
    item["model"] = name(["gpt-4o", "claude-3-5-sonnet"], 60)
    item["operation"] = name(["completion", "embedding"], 70)

    // Numbers. Mostly ordinary; sometimes every spelling the rules care about.
    let (cost, costCamel) = ("cost_usd", "costUSD")
    let costs = [
        "0.0025", "1E-7", "0.10", "12.50", "0", "-0", "0012.50", "1e-05", "-0.5", "-1E-7", "1e38",
        "123456789012345678901234567890123456789", "abc", "", "1.", ".5", "+1", " 1", "1e400", "1e-400",
    ] + (wideCosts ? ["12345678901234567890123456789012345678", "0.00000000000000000000000000000000000001"] : [])
    func costValue() -> AttributeValue {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<70: return .n("0.\(Int.random(in: 0...99_999, using: &random))")
        case 70..<90: return .n(random.pick(costs))
        case 90..<92: return .n(wideCosts ? "99999999999999999999999999999999999999" : "7")  // 10^38 − 1: sums overflow
        case 92..<94: return .s("0.5")
        case 94..<96: return .bool(true)
        case 96..<98: return .l([])
        default: return .null
        }
    }
    switch Int.random(in: 0..<100, using: &random) {
    case 0..<80: item[legacy ? costCamel : cost] = costValue()
    case 80..<85: item[cost] = .null; item[costCamel] = costValue()  // a NULL snake falls back to camel
    case 85..<90: item[cost] = costValue(); item[costCamel] = costValue()  // snake wins
    default: break  // no cost: 0
    }

    let counts = [
        "150", "1.5e2", "150.0", "0", "-0", "-1", "1.5", "000123", "1E2", "1e18", "123456789012345678",
        "1234567890123456789", "9223372036854775807", "9223372036854775808", "", "x", "0.0",
    ]
    func countValue() -> AttributeValue {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<75: return .n("\(Int.random(in: 0...5_000, using: &random))")
        case 75..<93: return .n(random.pick(counts))
        case 93..<96: return .s("150")
        case 96..<98: return .ns(["1"])
        default: return .null
        }
    }
    let total = legacy ? "totalTokens" : "total_tokens"
    let input = legacy ? "inputTokens" : "input_tokens"
    let output = legacy ? "outputTokens" : "output_tokens"
    if random.chance(legacy ? 50 : 85) { item[total] = countValue() }
    if random.chance(70) { item[input] = countValue() }
    if random.chance(70) { item[output] = countValue() }
    if random.chance(5) { item["total_tokens"] = .null; item["totalTokens"] = countValue() }
    if random.chance(3) { item[input] = .n("9223372036854775807"); item[output] = .n("1") }  // the sum overflows
    switch Int.random(in: 0..<100, using: &random) {
    case 0..<(legacy ? 50 : 85):
        item[legacy ? "apiCalls" : "api_calls"] = random.chance(85) ? .n("1") : random.pick([.n("3"), .n("0"), .n("-1"), .n("2.0"), .n("1e0"), .null, .s("1")])
    default: break  // no calls: 1
    }
    return item
}

// MARK: - Reading through the streaming path

/// Each item's row as the streaming path reads it (`ReportFields.read` + `row`).
private func streamedRows(_ bytes: [UInt8]) throws(WireDecodingError) -> [Result<UsageRow, UsageRow.Invalid>] {
    var rows: [Result<UsageRow, UsageRow.Invalid>] = []
    _ = try bytes.withUnsafeBufferPointer { buffer throws(WireDecodingError) in
        try QueryPageDecoder.decode(buffer) { (reader: inout WireItem) throws(WireDecodingError) in
            let fields = try ReportFields.read(&reader)
            rows.append(fields.row(reader))
        }
    }
    return rows
}

/// The page folded into `aggregate` item by item (`ReportFields.read` + `fold`).
private func fold(_ bytes: [UInt8], into aggregate: inout UsageAggregate) throws(WireDecodingError) {
    _ = try bytes.withUnsafeBufferPointer { buffer throws(WireDecodingError) in
        try QueryPageDecoder.decode(buffer) { (reader: inout WireItem) throws(WireDecodingError) in
            let fields = try ReportFields.read(&reader)
            fields.fold(into: &aggregate, reader)
        }
    }
}

private func decodedItems(_ bytes: [UInt8]) throws(WireDecodingError) -> [Item] {
    try bytes.withUnsafeBufferPointer { buffer throws(WireDecodingError) in try QueryPageDecoder.page(buffer).items }
}

private func expectSameRow(
    _ streamed: Result<UsageRow, UsageRow.Invalid>, _ expected: Result<UsageRow, UsageRow.Invalid>, _ context: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    switch (streamed, expected) {
    case (.success(let row), .success(let reference)):
        #expect(row == reference, "\(context())", sourceLocation: sourceLocation)
    case (.failure(let invalid), .failure(let reference)):
        // The same attribute, and the same text (what it held, what is wrong).
        #expect(invalid == reference, "\(context())", sourceLocation: sourceLocation)
    default:
        Issue.record("streamed \(streamed), UsageRow(item:) \(expected): \(context())", sourceLocation: sourceLocation)
    }
}

private func expectSameAggregate(
    _ folded: UsageAggregate, _ added: UsageAggregate, _ context: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(report(folded) == report(added), "\(context())", sourceLocation: sourceLocation)
    #expect(folded.invalidItems == added.invalidItems, "\(context())", sourceLocation: sourceLocation)
    #expect(folded.invalidReasons == added.invalidReasons, "\(context())", sourceLocation: sourceLocation)
    #expect(folded.itemCount == added.itemCount, "\(context())", sourceLocation: sourceLocation)
}

/// Every ordering of `elements`.
private func permutations<T>(_ elements: [T]) -> [[T]] {
    guard elements.count > 1 else { return [elements] }
    var result: [[T]] = []
    for index in elements.indices {
        var rest = elements
        let first = rest.remove(at: index)
        result += permutations(rest).map { [first] + $0 }
    }
    return result
}

@Suite struct StreamingDecoderTests {
    /// 100 seeded pages of 0–40 generated items (both generations, every trap): each item's
    /// streamed row is `UsageRow(item:)`'s, and each page folds into a byte-identical report
    /// (so do all pages together). Every fourth page also has costs past 38 significant digits:
    /// those are compared row by row only (see `generateItem`).
    @Test func generatedPagesReadAsTheDictionaryPath() throws {
        var random = SplitMix64(state: 0x57AE_A111)
        var writer = PageWriter(random: SplitMix64(state: 0xE5CA_9E5))
        var allAdded = UsageAggregate(levels: allLevels)
        var allFolded = UsageAggregate(levels: allLevels)
        var rows = 0
        var invalid = 0
        for page in 0..<100 {
            let wide = page % 4 == 3
            let items = (0..<(page < 2 ? page : Int.random(in: 0...40, using: &random))).map { _ in
                generateItem(&random, wideCosts: wide)
            }
            writer.escapes = page % 3 != 0
            let bytes = writer.page(items)
            let context = "page \(page): \(String(decoding: bytes.prefix(600), as: UTF8.self))"

            // The writer is right: the page decoder gives back the very items.
            #expect(try decodedItems(bytes) == items, "\(context)")

            let streamed = try streamedRows(bytes)
            #expect(streamed.count == items.count, "\(context)")
            for (index, item) in items.enumerated() where index < streamed.count {
                let expected = reference(item)
                expectSameRow(streamed[index], expected, "item \(index) \(item) of \(context)")
                rows += 1
                if case .failure = expected { invalid += 1 }
            }

            if wide { continue }
            var added = UsageAggregate(levels: allLevels)
            for item in items {
                added.add(item)
                allAdded.add(item)
            }
            var folded = UsageAggregate(levels: allLevels)
            try fold(bytes, into: &folded)
            try fold(bytes, into: &allFolded)
            expectSameAggregate(folded, added, context)
            // `addPage` is the same fold.
            var paged = UsageAggregate(levels: allLevels)
            _ = try bytes.withUnsafeBufferPointer { buffer throws(WireDecodingError) in try paged.addPage(buffer) }
            expectSameAggregate(paged, added, context)
        }
        expectSameAggregate(allFolded, allAdded, "all pages")
        // The generator reaches both outcomes often (else the comparison proves little).
        #expect(rows > 1_000)
        #expect(invalid > rows / 20 && invalid < rows / 2)
        #expect(allAdded.itemCount > 500)
        #expect(allAdded.invalidReasons.count == UsageAggregate.keptReasonCount)
    }

    /// Sums past their range: 10^38 − 1 dollars, then 1 more (10^38: out of range) and 0.5 more
    /// (10^38 − 0.5 needs 39 digits and rounds to 10^38: out of range), then Int.max tokens twice
    /// (the second overflows): each rejected item is invalid on both paths, with the same reason.
    /// One cell only, so no group sum depends on an order.
    @Test func sumOverflowIsRejectedAlike() throws {
        let base: Item = ["date": .s("2024-01-05"), "hour": .s("2024-01-05-10"), "service": .s("openai")]
        var items = [base, base, base, base, base]
        items[0]["cost_usd"] = .n("99999999999999999999999999999999999999")
        items[1]["cost_usd"] = .n("1")
        items[2]["costUSD"] = .n("0.5")
        items[3]["total_tokens"] = .n("9223372036854775807")
        items[4]["totalTokens"] = .n("9223372036854775807")
        var writer = PageWriter(random: SplitMix64(state: 38))
        let bytes = writer.page(items)
        var added = UsageAggregate(levels: allLevels)
        for item in items { added.add(item) }
        var folded = UsageAggregate(levels: allLevels)
        try fold(bytes, into: &folded)
        expectSameAggregate(folded, added, "overflowing sums")
        #expect(folded.invalidItems == 3)
        #expect(folded.invalidReasons.map(\.problem) == ["cost sum would overflow", "cost sum would overflow", "token sum would overflow"])
        #expect(folded.totalCost == dec("99999999999999999999999999999999999999"))
        #expect(folded.totalTokens == Int.max)
    }

    /// BUG (UsageAggregate, not the decoder): the report of the same items is not always the same
    /// report. `ExactDecimal` addition rounds past 38 significant digits, and the levels
    /// (`byDay`, `byService`, …) add up a group's cells in `Dictionary` iteration order, which
    /// differs between two aggregates holding the same cells (Swift seeds each dictionary's
    /// hashing per instance). Here `openai` has a cell of 12345678901234567890123456789012345678
    /// dollars and 20 cells of 0.5: every 0.5 added after the big one rounds away (half-even to
    /// …678), every pair added before it counts 1, so the group's sum is anything from …678 to
    /// …688 depending on the order; `fold` and `add(item)` (and two `add` aggregates) disagree.
    /// Fix: make the levels independent of hash order: in `byDay`, `byService`, `byModel`,
    /// `byOperation` and `byHour`, iterate the cells sorted by their key's names (date, hour,
    /// service, model, operation, byte-wise; not by ids, which `fold` and `add` can assign
    /// differently) instead of `cells` in dictionary order.
    @Test func groupSumsDoNotDependOnHashOrder() throws {
        let items = bigAndSmallCosts
        var writer = PageWriter(random: SplitMix64(state: 0x0DE7))
        let bytes = writer.page(items)
        // All alive at once, so that their dictionaries' storage (and hash seeds) differ.
        var aggregates: [UsageAggregate] = []
        for _ in 0..<8 {
            var added = UsageAggregate(levels: allLevels)
            for item in items { added.add(item) }
            var folded = UsageAggregate(levels: allLevels)
            try fold(bytes, into: &folded)
            aggregates += [added, folded]
        }
        let reports = Set(aggregates.map(report))
        #expect(reports.count == 1, "\(reports.count) different reports of the same items")
    }

    /// Sums are exact while they fit 38 significant digits: then any split merges into the
    /// one-pass answer (random splits of costs up to 10^9 with up to 12 fraction digits). Past 38
    /// digits addition rounds half-even at every step, so the order matters, as UsageAggregate
    /// documents: one pass over the items above keeps …678 (each 0.5 added after the big cost is
    /// a tie that rounds to the even …678), while [the big one] merged with [twenty 0.5] adds 10
    /// at once: …688.
    @Test func mergingASplitEqualsOnePassWithin38Digits() {
        var random = SplitMix64(state: 38)
        for _ in 0..<50 {
            let items: [Item] = (0..<40).map { _ in
                let whole = Int.random(in: 0...1_000_000_000, using: &random)
                let fraction = Int.random(in: 0...999_999_999_999, using: &random)
                return ["cost_usd": .n("\(whole).\(fraction)"), "service": .s(["a", "b"].randomElement(using: &random)!)]
            }
            var onePass = UsageAggregate(levels: [.service])
            for item in items { onePass.add(item) }
            let cut = Int.random(in: 0...items.count, using: &random)
            var left = UsageAggregate(levels: [.service])
            var right = UsageAggregate(levels: [.service])
            for item in items[..<cut] { left.add(item) }
            for item in items[cut...] { right.add(item) }
            right.merge(left)
            #expect(right.totalCost == onePass.totalCost)
            #expect(right.groups(.service) == onePass.groups(.service))
        }
        let items = bigAndSmallCosts
        var onePass = UsageAggregate(levels: [])
        for item in items { onePass.add(item) }
        var big = UsageAggregate(levels: [])
        big.add(items[0])
        var small = UsageAggregate(levels: [])
        for item in items.dropFirst() { small.add(item) }
        big.merge(small)
        #expect(onePass.totalCost.description == "12345678901234567890123456789012345678")
        #expect(big.totalCost.description == "12345678901234567890123456789012345688")
    }

    /// One item whose 6 attributes come in each of their 720 orders, and an invalid one likewise:
    /// every order gives the same row, worked out by hand from UsageRow's rules:
    /// - `cost_usd` is NULL, so `costUSD` counts: 0.10 = 0.1;
    /// - `totalTokens` `1.5e2` is exactly 150;
    /// - `hour`'s last two characters `-7` are no hour, so the timestamp's characters 11..<13: 23;
    /// - no `date`: the timestamp's first ten characters, in its own zone: 2024-01-05;
    /// - `model` is written `gpt\u002d4o`, which is `gpt-4o`; no service or operation; 1 call.
    /// The invalid item's `total_tokens` is `-1`: invalid at `total_tokens`, whatever the order
    /// (its cost 0.5 is fine and is read first; its `api_calls` 1.5 is never reached).
    @Test func everyOrderOfSixAttributes() throws {
        let valid: Item = [
            "cost_usd": .null, "costUSD": .n("0.10"), "totalTokens": .n("1.5e2"), "hour": .s("2024-01-05-7"),
            "timestamp": .s("2024-01-05T23:59:59.123456+05:30"), "model": .s("gpt-4o"),
        ]
        let invalid: Item = [
            "cost_usd": .n("0.5"), "total_tokens": .n("-1"), "input_tokens": .n("5"), "api_calls": .n("1.5"),
            "service": .s("openai"), "date": .s("2024-01-06"),
        ]
        let validOrders = permutations(valid.keys.sorted())
        let invalidOrders = permutations(invalid.keys.sorted())
        #expect(validOrders.count == 720 && Set(validOrders).count == 720)
        var writer = PageWriter(random: SplitMix64(state: 720), escapes: false)
        // The model is always written with its escape.
        let items = Array(repeating: valid, count: 720) + Array(repeating: invalid, count: 720)
        var bytes = writer.page(items, orders: validOrders + invalidOrders)
        let plainModel = Array(#""gpt-4o""#.utf8)
        let escapedModel = Array(#""gpt\u002d4o""#.utf8)
        bytes = replacing(plainModel, with: escapedModel, in: bytes)
        #expect(try decodedItems(bytes) == items)

        let expectedRow = UsageRow(
            date: "2024-01-05", hour: "23", service: nil, model: "gpt-4o", operation: nil,
            cost: dec("0.1"), tokens: 150, apiCalls: 1
        )
        let expectedInvalid = UsageRow.Invalid(attribute: "total_tokens", held: #"N "-1""#, problem: "not a non-negative integer")
        #expect(reference(valid) == .success(expectedRow))
        #expect(reference(invalid) == .failure(expectedInvalid))
        let streamed = try streamedRows(bytes)
        #expect(streamed.count == 1_440)
        for (index, row) in streamed.enumerated() {
            let order = index < 720 ? validOrders[index] : invalidOrders[index - 720]
            #expect(row == (index < 720 ? .success(expectedRow) : .failure(expectedInvalid)), "order \(order)")
        }

        var added = UsageAggregate(levels: allLevels)
        for item in items { added.add(item) }
        var folded = UsageAggregate(levels: allLevels)
        try fold(bytes, into: &folded)
        expectSameAggregate(folded, added, "the 1 440 orders")
        // 720 × 0.1 = 72, 720 × 150 tokens, 720 calls; 720 invalid.
        #expect(folded.totalCost == dec("72"))
        #expect(folded.totalTokens == 108_000)
        #expect(folded.totalAPICalls == 720)
        #expect(folded.invalidItems == 720)
    }

    /// Hand-written items (their page text written out literally, not by `PageWriter`) with the
    /// row each must give by UsageRow's documented rules; the dictionary path must agree.
    @Test func pinnedTraps() throws {
        let base = #""date":{"S":"2024-01-05"},"hour":{"S":"2024-01-05-10"},"service":{"S":"openai"}"#
        typealias Case = (text: String, expected: Result<UsageRow, UsageRow.Invalid>)
        /// `cost` nil: the item has none, so it is unpriced unless `unpriced` says otherwise (an error).
        func row(
            date: String? = "2024-01-05", hour: String? = "10", service: String? = "openai", model: String? = nil,
            operation: String? = nil, cost: String? = nil, tokens: Int = 0, calls: Int = 1, unpriced: Bool? = nil
        ) -> Result<UsageRow, UsageRow.Invalid> {
            .success(UsageRow(
                date: date, hour: hour, service: service, model: model, operation: operation, cost: dec(cost ?? "0"), tokens: tokens, apiCalls: calls,
                isUnpriced: unpriced ?? (cost == nil)
            ))
        }
        func invalid(_ attribute: String, _ held: String, _ problem: String) -> Result<UsageRow, UsageRow.Invalid> {
            .failure(UsageRow.Invalid(attribute: attribute, held: held, problem: problem))
        }
        let cases: [Case] = [
            // Exact decimals, whatever the spelling.
            (#"{\#(base),"cost_usd":{"N":"1E-7"}}"#, row(cost: "0.0000001")),
            (#"{\#(base),"cost_usd":{"N":"0.10"}}"#, row(cost: "0.1")),
            (#"{\#(base),"cost_usd":{"N":"12.50"},"total_tokens":{"N":"150.0"}}"#, row(cost: "12.5", tokens: 150)),
            (#"{\#(base),"cost_usd":{"N":"12345678901234567890123456789012345678"}}"#, row(cost: "12345678901234567890123456789012345678")),
            (#"{\#(base),"cost_usd":{"N":"-0"}}"#, row(cost: "0")),
            (#"{\#(base),"cost_usd":{"N":"\u0031.5"}}"#, row(cost: "1.5")),
            (#"{\#(base),"total_tokens":{"N":"1.5e2"},"api_calls":{"N":"2.0"}}"#, row(tokens: 150, calls: 2)),
            (#"{\#(base),"input_tokens":{"N":"7"},"outputTokens":{"N":"8"}}"#, row(tokens: 15)),
            (#"{\#(base),"cost_usd":{"NULL":true},"costUSD":{"N":"0.25"}}"#, row(cost: "0.25")),
            (#"{\#(base),"costUSD":{"N":"0.75"},"cost_usd":{"N":"0.5"}}"#, row(cost: "0.5")),
            // Unpriced: no cost under either name (absent or NULL) and no error (a non-empty S).
            (#"{\#(base),"cost_usd":{"NULL":true},"costUSD":{"NULL":true}}"#, row()),
            (#"{\#(base),"error":{"S":""}}"#, row()),
            (#"{\#(base),"error":{"BOOL":true}}"#, row()),
            (#"{\#(base),"error":{"S":"Timeout"}}"#, row(unpriced: false)),
            (#"{\#(base),"error":{"S":"\u0058"}}"#, row(unpriced: false)),
            (#"{\#(base),"costUSD":{"N":"0"},"error":{"NULL":true}}"#, row(cost: "0")),
            (#"{\#(base),"cost_usd":{"N":"0"}}"#, row(cost: "0")),
            // Invalid numbers: the attribute, what it held, what is wrong.
            (#"{\#(base),"cost_usd":{"N":"-0.5"}}"#, invalid("cost_usd", #"N "-0.5""#, "a negative cost")),
            (#"{\#(base),"cost_usd":{"S":"0.5"}}"#, invalid("cost_usd", #"S "0.5""#, "not an N")),
            (#"{\#(base),"costUSD":{"N":"1e38"}}"#, invalid("costUSD", #"N "1e38""#, "not an exact decimal")),
            (#"{\#(base),"total_tokens":{"N":"-1"}}"#, invalid("total_tokens", #"N "-1""#, "not a non-negative integer")),
            (#"{\#(base),"totalTokens":{"N":"1.5"}}"#, invalid("totalTokens", #"N "1.5""#, "not a non-negative integer")),
            (#"{\#(base),"api_calls":{"BOOL":true}}"#, invalid("api_calls", "BOOL", "not an N")),
            (#"{\#(base),"input_tokens":{"N":"9223372036854775807"},"output_tokens":{"N":"1"}}"#,
             invalid("output_tokens", #"N "1""#, "input_tokens + output_tokens overflows")),
            // Names: escapes decoded, empty / NULL / not-an-S absent, non-ASCII kept.
            (#"{\#(base),"model":{"S":"gpt\u002d4o"},"operation":{"S":""}}"#, row(model: "gpt-4o")),
            (#"{"service":{"NULL":true},"model":{"S":"mod\u00e8le \ud83e\udd16"},"operation":{"N":"1"}}"#,
             row(date: nil, hour: nil, service: nil, model: "modèle 🤖")),
            // Hours: `24` and `-7` are no hour, so the timestamp's; a timestamp's zone is kept as written.
            (#"{"hour":{"S":"2024-01-05-24"},"timestamp":{"S":"2024-01-05T07:00:00+05:30"}}"#, row(hour: "07", service: nil)),
            (#"{"hour":{"S":"2024-01-05-7"},"timestamp":{"S":"2024-01-04T23:30:00-08:00"}}"#, row(date: "2024-01-04", hour: "23", service: nil)),
            (#"{"timestamp":{"S":"2024-01-05T10:11:12.123456"}}"#, row(service: nil)),
            (#"{"date":{"S":""},"timestamp":{"S":"2024-1-5T10:00:00"}}"#, row(date: nil, hour: nil, service: nil)),
            (#"{"date":{"S":"d\u0061y"},"hour":{"S":"0\u0039"}}"#, row(date: "day", hour: "09", service: nil)),
        ]
        for (text, expected) in cases {
            let bytes = Array(#"{"Items":[\#(text)],"Count":1}"#.utf8)
            let items = try decodedItems(bytes)
            try #require(items.count == 1, "\(text)")
            #expect(reference(items[0]) == expected, "UsageRow(item:) for \(text)")
            let streamed = try streamedRows(bytes)
            #expect(streamed == [expected], "streamed \(text)")
        }
    }

    /// BUG: an attribute name written with escapes (`"cost\u005fusd"` is `"cost_usd"`) is the same
    /// name in JSON, and `UsageRow(item:)` (on the decoded item) reads it; `ReportFields.read`
    /// switches on the span's raw byte count and compares raw bytes (`WireItem.matches` never
    /// matches an escaped span), so it ignores the attribute: cost 0 instead of 0.5.
    /// Fix: in `ReportFields.read`, when `attribute.name.hasEscapes`, match on the decoded name
    /// (e.g. `let decoded = item.string(name)` and a `switch decoded { case "cost_usd": … }` over
    /// the same names), or fix `JSONScanner.matches` to compare decoded bytes for escaped spans
    /// and switch on the decoded length (DynamoDB never escapes ASCII, so the fast path stays).
    @Test func escapedAttributeNames() throws {
        let bytes = Array(#"{"Items":[{"cost\u005fusd":{"N":"0.5"},"d\u0061te":{"S":"2024-01-05"}}],"Count":1}"#.utf8)
        let items = try decodedItems(bytes)
        #expect(items == [["cost_usd": .n("0.5"), "date": .s("2024-01-05")]])
        let expected = UsageRow(date: "2024-01-05", hour: nil, service: nil, model: nil, operation: nil, cost: dec("0.5"), tokens: 0, apiCalls: 1)
        #expect(reference(items[0]) == .success(expected))
        #expect(try streamedRows(bytes) == [.success(expected)])
    }
}

/// One cost of 12345678901234567890123456789012345678 dollars and twenty of 0.5, each in its own
/// hour of one day and service.
private let bigAndSmallCosts: [Item] = [[
    "date": .s("2024-01-05"), "hour": .s("2024-01-05-00"), "service": .s("openai"),
    "cost_usd": .n("12345678901234567890123456789012345678"),
]] + (1...20).map { hour in
    ["date": .s("2024-01-05"), "hour": .s("2024-01-05-\(pad(hour))"), "service": .s("openai"), "cost_usd": .n("0.5")]
}

/// `bytes` with every occurrence of `pattern` replaced.
private func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if index + pattern.count <= bytes.count, bytes[index..<index + pattern.count].elementsEqual(pattern) {
            out += replacement
            index += pattern.count
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return out
}
