/// Shapes for CreateTable, DescribeTable and DeleteTable (only the fields this project uses).

public enum ScalarAttributeType: String, Sendable {
    case string = "S", number = "N", binary = "B"
}

public struct AttributeDefinition: Sendable, Hashable {
    public var attributeName: String
    public var attributeType: ScalarAttributeType
    public init(_ name: String, _ type: ScalarAttributeType) {
        attributeName = name
        attributeType = type
    }
}

public struct KeySchemaElement: Sendable, Hashable {
    public enum KeyType: String, Sendable { case hash = "HASH", range = "RANGE" }
    public var attributeName: String
    public var keyType: KeyType
    public init(_ name: String, _ keyType: KeyType) {
        attributeName = name
        self.keyType = keyType
    }
}

public struct Projection: Sendable, Hashable {
    public var projectionType: String
    public var nonKeyAttributes: [String]?
    public static let all = Projection(projectionType: "ALL", nonKeyAttributes: nil)
}

public struct GlobalSecondaryIndex: Sendable, Hashable {
    public var indexName: String
    public var keySchema: [KeySchemaElement]
    public var projection: Projection
    /// Present in descriptions: `CREATING`, `ACTIVE`, …
    public var indexStatus: String?

    public init(indexName: String, keySchema: [KeySchemaElement], projection: Projection = .all) {
        self.indexName = indexName
        self.keySchema = keySchema
        self.projection = projection
    }
}

public enum BillingMode: String, Sendable {
    case payPerRequest = "PAY_PER_REQUEST", provisioned = "PROVISIONED"
}

public struct CreateTableInput: Sendable {
    public var tableName: String
    public var attributeDefinitions: [AttributeDefinition]
    public var keySchema: [KeySchemaElement]
    public var globalSecondaryIndexes: [GlobalSecondaryIndex]?
    public var billingMode: BillingMode

    public init(
        tableName: String,
        attributeDefinitions: [AttributeDefinition],
        keySchema: [KeySchemaElement],
        globalSecondaryIndexes: [GlobalSecondaryIndex]? = nil,
        billingMode: BillingMode = .payPerRequest
    ) {
        self.tableName = tableName
        self.attributeDefinitions = attributeDefinitions
        self.keySchema = keySchema
        self.globalSecondaryIndexes = globalSecondaryIndexes
        self.billingMode = billingMode
    }
}

public struct TableDescription: Sendable {
    public struct BillingModeSummary: Sendable {
        public var billingMode: BillingMode?
    }

    public var tableName: String
    /// `CREATING`, `ACTIVE`, `DELETING` or `UPDATING`.
    public var tableStatus: String?
    public var tableArn: String?
    public var itemCount: Int?
    public var tableSizeBytes: Int?
    public var keySchema: [KeySchemaElement]?
    public var attributeDefinitions: [AttributeDefinition]?
    public var globalSecondaryIndexes: [GlobalSecondaryIndex]?
    public var billingModeSummary: BillingModeSummary?
}

struct TableNameInput {
    var tableName: String
}

struct TableDescriptionOutput {
    var tableDescription: TableDescription?
    var table: TableDescription?
}
