import AIUsage
import DynamoDB

/// Budgets in the usage table: set (create or replace), list, delete.
public struct BudgetStore: Sendable {
    public let client: DynamoDBClient
    public let tableName: String

    public init(client: DynamoDBClient, tableName: String) {
        self.client = client
        self.tableName = tableName
    }

    /// Writes `budget`, replacing the budget of the same scope and period (keeping its
    /// `created_at`).
    public func set(_ budget: Budget) async throws(DynamoDBError) {
        var budget = budget
        if let existing = try await get(scope: budget.scope, period: budget.period) {
            budget.createdAt = existing.createdAt
        }
        try await client.putItem(PutItemInput(tableName: tableName, item: BudgetItemCodec.item(budget)))
    }

    /// The budget of one scope and period, read consistently; `nil` when there is none.
    public func get(scope: BudgetScope, period: BudgetPeriod) async throws(DynamoDBError) -> Budget? {
        let key = BudgetItemCodec.key(scope: scope, period: period)
        let page = try await client.queryPage(QueryInput(
            tableName: tableName, keyConditionExpression: "PK = :pk AND SK = :sk",
            expressionAttributeValues: [":pk": key["PK"]!, ":sk": key["SK"]!], consistentRead: true
        ))
        return page.items.first.flatMap { try? BudgetItemCodec.budget($0) }
    }

    /// Every budget (one GSI1 Query), sorted by scope and period; items that cannot be read
    /// come back in `unreadable` (their keys), for the log.
    public func list() async throws(DynamoDBError) -> (budgets: [Budget], unreadable: [String]) {
        var budgets: [Budget] = []
        var unreadable: [String] = []
        var input = QueryInput(
            tableName: tableName, indexName: "GSI1", keyConditionExpression: "GSI1PK = :pk",
            expressionAttributeValues: [":pk": .s(BudgetItemCodec.listPartition)]
        )
        while true {
            let page = try await client.queryPage(input)
            for item in page.items where item["TYPE"]?.string == BudgetItemCodec.type {
                do {
                    budgets.append(try BudgetItemCodec.budget(item))
                } catch {
                    unreadable.append("\(item["PK"]?.string ?? "?")/\(item["SK"]?.string ?? "?"): \(error)")
                }
            }
            guard let next = page.lastEvaluatedKey else { break }
            input.exclusiveStartKey = next
        }
        budgets.sort { ($0.scope.text, $0.period.rawValue) < ($1.scope.text, $1.period.rawValue) }
        return (budgets, unreadable)
    }

    /// Deletes the budget of one scope and period; `false` when there was none.
    public func delete(scope: BudgetScope, period: BudgetPeriod) async throws(DynamoDBError) -> Bool {
        guard try await get(scope: scope, period: period) != nil else { return false }
        let result = await client.batchWriteItem(tableName: tableName, requests: [.delete(key: BudgetItemCodec.key(scope: scope, period: period))])
        if let error = result.errors.first { throw error }
        return true
    }
}
