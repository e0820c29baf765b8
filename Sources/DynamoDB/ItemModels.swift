/// Shapes for PutItem, BatchWriteItem and Query.

public struct PutItemInput: Encodable, Sendable {
    public var tableName: String
    public var item: Item
    public var conditionExpression: String?
    public var expressionAttributeNames: [String: String]?
    public var expressionAttributeValues: [String: AttributeValue]?

    public init(
        tableName: String,
        item: Item,
        conditionExpression: String? = nil,
        expressionAttributeNames: [String: String]? = nil,
        expressionAttributeValues: [String: AttributeValue]? = nil
    ) {
        self.tableName = tableName
        self.item = item
        self.conditionExpression = conditionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
    }
    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", item = "Item", conditionExpression = "ConditionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames", expressionAttributeValues = "ExpressionAttributeValues"
    }
}

/// One entry of a BatchWriteItem: put an item or delete a key.
public enum WriteRequest: Codable, Sendable, Hashable {
    case put(Item)
    case delete(key: Item)

    private enum CodingKeys: String, CodingKey { case putRequest = "PutRequest", deleteRequest = "DeleteRequest" }
    private enum PutKeys: String, CodingKey { case item = "Item" }
    private enum DeleteKeys: String, CodingKey { case key = "Key" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.putRequest) {
            let put = try container.nestedContainer(keyedBy: PutKeys.self, forKey: .putRequest)
            self = .put(try put.decode(Item.self, forKey: .item))
        } else {
            let delete = try container.nestedContainer(keyedBy: DeleteKeys.self, forKey: .deleteRequest)
            self = .delete(key: try delete.decode(Item.self, forKey: .key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .put(let item):
            var put = container.nestedContainer(keyedBy: PutKeys.self, forKey: .putRequest)
            try put.encode(item, forKey: .item)
        case .delete(let key):
            var delete = container.nestedContainer(keyedBy: DeleteKeys.self, forKey: .deleteRequest)
            try delete.encode(key, forKey: .key)
        }
    }
}

struct BatchWriteItemInput: Encodable {
    var requestItems: [String: [WriteRequest]]
    enum CodingKeys: String, CodingKey { case requestItems = "RequestItems" }
}

struct BatchWriteItemOutput: Decodable {
    var unprocessedItems: [String: [WriteRequest]]?
    enum CodingKeys: String, CodingKey { case unprocessedItems = "UnprocessedItems" }
}

/// What `batchWriteItem` did. `unprocessed` holds every request DynamoDB still had not
/// written when the rounds ran out, and every request of a chunk that failed outright;
/// nothing is ever dropped silently.
public struct BatchWriteResult: Sendable {
    public var written: Int
    public var unprocessed: [WriteRequest]
    /// Errors of chunks that failed outright (their requests are in `unprocessed`).
    public var errors: [DynamoDBError]
    public var isComplete: Bool { unprocessed.isEmpty }
}

public struct QueryInput: Encodable, Sendable {
    public var tableName: String
    public var indexName: String?
    public var keyConditionExpression: String
    public var filterExpression: String?
    public var projectionExpression: String?
    public var expressionAttributeNames: [String: String]?
    public var expressionAttributeValues: [String: AttributeValue]?
    /// The most items DynamoDB evaluates per page (before filtering).
    public var limit: Int?
    /// `false` walks the sort key in descending order.
    public var scanIndexForward: Bool?
    public var exclusiveStartKey: Item?
    public var consistentRead: Bool?

    public init(
        tableName: String,
        indexName: String? = nil,
        keyConditionExpression: String,
        filterExpression: String? = nil,
        projectionExpression: String? = nil,
        expressionAttributeNames: [String: String]? = nil,
        expressionAttributeValues: [String: AttributeValue]? = nil,
        limit: Int? = nil,
        scanIndexForward: Bool? = nil,
        exclusiveStartKey: Item? = nil,
        consistentRead: Bool? = nil
    ) {
        self.tableName = tableName
        self.indexName = indexName
        self.keyConditionExpression = keyConditionExpression
        self.filterExpression = filterExpression
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.limit = limit
        self.scanIndexForward = scanIndexForward
        self.exclusiveStartKey = exclusiveStartKey
        self.consistentRead = consistentRead
    }
    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", indexName = "IndexName", keyConditionExpression = "KeyConditionExpression"
        case filterExpression = "FilterExpression", projectionExpression = "ProjectionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames", expressionAttributeValues = "ExpressionAttributeValues"
        case limit = "Limit", scanIndexForward = "ScanIndexForward", exclusiveStartKey = "ExclusiveStartKey"
        case consistentRead = "ConsistentRead"
    }
}

/// One page of a Query.
public struct QueryPage: Decodable, Sendable {
    public var items: [Item]
    public var count: Int
    public var scannedCount: Int
    /// Opaque: send it back as `ExclusiveStartKey`; absent on the last page.
    public var lastEvaluatedKey: Item?

    enum CodingKeys: String, CodingKey {
        case items = "Items", count = "Count", scannedCount = "ScannedCount", lastEvaluatedKey = "LastEvaluatedKey"
    }

    public init(items: [Item], count: Int, scannedCount: Int, lastEvaluatedKey: Item?) {
        self.items = items
        self.count = count
        self.scannedCount = scannedCount
        self.lastEvaluatedKey = lastEvaluatedKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? items.count
        scannedCount = try container.decodeIfPresent(Int.self, forKey: .scannedCount) ?? count
        lastEvaluatedKey = try container.decodeIfPresent(Item.self, forKey: .lastEvaluatedKey)
    }
}

struct EmptyOutput: Decodable {}
