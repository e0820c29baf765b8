import AIUsage
import DynamoDB

/// Recomputes the cost of the raw items in a range of days with the current catalogue
/// (`ai-usage reprice`), rewriting the items whose cost changes in place.
///
/// - **Same keys**: an item is rewritten with PutItem under its own `PK`/`SK`, so nothing is
///   counted twice; the previous cost stays in the item (`previous_cost_usd`, or
///   `previously_unpriced`), with `repriced_at` and the new `priced_with`.
/// - **Safe against a concurrent change**: each write is conditional on the cost it replaces;
///   an item changed meanwhile is counted as a conflict and left for the next run.
/// - **Rollups**: a day with a changed item is marked dirty (as a late write marks it) before its
///   first rewrite, so compaction rebuilds it.
/// - **Idempotent and resumable**: a second run finds every repriced item unchanged; a run that
///   was interrupted is finished by running it again.
///
/// Days are read one at a time, in order, from every GSI2 partition (`COST#<date>`), each page
/// handled as it arrives.
public struct Repricer: Sendable {
    public let client: DynamoDBClient
    public let tableName: String
    public let sharding: IndexSharding
    public let calculator: CostCalculator
    /// The clock of `repriced_at` and of what counts as a closed day (tests inject one).
    public let now: @Sendable () -> UTCTimestamp

    public init(
        client: DynamoDBClient, tableName: String, sharding: IndexSharding = .single, calculator: CostCalculator,
        now: @escaping @Sendable () -> UTCTimestamp = { .now() }
    ) {
        self.client = client
        self.tableName = tableName
        self.sharding = sharding
        self.calculator = calculator
        self.now = now
    }

    /// What to reprice.
    public struct Scope: Sendable, Hashable {
        public var from: CivilDate
        public var to: CivilDate
        /// Only this service (lower-case), when set.
        public var service: String?
        /// Only items whose model is this name, or resolves to the same catalogue model.
        public var model: String?
        /// Compute and report, write nothing.
        public var dryRun: Bool

        public init(from: CivilDate, to: CivilDate, service: String? = nil, model: String? = nil, dryRun: Bool = false) {
            self.from = from
            self.to = to
            self.service = service?.lowercased()
            self.model = model
            self.dryRun = dryRun
        }
    }

    /// One rewritten (or, in a dry run, to be rewritten) item.
    public struct Change: Sendable, Hashable {
        public var date: String
        public var service: String
        public var model: String
        public var requestId: String
        public var from: ExactDecimal?
        public var to: ExactDecimal
    }

    /// What a run did, exactly.
    public struct Outcome: Sendable, Hashable {
        public var itemsRead = 0
        public var changed = 0
        public var unchanged = 0
        public var leftAlone = 0
        /// Items changed by someone else between the read and the write; run again.
        public var conflicts = 0
        public var daysMarked: [String] = []
        /// Sum of the changed items' costs before (unpriced ones count 0) and after.
        public var totalBefore = ExactDecimal.zero
        public var totalAfter = ExactDecimal.zero
        /// The first changes, for display (at most ``Repricer/keptChanges``).
        public var changes: [Change] = []
        /// Why items were left alone, with counts.
        public var leftAloneReasons: [String: Int] = [:]

        public var difference: ExactDecimal { totalAfter - totalBefore }

        public init() {}
    }

    /// How many changes an outcome lists.
    public static let keptChanges = 50

    /// Reprices the scope, day by day; `progress` is called after each day with the outcome so far.
    public func run(_ scope: Scope, progress: (String, Outcome) -> Void = { _, _ in }) async throws(DynamoDBError) -> Outcome {
        var outcome = Outcome()
        let clock = now()
        let modelKey = scope.model.flatMap { model in
            scope.service.flatMap { calculator.catalogue.resolve(model, provider: $0)?.model }
        }
        var day = scope.from
        while day <= scope.to {
            let date = day.text
            var dayMarked = false
            for partition in sharding.costPartitionsToRead {
                var input = QueryInput(
                    tableName: tableName,
                    indexName: "GSI2",
                    keyConditionExpression: "GSI2PK = :p AND GSI2SK BETWEEN :a AND :b",
                    expressionAttributeValues: [
                        ":p": .s(partition),
                        ":a": .s(MetricItemCodec.costIndexDayStart(date: date)),
                        ":b": .s(MetricItemCodec.costIndexDayStart(date: date) + "#~"),
                    ]
                )
                if let service = scope.service {
                    input.filterExpression = "#service = :s"
                    input.expressionAttributeNames = ["#service": "service"]
                    input.expressionAttributeValues?[":s"] = .s(service)
                }
                var pageStart: Item?
                repeat {
                    input.exclusiveStartKey = pageStart
                    let page = try await client.queryPage(input)
                    pageStart = page.lastEvaluatedKey
                    for item in page.items {
                        guard matches(item, scope: scope, modelKey: modelKey) else { continue }
                        outcome.itemsRead += 1
                        switch RepriceDecision.decide(item, calculator: calculator, now: clock) {
                        case .unchanged:
                            outcome.unchanged += 1
                        case .leftAlone(let reason):
                            outcome.leftAlone += 1
                            outcome.leftAloneReasons[Self.reasonKind(reason), default: 0] += 1
                        case .changed(let rewritten, let from, let to):
                            if !scope.dryRun {
                                if !dayMarked, RollupKeys.marksDirty(date: day, today: clock.civilDate) {
                                    let marker = RollupKeys.dirtyMarker(date: date, token: RequestID.random(), markedAt: clock.iso8601)
                                    try await client.putItem(PutItemInput(tableName: tableName, item: marker))
                                    outcome.daysMarked.append(date)
                                }
                                dayMarked = true
                                do {
                                    try await client.putItem(conditionalPut(rewritten, replacing: item))
                                } catch where error.code == "ConditionalCheckFailedException" {
                                    outcome.conflicts += 1
                                    continue
                                }
                            }
                            outcome.changed += 1
                            outcome.totalBefore += from ?? .zero
                            outcome.totalAfter += to
                            if outcome.changes.count < Self.keptChanges {
                                outcome.changes.append(Change(
                                    date: date, service: item["service"]?.string ?? "?", model: item["model"]?.string ?? "?",
                                    requestId: item["request_id"]?.string ?? item["requestId"]?.string ?? "?", from: from, to: to
                                ))
                            }
                        }
                    }
                } while pageStart != nil
            }
            progress(date, outcome)
            day = day.adding(days: 1)
        }
        return outcome
    }

    private func matches(_ item: Item, scope: Scope, modelKey: String?) -> Bool {
        guard let wanted = scope.model else { return true }
        guard let model = item["model"]?.string else { return false }
        if model.lowercased() == wanted.lowercased() { return true }
        guard let modelKey, let service = item["service"]?.string else { return false }
        return calculator.catalogue.resolve(model, provider: service)?.model == modelKey
    }

    /// PutItem of the rewritten item, only if the stored cost is still the one it replaces.
    private func conditionalPut(_ rewritten: Item, replacing original: Item) -> PutItemInput {
        var input = PutItemInput(tableName: tableName, item: rewritten, expressionAttributeNames: ["#c": "cost_usd", "#k": "costUSD"])
        switch (original["cost_usd"], original["costUSD"]) {
        case (let cost?, _):
            input.conditionExpression = "#c = :old"
            input.expressionAttributeNames = ["#c": "cost_usd"]
            input.expressionAttributeValues = [":old": cost]
        case (nil, let cost?):
            input.conditionExpression = "attribute_not_exists(#c) AND #k = :old"
            input.expressionAttributeValues = [":old": cost]
        case (nil, nil):
            input.conditionExpression = "attribute_not_exists(#c) AND attribute_not_exists(#k)"
        }
        return input
    }

    /// The first words of a reason, to count like reasons together.
    static func reasonKind(_ reason: String) -> String {
        String(reason.prefix { $0 != ":" && $0 != "(" }).trimmingTrailingSpaces
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
