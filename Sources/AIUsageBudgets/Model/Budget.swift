import AIUsage
import DynamoDB

/// A spending limit for one scope and period.
///
/// Soft budgets only alert; hard budgets also answer `Tracker.allow(scope:)` (through the block
/// marks the checker writes), so a caller can refuse a call once the period's money is gone.
public struct Budget: Sendable, Hashable {
    public enum Kind: String, CaseIterable, Sendable, Hashable {
        case soft, hard
    }

    public var scope: BudgetScope
    public var period: BudgetPeriod
    /// USD, exact; 0 is allowed (any spend is 100 %).
    public var limit: ExactDecimal
    public var kind: Kind
    /// Sorted by percentage.
    public var thresholds: [Threshold]
    /// Empty: the checker's global channels.
    public var channels: [AlertChannel]
    public var createdAt: UTCTimestamp
    public var updatedAt: UTCTimestamp

    public init(
        scope: BudgetScope, period: BudgetPeriod, limit: ExactDecimal, kind: Kind = .soft,
        thresholds: [Threshold] = Threshold.defaults, channels: [AlertChannel] = [],
        createdAt: UTCTimestamp = .now(), updatedAt: UTCTimestamp? = nil
    ) {
        self.scope = scope
        self.period = period
        self.limit = limit
        self.kind = kind
        self.thresholds = thresholds.sorted()
        self.channels = channels
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The largest limit accepted: a trillion dollars.
    public static let maximumLimit: ExactDecimal = 1_000_000_000_000

    /// A limit from text: a plain decimal, 0 … 10^12, at most 10 fraction digits.
    public static func parseLimit(_ text: String) throws(BudgetError) -> ExactDecimal {
        guard let value = ExactDecimal(text), !text.contains("e"), !text.contains("E"), value >= 0, value <= maximumLimit, value.scale <= 10 else {
            throw BudgetError.invalid("limit '\(InputEcho.short(text, limit: 40))' must be a plain decimal amount of USD from 0 to 1000000000000, with at most 10 decimals (e.g. 250 or 99.95)")
        }
        return value
    }

    /// `user:*/monthly`: one budget per scope and period.
    public var id: String { "\(scope.text)/\(period.rawValue)" }
}

/// How budgets are stored: one item per scope and period in the usage table.
///
/// `PK = BUDGET#<scope>`, `SK = BUDGET#<period>`, `TYPE = AIUsageBudget`; also `GSI1PK =
/// AI_USAGE_BUDGETS`, `GSI1SK = <scope>#<period>`, so that listing every budget is one Query
/// (GSI1's usage partitions are all `AI_USAGE#<service>…`, so the two never meet).
public enum BudgetItemCodec {
    public static let type = "AIUsageBudget"
    public static let listPartition = "AI_USAGE_BUDGETS"

    public static func key(scope: BudgetScope, period: BudgetPeriod) -> Item {
        ["PK": .s("BUDGET#\(scope.text)"), "SK": .s("BUDGET#\(period.rawValue)")]
    }

    public static func item(_ budget: Budget) -> Item {
        var item = key(scope: budget.scope, period: budget.period)
        item["TYPE"] = .s(type)
        item["GSI1PK"] = .s(listPartition)
        item["GSI1SK"] = .s("\(budget.scope.text)#\(budget.period.rawValue)")
        item["scope"] = .s(budget.scope.text)
        item["period"] = .s(budget.period.rawValue)
        item["limit_usd"] = .n(budget.limit.description)
        item["kind"] = .s(budget.kind.rawValue)
        item["alert_thresholds"] = .s(Threshold.listText(budget.thresholds))
        if !budget.channels.isEmpty { item["channels"] = .l(budget.channels.map { .s($0.text) }) }
        item["is_active"] = .bool(true)
        item["created_at"] = .s(budget.createdAt.iso8601)
        item["updated_at"] = .s(budget.updatedAt.iso8601)
        return item
    }

    /// The budget an item holds; an error naming what is wrong otherwise.
    public static func budget(_ item: Item) throws(BudgetError) -> Budget {
        func text(_ name: String) throws(BudgetError) -> String {
            guard let value = item[name]?.string else { throw BudgetError.invalid("budget item \(item["PK"]?.string ?? "?") lacks \(name)") }
            return value
        }
        let scope = try BudgetScope(parsing: try text("scope"))
        guard let period = BudgetPeriod(rawValue: try text("period")) else { throw BudgetError.invalid("budget \(scope): unknown period") }
        guard let limitText = item["limit_usd"]?.numberText else { throw BudgetError.invalid("budget \(scope): no limit_usd") }
        let limit = try Budget.parseLimit(limitText)
        guard let kind = Budget.Kind(rawValue: try text("kind")) else { throw BudgetError.invalid("budget \(scope): unknown kind") }
        let thresholds = try Threshold.parseList(try text("alert_thresholds"))
        var channels: [AlertChannel] = []
        if case .l(let list)? = item["channels"] {
            for entry in list {
                guard let channelText = entry.string else { throw BudgetError.invalid("budget \(scope): a channel is not a string") }
                channels.append(try AlertChannel(parsing: channelText))
            }
        }
        let created = item["created_at"]?.string.flatMap(UTCTimestamp.init(iso8601:)) ?? UTCTimestamp(microsecondsSinceEpoch: 0)
        let updated = item["updated_at"]?.string.flatMap(UTCTimestamp.init(iso8601:)) ?? created
        return Budget(scope: scope, period: period, limit: limit, kind: kind, thresholds: thresholds, channels: channels, createdAt: created, updatedAt: updated)
    }
}
