import AIUsage
import AIUsageReports
import DynamoDB

extension AIUsageHandler {
    /// The configured fetcher, or the 500 answer (and its log line) when the handler is not
    /// configured.
    func readyFetcher(requestId: String) -> Result<UsageFetcher, ProxyResponseBox> {
        switch setup {
        case .success(let ready): return .success(ready.fetcher)
        case .failure(let problem):
            log("500 \(PublicError.notConfigured.code) (request \(requestId)): \(problem.message)")
            return .failure(ProxyResponseBox(PublicError.notConfigured.response(requestId: requestId)))
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
        let query: ScopedReportQuery
        do {
            query = try ScopedReportQuery.parse(request.queryParameters.map { ($0.name, $0.values) }, today: today())
        } catch {
            return .error(status: 400, message: error.message)
        }
        let fetcher: UsageFetcher
        switch readyFetcher(requestId: requestId) {
        case .success(let value): fetcher = value
        case .failure(let box): return box.response
        }
        do {
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
        } catch {
            return failure(error, requestId: requestId)
        }
    }

    /// `GET /ai_usage/trends`: week over week, the month-end forecast, anomaly days.
    func trends(_ request: HTTPEvent, requestId: String) async -> ProxyResponse {
        let query: TrendsQuery
        do {
            query = try TrendsQuery.parse(request.queryParameters.map { ($0.name, $0.values) }, today: today())
        } catch {
            return .error(status: 400, message: error.message)
        }
        let fetcher: UsageFetcher
        switch readyFetcher(requestId: requestId) {
        case .success(let value): fetcher = value
        case .failure(let box): return box.response
        }
        do {
            let report = try await TrendsFetcher(fetcher: fetcher).trends(query, today: today())
            return .json(status: 200, report.json)
        } catch {
            return failure(error, requestId: requestId)
        }
    }
}

/// A response carried in a `Result`'s failure.
struct ProxyResponseBox: Error {
    var response: ProxyResponse
    init(_ response: ProxyResponse) { self.response = response }
}
