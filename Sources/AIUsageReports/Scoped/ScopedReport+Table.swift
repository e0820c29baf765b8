import AIUsage

extension ScopedReport {
    /// The report as aligned text for a terminal: the facts, then the top models and each
    /// breakdown as a table with right-aligned numbers. Costs are rounded as in JSON (4 places,
    /// averages 6); names are cut to 60 characters, control characters shown as `?`.
    public var table: String {
        var lines: [String] = []
        let scope = query.scope
        lines.append("Report for \(scope.kind.rawValue) \(Self.shown(scope.id)), \(query.start.text) .. \(query.end.text) (UTC)")
        lines.append("")
        var facts: [[String]] = [
            ["Total cost", "\(Self.money(aggregate.totalCost)) USD"],
            ["Tokens", String(aggregate.totalTokens)],
            ["API calls", String(aggregate.totalAPICalls)],
            ["Cost per call", "\(Self.average(aggregate.totalCost, over: aggregate.totalAPICalls).formatted(scale: UsageAggregate.averageCostScale)) USD"],
            ["First call", firstCall?.iso8601 ?? "none"],
            ["Last call", lastCall?.iso8601 ?? "none"],
        ]
        // Right under the money it qualifies, and only when the total is short.
        if aggregate.unpricedCalls > 0 {
            facts.insert(["Unpriced calls", "\(aggregate.unpricedCalls) (no price in the catalogue; see docs/pricing.md)"], at: 4)
        }
        if scope.kind.isRun {
            let micros = firstCall.flatMap { first in lastCall.map { $0.microsecondsSinceEpoch - first.microsecondsSinceEpoch } }
            facts.append(["Duration", micros.map(Self.duration) ?? "none"])
            facts.append(["Errors", errorCount.map(String.init) ?? "none"])
        }
        if aggregate.invalidItems > 0 { facts.append(["Unreadable items", "\(aggregate.invalidItems) (left out of every sum)"]) }
        lines += Self.columns(facts, header: nil, rightAligned: [])

        let total = aggregate.totalCost
        lines.append("")
        lines.append("Top models")
        lines += Self.columns(
            topModels.enumerated().map { rank, line in
                [String(rank + 1), Self.shown(line.model), Self.shown(line.service), Self.money(line.cost),
                 Self.share(line.cost, of: total).formatted(scale: Self.shareScale), String(line.apiCalls)]
            },
            header: ["#", "MODEL", "SERVICE", "COST_USD", "SHARE_%", "CALLS"], rightAligned: [0, 3, 4, 5]
        )
        for (title, level) in [("service", AggregationLevel.service), ("model", .model), ("operation", .operation), ("day", .day)] {
            lines.append("")
            lines.append("By \(title)")
            lines += Self.columns(
                aggregate.groups(level).map { group in
                    [Self.shown(group.key), Self.money(group.cost), String(group.tokens), String(group.apiCalls),
                     Self.average(group.cost, over: group.apiCalls).formatted(scale: UsageAggregate.averageCostScale)]
                },
                header: [title.uppercased(), "COST_USD", "TOKENS", "CALLS", "COST_PER_CALL"], rightAligned: [1, 2, 3, 4]
            )
        }
        return lines.map { $0.trimmingTrailingSpaces() }.joined(separator: "\n") + "\n"
    }

    /// A cost to 4 places, trailing zeros kept so the points line up.
    static func money(_ cost: ExactDecimal) -> String {
        cost.formatted(scale: UsageAggregate.costScale)
    }

    /// A name fit for a terminal line.
    static func shown(_ name: String) -> String {
        InputEcho.short(name, limit: 60)
    }

    /// `1d 2h 3m 4.5s (93784.5 s)` for a duration in microseconds: the units from the largest
    /// non-zero one; under a minute, only the seconds.
    static func duration(micros: Int64) -> String {
        let seconds = ExactDecimal(significand: Int128(micros), scale: 6)
        let whole = micros / 1_000_000
        guard whole >= 60 else { return "\(seconds) s" }
        var parts: [String] = []
        let (days, hours, minutes) = (whole / 86_400, whole / 3600 % 24, whole / 60 % 60)
        if days > 0 { parts.append("\(days)d") }
        if days > 0 || hours > 0 { parts.append("\(hours)h") }
        parts.append("\(minutes)m")
        parts.append("\(ExactDecimal(significand: Int128(micros % 60_000_000), scale: 6))s")
        return "\(parts.joined(separator: " ")) (\(seconds) s)"
    }

    /// Rows padded into columns two spaces apart, under an optional header; `(none)` for no rows.
    static func columns(_ rows: [[String]], header: [String]?, rightAligned: Set<Int>) -> [String] {
        guard !rows.isEmpty else { return ["  (none)"] }
        let all = (header.map { [$0] } ?? []) + rows
        let count = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: count)
        for row in all { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return all.map { row in
            "  " + row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? padding + cell : cell + padding
            }.joined(separator: "  ")
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
