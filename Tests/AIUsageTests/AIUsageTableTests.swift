import AIUsage
@testable import DynamoDB
import Testing

@Suite struct AIUsageTableTests {
    /// The CreateTable request on the wire: the original system's keys and indexes, nothing else.
    @Test func createTableInputMatchesTheOriginalLayout() throws {
        let input = AIUsageTable.createTableInput(name: "AIUsageMetrics")
        let json = try JSONValue.parse(input.wire.serializedBytes())
        #expect(json.objectMembers?.map(\.key) == ["AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes", "KeySchema", "TableName"])
        #expect(json["TableName"] == "AIUsageMetrics")
        #expect(json["BillingMode"] == "PAY_PER_REQUEST")
        let definitions = json["AttributeDefinitions"]?.arrayValue ?? []
        #expect(definitions.map { $0["AttributeName"]?.stringValue ?? "" } == ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"])
        #expect(definitions.allSatisfy { $0["AttributeType"] == "S" })
        #expect(json["KeySchema"] == [["AttributeName": "PK", "KeyType": "HASH"], ["AttributeName": "SK", "KeyType": "RANGE"]])
        let wireIndexes = json["GlobalSecondaryIndexes"]?.arrayValue ?? []
        #expect(wireIndexes.map { $0["IndexName"]?.stringValue } == ["GSI1", "GSI2", "GSI3"])
        #expect(wireIndexes.allSatisfy { $0["Projection"] == ["ProjectionType": "ALL"] && $0["IndexStatus"] == nil })
        #expect(input.keySchema == [KeySchemaElement("PK", .hash), KeySchemaElement("SK", .range)])
        let indexes = input.globalSecondaryIndexes ?? []
        #expect(indexes.map(\.indexName) == ["GSI1", "GSI2", "GSI3"])
        for index in indexes {
            #expect(index.keySchema == [KeySchemaElement("\(index.indexName)PK", .hash), KeySchemaElement("\(index.indexName)SK", .range)])
            #expect(index.projection == .all)
        }
    }
}
