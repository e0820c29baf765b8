import AIUsage
import DynamoDB

/// The few fields of one usage item that a report needs, read from an item of either generation.
///
/// | field | read from (snake_case first, then camelCase) | when absent |
/// |---|---|---|
/// | `date` | `date`, else the first 10 characters of `timestamp` (when they read `DDDD-DD-DD`) | `nil` |
/// | `hour` | the last 2 characters of `hour` (`YYYY-MM-DD-HH`), else characters 11..<13 of `timestamp`; `00` … `23` only | `nil` |
/// | `service`, `model`, `operation` | the attribute of that name | `nil` |
/// | `cost` | `cost_usd`, `costUSD` | 0 |
/// | `tokens` | `total_tokens`, `totalTokens`; else `input_tokens` + `output_tokens` (either generation, a missing side 0) | 0 |
/// | `apiCalls` | `api_calls`, `apiCalls` | 1 |
/// | `userId` | `user_id`, `userId` | `nil` |
/// | `jobId` | `job_id`, `jobId` | `nil` |
/// | `isUnpriced` | `true` when the item has no cost (`cost_usd` and `costUSD` absent or `NULL`) and no `error` (a non-empty `S`) | — |
///
/// A string dimension that is empty, `NULL` or not an `S` counts as absent and is grouped under
/// `unknown`. A `NULL` number counts as absent too. The date and hour follow the stored text, so
/// they are in the timestamp's own zone, as the original writer put them (the tracker writes UTC).
public struct UsageRow: Sendable, Hashable {
    /// The day, `YYYY-MM-DD`; `nil` when the item has none.
    public var date: String?
    /// The hour of the day, `00` … `23`; `nil` when the item has none.
    public var hour: String?
    /// The service; `nil` when absent or empty.
    public var service: String?
    /// The model; `nil` when absent or empty.
    public var model: String?
    /// The operation; `nil` when absent or empty.
    public var operation: String?
    /// The cost in US dollars, exact; never negative when read from an item.
    public var cost: ExactDecimal
    /// The tokens the call used.
    public var tokens: Int
    /// The number of API calls the item stands for.
    public var apiCalls: Int
    /// Whether the call has no price: the item has no cost at all (the tracker found no price
    /// for its model and wrote no `cost_usd`) and did not fail (a failed call without a cost
    /// was not billed). Its `apiCalls` count in `UsageAggregate.unpricedCalls`; its cost is 0 in
    /// every sum, so the sums are short by its unknown price.
    public var isUnpriced: Bool
    /// The user the call was made for; `nil` when absent or empty.
    public var userId: String?
    /// The job the call was made in; `nil` when absent or empty.
    public var jobId: String?

    /// A row from its fields (for tests and callers that have them already). `UsageAggregate`
    /// refuses a row with a negative cost, token or call count.
    public init(
        date: String?,
        hour: String?,
        service: String?,
        model: String?,
        operation: String?,
        cost: ExactDecimal = .zero,
        tokens: Int = 0,
        apiCalls: Int = 1,
        isUnpriced: Bool = false,
        userId: String? = nil,
        jobId: String? = nil
    ) {
        self.date = date
        self.hour = hour
        self.service = service
        self.model = model
        self.operation = operation
        self.cost = cost
        self.tokens = tokens
        self.apiCalls = apiCalls
        self.isUnpriced = isUnpriced
        self.userId = userId
        self.jobId = jobId
    }

    /// Why an item (or row) cannot be counted: which attribute, what it held, and what is wrong.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        /// The attribute's name as found in the item (`cost_usd` or `costUSD`, …).
        public var attribute: String
        /// What it held: its type tag and (shortened) text, `N "1.5"`, `S "abc"`, `BOOL`.
        public var held: String
        /// What is wrong with it.
        public var problem: String

        /// The reason `attribute` holding `held` cannot be counted.
        public init(attribute: String, held: String, problem: String) {
            self.attribute = attribute
            self.held = held
            self.problem = problem
        }

        /// `total_tokens holds N "1.5": not a non-negative integer`.
        public var description: String { "\(attribute) holds \(held): \(problem)" }

        /// The description of a held value: type tag and at most 40 characters of its text.
        static func describe(_ value: AttributeValue) -> String {
            switch value {
            case .s(let text), .n(let text):
                let shown = text.count > 40 ? "\(text.prefix(40))…" : text
                return "\(value.typeTag) \"\(shown)\""
            default:
                return value.typeTag
            }
        }
    }

    /// The row an item of either generation holds.
    ///
    /// Throws when a number attribute it reads is not an `N`, is not exact decimal text, is a
    /// token or call count that is not a non-negative integer, or is a negative cost; and when
    /// `input_tokens + output_tokens` overflows `Int`.
    public init(item: Item) throws(Invalid) {
        date = Self.string(item["date"]) ?? Self.date(ofTimestamp: item["timestamp"])
        hour = Self.hour(ofHourAttribute: item["hour"]) ?? Self.hour(ofTimestamp: item["timestamp"])
        service = Self.string(item["service"])
        model = Self.string(item["model"])
        operation = Self.string(item["operation"])
        userId = Self.string(item["user_id"]) ?? Self.string(item["userId"])
        jobId = Self.string(item["job_id"]) ?? Self.string(item["jobId"])

        if let (name, value) = Self.number(item, "cost_usd", "costUSD") {
            guard case .n(let text) = value else {
                throw Invalid(attribute: name, held: Invalid.describe(value), problem: "not an N")
            }
            guard let amount = ExactDecimal(text) else {
                throw Invalid(attribute: name, held: Invalid.describe(value), problem: "not an exact decimal")
            }
            guard !amount.isNegative else {
                throw Invalid(attribute: name, held: Invalid.describe(value), problem: "a negative cost")
            }
            cost = amount
            isUnpriced = false
        } else {
            cost = .zero
            isUnpriced = Self.string(item["error"]) == nil
        }

        if let total = try Self.count(item, "total_tokens", "totalTokens") {
            tokens = total
        } else {
            let input = try Self.count(item, "input_tokens", "inputTokens")
            let output = try Self.count(item, "output_tokens", "outputTokens")
            let (sum, overflow) = (input ?? 0).addingReportingOverflow(output ?? 0)
            if overflow {
                throw Invalid(
                    attribute: "output_tokens", held: "N \"\(output ?? 0)\"",
                    problem: "input_tokens + output_tokens overflows"
                )
            }
            tokens = sum
        }

        apiCalls = try Self.count(item, "api_calls", "apiCalls") ?? 1
    }

    // MARK: - Reading attributes

    /// The text of a non-empty `S`; `nil` for anything else.
    @inline(__always)
    private static func string(_ value: AttributeValue?) -> String? {
        guard case .s(let text)? = value, !text.isEmpty else { return nil }
        return text
    }

    /// The attribute `snake`, else `camel`, skipping `NULL`s, with the name it was found under.
    @inline(__always)
    private static func number(_ item: Item, _ snake: String, _ camel: String) -> (String, AttributeValue)? {
        if let value = item[snake] {
            if case .null = value {} else { return (snake, value) }
        }
        if let value = item[camel] {
            if case .null = value {} else { return (camel, value) }
        }
        return nil
    }

    /// A non-negative integer count under `snake` or `camel`; `nil` when absent.
    private static func count(_ item: Item, _ snake: String, _ camel: String) throws(Invalid) -> Int? {
        guard let (name, value) = number(item, snake, camel) else { return nil }
        guard case .n(let text) = value else {
            throw Invalid(attribute: name, held: Invalid.describe(value), problem: "not an N")
        }
        if let count = plainCount(text) { return count }
        // Other spellings of an integer (`1.5e2`, `150.0`), exactly.
        guard let number = ExactDecimal(text) else {
            throw Invalid(attribute: name, held: Invalid.describe(value), problem: "not an exact decimal")
        }
        guard !number.isNegative, let integer = number.int64Value, let count = Int(exactly: integer) else {
            throw Invalid(attribute: name, held: Invalid.describe(value), problem: "not a non-negative integer")
        }
        return count
    }

    /// The value of 1 to 18 ASCII digits (what DynamoDB returns for every count), else `nil`.
    @inline(__always)
    private static func plainCount(_ text: String) -> Int? {
        var value = 0
        var digits = 0
        for byte in text.utf8 {
            let digit = byte &- 0x30
            guard digit < 10, digits < 18 else { return nil }
            value = value &* 10 &+ Int(digit)
            digits &+= 1
        }
        return digits == 0 ? nil : value
    }

    /// `00` … `23`, shared so that no row allocates its hour.
    private static let hourNames: [String] = (0..<24).map { $0 < 10 ? "0\($0)" : "\($0)" }

    /// The hour named by two ASCII digits, `00` … `23`.
    @inline(__always)
    private static func hourName(_ tens: UInt8, _ ones: UInt8) -> String? {
        let t = tens &- 0x30
        let o = ones &- 0x30
        guard t < 10, o < 10 else { return nil }
        let hour = Int(t) * 10 + Int(o)
        return hour < 24 ? hourNames[hour] : nil
    }

    /// The last two characters of an `hour` attribute (`2024-01-15-10` → `10`).
    private static func hour(ofHourAttribute value: AttributeValue?) -> String? {
        guard case .s(let text)? = value else { return nil }
        let bytes = text.utf8
        guard bytes.count >= 2 else { return nil }
        let last = bytes.index(before: bytes.endIndex)
        return hourName(bytes[bytes.index(before: last)], bytes[last])
    }

    /// Characters 11..<13 of a timestamp (`2024-01-15T10:00:00` → `10`).
    private static func hour(ofTimestamp value: AttributeValue?) -> String? {
        guard case .s(let text)? = value else { return nil }
        let bytes = text.utf8
        guard bytes.count >= 13 else { return nil }
        let tens = bytes.index(bytes.startIndex, offsetBy: 11)
        return hourName(bytes[tens], bytes[bytes.index(after: tens)])
    }

    /// The first ten characters of a timestamp when they read `DDDD-DD-DD`.
    private static func date(ofTimestamp value: AttributeValue?) -> String? {
        guard case .s(let text)? = value else { return nil }
        let bytes = text.utf8
        guard bytes.count >= 10 else { return nil }
        var position = 0
        var index = bytes.startIndex
        while position < 10 {
            let byte = bytes[index]
            if position == 4 || position == 7 {
                guard byte == 0x2D else { return nil }
            } else {
                guard byte &- 0x30 < 10 else { return nil }
            }
            position += 1
            bytes.formIndex(after: &index)
        }
        // Ten ASCII bytes: a small string, stored inline.
        return String(text[..<index])
    }
}
