import AIUsage

extension UsageAggregate {
    /// One day × service × model's unrounded sums (its hours and operations added together).
    struct DailyModelTotals: Sendable, Hashable {
        /// The stored day (`YYYY-MM-DD`, or `unknown` for items without one).
        var date: String
        var service: String
        var model: String
        /// Σ cost, exact.
        var cost: ExactDecimal
        var tokens: Int
        var apiCalls: Int
    }

    /// The sums per day, service and model, sorted by those names in byte order; empty when the
    /// aggregate keeps no level (it then keeps no cells). They add up to the totals exactly.
    func dailyModelTotals() -> [DailyModelTotals] {
        struct Key: Hashable {
            var date: ReportKey
            var service: ReportKey
            var model: ReportKey
        }
        var groups: [Key: DailyModelTotals] = [:]
        for (key, sums) in orderedCells {
            let (date, service, model) = (names[key.date], names[key.service], names[key.model])
            let groupKey = Key(date: ReportKey(date), service: ReportKey(service), model: ReportKey(model))
            var group = groups[groupKey] ?? DailyModelTotals(date: date, service: service, model: model, cost: .zero, tokens: 0, apiCalls: 0)
            // A group's sums are at most the checked totals, so they fit.
            group.cost += sums.cost
            group.tokens += sums.tokens
            group.apiCalls += sums.calls
            groups[groupKey] = group
        }
        return groups.values.sorted { a, b in
            if !a.date.utf8.elementsEqual(b.date.utf8) { return ReportKey.precedes(a.date, b.date) }
            if !a.service.utf8.elementsEqual(b.service.utf8) { return ReportKey.precedes(a.service, b.service) }
            return ReportKey.precedes(a.model, b.model)
        }
    }
}
