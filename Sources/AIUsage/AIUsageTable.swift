import DynamoDB

/// The single DynamoDB table the AI-usage system uses, as the original (Python) system laid it out:
/// string keys `PK`/`SK` and three global secondary indexes, all projecting every attribute,
/// billed on demand.
///
/// | index | partition key | sort key | serves |
/// |---|---|---|---|
/// | table | `PK` = `AI_USAGE#{service}#{model}` | `SK` = `USAGE#{timestamp}#{request_id}` | one model |
/// | GSI1 | `GSI1PK` = `AI_USAGE#{service}` | `GSI1SK` = `DATE#{date}` | one service by date |
/// | GSI2 | `GSI2PK` = `AI_USAGE_COST` | `GSI2SK` = `COST#{date}#{service}` | every service by date |
/// | GSI3 | `GSI3PK` = `JOB#…`/`USER#…`/`BATCH#…`/`ENV#…` | `GSI3SK` = `AI_USAGE#{timestamp}` | one scope |
public enum AIUsageTable {
    public static let indexNames = ["GSI1", "GSI2", "GSI3"]

    /// The CreateTable request for a table named `name`.
    public static func createTableInput(name: String) -> CreateTableInput {
        let keyNames = ["PK", "SK"] + indexNames.flatMap { ["\($0)PK", "\($0)SK"] }
        return CreateTableInput(
            tableName: name,
            attributeDefinitions: keyNames.map { AttributeDefinition($0, .string) },
            keySchema: [KeySchemaElement("PK", .hash), KeySchemaElement("SK", .range)],
            globalSecondaryIndexes: indexNames.map { index in
                GlobalSecondaryIndex(
                    indexName: index,
                    keySchema: [KeySchemaElement("\(index)PK", .hash), KeySchemaElement("\(index)SK", .range)],
                    projection: .all
                )
            },
            billingMode: .payPerRequest
        )
    }
}
