import AIUsage
import DynamoDB

/// Answers a `TrendsQuery` through the report path: one `UsageFetcher.aggregate` over the days
/// the figures need (the month so far, the two weeks, the examined days and their windows), so
/// closed days come from rollups and a trends answer costs O(days) reads.
public struct TrendsFetcher: Sendable {
    public let fetcher: UsageFetcher

    public init(fetcher: UsageFetcher) {
        self.fetcher = fetcher
    }

    /// The trends of `query`; `today` (UTC) decides which days are open and whether `end_date`
    /// is a partial day.
    public func trends(_ query: TrendsQuery, today: CivilDate) async throws(DynamoDBError) -> TrendsReport {
        let usage = UsageQuery(start: TrendFigures.firstDay(for: query), end: query.end, service: query.service, aggregation: [.day])
        let outcome = try await fetcher.aggregate(usage, today: today)
        return TrendsReport(TrendFigures(query: query, today: today, aggregate: outcome.aggregate), readSummary: outcome.readSummary)
    }
}
