import AIUsage
import DynamoDB

/// Answers a `UsageQuery` from the table: the range is cut into contiguous day segments (as
/// many as `concurrency`, at most one per day), one Query each, run in parallel; every page is
/// followed and folded into that segment's aggregate as it arrives; the segments merge exactly.
///
/// - With a service: GSI1 (`GSI1PK = AI_USAGE#<service>`, `GSI1SK BETWEEN DATE#<first> AND DATE#<last>`).
/// - Without: GSI2, the one partition that holds every service
///   (`GSI2PK = AI_USAGE_COST`, `GSI2SK BETWEEN COST#<first> AND COST#<last>#~`).
/// - Only the attributes a report reads are projected; `operation`, `model` and the context
///   filters are a server-side `FilterExpression` that matches either item generation.
public struct UsageFetcher: Sendable {
    public let client: DynamoDBClient
    public let tableName: String
    /// Queries in flight at once; the client's HTTP pool should have at least as many connections.
    public let concurrency: Int
    /// Items per page (`Limit`); `nil` lets DynamoDB fill each page up to 1 MB.
    public let pageLimit: Int?

    public init(client: DynamoDBClient, tableName: String, concurrency: Int = 8, pageLimit: Int? = nil) {
        self.client = client
        self.tableName = tableName
        self.concurrency = max(1, concurrency)
        self.pageLimit = pageLimit
    }

    /// What a fetch found: the aggregate, and how much work it took.
    public struct Outcome: Sendable {
        public var aggregate: UsageAggregate
        public var queries: Int
        public var pages: Int
    }

    /// Fetches and aggregates every matching item of the query's range.
    public func aggregate(_ query: UsageQuery) async throws(DynamoDBError) -> Outcome {
        let inputs = segments(of: query).map { queryInput(query, from: $0.first, to: $0.last) }
        let levels = query.aggregation
        do {
            return try await withThrowingTaskGroup(of: (UsageAggregate, Int).self) { group in
                var total = Outcome(aggregate: UsageAggregate(levels: levels), queries: inputs.count, pages: 0)
                var next = 0
                func startNext() {
                    guard next < inputs.count else { return }
                    let input = inputs[next]
                    next += 1
                    group.addTask { try await fold(input, levels: levels) }
                }
                for _ in 0..<min(concurrency, inputs.count) { startNext() }
                while let (segment, pages) = try await group.next() {
                    total.aggregate.merge(segment)
                    total.pages += pages
                    startNext()
                }
                return total
            }
        } catch let error as DynamoDBError {
            throw error
        } catch {
            throw DynamoDBError(kind: .invalidResponse, code: "UnexpectedError", message: "\(error)", operation: "Query")
        }
    }

    /// One day's pages, folded as they arrive.
    private func fold(_ input: QueryInput, levels: [AggregationLevel]) async throws -> (UsageAggregate, Int) {
        var aggregate = UsageAggregate(levels: levels)
        var pages = 0
        for try await page in client.query(input) {
            pages += 1
            for item in page.items { aggregate.add(item) }
        }
        return (aggregate, pages)
    }

    /// The attributes a report reads, both generations.
    static let projected = [
        "cost_usd", "costUSD", "total_tokens", "totalTokens", "input_tokens", "inputTokens", "output_tokens", "outputTokens",
        "api_calls", "apiCalls", "date", "hour", "timestamp", "service", "model", "operation",
    ]

    /// The range cut into at most `concurrency` contiguous segments of whole days, as even as
    /// possible, in order.
    public func segments(of query: UsageQuery) -> [(first: CivilDate, last: CivilDate)] {
        let firstDay = query.start.daysSinceEpoch
        let days = query.end.daysSinceEpoch - firstDay + 1
        let count = min(days, concurrency)
        var result: [(first: CivilDate, last: CivilDate)] = []
        var start = firstDay
        for index in 0..<count {
            let length = days / count + (index < days % count ? 1 : 0)
            result.append((CivilDate(daysSinceEpoch: start), CivilDate(daysSinceEpoch: start + length - 1)))
            start += length
        }
        return result
    }

    /// The Query for the days `first` through `last` of `query`.
    public func queryInput(_ query: UsageQuery, from first: CivilDate, to last: CivilDate) -> QueryInput {
        var names: [String: String] = [:]
        for name in Self.projected { names["#\(name)"] = name }
        var values: [String: AttributeValue] = [:]
        let index: String
        let keyCondition: String
        if let service = query.service {
            index = "GSI1"
            keyCondition = "GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to"
            values[":pk"] = .s(MetricItemCodec.serviceIndexKey(service: service))
            values[":from"] = .s(MetricItemCodec.serviceIndexSortKey(date: first.text))
            values[":to"] = .s(MetricItemCodec.serviceIndexSortKey(date: last.text))
        } else {
            index = "GSI2"
            keyCondition = "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to"
            values[":pk"] = .s(MetricItemCodec.costIndexPartition)
            values[":from"] = .s(MetricItemCodec.costIndexDayStart(date: first.text))
            values[":to"] = .s(MetricItemCodec.costIndexSortKey(date: last.text, service: "~"))
        }

        var conditions: [String] = []
        func filter(_ value: String?, _ placeholder: String, attributes: [String]) {
            guard let value else { return }
            values[placeholder] = .s(value)
            let clauses = attributes.map { attribute -> String in
                names["#\(attribute)"] = attribute
                return "#\(attribute) = \(placeholder)"
            }
            conditions.append(clauses.count == 1 ? clauses[0] : "(\(clauses.joined(separator: " OR ")))")
        }
        filter(query.operation, ":operation", attributes: ["operation"])
        filter(query.model, ":model", attributes: ["model"])
        filter(query.jobId, ":job", attributes: ["job_id", "jobId"])
        filter(query.batchId, ":batch", attributes: ["batch_id", "batchId"])
        filter(query.userId, ":user", attributes: ["user_id", "userId"])
        filter(query.environment, ":environment", attributes: ["environment"])

        return QueryInput(
            tableName: tableName,
            indexName: index,
            keyConditionExpression: keyCondition,
            filterExpression: conditions.isEmpty ? nil : conditions.joined(separator: " AND "),
            projectionExpression: Self.projected.map { "#\($0)" }.joined(separator: ", "),
            expressionAttributeNames: names,
            expressionAttributeValues: values,
            limit: pageLimit
        )
    }
}
