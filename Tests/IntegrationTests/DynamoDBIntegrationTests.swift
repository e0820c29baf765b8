import AIUsage
import DynamoDB
import Foundation
import SigV4
import Testing

/// The DynamoDB client against the real server `make test` starts (moto with signature checks on).
@Suite struct DynamoDBIntegrationTests {
    @Test func tableLifecycle() async throws {
        let client = try IntegrationEnvironment.client()
        let name = "it-lifecycle-\(UUID().uuidString.prefix(8).lowercased())"
        let first = try await client.createTableIfMissing(AIUsageTable.createTableInput(name: name))
        #expect(first.created)
        #expect(first.table.tableStatus == "ACTIVE")
        let again = try await client.createTableIfMissing(AIUsageTable.createTableInput(name: name))
        #expect(!again.created)

        let table = try await client.describeTable(name)
        #expect(table.tableName == name)
        #expect(table.keySchema == [KeySchemaElement("PK", .hash), KeySchemaElement("SK", .range)])
        #expect((table.globalSecondaryIndexes ?? []).map(\.indexName).sorted() == ["GSI1", "GSI2", "GSI3"])
        #expect(table.billingModeSummary?.billingMode == .payPerRequest)

        #expect(try await client.deleteTableAndWait(name))
        let missing = await #expect(throws: DynamoDBError.self) { try await client.describeTable(name) }
        #expect(missing?.code == "ResourceNotFoundException")
        #expect(missing?.attempts == 1)
        #expect(try await client.deleteTableAndWait(name) == false)
    }

    /// Three items over three days and two services; each index answers a BETWEEN exactly.
    @Test func putItemThenQueryEveryIndexWithBetween() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let rows: [(service: String, date: String, job: String)] = [
                ("openai", "2026-11-01", "job-a"), ("openai", "2026-11-02", "job-a"),
                ("anthropic", "2026-11-02", "job-b"), ("openai", "2026-11-03", "job-a"),
            ]
            for (index, row) in rows.enumerated() {
                let timestamp = "\(row.date)T12:00:00.000000+00:00"
                try await client.putItem(PutItemInput(tableName: table, item: [
                    "PK": .s("AI_USAGE#\(row.service)#model"), "SK": .s("USAGE#\(timestamp)#r\(index)"),
                    "GSI1PK": .s("AI_USAGE#\(row.service)"), "GSI1SK": .s("DATE#\(row.date)"),
                    "GSI2PK": .s("AI_USAGE_COST"), "GSI2SK": .s("COST#\(row.date)#\(row.service)"),
                    "GSI3PK": .s("JOB#\(row.job)"), "GSI3SK": .s("AI_USAGE#\(timestamp)"),
                    "cost_usd": .n("0.0125"), "request_id": .s("r\(index)"),
                ]))
            }
            func requestIds(_ input: QueryInput) async throws -> [String] {
                try await client.query(input).allItems().compactMap { $0["request_id"]?.string }.sorted()
            }
            #expect(try await requestIds(QueryInput(
                tableName: table,
                keyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
                expressionAttributeValues: [":pk": .s("AI_USAGE#openai#model"), ":from": .s("USAGE#2026-11-02"), ":to": .s("USAGE#2026-11-03~")]
            )) == ["r1", "r3"])
            #expect(try await requestIds(QueryInput(
                tableName: table, indexName: "GSI1",
                keyConditionExpression: "GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to",
                expressionAttributeValues: [":pk": .s("AI_USAGE#openai"), ":from": .s("DATE#2026-11-01"), ":to": .s("DATE#2026-11-02")]
            )) == ["r0", "r1"])
            #expect(try await requestIds(QueryInput(
                tableName: table, indexName: "GSI2",
                keyConditionExpression: "GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to",
                expressionAttributeValues: [":pk": .s("AI_USAGE_COST"), ":from": .s("COST#2026-11-02"), ":to": .s("COST#2026-11-02~")]
            )) == ["r1", "r2"])
            #expect(try await requestIds(QueryInput(
                tableName: table, indexName: "GSI3",
                keyConditionExpression: "GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to",
                expressionAttributeValues: [":pk": .s("JOB#job-a"), ":from": .s("AI_USAGE#2026-11-02"), ":to": .s("AI_USAGE#2026-11-04")]
            )) == ["r1", "r3"])
        }
    }

    @Test func pagingWithASmallLimitFollowsEveryPage() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let requests: [WriteRequest] = (0..<25).map { index in
                .put(["PK": .s("P"), "SK": .s(String(format: "S%02d", index)),
                      "GSI1PK": .s("G"), "GSI1SK": .s(String(format: "D%02d", index))])
            }
            #expect(await client.batchWriteItem(tableName: table, requests: requests).isComplete)
            for index in [nil, "GSI1"] as [String?] {
                let key = index == nil ? "PK" : "GSI1PK"
                var pageCounts: [Int] = []
                var keys: [String] = []
                for try await page in client.query(QueryInput(
                    tableName: table, indexName: index, keyConditionExpression: "\(key) = :p",
                    expressionAttributeValues: [":p": .s(index == nil ? "P" : "G")], limit: 10
                )) {
                    pageCounts.append(page.count)
                    keys += page.items.compactMap { $0["SK"]?.string }
                }
                #expect(Array(pageCounts.prefix(3)) == [10, 10, 5], "index \(index ?? "table")")
                #expect(pageCounts.dropFirst(3).allSatisfy { $0 == 0 })
                #expect(keys == (0..<25).map { String(format: "S%02d", $0) })
            }
            // Descending order, one page of everything.
            let descending = try await client.query(QueryInput(
                tableName: table, keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("P")], scanIndexForward: false
            )).allItems()
            #expect(descending.first?["SK"]?.string == "S24")
        }
    }

    /// DynamoDB stops each page at 1 MB: 15 items of 100 KB need more than one page.
    @Test func pagingPastOneMegabyte() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let blob = String(repeating: "x", count: 100_000)
            for index in 0..<15 {
                try await client.putItem(PutItemInput(tableName: table, item: ["PK": .s("BIG"), "SK": .s(String(format: "%02d", index)), "blob": .s(blob)]))
            }
            var pageCounts: [Int] = []
            for try await page in client.query(QueryInput(tableName: table, keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("BIG")])) {
                pageCounts.append(page.count)
            }
            #expect(pageCounts.count >= 2)
            #expect(pageCounts.first.map { $0 < 15 } == true)
            #expect(pageCounts.reduce(0, +) == 15)
        }
    }

    @Test func projectionWithAReservedWordThroughAttributeNames() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            try await client.putItem(PutItemInput(tableName: table, item: [
                "PK": .s("P"), "SK": .s("S"), "name": .s("gpt-4o"), "status": .s("ok"), "cost_usd": .n("0.0125"), "other": .s("not projected"),
            ]))
            let items = try await client.query(QueryInput(
                tableName: table, keyConditionExpression: "PK = :p",
                projectionExpression: "#n, #s, cost_usd",
                expressionAttributeNames: ["#n": "name", "#s": "status"],
                expressionAttributeValues: [":p": .s("P")]
            )).allItems()
            #expect(items == [["name": .s("gpt-4o"), "status": .s("ok"), "cost_usd": .n("0.0125")]])

            let bare = await #expect(throws: DynamoDBError.self) {
                try await client.queryPage(QueryInput(tableName: table, keyConditionExpression: "PK = :p", projectionExpression: "name", expressionAttributeValues: [":p": .s("P")]))
            }
            #expect(bare?.code == "ValidationException")
            #expect(bare?.attempts == 1)
        }
    }

    @Test func batchWriteOfSixtyItems() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let requests: [WriteRequest] = (0..<60).map { .put(["PK": .s("B"), "SK": .s(String(format: "%03d", $0)), "n": .number($0)]) }
            let result = await client.batchWriteItem(tableName: table, requests: requests)
            #expect(result.written == 60)
            #expect(result.isComplete)
            #expect(result.errors.isEmpty)
            let items = try await client.query(QueryInput(tableName: table, keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("B")])).allItems()
            #expect(items.count == 60)
            #expect(items.compactMap { $0["n"]?.numberText } == (0..<60).map(String.init))
        }
    }

    @Test func thirtyEightDigitNumbersSurviveTheServer() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let big = "12345678901234567890123456789012345678"
            let small = "0.00000000000000000000000000000000000001"
            try await client.putItem(PutItemInput(tableName: table, item: ["PK": .s("N"), "SK": .s("N"), "big": .n(big), "small": .n(small), "set": .ns(["1", "2.5"])]))
            let item = try await client.query(QueryInput(tableName: table, keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("N")])).allItems().first
            #expect(item?["big"] == .n(big))
            #expect(item?["small"] == .n(small))
            #expect(item?["set"].map { if case .ns(let values) = $0 { Set(values) == ["1", "2.5"] } else { false } } == true)
        }
    }

    @Test(.enabled(if: IntegrationEnvironment.verifiesSignatures, "needs a server that verifies signatures (moto)"))
    func wrongSecretIsAClearSignatureErrorAndNotRetried() async throws {
        let client = try IntegrationEnvironment.client(["AWS_SECRET_ACCESS_KEY": "definitely-not-the-secret"])
        let started = ContinuousClock.now
        let error = await #expect(throws: DynamoDBError.self) { try await client.describeTable("anything") }
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.isAuthenticationFailure == true)
        #expect(error?.attempts == 1)
        #expect(error?.httpStatus == 403)
        #expect(ContinuousClock.now - started < .seconds(30))  // one attempt, never a retry loop
        #expect(error.map { !$0.description.contains("definitely-not-the-secret") } == true)
    }

    @Test(.enabled(if: IntegrationEnvironment.verifiesSignatures, "needs moto's assumed-role session credentials"))
    func sessionTokenIsSignedAndAccepted() async throws {
        let environment = IntegrationEnvironment.environment
        let session = try #require(environment["AI_USAGE_TEST_SESSION_TOKEN"], "moto_setup.py exports session credentials")
        let client = try IntegrationEnvironment.client([
            "AWS_ACCESS_KEY_ID": try #require(environment["AI_USAGE_TEST_SESSION_ACCESS_KEY_ID"]),
            "AWS_SECRET_ACCESS_KEY": try #require(environment["AI_USAGE_TEST_SESSION_SECRET_ACCESS_KEY"]),
            "AWS_SESSION_TOKEN": session,
        ])
        #expect(client.configuration.credentials.sessionToken == session)
        try await IntegrationEnvironment.withTable(client) { table in
            try await client.putItem(PutItemInput(tableName: table, item: ["PK": .s("T"), "SK": .s("T")]))
            let items = try await client.query(QueryInput(tableName: table, keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("T")])).allItems()
            #expect(items.count == 1)
        }
        // The same key without its token no longer signs for that identity.
        let tokenless = try IntegrationEnvironment.client([
            "AWS_ACCESS_KEY_ID": try #require(environment["AI_USAGE_TEST_SESSION_ACCESS_KEY_ID"]),
            "AWS_SECRET_ACCESS_KEY": try #require(environment["AI_USAGE_TEST_SESSION_SECRET_ACCESS_KEY"]),
        ])
        let error = await #expect(throws: DynamoDBError.self) { try await tokenless.describeTable("anything") }
        #expect(error?.isAuthenticationFailure == true)
    }
}
