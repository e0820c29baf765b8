import AIUsage

extension ScopedReport {
    /// The CSV columns, in order.
    public static let csvColumns = [
        "section", "name", "value", "cost_usd", "tokens", "api_calls", "average_cost_per_call", "share_of_cost_percent",
        "unpriced_calls",
    ]

    /// The report as RFC 4180 CSV (CRLF line ends, quoting only where needed), one row per fact
    /// or breakdown line, its kind in `section` (`docs/reports.md`, "CSV"):
    ///
    /// - `scope` (the kind and id), `range` (`start_date`, `end_date`) and `activity`
    ///   (`first_call`, `last_call`, `duration_seconds`, `error_count`, `invalid_items`) rows
    ///   carry their text in `value`; a value not given for the scope is empty;
    /// - `total`, then `service`, `model` (`value`: its service), `operation` and `day` rows, each
    ///   sorted by name, then `top_model` (`value`: its rank) rows carry the sums: `cost_usd` is
    ///   the **exact** unrounded sum, `average_cost_per_call` 6 places and
    ///   `share_of_cost_percent` 2, half-even, and `unpriced_calls` the calls without a price.
    public var csv: String {
        var writer = CSVWriter(header: Self.csvColumns)
        func fact(_ section: String, _ name: String, _ value: String) {
            writer.append([section, name, value, "", "", "", "", "", ""])
        }
        let total = aggregate.totalCost
        func sums(_ section: String, _ name: String, _ value: String, cost: ExactDecimal, tokens: Int, calls: Int, unpriced: Int) {
            writer.append([
                section, name, value, cost.description, String(tokens), String(calls),
                Self.average(cost, over: calls).description, Self.share(cost, of: total).description, String(unpriced),
            ])
        }
        fact("scope", query.scope.kind.rawValue, query.scope.id)
        fact("range", "start_date", query.start.text)
        fact("range", "end_date", query.end.text)
        fact("activity", "first_call", firstCall?.iso8601 ?? "")
        fact("activity", "last_call", lastCall?.iso8601 ?? "")
        fact("activity", "duration_seconds", durationSeconds?.description ?? "")
        fact("activity", "error_count", errorCount.map(String.init) ?? "")
        fact("activity", "invalid_items", String(aggregate.invalidItems))
        sums("total", "all", "", cost: total, tokens: aggregate.totalTokens, calls: aggregate.totalAPICalls, unpriced: aggregate.unpricedCalls)
        for line in aggregate.groups(.service) {
            sums("service", line.key, "", cost: line.cost, tokens: line.tokens, calls: line.apiCalls, unpriced: line.unpricedCalls)
        }
        // Keyed by bytes: two spellings of one name are two models, as in every breakdown.
        let models = aggregate.byModel(aggregate.orderedCells)
        for line in aggregate.groups(.model) {
            sums("model", line.key, models[ReportKey(line.key)]?.service ?? UsageAggregate.unknown,
                 cost: line.cost, tokens: line.tokens, calls: line.apiCalls, unpriced: line.unpricedCalls)
        }
        for line in aggregate.groups(.operation) {
            sums("operation", line.key, "", cost: line.cost, tokens: line.tokens, calls: line.apiCalls, unpriced: line.unpricedCalls)
        }
        for line in aggregate.groups(.day) {
            sums("day", line.key, "", cost: line.cost, tokens: line.tokens, calls: line.apiCalls, unpriced: line.unpricedCalls)
        }
        for (rank, line) in topModels.enumerated() {
            sums("top_model", line.model, String(rank + 1), cost: line.cost, tokens: line.tokens, calls: line.apiCalls, unpriced: line.unpricedCalls)
        }
        return writer.text
    }

    /// `ai-usage-report-<scope>-<id>-<start>-<end>.csv`, with every character of the id outside
    /// ASCII letters, digits, `-`, `_` and `.` written `_`: safe in a `Content-Disposition`
    /// header's quoted `filename` and on every file system.
    public var csvFileName: String {
        let id = String(String.UnicodeScalarView(query.scope.id.unicodeScalars.map { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": scalar
            default: "_"
            }
        }))
        return "ai-usage-report-\(query.scope.kind.rawValue)-\(id)-\(query.start.text)-\(query.end.text).csv"
    }
}
