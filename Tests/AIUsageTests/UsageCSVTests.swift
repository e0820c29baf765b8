import AIUsage
import AIUsageReports
import Testing

/// `UsageAggregate.csv`: one row per day × service × model × operation, hours merged, exact
/// costs, RFC 4180 quoting.
@Suite struct UsageCSVTests {
    static let header = "date,service,model,operation,cost_usd,tokens,api_calls,unpriced_calls\r\n"

    static func aggregate(_ rows: [UsageRow], levels: [AggregationLevel] = [.day]) -> UsageAggregate {
        var aggregate = UsageAggregate(levels: levels)
        for row in rows { aggregate.add(row) }
        return aggregate
    }

    @Test func hoursMergeIntoOneRowAndRowsSortByDayServiceModelOperationInByteOrder() {
        let csv = Self.aggregate([
            // Two hours of one cell: 0.000000001 + 2.5 = 2.500000001, 10 + 5 = 15 tokens, 1 + 3 calls.
            UsageRow(date: "2026-11-02", hour: "23", service: "openai", model: "gpt-4o", operation: "completion", cost: ExactDecimal("0.000000001")!, tokens: 10),
            UsageRow(date: "2026-11-02", hour: "01", service: "openai", model: "gpt-4o", operation: "completion", cost: ExactDecimal("2.5")!, tokens: 5, apiCalls: 3),
            // No hour: the same row still.
            UsageRow(date: "2026-11-02", hour: nil, service: "openai", model: "gpt-4o", operation: "completion", cost: .zero, apiCalls: 1, isUnpriced: true),
            // Byte order: "Z" (0x5A) sorts before "a" (0x61).
            UsageRow(date: "2026-11-02", hour: "05", service: "openai", model: "Zeta", operation: "completion", cost: ExactDecimal("1")!),
            UsageRow(date: "2026-11-01", hour: "05", service: "anthropic", model: "claude", operation: "completion", cost: ExactDecimal("0.25")!, tokens: 7),
        ]).csv
        #expect(csv == Self.header
            + "2026-11-01,anthropic,claude,completion,0.25,7,1,0\r\n"
            + "2026-11-02,openai,Zeta,completion,1,0,1,0\r\n"
            + "2026-11-02,openai,gpt-4o,completion,2.500000001,15,5,1\r\n")
    }

    @Test func namesWithCommasQuotesOrLineBreaksAreQuotedAsRFC4180Says() {
        let csv = Self.aggregate([
            UsageRow(date: "2026-11-02", hour: "10", service: "openai", model: #"ft:gpt-4o:acme,"v2""#, operation: "line\nbreak", cost: ExactDecimal("0.1")!),
        ]).csv
        #expect(csv == Self.header + "2026-11-02,openai,\"ft:gpt-4o:acme,\"\"v2\"\"\",\"line\nbreak\",0.1,0,1,0\r\n")
    }

    @Test func theRowsAreTheSameWhateverTheAggregationAndAddUpToTheTotals() {
        let rows = (0..<40).map { index in
            UsageRow(date: "2026-11-\(10 + index % 3)", hour: String(format2(index % 24)), service: ["openai", "anthropic"][index % 2],
                     model: "m\(index % 5)", operation: "completion", cost: ExactDecimal("0.0\(index)1")!, tokens: index, apiCalls: 1 + index % 2)
        }
        let byDay = Self.aggregate(rows, levels: [.day])
        #expect(Self.aggregate(rows, levels: [.hour, .model]).csv == byDay.csv)
        var cost = ExactDecimal.zero
        var tokens = 0
        var calls = 0
        for line in byDay.csv.split(separator: "\r\n").dropFirst() {
            let fields = line.split(separator: ",")
            cost = cost.adding(ExactDecimal(fields[4])!)!
            tokens += Int(fields[5])!
            calls += Int(fields[6])!
        }
        #expect(cost == byDay.totalCost)
        #expect(tokens == byDay.totalTokens)
        #expect(calls == byDay.totalAPICalls)
    }

    @Test func anEmptyAggregateHasTheHeaderRowOnly() {
        #expect(Self.aggregate([]).csv == Self.header)
        #expect(UsageAggregate.csvFileName(start: CivilDate(year: 2026, month: 11, day: 1), end: CivilDate(year: 2026, month: 11, day: 30)) == "ai-usage-2026-11-01-2026-11-30.csv")
    }
}

private func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
