import AIUsage
extension UsageAggregate {
    /// Fraction digits of every `cost_usd`.
    public static let costScale = 4
    /// Fraction digits of every `average_cost_per_call`.
    public static let averageCostScale = 6
    /// Fraction digits of `average_tokens_per_call`.
    public static let averageTokensScale = 2

    /// The body of the 200 answer of `GET /ai_usage` (docs/api.md, "The answer (200)").
    ///
    /// `{"summary", "aggregations", "query"}` in that order:
    /// - `summary`: `total_cost_usd`, `total_tokens`, `total_api_calls`, `average_cost_per_call`,
    ///   `date_range` (`start`, `end`), `invalid_items`, `unpriced_calls` (the API calls without
    ///   a price, `UsageRow.isUnpriced`, so a total is never silently short);
    /// - `aggregations`: only the kept levels, in canonical order (`by_day`, `by_service`,
    ///   `by_model`, `by_operation`, `by_hour`, `by_user`, `by_job`), each keyed in byte order,
    ///   every list sorted;
    /// - `query`: `query` as given.
    ///
    /// Rounding happens here, once, half-even: every `cost_usd` to 4 places,
    /// `average_cost_per_call` to 6 from the unrounded sums, `average_tokens_per_call` to 2. An
    /// average over 0 calls is 0. Every number is exact decimal text; none passes through `Double`.
    ///
    /// The shape is the original system's, pinned member for member, with two members added at
    /// the end of the summary (`invalid_items`, `unpriced_calls`) and two levels of our own
    /// (`by_user`, `by_job`); the original's groups are the original's
    /// (the scoped report's groups also count `unpriced_calls`, through
    /// `report(start:end:query:unpricedCalls:)`).
    public func report(start: CivilDate, end: CivilDate, query: JSONValue) -> JSONValue {
        report(start: start, end: end, query: query, unpricedCalls: false)
    }

    /// The same body; with `unpricedCalls`, every group also ends with `unpriced_calls`, the API
    /// calls in it that have no price (`UsageRow.isUnpriced`).
    func report(start: CivilDate, end: CivilDate, query: JSONValue, unpricedCalls withUnpriced: Bool) -> JSONValue {
        /// `members`, then `unpriced_calls` when asked for.
        func counted(_ members: [JSONValue.Member], _ unpriced: Int) -> [JSONValue.Member] {
            withUnpriced ? members + [.init(key: "unpriced_calls", value: .number(unpriced))] : members
        }
        let summary: JSONValue = .object([
            .init(key: "total_cost_usd", value: cost(totalCost)),
            .init(key: "total_tokens", value: .number(totalTokens)),
            .init(key: "total_api_calls", value: .number(totalAPICalls)),
            .init(key: "average_cost_per_call", value: average(totalCost, over: totalAPICalls, scale: UsageAggregate.averageCostScale)),
            .init(key: "date_range", value: .object([
                .init(key: "start", value: .string(start.text)),
                .init(key: "end", value: .string(end.text)),
            ])),
            .init(key: "invalid_items", value: .number(invalidItems)),
            .init(key: "unpriced_calls", value: .number(unpricedCalls)),
        ])

        var aggregations: [JSONValue.Member] = []
        let ordered = orderedCells
        for level in AggregationLevel.allCases where levels.contains(level) {
            let groups: JSONValue
            switch level {
            case .day:
                groups = members(byDay(ordered)) { group in
                    counted([
                        .init(key: "cost_usd", value: cost(group.cost)),
                        .init(key: "tokens", value: .number(group.tokens)),
                        .init(key: "api_calls", value: .number(group.calls)),
                        .init(key: "services", value: list(group.services)),
                    ], group.unpriced)
                }
            case .service:
                groups = members(byService(ordered)) { group in
                    counted([
                        .init(key: "cost_usd", value: cost(group.cost)),
                        .init(key: "tokens", value: .number(group.tokens)),
                        .init(key: "api_calls", value: .number(group.calls)),
                        .init(key: "models", value: list(group.models)),
                        .init(key: "operations", value: list(group.operations)),
                        .init(key: "average_cost_per_call", value: average(group.cost, over: group.calls, scale: UsageAggregate.averageCostScale)),
                    ], group.unpriced)
                }
            case .model:
                groups = members(byModel(ordered)) { group in
                    counted([
                        .init(key: "cost_usd", value: cost(group.cost)),
                        .init(key: "tokens", value: .number(group.tokens)),
                        .init(key: "api_calls", value: .number(group.calls)),
                        .init(key: "service", value: .string(group.service ?? UsageAggregate.unknown)),
                        .init(key: "average_tokens_per_call", value: average(ExactDecimal(group.tokens), over: group.calls, scale: UsageAggregate.averageTokensScale)),
                    ], group.unpriced)
                }
            case .operation:
                groups = members(byOperation(ordered)) { group in
                    counted([
                        .init(key: "cost_usd", value: cost(group.cost)),
                        .init(key: "tokens", value: .number(group.tokens)),
                        .init(key: "api_calls", value: .number(group.calls)),
                        .init(key: "services", value: list(group.services)),
                    ], group.unpriced)
                }
            case .hour:
                groups = members(byHour(ordered)) { group in
                    counted([
                        .init(key: "cost_usd", value: cost(group.cost)),
                        .init(key: "api_calls", value: .number(group.calls)),
                    ], group.unpriced)
                }
            case .user, .job:
                groups = members(byContext(level, ordered)) { group in
                    counted([
                        .init(key: "cost_usd", value: cost(group.cost)),
                        .init(key: "tokens", value: .number(group.tokens)),
                        .init(key: "api_calls", value: .number(group.calls)),
                        .init(key: "services", value: list(group.services)),
                        .init(key: "models", value: list(group.models)),
                        .init(key: "average_cost_per_call", value: average(group.cost, over: group.calls, scale: UsageAggregate.averageCostScale)),
                    ], group.unpriced)
                }
            }
            aggregations.append(.init(key: level.reportKey, value: groups))
        }

        return .object([
            .init(key: "summary", value: summary),
            .init(key: "aggregations", value: .object(aggregations)),
            .init(key: "query", value: query),
        ])
    }
}

/// A cost rounded half-even to 4 places.
private func cost(_ amount: ExactDecimal) -> JSONValue {
    .number(amount.rounded(scale: UsageAggregate.costScale))
}

/// `amount / calls` rounded half-even to `scale` places from the exact quotient; 0 over 0 calls.
private func average(_ amount: ExactDecimal, over calls: Int, scale: Int) -> JSONValue {
    guard calls > 0, let quotient = amount.divided(by: ExactDecimal(calls), scale: scale) else {
        return .number(ExactDecimal.zero)
    }
    return .number(quotient)
}

/// The names of a set, sorted in byte order, as a JSON array of strings.
private func list(_ names: Set<ReportKey>) -> JSONValue {
    .array(ReportKey.sorted(names).map { .string($0) })
}

/// The groups as an object keyed in byte order, each group's members from `body`.
private func members<Group>(
    _ groups: [ReportKey: Group],
    _ body: (Group) -> [JSONValue.Member]
) -> JSONValue {
    let ordered = groups.sorted { ReportKey.precedes($0.key.text, $1.key.text) }
    return .object(ordered.map { JSONValue.Member(key: $0.key.text, value: .object(body($0.value))) })
}
