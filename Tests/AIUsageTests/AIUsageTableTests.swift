import AIUsage
import DynamoDB
import Foundation
import Testing

@Suite struct AIUsageTableTests {
    /// The CreateTable request on the wire: the original system's keys and indexes, nothing else.
    @Test func createTableInputMatchesTheOriginalLayout() throws {
        let input = AIUsageTable.createTableInput(name: "AIUsageMetrics")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(input)) as? [String: Any]
        #expect(json?["TableName"] as? String == "AIUsageMetrics")
        #expect(json?["BillingMode"] as? String == "PAY_PER_REQUEST")
        let definitions = (json?["AttributeDefinitions"] as? [[String: String]]) ?? []
        #expect(definitions.map { $0["AttributeName"] ?? "" } == ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"])
        #expect(definitions.allSatisfy { $0["AttributeType"] == "S" })
        #expect(input.keySchema == [KeySchemaElement("PK", .hash), KeySchemaElement("SK", .range)])
        let indexes = input.globalSecondaryIndexes ?? []
        #expect(indexes.map(\.indexName) == ["GSI1", "GSI2", "GSI3"])
        for index in indexes {
            #expect(index.keySchema == [KeySchemaElement("\(index.indexName)PK", .hash), KeySchemaElement("\(index.indexName)SK", .range)])
            #expect(index.projection == .all)
        }
    }
}
