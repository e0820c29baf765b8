/// Shapes for CreateTable, DescribeTable and DeleteTable (only the fields this project uses).

public enum ScalarAttributeType: String, Codable, Sendable {
    case string = "S", number = "N", binary = "B"
}

public struct AttributeDefinition: Codable, Sendable, Hashable {
    public var attributeName: String
    public var attributeType: ScalarAttributeType
    public init(_ name: String, _ type: ScalarAttributeType) {
        attributeName = name
        attributeType = type
    }
    enum CodingKeys: String, CodingKey {
        case attributeName = "AttributeName", attributeType = "AttributeType"
    }
}

public struct KeySchemaElement: Codable, Sendable, Hashable {
    public enum KeyType: String, Codable, Sendable { case hash = "HASH", range = "RANGE" }
    public var attributeName: String
    public var keyType: KeyType
    public init(_ name: String, _ keyType: KeyType) {
        attributeName = name
        self.keyType = keyType
    }
    enum CodingKeys: String, CodingKey {
        case attributeName = "AttributeName", keyType = "KeyType"
    }
}

public struct Projection: Codable, Sendable, Hashable {
    public var projectionType: String
    public var nonKeyAttributes: [String]?
    public static let all = Projection(projectionType: "ALL", nonKeyAttributes: nil)
    enum CodingKeys: String, CodingKey {
        case projectionType = "ProjectionType", nonKeyAttributes = "NonKeyAttributes"
    }
}

public struct GlobalSecondaryIndex: Codable, Sendable, Hashable {
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
    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName", keySchema = "KeySchema", projection = "Projection", indexStatus = "IndexStatus"
    }
}

public enum BillingMode: String, Codable, Sendable {
    case payPerRequest = "PAY_PER_REQUEST", provisioned = "PROVISIONED"
}

public struct CreateTableInput: Encodable, Sendable {
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
    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", attributeDefinitions = "AttributeDefinitions", keySchema = "KeySchema"
        case globalSecondaryIndexes = "GlobalSecondaryIndexes", billingMode = "BillingMode"
    }
}

public struct TableDescription: Decodable, Sendable {
    public struct BillingModeSummary: Decodable, Sendable {
        public var billingMode: BillingMode?
        enum CodingKeys: String, CodingKey { case billingMode = "BillingMode" }
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

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", tableStatus = "TableStatus", tableArn = "TableArn", itemCount = "ItemCount"
        case tableSizeBytes = "TableSizeBytes", keySchema = "KeySchema", attributeDefinitions = "AttributeDefinitions"
        case globalSecondaryIndexes = "GlobalSecondaryIndexes", billingModeSummary = "BillingModeSummary"
    }
}

struct TableNameInput: Encodable {
    var tableName: String
    enum CodingKeys: String, CodingKey { case tableName = "TableName" }
}

struct TableDescriptionOutput: Decodable {
    var tableDescription: TableDescription?
    var table: TableDescription?
    enum CodingKeys: String, CodingKey { case tableDescription = "TableDescription", table = "Table" }
}
