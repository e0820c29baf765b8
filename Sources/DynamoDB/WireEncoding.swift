import ExactJSON
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// A request shape as the JSON 1.0 body DynamoDB reads, written with `JSONValue`.
///
/// Members whose value is `nil` are left out. Every object's members come in byte order of
/// their names (DynamoDB ignores the order; sorting makes the bytes deterministic).
protocol WireEncodable {
    var wire: JSONValue { get }
}

extension AttributeValue {
    /// The one-key wire object: `{"S": "…"}`, `{"N": "<exact text>"}` (a JSON string), `{"B": "<base64>"}`,
    /// `{"BOOL": true}`, `{"NULL": true}`, `{"M": {…}}`, `{"L": […]}`, `{"SS"|"NS"|"BS": […]}`.
    public var wire: JSONValue {
        switch self {
        case .s(let text): ["S": .string(text)]
        case .n(let text): ["N": .string(text)]
        case .b(let bytes): ["B": .string(Data(bytes).base64EncodedString())]
        case .bool(let flag): ["BOOL": .bool(flag)]
        case .null: ["NULL": true]
        case .m(let map): ["M": map.wire]
        case .l(let list): ["L": .array(list.map(\.wire))]
        case .ss(let texts): ["SS": .wireStrings(texts)]
        case .ns(let texts): ["NS": .wireStrings(texts)]
        case .bs(let values): ["BS": .array(values.map { .string(Data($0).base64EncodedString()) })]
        }
    }
}

extension Dictionary where Key == String, Value == AttributeValue {
    /// The item as a wire object (`{"PK": {"S": "…"}, …}`), attribute names in byte order.
    public var wire: JSONValue { .wireObject(self) { $0.wire } }
}

extension JSONValue {
    /// An object from key-value pairs in the order given, leaving out the `nil` values.
    static func wireObject(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(pairs.compactMap { pair in pair.value.map { Member(key: pair.key, value: $0) } })
    }

    /// An object from a dictionary, keys in byte order (UTF-8), so the output is deterministic.
    static func wireObject<Value>(_ dictionary: [String: Value], _ value: (Value) -> JSONValue) -> JSONValue {
        .object(
            dictionary
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { Member(key: $0.key, value: value($0.value)) }
        )
    }

    /// An array of strings.
    static func wireStrings(_ texts: [String]) -> JSONValue {
        .array(texts.map(JSONValue.string))
    }
}

// MARK: - Request shapes

extension PutItemInput: WireEncodable {
    var wire: JSONValue {
        .wireObject([
            "ConditionExpression": conditionExpression.map(JSONValue.string),
            "ExpressionAttributeNames": expressionAttributeNames.map { .wireObject($0, JSONValue.string) },
            "ExpressionAttributeValues": expressionAttributeValues?.wire,
            "Item": item.wire,
            "TableName": .string(tableName),
        ])
    }
}

extension WriteRequest {
    /// `{"PutRequest": {"Item": …}}` or `{"DeleteRequest": {"Key": …}}`.
    var wire: JSONValue {
        switch self {
        case .put(let item): ["PutRequest": ["Item": item.wire]]
        case .delete(let key): ["DeleteRequest": ["Key": key.wire]]
        }
    }
}

extension BatchWriteItemInput: WireEncodable {
    var wire: JSONValue {
        ["RequestItems": .wireObject(requestItems) { .array($0.map(\.wire)) }]
    }
}

extension QueryInput: WireEncodable {
    var wire: JSONValue {
        .wireObject([
            "ConsistentRead": consistentRead.map(JSONValue.bool),
            "ExclusiveStartKey": exclusiveStartKey?.wire,
            "ExpressionAttributeNames": expressionAttributeNames.map { .wireObject($0, JSONValue.string) },
            "ExpressionAttributeValues": expressionAttributeValues?.wire,
            "FilterExpression": filterExpression.map(JSONValue.string),
            "IndexName": indexName.map(JSONValue.string),
            "KeyConditionExpression": .string(keyConditionExpression),
            "Limit": limit.map { .number($0) },
            "ProjectionExpression": projectionExpression.map(JSONValue.string),
            "ScanIndexForward": scanIndexForward.map(JSONValue.bool),
            "TableName": .string(tableName),
        ])
    }
}

extension TableNameInput: WireEncodable {
    var wire: JSONValue { ["TableName": .string(tableName)] }
}

extension CreateTableInput: WireEncodable {
    var wire: JSONValue {
        .wireObject([
            "AttributeDefinitions": .array(attributeDefinitions.map(\.wire)),
            "BillingMode": .string(billingMode.rawValue),
            "GlobalSecondaryIndexes": globalSecondaryIndexes.map { .array($0.map(\.wire)) },
            "KeySchema": .array(keySchema.map(\.wire)),
            "TableName": .string(tableName),
        ])
    }
}

extension AttributeDefinition {
    var wire: JSONValue {
        ["AttributeName": .string(attributeName), "AttributeType": .string(attributeType.rawValue)]
    }
}

extension KeySchemaElement {
    var wire: JSONValue {
        ["AttributeName": .string(attributeName), "KeyType": .string(keyType.rawValue)]
    }
}

extension Projection {
    var wire: JSONValue {
        .wireObject([
            "NonKeyAttributes": nonKeyAttributes.map(JSONValue.wireStrings),
            "ProjectionType": .string(projectionType),
        ])
    }
}

extension GlobalSecondaryIndex {
    var wire: JSONValue {
        .wireObject([
            "IndexName": .string(indexName),
            "IndexStatus": indexStatus.map(JSONValue.string),
            "KeySchema": .array(keySchema.map(\.wire)),
            "Projection": projection.wire,
        ])
    }
}
