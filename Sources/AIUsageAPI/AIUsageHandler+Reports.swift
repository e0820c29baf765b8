import AIUsage
import AIUsageReports
import DynamoDB

extension AIUsageHandler {
    /// Parses the request's parameters with `parse` (a 400 when they are refused), then answers
    /// with `respond` and the configured fetcher (a 500 when the handler is not configured; a
    /// DynamoDB failure becomes its fixed public answer).
    func answer<Query>(
        _ request: HTTPEvent, requestId: String,
        parse: ([(name: String, values: [String])], CivilDate) throws(UsageQuery.Invalid) -> Query,
        respond: (Query, UsageFetcher) async throws(DynamoDBError) -> ProxyResponse
    ) async -> ProxyResponse {
        let query: Query
        do {
            query = try parse(request.queryParameters.map { ($0.name, $0.values) }, today())
        } catch {
            return .error(status: 400, message: error.message)
        }
        let fetcher: UsageFetcher
        switch setup {
        case .success(let ready): fetcher = ready.fetcher
        case .failure(let problem):
            log("500 \(PublicError.notConfigured.code) (request \(requestId)): \(problem.message)")
            return PublicError.notConfigured.response(requestId: requestId)
        }
        do {
            return try await respond(query, fetcher)
        } catch {
            return failure(error, requestId: requestId)
        }
    }

    /// The answer to a DynamoDB failure: the fixed public sentence, the detail in the log.
    func failure(_ error: DynamoDBError, requestId: String) -> ProxyResponse {
        let answer = PublicError(error)
        log("\(answer.status) \(answer.code) (request \(requestId)): \(error.description)")
        return answer.response(requestId: requestId)
    }

    /// `GET /ai_usage/report`: a job, batch, user or environment report, as JSON or CSV.
    func scopedReport(_ request: HTTPEvent, requestId: String) async -> ProxyResponse {
        await answer(request, requestId: requestId, parse: ScopedReportQuery.parse) { (query, fetcher) throws(DynamoDBError) in
            let report = try await ScopedReportFetcher(fetcher: fetcher).report(query, today: today())
            log("read \(report.reads.summary) (request \(requestId))")
            switch query.format {
            case .csv:
                return ProxyResponse(
                    status: 200,
                    headers: [
                        .init("Content-Type", "text/csv; charset=utf-8"), .allowAnyOrigin,
                        .init("Content-Disposition", "attachment; filename=\"\(report.csvFileName)\""),
                    ],
                    body: report.csv
                )
            case .json:
                return .json(status: 200, report.json)
            }
        }
    }

    /// `GET /ai_usage/trends`: week over week, the month-end forecast, anomaly days.
    func trends(_ request: HTTPEvent, requestId: String) async -> ProxyResponse {
        await answer(request, requestId: requestId, parse: TrendsQuery.parse) { (query, fetcher) throws(DynamoDBError) in
            .json(status: 200, try await TrendsFetcher(fetcher: fetcher).trends(query, today: today()).json)
        }
    }
}
