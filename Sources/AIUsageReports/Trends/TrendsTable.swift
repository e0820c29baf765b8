import AIUsage

extension TrendsReport {
    /// The figures as aligned text: a heading, then one block each for week over week, the
    /// forecast and the anomalies. Money has 4 places, percents and z-scores 2; `-` is none.
    static func table(_ figures: TrendFigures) -> String {
        let scale = UsageAggregate.costScale
        func money(_ amount: ExactDecimal?) -> String { amount?.formatted(scale: scale) ?? "-" }
        func hundredths(_ value: ExactDecimal?) -> String { value?.formatted(scale: 2) ?? "-" }
        let query = figures.query
        var lines: [String] = []

        var heading = "Trends to \(query.end) (UTC), \(query.service.map { "service \($0)" } ?? "every service")"
        if let partial = figures.partialDay { heading += "; \(partial) is today, so its spend is partial" }
        lines.append(heading)
        if figures.invalidItems > 0 { lines.append("\(figures.invalidItems) unreadable items left out") }
        if figures.unpricedCalls > 0 {
            lines.append("\(figures.unpricedCalls) unpriced calls: no price in the catalogue, so their cost is in no figure (see docs/pricing.md)")
        }

        lines += ["", "Week over week: \(text(figures.thisWeek)) against \(text(figures.previousWeek))"]
        var weeks = TextColumns(header: ["service", "model", "this week", "previous", "change", "change %", "status"], rightAligned: [2, 3, 4, 5])
        func add(_ service: String, _ model: String, _ change: WeekChange) {
            weeks.add([service, model, money(change.current), money(change.previous), money(change.change), hundredths(change.percent), change.status.rawValue])
        }
        add("(all)", "", figures.total)
        for row in figures.byService {
            add(row.service, "(all)", row.change)
            for model in figures.byModel where model.service.utf8.elementsEqual(row.service.utf8) {
                add("", model.model ?? "", model.change)
            }
        }
        lines += weeks.lines

        let forecast = figures.forecast
        var days = "\(forecast.daysInMonth) days; \(forecast.completeDays) complete"
        if let partial = figures.partialDay { days += ", \(partial) partial" }
        let method = forecast.method == .linear
            ? "a least-squares line over the \(forecast.completeDays) complete days"
            : "the only day's spend, repeated"
        lines += ["", "Month-end forecast, \(figures.month.text.prefix(7)) (\(days)): \(method)"]
        var month = TextColumns(header: nil, rightAligned: [1])
        month.add(["month to date", money(forecast.monthToDate)])
        month.add(["trend per day", money(forecast.trendPerDay)])
        month.add(["projected remaining", money(forecast.projectedRemaining)])
        month.add(["forecast", money(forecast.forecast)])
        lines += month.lines

        lines += ["", "Anomalies \(text(figures.anomalyDays)): z > \(query.threshold) against each day's \(query.window) days before"]
        let found = figures.anomalies.flatMap { service in service.days.map { (service.service, $0) } }
            .sorted { $0.1.date != $1.1.date ? $0.1.date < $1.1.date : ReportKey.precedes($0.0, $1.0) }
        if found.isEmpty {
            lines.append("none among \(figures.anomalies.count) services")
        } else {
            var anomalies = TextColumns(header: ["date", "service", "cost", "mean", "sd", "z"], rightAligned: [2, 3, 4, 5])
            for (service, day) in found {
                anomalies.add([day.date.text, service, money(day.score.value), money(day.score.mean), money(day.score.standardDeviation), hundredths(day.score.z)])
            }
            lines += anomalies.lines
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-03-14..2026-03-20`.
    private static func text(_ days: ClosedRange<CivilDate>) -> String {
        "\(days.lowerBound)..\(days.upperBound)"
    }
}

/// Rows of cells padded to their column's widest cell, two spaces apart.
private struct TextColumns {
    private var rows: [[String]] = []
    private let rightAligned: Set<Int>

    init(header: [String]?, rightAligned: Set<Int>) {
        if let header { rows.append(header) }
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    var lines: [String] {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                line += column == 0 ? "" : "  "
                line += rightAligned.contains(column) ? padding + cell : cell + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
