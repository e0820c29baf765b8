/// Shapes for PutItem, BatchWriteItem and Query.

public struct PutItemInput: Sendable {
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
}

/// One entry of a BatchWriteItem: put an item or delete a key.
public enum WriteRequest: Sendable, Hashable {
    case put(Item)
    case delete(key: Item)
}

struct BatchWriteItemInput {
    var requestItems: [String: [WriteRequest]]
}

struct BatchWriteItemOutput {
    var unprocessedItems: [String: [WriteRequest]]?
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

public struct QueryInput: Sendable {
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
}

/// One page of a Query.
public struct QueryPage: Sendable {
    public var items: [Item]
    public var count: Int
    public var scannedCount: Int
    /// Opaque: send it back as `ExclusiveStartKey`; absent on the last page.
    public var lastEvaluatedKey: Item?

    public init(items: [Item], count: Int, scannedCount: Int, lastEvaluatedKey: Item?) {
        self.items = items
        self.count = count
        self.scannedCount = scannedCount
        self.lastEvaluatedKey = lastEvaluatedKey
    }
}

/// The answer of an operation whose output this client does not read (PutItem).
struct EmptyOutput {}
