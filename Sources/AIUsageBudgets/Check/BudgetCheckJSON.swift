import AIUsage

extension Budget {
    /// The budget as the API and the CLI show it; channel URLs masked to their host.
    public var json: JSONValue {
        .object([
            .init(key: "scope", value: .string(scope.text)),
            .init(key: "period", value: .string(period.rawValue)),
            .init(key: "limit_usd", value: .number(limit)),
            .init(key: "kind", value: .string(kind.rawValue)),
            .init(key: "thresholds", value: .array(thresholds.map { threshold in
                .object([.init(key: "percent", value: .number(threshold.percent)), .init(key: "level", value: .string(threshold.level.rawValue))])
            })),
            .init(key: "channels", value: .array(channels.map { .string($0.description) })),
            .init(key: "created_at", value: .string(createdAt.iso8601)),
            .init(key: "updated_at", value: .string(updatedAt.iso8601)),
        ])
    }
}

extension BudgetEvaluation {
    /// Where a subject stands: exact spend, limit and remaining; the percentage and projection
    /// rounded once.
    public var json: JSONValue {
        .object([
            .init(key: "scope", value: .string(subject.text)),
            .init(key: "budget", value: .string(budget.id)),
            .init(key: "kind", value: .string(budget.kind.rawValue)),
            .init(key: "period_label", value: .string(instance.label)),
            .init(key: "period_start", value: .string(instance.start.text)),
            .init(key: "period_end", value: .string(instance.end.text)),
            .init(key: "spend_usd", value: .number(spend)),
            .init(key: "limit_usd", value: .number(budget.limit)),
            .init(key: "percent", value: .number(percent)),
            .init(key: "remaining_usd", value: .number(remaining)),
            .init(key: "level", value: level.map { .string($0.level.rawValue) } ?? .null),
            .init(key: "projected_spend_usd", value: projectedSpend.map { .number($0) } ?? .null),
            .init(key: "projected_overrun", value: .bool(projectsOverrun)),
        ])
    }
}

extension BudgetChecker.Outcome {
    /// The outcome as the scheduled task answers and `budget check --format json` prints it.
    public func json(sent: Bool) -> JSONValue {
        .object([
            .init(key: "task", value: "budget_check"),
            .init(key: "status", value: "ok"),
            .init(key: "sent", value: .bool(sent)),
            .init(key: "evaluations", value: .array(evaluations.map(\.json))),
            .init(key: "alerts", value: .array(raised.map { alert in
                .object([
                    .init(key: "id", value: .string(alert.id)),
                    .init(key: "level", value: .string(alert.level.rawValue)),
                    .init(key: "scope", value: .string(alert.evaluation.subject.text)),
                    .init(key: "message", value: .string(alert.message)),
                    .init(key: "payload", value: alert.payload(createdAt: alert.evaluation.at)),
                ])
            })),
            .init(key: "cooled_down", value: .number(cooledDown.count)),
            .init(key: "deliveries", value: .array(deliveries.map { delivery in
                .object([
                    .init(key: "alert_id", value: .string(delivery.alertId)),
                    .init(key: "channel", value: .string(delivery.channel)),
                    .init(key: "ok", value: .bool(delivery.failure == nil)),
                    .init(key: "error", value: delivery.failure.map { .string($0) } ?? .null),
                ])
            })),
            .init(key: "failed_alerts", value: .array(failedAlerts.map { .string($0) })),
            .init(key: "blocked", value: .array(blocked.map { .string($0) })),
            .init(key: "unreadable_budgets", value: .number(unreadableBudgets.count)),
        ])
    }
}
