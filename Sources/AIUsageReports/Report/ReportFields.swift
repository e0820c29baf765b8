import AIUsage
import DynamoDB

/// The attributes of one wire item that reports and rollups read, as spans of the page: the
/// streaming decoder's row. Reading one allocates nothing; the names are interned straight from
/// the bytes when the row is folded into an aggregate.
///
/// It follows `UsageRow(item:)` rule for rule (which attribute wins, what is absent, what makes an
/// item invalid); the decoder tests check that both give the same row for every item.
struct ReportFields {
    var date: WireAttribute?
    var hour: WireAttribute?
    var timestamp: WireAttribute?
    var service: WireAttribute?
    var model: WireAttribute?
    var operation: WireAttribute?
    var cost: WireAttribute?
    var costCamel: WireAttribute?
    var totalTokens: WireAttribute?
    var totalTokensCamel: WireAttribute?
    var inputTokens: WireAttribute?
    var inputTokensCamel: WireAttribute?
    var outputTokens: WireAttribute?
    var outputTokensCamel: WireAttribute?
    var apiCalls: WireAttribute?
    var apiCallsCamel: WireAttribute?
    // Rollup dimensions.
    var environment: WireAttribute?
    var userId: WireAttribute?
    var userIdCamel: WireAttribute?
    var serviceIndexKey: WireAttribute?
    var error: WireAttribute?
    // Job ids (a job prefix's spend per job, `by_job`).
    var jobId: WireAttribute?
    var jobIdCamel: WireAttribute?

    /// Every attribute name read, both generations (a Query's projection).
    static let names = [
        "cost_usd", "costUSD", "total_tokens", "totalTokens", "input_tokens", "inputTokens", "output_tokens", "outputTokens",
        "api_calls", "apiCalls", "date", "hour", "timestamp", "service", "model", "operation",
    ]

    /// What rollups read besides.
    static let rollupNames = ["environment", "user_id", "userId", "GSI1PK", "error"]

    /// Reads the item's attributes, skipping those it does not need.
    static func read(_ item: inout WireItem) throws(WireDecodingError) -> ReportFields {
        var fields = ReportFields()
        while let attribute = try item.next() {
            let name = attribute.name
            switch name.hasEscapes ? item.string(name).utf8.count : name.count {
            case 4:
                if item.matches(name, "date") { fields.date = attribute } else if item.matches(name, "hour") { fields.hour = attribute }
            case 5:
                if item.matches(name, "model") { fields.model = attribute } else if item.matches(name, "error") { fields.error = attribute } else if item.matches(name, "jobId") { fields.jobIdCamel = attribute }
            case 6:
                if item.matches(name, "userId") { fields.userIdCamel = attribute } else if item.matches(name, "GSI1PK") { fields.serviceIndexKey = attribute } else if item.matches(name, "job_id") { fields.jobId = attribute }
            case 7:
                if item.matches(name, "service") { fields.service = attribute } else if item.matches(name, "costUSD") { fields.costCamel = attribute } else if item.matches(name, "user_id") { fields.userId = attribute }
            case 8:
                if item.matches(name, "cost_usd") { fields.cost = attribute } else if item.matches(name, "apiCalls") { fields.apiCallsCamel = attribute }
            case 9:
                if item.matches(name, "timestamp") { fields.timestamp = attribute } else if item.matches(name, "operation") { fields.operation = attribute } else if item.matches(name, "api_calls") { fields.apiCalls = attribute }
            case 11:
                if item.matches(name, "totalTokens") { fields.totalTokensCamel = attribute } else if item.matches(name, "inputTokens") { fields.inputTokensCamel = attribute } else if item.matches(name, "environment") { fields.environment = attribute }
            case 12:
                if item.matches(name, "total_tokens") { fields.totalTokens = attribute } else if item.matches(name, "input_tokens") { fields.inputTokens = attribute } else if item.matches(name, "outputTokens") { fields.outputTokensCamel = attribute }
            case 13:
                if item.matches(name, "output_tokens") { fields.outputTokens = attribute }
            default:
                break
            }
        }
        return fields
    }

    // MARK: - Numbers

    /// Cost, tokens and calls, with `UsageRow(item:)`'s rules and reasons.
    func numbers(_ item: WireItem) -> Result<(cost: ExactDecimal, tokens: Int, calls: Int), UsageRow.Invalid> {
        var cost = ExactDecimal.zero
        if let (name, value) = Self.number(self.cost, "cost_usd", costCamel, "costUSD") {
            guard value.type == .n, let text = value.text else {
                return .failure(UsageRow.Invalid(attribute: name, held: Self.describe(value, item), problem: "not an N"))
            }
            guard let amount = Self.decimal(text, item) else {
                return .failure(UsageRow.Invalid(attribute: name, held: Self.describe(value, item), problem: "not an exact decimal"))
            }
            guard !amount.isNegative else {
                return .failure(UsageRow.Invalid(attribute: name, held: Self.describe(value, item), problem: "a negative cost"))
            }
            cost = amount
        }
        let tokens: Int
        switch Self.count(totalTokens, "total_tokens", totalTokensCamel, "totalTokens", item) {
        case .failure(let invalid): return .failure(invalid)
        case .success(let total?): tokens = total
        case .success(nil):
            var input = 0
            var output = 0
            switch Self.count(inputTokens, "input_tokens", inputTokensCamel, "inputTokens", item) {
            case .failure(let invalid): return .failure(invalid)
            case .success(let value): input = value ?? 0
            }
            switch Self.count(outputTokens, "output_tokens", outputTokensCamel, "outputTokens", item) {
            case .failure(let invalid): return .failure(invalid)
            case .success(let value): output = value ?? 0
            }
            let (sum, overflow) = input.addingReportingOverflow(output)
            if overflow {
                return .failure(UsageRow.Invalid(attribute: "output_tokens", held: "N \"\(output)\"", problem: "input_tokens + output_tokens overflows"))
            }
            tokens = sum
        }
        let calls: Int
        switch Self.count(apiCalls, "api_calls", apiCallsCamel, "apiCalls", item) {
        case .failure(let invalid): return .failure(invalid)
        case .success(let value): calls = value ?? 1
        }
        return .success((cost, tokens, calls))
    }

    /// Whether the item is unpriced, as `UsageRow.isUnpriced` reads it: no cost under either
    /// generation's name (absent or `NULL`) and no `error` (a non-empty `S`). Only meaningful
    /// for an item whose numbers can be read (an unreadable cost makes the item invalid).
    @inline(__always)
    func isUnpriced(_ item: WireItem) -> Bool {
        guard Self.number(cost, "cost_usd", costCamel, "costUSD") == nil else { return false }
        guard let error, error.type == .s, let span = error.text else { return true }
        return span.count == 0
    }

    /// The snake attribute, else the camel one, skipping `NULL`s.
    @inline(__always)
    private static func number(
        _ snake: WireAttribute?, _ snakeName: String, _ camel: WireAttribute?, _ camelName: String
    ) -> (String, WireAttribute)? {
        if let snake, snake.type != .null { return (snakeName, snake) }
        if let camel, camel.type != .null { return (camelName, camel) }
        return nil
    }

    /// A non-negative integer count; `nil` when absent.
    private static func count(
        _ snake: WireAttribute?, _ snakeName: String, _ camel: WireAttribute?, _ camelName: String, _ item: WireItem
    ) -> Result<Int?, UsageRow.Invalid> {
        guard let (name, value) = number(snake, snakeName, camel, camelName) else { return .success(nil) }
        guard value.type == .n, let text = value.text else {
            return .failure(UsageRow.Invalid(attribute: name, held: describe(value, item), problem: "not an N"))
        }
        if !text.hasEscapes, let count = plainCount(item.raw(text)) { return .success(count) }
        guard let number = decimal(text, item) else {
            return .failure(UsageRow.Invalid(attribute: name, held: describe(value, item), problem: "not an exact decimal"))
        }
        guard !number.isNegative, let integer = number.int64Value, let count = Int(exactly: integer) else {
            return .failure(UsageRow.Invalid(attribute: name, held: describe(value, item), problem: "not a non-negative integer"))
        }
        return .success(count)
    }

    @inline(__always)
    private static func decimal(_ text: JSONSpan, _ item: WireItem) -> ExactDecimal? {
        text.hasEscapes ? ExactDecimal(item.string(text)) : ExactDecimal(utf8: item.raw(text))
    }

    /// 1 to 18 ASCII digits as a number, else `nil` (rollups read their counts with it too).
    @inline(__always)
    static func plainCount(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int(digit)
        }
        return value
    }

    /// What an attribute held, as `UsageRow.Invalid.describe` shows it.
    private static func describe(_ value: WireAttribute, _ item: WireItem) -> String {
        switch value.type {
        case .s, .n:
            let text = value.text.map(item.string) ?? ""
            let shown = text.count > 40 ? "\(text.prefix(40))…" : text
            return "\(value.type == .s ? "S" : "N") \"\(shown)\""
        case .b: return "B"
        case .bool: return "BOOL"
        case .null: return "NULL"
        case .m: return "M"
        case .l: return "L"
        case .ss: return "SS"
        case .ns: return "NS"
        case .bs: return "BS"
        }
    }

    /// Σ-able input and output tokens (either generation; 0 where absent or unreadable).
    func inputOutputTokens(_ item: WireItem) -> (input: Int, output: Int) {
        let input = (try? Self.count(inputTokens, "input_tokens", inputTokensCamel, "inputTokens", item).get()) ?? nil
        let output = (try? Self.count(outputTokens, "output_tokens", outputTokensCamel, "outputTokens", item).get()) ?? nil
        return (input ?? 0, output ?? 0)
    }

    /// The text of a non-empty `S`, else `nil`.
    static func text(_ value: WireAttribute?, _ item: WireItem) -> String? {
        guard let value, value.type == .s, let span = value.text, span.count > 0 else { return nil }
        return item.string(span)
    }

    // MARK: - Names

    /// The day: `date`, else the first ten bytes of `timestamp` when they read `DDDD-DD-DD`.
    func day(_ item: WireItem, _ body: (UnsafeBufferPointer<UInt8>?) -> Void) {
        if let date, date.type == .s, let span = date.text, span.count > 0 {
            Self.withBytes(span, item) { body($0) }
            return
        }
        guard let timestamp, timestamp.type == .s, let span = timestamp.text else { return body(nil) }
        Self.withBytes(span, item) { bytes in
            guard bytes.count >= 10 else { return body(nil) }
            for position in 0..<10 {
                let byte = bytes[position]
                if position == 4 || position == 7 {
                    guard byte == 0x2D else { return body(nil) }
                } else {
                    guard byte &- 0x30 < 10 else { return body(nil) }
                }
            }
            body(UnsafeBufferPointer(rebasing: bytes[0..<10]))
        }
    }

    /// The hour 0 … 23: the last two bytes of `hour`, else bytes 11 and 12 of `timestamp`; 24 for none.
    func hourId(_ item: WireItem) -> Int32 {
        if let hour, hour.type == .s, let span = hour.text {
            let found: Int32 = Self.withBytes(span, item) { bytes in
                bytes.count >= 2 ? Self.hour(bytes[bytes.count - 2], bytes[bytes.count - 1]) : UsageAggregate.noHour
            }
            if found != UsageAggregate.noHour { return found }
        }
        if let timestamp, timestamp.type == .s, let span = timestamp.text {
            return Self.withBytes(span, item) { bytes in
                bytes.count >= 13 ? Self.hour(bytes[11], bytes[12]) : UsageAggregate.noHour
            }
        }
        return UsageAggregate.noHour
    }

    @inline(__always)
    private static func hour(_ tens: UInt8, _ ones: UInt8) -> Int32 {
        let t = tens &- 0x30
        let o = ones &- 0x30
        guard t < 10, o < 10 else { return UsageAggregate.noHour }
        let value = Int32(t) * 10 + Int32(o)
        return value < 24 ? value : UsageAggregate.noHour
    }

    /// `body` on a span's bytes, its escapes decoded first when it has any.
    @inline(__always)
    static func withBytes<T>(_ span: JSONSpan, _ item: WireItem, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        guard span.hasEscapes else { return body(item.raw(span)) }
        let decoded = Array(item.string(span).utf8)
        return decoded.withUnsafeBufferPointer(body)
    }

    /// The id of a name attribute (`unknown` when absent, empty or not an `S`).
    @inline(__always)
    static func nameId(_ value: WireAttribute?, _ item: WireItem, _ aggregate: inout UsageAggregate) -> Int32 {
        guard let value, value.type == .s, let span = value.text, span.count > 0 else { return NameTable.unknown }
        return withBytes(span, item) { aggregate.nameId($0) }
    }

    /// The id of a context attribute: the snake one when it is a non-empty `S`, else the camel
    /// one (`unknown` when neither is), as `UsageRow(item:)` reads `user_id` and `job_id`.
    @inline(__always)
    static func contextId(_ snake: WireAttribute?, _ camel: WireAttribute?, _ item: WireItem, _ aggregate: inout UsageAggregate) -> Int32 {
        if let snake, snake.type == .s, let span = snake.text, span.count > 0 {
            return withBytes(span, item) { aggregate.nameId($0) }
        }
        return nameId(camel, item, &aggregate)
    }

    // MARK: - Folding

    /// Folds the item into `aggregate`, as `aggregate.add(item)` would.
    func fold(into aggregate: inout UsageAggregate, _ item: WireItem) {
        switch numbers(item) {
        case .failure(let invalid):
            aggregate.rejectItems(1, reason: invalid)
        case .success(let (cost, tokens, calls)):
            var date = NameTable.unknown
            day(item) { bytes in if let bytes { date = aggregate.nameId(bytes) } }
            let key = UsageAggregate.CellKey(
                date: date, hour: hourId(item),
                service: Self.nameId(service, item, &aggregate),
                model: Self.nameId(model, item, &aggregate),
                operation: Self.nameId(operation, item, &aggregate),
                user: aggregate.keepsUsers ? Self.contextId(userId, userIdCamel, item, &aggregate) : NameTable.unknown,
                job: aggregate.keepsJobs ? Self.contextId(jobId, jobIdCamel, item, &aggregate) : NameTable.unknown
            )
            aggregate.add(key, cost: cost, tokens: tokens, calls: calls, items: 1, unpriced: isUnpriced(item) ? calls : 0)
        }
    }

    /// The row `UsageRow(item:)` reads from the same item (for tests and rollups).
    func row(_ item: WireItem) -> Result<UsageRow, UsageRow.Invalid> {
        switch numbers(item) {
        case .failure(let invalid): return .failure(invalid)
        case .success(let (cost, tokens, calls)):
            var date: String?
            day(item) { bytes in date = bytes.map { String(decoding: $0, as: UTF8.self) } }
            let hour = hourId(item)
            func name(_ value: WireAttribute?) -> String? {
                guard let value, value.type == .s, let span = value.text, span.count > 0 else { return nil }
                return item.string(span)
            }
            return .success(UsageRow(
                date: date, hour: hour == UsageAggregate.noHour ? nil : UsageAggregate.hourNames[Int(hour)],
                service: name(service), model: name(model), operation: name(operation),
                cost: cost, tokens: tokens, apiCalls: calls, isUnpriced: isUnpriced(item),
                userId: name(userId) ?? name(userIdCamel), jobId: name(jobId) ?? name(jobIdCamel)
            ))
        }
    }
}
