import AIUsage
import DynamoDB

/// The usage table as a `UsageSource`: Queries on GSI1 (a service), GSI3 (a job's own
/// partition) or GSI2 (every service), over the original partition and every shard's of GSI1
/// and GSI2, and on the rollup partition.
///
/// - Only the attributes a report reads are projected (both generations); the query's filters
///   are a server-side `FilterExpression` that matches either generation.
/// - Every page is reserved in `budget` before its Query is sent and released once folded.
public struct DynamoDBUsageSource: UsageSource {
    public let client: DynamoDBClient
    public let tableName: String
    public let sharding: IndexSharding
    /// Items per page (`Limit`); `nil` lets DynamoDB fill each page up to 1 MB.
    public let pageLimit: Int?
    /// The bytes of pages in flight, shared by every read through this source.
    public let budget: ByteBudget

    /// What one page is assumed to take until it has arrived: DynamoDB's 1 MB of items, plus
    /// the JSON around them.
    public static let pageReservation = 1_200_000
    /// The default budget: 4 pages in flight.
    public static let defaultBudget = 4 * pageReservation

    public init(
        client: DynamoDBClient, tableName: String, sharding: IndexSharding = .single, pageLimit: Int? = nil,
        budget: ByteBudget = ByteBudget(limit: DynamoDBUsageSource.defaultBudget)
    ) {
        self.client = client
        self.tableName = tableName
        self.sharding = sharding
        self.pageLimit = pageLimit
        self.budget = budget
    }

    public func rawPartitions(for query: UsageQuery) -> [String] {
        switch query.rawIndex {
        case .service: sharding.servicePartitionsToRead(service: query.service ?? "")
        case .job: [ScopeIndex.jobPartition(query.jobId ?? "")]
        case .cost: sharding.costPartitionsToRead
        }
    }

    public func readRaw(
        _ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try await read(rawQuery(query, partition: partition, from: first, to: last), item: item)
    }

    public func readRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try await read(rollupQuery(from: RollupKeys.dayPrefix(first.text), to: RollupKeys.dayEnd(last.text)), item: item)
    }

    public func readFineRollups(
        from first: CivilDate, to last: CivilDate,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try await read(rollupQuery(from: RollupKeys.finePrefix(first.text), to: RollupKeys.fineEnd(last.text)), item: item)
    }

    /// The rollup partition's sort keys `low` … `high`.
    private func rollupQuery(from low: String, to high: String) -> QueryInput {
        QueryInput(
            tableName: tableName,
            keyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
            expressionAttributeValues: [":pk": .s(RollupKeys.partition), ":from": .s(low), ":to": .s(high)],
            limit: pageLimit
        )
    }

    public func readDay(
        _ day: CivilDate, partition: String,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> ReadCount {
        try await read(compactionQuery(partition: partition, day: day), item: item)
    }

    public func write(_ requests: [WriteRequest]) async throws(DynamoDBError) {
        let result = await client.batchWriteItem(tableName: tableName, requests: requests)
        if let error = result.errors.first { throw error }
        guard result.isComplete else {
            throw DynamoDBError(
                kind: .service, code: "UnprocessedItems",
                message: "\(result.unprocessed.count) of \(requests.count) writes were still unprocessed after \(client.configuration.maxBatchWriteRounds) rounds",
                operation: "BatchWriteItem"
            )
        }
    }

    /// Every page of `input`, each reserved in the budget while it is read.
    private func read(_ input: QueryInput, item: (inout WireItem) throws(WireDecodingError) -> Void) async throws(DynamoDBError) -> ReadCount {
        var input = input
        var count = ReadCount(queries: 1)
        while true {
            await budget.reserve(Self.pageReservation)
            var received = 0
            let summary: QueryPageSummary
            do {
                summary = try await client.queryPage(input, received: { received = $0 }, item: item)
            } catch {
                budget.release(Self.pageReservation)
                throw error
            }
            budget.release(Self.pageReservation)
            count.pages += 1
            count.items += summary.itemsRead
            count.bytes += received
            guard let next = summary.lastEvaluatedKey else { return count }
            input.exclusiveStartKey = next
        }
    }

    /// The Query for one partition's days `first` … `last`: on GSI1 for a service, on GSI3 for
    /// a job without a service (its own partition; the job filter stays, so the answer is the
    /// GSI2 path's), else on GSI2.
    public func rawQuery(_ query: UsageQuery, partition: String, from first: CivilDate, to last: CivilDate) -> QueryInput {
        let projection = query.rawProjection
        var names: [String: String] = [:]
        for name in projection { names["#\(name)"] = name }
        var values: [String: AttributeValue] = [":pk": .s(partition)]
        let index: String
        let keyCondition: String
        switch query.rawIndex {
        case .service:
            index = "GSI1"
            keyCondition = "GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to"
            values[":from"] = .s(MetricItemCodec.serviceIndexSortKey(date: first.text))
            values[":to"] = .s(MetricItemCodec.serviceIndexSortKey(date: last.text))
        case .job:
            index = ScopeIndex.name
            keyCondition = "GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to"
            values[":from"] = .s(ScopeIndex.sortKeyStart(first))
            values[":to"] = .s(ScopeIndex.sortKeyEnd(last))
        case .cost:
            index = "GSI2"
            keyCondition = "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to"
            values[":from"] = .s(MetricItemCodec.costIndexDayStart(date: first.text))
            values[":to"] = .s(MetricItemCodec.costIndexSortKey(date: last.text, service: "~"))
        }
        var conditions: [String] = []
        for filter in query.serverFilters {
            if filter.bindsValue { values[filter.placeholder] = .s(filter.value) }
            let clauses = filter.attributes.map { attribute -> String in
                names["#\(attribute)"] = attribute
                return filter.clause("#\(attribute)")
            }
            conditions.append(clauses.count == 1 ? clauses[0] : "(\(clauses.joined(separator: " OR ")))")
        }
        return QueryInput(
            tableName: tableName,
            indexName: index,
            keyConditionExpression: keyCondition,
            filterExpression: conditions.isEmpty ? nil : conditions.joined(separator: " AND "),
            projectionExpression: projection.map { "#\($0)" }.joined(separator: ", "),
            expressionAttributeNames: names,
            expressionAttributeValues: values,
            limit: pageLimit
        )
    }

    /// The Query compaction reads a day with: every GSI2 partition's items of that day, with
    /// the attributes rollups group by.
    public func compactionQuery(partition: String, day: CivilDate) -> QueryInput {
        var input = rawQuery(UsageQuery(start: day, end: day), partition: partition, from: day, to: day)
        for name in ReportFields.rollupNames { input.expressionAttributeNames?["#\(name)"] = name }
        input.projectionExpression = (ReportFields.names + ReportFields.rollupNames).map { "#\($0)" }.joined(separator: ", ")
        return input
    }
}
