import AIUsage
import DynamoDB
import Foundation
import SigV4
import Testing

/// The DynamoDB-compatible server `make test` started (scripts/with-local-dynamodb), read from
/// the environment. Without it these tests fail with a message saying how to run them.
enum IntegrationEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    /// `moto`, `dynamodb-local` or `external`, as the wrapper script exports it.
    static var server: String? { environment["AI_USAGE_TEST_SERVER"] }

    /// Whether the server verifies SigV4 signatures (moto with auth on does; DynamoDB Local does not).
    static var verifiesSignatures: Bool { server == "moto" }

    static func configuration(_ changes: [String: String] = [:]) throws -> DynamoDBConfiguration {
        guard environment["AWS_ENDPOINT_URL_DYNAMODB"] != nil else {
            Issue.record("AWS_ENDPOINT_URL_DYNAMODB is not set: run the integration tests with `make test`, which starts a local DynamoDB-compatible server")
            throw IntegrationError.noServer
        }
        return try DynamoDBConfiguration.fromEnvironment(environment.merging(changes) { $1 })
    }

    static func client(_ changes: [String: String] = [:]) throws -> DynamoDBClient {
        DynamoDBClient(configuration: try configuration(changes))
    }

    /// Every metric item in `table` (GSI2 holds them all in one partition when unsharded).
    static func metricItems(_ client: DynamoDBClient, _ table: String) async throws -> [Item] {
        try await client.query(QueryInput(
            tableName: table, indexName: "GSI2", keyConditionExpression: "GSI2PK = :p",
            expressionAttributeValues: [":p": .s(MetricItemCodec.costIndexPartition)]
        )).allItems()
    }

    /// A table of the project's layout, unique to one test; deleted when `body` ends.
    static func withTable<T>(
        _ client: DynamoDBClient,
        _ body: (String) async throws -> T
    ) async throws -> T {
        let name = "it-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await client.createTableIfMissing(AIUsageTable.createTableInput(name: name), timeout: .seconds(60))
        do {
            let result = try await body(name)
            try await client.deleteTableAndWait(name, timeout: .seconds(60))
            return result
        } catch {
            _ = try? await client.deleteTableAndWait(name, timeout: .seconds(60))
            throw error
        }
    }
}

enum IntegrationError: Error { case noServer }
