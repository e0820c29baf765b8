import AIUsage

extension UsageAggregate {
    /// The columns of `csv`, in order.
    public static let csvColumns = ["date", "service", "model", "operation", "cost_usd", "tokens", "api_calls", "unpriced_calls"]

    /// `GET /ai_usage?format=csv` (docs/api.md, "CSV"): RFC 4180 text (CRLF line ends, quoting
    /// only where needed), the header row, then one row per day × service × model × operation
    /// with items, sorted by those names in byte order.
    ///
    /// `cost_usd` is the **exact** unrounded sum, so the column adds up to the exact total (the
    /// JSON answer's `total_cost_usd` is that total rounded half-even to 4 places). Hours, users
    /// and jobs are merged; a row's `unpriced_calls` counts its calls without a price. The rows are the same
    /// whatever `aggregation` asked for. An aggregate that keeps no level has no rows.
    public var csv: String {
        var writer = CSVWriter(header: Self.csvColumns)
        for record in csvRecords { writer.append(record) }
        return writer.text
    }

    /// The records of `csv` after its header row, as their fields (unquoted), in order.
    public var csvRecords: [[String]] {
        var records: [[String]] = []
        var pending: (key: CellKey, sums: CellSums)?
        func flush() {
            guard let (key, sums) = pending else { return }
            records.append([
                names[key.date], names[key.service], names[key.model], names[key.operation],
                sums.cost.description, String(sums.tokens), String(sums.calls), String(sums.unpriced),
            ])
        }
        // `orderedCells` sorts by the four names, then by hour, user and job: a row's cells are adjacent.
        for (key, sums) in orderedCells {
            var row = key
            row.hour = Self.noHour
            row.user = NameTable.unknown
            row.job = NameTable.unknown
            if var current = pending, current.key == row {
                current.sums.add(sums.cost, sums.tokens, sums.calls, sums.unpriced)
                pending = current
            } else {
                flush()
                pending = (row, sums)
            }
        }
        flush()
        return records
    }

    /// The name of the CSV download: `ai-usage-START-END.csv`.
    public static func csvFileName(start: CivilDate, end: CivilDate) -> String {
        "ai-usage-\(start.text)-\(end.text).csv"
    }
}
