import AIUsage

/// Where one subject stands against one budget at one instant: the spend of the current
/// period instance, the percentage, the highest threshold reached, and the projection.
///
/// Every comparison is exact: "spend reached t %" is `spend × 100 ≥ t × limit`, and "projected to
/// overrun" is `spend × period ≥ … > limit × elapsed`, products of exact decimals, never a
/// rounded quotient. Only the figures shown are divided, and rounded once, half-even.
public struct BudgetEvaluation: Sendable, Hashable {
    public var budget: Budget
    /// The concrete scope the spend is for: `user:alice` under a `user:*` budget.
    public var subject: BudgetScope
    public var instance: PeriodInstance
    public var spend: ExactDecimal
    public var at: UTCTimestamp

    /// The least time a projection needs: one hour. Before it, a few early calls would project
    /// absurd overruns.
    public static let minimumProjectionSeconds: Int64 = 3600
    /// Fraction digits of the shown percentage and projected spend.
    public static let percentScale = 2
    public static let moneyScale = 6

    public init(budget: Budget, subject: BudgetScope, spend: ExactDecimal, at time: UTCTimestamp) {
        self.budget = budget
        self.subject = subject
        self.spend = spend
        self.at = time
        instance = budget.period.instance(containing: time)
    }

    /// `spend / limit · 100`, rounded half-even to 2 places. A limit of 0 is 100 once anything is
    /// spent, else 0.
    public var percent: ExactDecimal {
        if budget.limit == .zero { return spend > .zero ? 100 : .zero }
        return (spend * 100).divided(by: budget.limit, scale: Self.percentScale) ?? .zero
    }

    /// `limit − spend` (negative once over).
    public var remaining: ExactDecimal { budget.limit - spend }

    /// Whether the spend has reached `threshold`.
    public func reached(_ threshold: Threshold) -> Bool {
        if budget.limit == .zero { return spend > .zero && threshold.percent <= 100 }
        return spend * 100 >= threshold.percent * budget.limit
    }

    /// The highest threshold reached, if any.
    public var level: Threshold? {
        budget.thresholds.last(where: reached)
    }

    /// Seconds of the instance elapsed.
    public var elapsedSeconds: Int64 { instance.elapsedSeconds(at: at) }

    /// The period's spend projected linearly to its end: `spend / elapsed · length`, rounded
    /// half-even to 6 places. `nil` in the first hour (too little history) and when nothing has
    /// been spent (an empty history projects nothing).
    public var projectedSpend: ExactDecimal? {
        let elapsed = elapsedSeconds
        guard elapsed >= Self.minimumProjectionSeconds, spend > .zero else { return nil }
        return (spend * ExactDecimal(Int(instance.seconds))).divided(by: ExactDecimal(Int(elapsed)), scale: Self.moneyScale)
    }

    /// Whether the projection overruns the limit while the spend has not reached it yet:
    /// `spend · length > limit · elapsed` and `spend < limit`, with the same one-hour rule.
    public var projectsOverrun: Bool {
        let elapsed = elapsedSeconds
        guard elapsed >= Self.minimumProjectionSeconds, spend > .zero, spend < budget.limit else { return false }
        return spend * ExactDecimal(Int(instance.seconds)) > budget.limit * ExactDecimal(Int(elapsed))
    }
}
