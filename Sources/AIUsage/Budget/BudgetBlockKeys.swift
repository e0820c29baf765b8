/// Where the budget checker leaves word that a hard budget is exhausted, for
/// `Tracker.allow(scope:)` to read: one item per exhausted subject and budget in the partition
/// `AI_USAGE_BUDGET_BLOCKS`, sort key `BLOCK#<subject>#<budget scope>/<period>`, with `until`
/// (the end of the period instance, ISO 8601 UTC), `spend_usd` and `limit_usd`.
///
/// A subject is a concrete scope: `global`, `service:openai`, `user:alice`. Scope values never
/// hold `#`, so `BLOCK#<subject>#` is a prefix of exactly that subject's marks.
public enum BudgetBlockKeys {
    public static let partition = "AI_USAGE_BUDGET_BLOCKS"
    public static let type = "AIUsageBudgetBlock"

    /// The sort-key prefix of every mark of `subject`.
    public static func prefix(subject: String) -> String { "BLOCK#\(subject)#" }

    public static func sortKey(subject: String, budgetId: String) -> String { prefix(subject: subject) + budgetId }
}
