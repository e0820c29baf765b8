import AIUsage

/// One alert: a threshold (or the projection) crossed by one subject in one period instance.
///
/// Its `key` names what it is about (subject, budget, period instance, threshold), so two
/// checkers raising it at once write the same outbox item and only one write succeeds; its `id`
/// is derived from the key, so every delivery of it, retries included, carries the same id.
public struct BudgetAlert: Sendable, Hashable {
    public var evaluation: BudgetEvaluation
    /// The threshold crossed; `nil` for the projected-overrun alert.
    public var threshold: Threshold?
    /// A link to the subject's report for the period, when a report URL is configured.
    public var reportURL: String?

    public init(evaluation: BudgetEvaluation, threshold: Threshold?, reportURL: String? = nil) {
        self.evaluation = evaluation
        self.threshold = threshold
        self.reportURL = reportURL
    }

    public var level: AlertLevel { threshold?.level ?? .projected }

    /// `80:warning`, or `projected`.
    public var thresholdText: String { threshold.map(\.description) ?? "projected" }

    /// `user:alice#user:*/monthly#monthly@2026-03-01#80:warning`.
    public var key: String {
        "\(evaluation.subject.text)#\(evaluation.budget.id)#\(evaluation.instance.key)#\(thresholdText)"
    }

    /// `alert-` and 16 hex digits of the key's FNV-1a hash.
    public var id: String { "alert-\(FNV1a.hex64(key))" }

    /// One sentence for people.
    public var message: String {
        let e = evaluation
        let money = BudgetAlert.money
        switch level {
        case .exceeded:
            return "BUDGET EXCEEDED: \(e.subject) has spent \(money(e.spend)) of the \(e.budget.period.rawValue) budget of \(money(e.budget.limit)) for \(e.instance.label) (\(e.percent)%)"
        case .projected:
            let projected = e.projectedSpend.map(money) ?? "?"
            return "PROJECTED OVERRUN: \(e.subject) is on course to spend \(projected) against the \(e.budget.period.rawValue) budget of \(money(e.budget.limit)) for \(e.instance.label) (\(money(e.spend)) so far)"
        default:
            return "\(level.rawValue.uppercased()): \(e.subject) has used \(e.percent)% (\(money(e.spend))) of the \(e.budget.period.rawValue) budget of \(money(e.budget.limit)) for \(e.instance.label)"
        }
    }

    /// `$12.50`, `$0.0507544`: at least two decimals, and every digit of the exact value.
    static func money(_ value: ExactDecimal) -> String {
        (value < .zero ? "-$" : "$") + (value < .zero ? .zero - value : value).formatted(scale: max(2, value.scale))
    }

    /// The JSON every channel is built from, exact: figures are JSON numbers with their exact
    /// decimal text (the percentage and projection rounded once, half-even).
    public func payload(createdAt: UTCTimestamp) -> JSONValue {
        let e = evaluation
        return .object([
            .init(key: "id", value: .string(id)),
            .init(key: "type", value: "budget_alert"),
            .init(key: "level", value: .string(level.rawValue)),
            .init(key: "threshold_percent", value: threshold.map { .number($0.percent) } ?? .null),
            .init(key: "scope", value: .string(e.subject.text)),
            .init(key: "budget_scope", value: .string(e.budget.scope.text)),
            .init(key: "budget_kind", value: .string(e.budget.kind.rawValue)),
            .init(key: "period", value: .string(e.budget.period.rawValue)),
            .init(key: "period_label", value: .string(e.instance.label)),
            .init(key: "period_start", value: .string(e.instance.start.text)),
            .init(key: "period_end", value: .string(e.instance.end.text)),
            .init(key: "spend_usd", value: .number(e.spend)),
            .init(key: "limit_usd", value: .number(e.budget.limit)),
            .init(key: "percent", value: .number(e.percent)),
            .init(key: "remaining_usd", value: .number(e.remaining)),
            .init(key: "projected_spend_usd", value: e.projectedSpend.map { .number($0) } ?? .null),
            .init(key: "message", value: .string(message)),
            .init(key: "report_url", value: reportURL.map { .string($0) } ?? .null),
            .init(key: "checked_at", value: .string(e.at.iso8601)),
            .init(key: "created_at", value: .string(createdAt.iso8601)),
        ])
    }
}
