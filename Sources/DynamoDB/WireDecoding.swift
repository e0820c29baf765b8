import ExactJSON
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// Decoding DynamoDB's wire JSON straight from `JSONValue`: the parser keeps numbers as exact
/// text and never touches binary floating point.
extension AttributeValue {
    /// The value a one-key wire object (`{"S": "…"}`, `{"N": "…"}`, `{"M": {…}}`, …) holds.
    public init(wire json: JSONValue) throws(WireDecodingError) {
        guard case .object(let members) = json, members.count == 1, let member = members.first else {
            throw WireDecodingError("an AttributeValue has exactly one type key, found \(json.objectMembers.map { $0.map(\.key) } ?? [])")
        }
        let value = member.value
        func text() throws(WireDecodingError) -> String {
            guard case .string(let text) = value else { throw WireDecodingError("\(member.key) must hold a string") }
            return text
        }
        func texts() throws(WireDecodingError) -> [String] {
            guard case .array(let elements) = value else { throw WireDecodingError("\(member.key) must hold an array") }
            var result: [String] = []
            result.reserveCapacity(elements.count)
            for element in elements {
                guard case .string(let text) = element else { throw WireDecodingError("\(member.key) must hold strings") }
                result.append(text)
            }
            return result
        }
        func bytes(_ text: String) throws(WireDecodingError) -> [UInt8] {
            guard let data = Data(base64Encoded: text) else { throw WireDecodingError("\(member.key) is not valid base64") }
            return Array(data)
        }
        switch member.key {
        case "S": self = .s(try text())
        case "N": self = .n(try text())
        case "B": self = .b(try bytes(try text()))
        case "BOOL":
            guard case .bool(let flag) = value else { throw WireDecodingError("BOOL must hold true or false") }
            self = .bool(flag)
        case "NULL": self = .null
        case "M":
            guard case .object(let entries) = value else { throw WireDecodingError("M must hold an object") }
            self = .m(try Item(wire: entries))
        case "L":
            guard case .array(let elements) = value else { throw WireDecodingError("L must hold an array") }
            var list: [AttributeValue] = []
            list.reserveCapacity(elements.count)
            for element in elements { list.append(try AttributeValue(wire: element)) }
            self = .l(list)
        case "SS": self = .ss(try texts())
        case "NS": self = .ns(try texts())
        case "BS":
            var sets: [[UInt8]] = []
            for text in try texts() { sets.append(try bytes(text)) }
            self = .bs(sets)
        default:
            throw WireDecodingError("unknown AttributeValue type \(member.key)")
        }
    }
}

extension Dictionary where Key == String, Value == AttributeValue {
    /// An item from a wire object's members.
    init(wire members: [JSONValue.Member]) throws(WireDecodingError) {
        self.init(minimumCapacity: members.count)
        for member in members { self[member.key] = try AttributeValue(wire: member.value) }
    }

    /// An item from a wire object (`{"PK": {"S": "…"}, …}`), members in any order.
    public init(wire json: JSONValue) throws(WireDecodingError) {
        guard case .object(let members) = json else { throw WireDecodingError("an item is a JSON object") }
        try self.init(wire: members)
    }
}


/// A response body that is JSON but not the shape DynamoDB documents.
public struct WireDecodingError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Outputs

/// An operation's response body, read from `JSONValue`.
protocol WireDecodable {
    init(wire json: JSONValue) throws(WireDecodingError)
}

/// The members of one wire object, read as the former Foundation decoder read them: the first
/// member of a name counts, `null` is the same as absent, a value of the wrong type is an error
/// naming its path.
struct WireObject {
    let members: [JSONValue.Member]
    let path: String

    init(_ json: JSONValue, path: String) throws(WireDecodingError) {
        guard case .object(let members) = json else { throw WireDecodingError("\(path) must be an object") }
        self.members = members
        self.path = path
    }

    /// Whether a member of that name is there, even `null`.
    func contains(_ key: String) -> Bool { members.contains { $0.key == key } }

    func value(_ key: String) -> JSONValue? {
        guard let value = members.first(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    func required<T>(_ key: String, _ read: (String) throws(WireDecodingError) -> T?) throws(WireDecodingError) -> T {
        guard let value = try read(key) else { throw WireDecodingError("\(path).\(key) is missing") }
        return value
    }

    func string(_ key: String) throws(WireDecodingError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw WireDecodingError("\(path).\(key) must be a string") }
        return text
    }

    /// An integer in `Int`'s range (`3`, `3.0`, `3e0`).
    func int(_ key: String) throws(WireDecodingError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let integer = value.intValue else { throw WireDecodingError("\(path).\(key) must be an integer") }
        return integer
    }

    func object(_ key: String) throws(WireDecodingError) -> WireObject? {
        guard let value = value(key) else { return nil }
        return try WireObject(value, path: "\(path).\(key)")
    }

    func item(_ key: String) throws(WireDecodingError) -> Item? {
        guard let object = try object(key) else { return nil }
        do {
            return try Item(wire: object.members)
        } catch {
            throw WireDecodingError("\(object.path): \(error.description)")
        }
    }

    /// A raw-value enum from a string.
    func enumeration<T: RawRepresentable<String>>(_ key: String) throws(WireDecodingError) -> T? {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else { throw WireDecodingError("\(path).\(key) cannot be \(InputEcho.short(text, limit: 40))") }
        return value
    }

    /// A string array element.
    static func string(_ json: JSONValue, path: String) throws(WireDecodingError) -> String {
        guard case .string(let text) = json else { throw WireDecodingError("\(path) must be a string") }
        return text
    }

    /// An array whose elements are each read by `element` (given the element and its path).
    func array<T>(
        _ key: String,
        _ element: (JSONValue, String) throws(WireDecodingError) -> T
    ) throws(WireDecodingError) -> [T]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw WireDecodingError("\(path).\(key) must be an array") }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, json) in elements.enumerated() { result.append(try element(json, "\(path).\(key)[\(index)]")) }
        return result
    }
}

extension EmptyOutput: WireDecodable {
    /// Any JSON at all (the body is not read, only parsed).
    init(wire json: JSONValue) {}
}

extension TableDescriptionOutput: WireDecodable {
    init(wire json: JSONValue) throws(WireDecodingError) {
        let object = try WireObject(json, path: "response")
        tableDescription = try object.object("TableDescription").map(TableDescription.init(wire:))
        table = try object.object("Table").map(TableDescription.init(wire:))
    }
}

extension TableDescription {
    init(wire object: WireObject) throws(WireDecodingError) {
        tableName = try object.required("TableName", object.string)
        tableStatus = try object.string("TableStatus")
        tableArn = try object.string("TableArn")
        itemCount = try object.int("ItemCount")
        tableSizeBytes = try object.int("TableSizeBytes")
        keySchema = try object.array("KeySchema", KeySchemaElement.init(wire:path:))
        attributeDefinitions = try object.array("AttributeDefinitions", AttributeDefinition.init(wire:path:))
        globalSecondaryIndexes = try object.array("GlobalSecondaryIndexes", GlobalSecondaryIndex.init(wire:path:))
        billingModeSummary = try object.object("BillingModeSummary").map { (summary) throws(WireDecodingError) in
            BillingModeSummary(billingMode: try summary.enumeration("BillingMode"))
        }
    }
}

extension KeySchemaElement {
    init(wire json: JSONValue, path: String) throws(WireDecodingError) {
        let object = try WireObject(json, path: path)
        self.init(
            try object.required("AttributeName", object.string),
            try object.required("KeyType", object.enumeration)
        )
    }
}

extension AttributeDefinition {
    init(wire json: JSONValue, path: String) throws(WireDecodingError) {
        let object = try WireObject(json, path: path)
        self.init(
            try object.required("AttributeName", object.string),
            try object.required("AttributeType", object.enumeration)
        )
    }
}

extension GlobalSecondaryIndex {
    init(wire json: JSONValue, path: String) throws(WireDecodingError) {
        let object = try WireObject(json, path: path)
        let projection = try object.required("Projection", object.object)
        self.init(
            indexName: try object.required("IndexName", object.string),
            keySchema: try object.required("KeySchema") { (key) throws(WireDecodingError) in
                try object.array(key, KeySchemaElement.init(wire:path:))
            },
            projection: Projection(
                projectionType: try projection.required("ProjectionType", projection.string),
                nonKeyAttributes: try projection.array("NonKeyAttributes", WireObject.string(_:path:))
            )
        )
        indexStatus = try object.string("IndexStatus")
    }
}

extension BatchWriteItemOutput: WireDecodable {
    init(wire json: JSONValue) throws(WireDecodingError) {
        let object = try WireObject(json, path: "response")
        guard let tables = try object.object("UnprocessedItems") else {
            unprocessedItems = nil
            return
        }
        var unprocessed: [String: [WriteRequest]] = [:]
        for member in tables.members {
            guard case .array(let elements) = member.value else {
                throw WireDecodingError("\(tables.path).\(member.key) must be an array")
            }
            var requests: [WriteRequest] = []
            requests.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                requests.append(try WriteRequest(wire: element, path: "\(tables.path).\(member.key)[\(index)]"))
            }
            unprocessed[member.key] = requests
        }
        unprocessedItems = unprocessed
    }
}

extension WriteRequest {
    /// `{"PutRequest": {"Item": …}}` or `{"DeleteRequest": {"Key": …}}`; a `PutRequest` member wins.
    init(wire json: JSONValue, path: String) throws(WireDecodingError) {
        let object = try WireObject(json, path: path)
        if object.contains("PutRequest") {
            let put = try object.required("PutRequest", object.object)
            self = .put(try put.required("Item", put.item))
        } else {
            let delete = try object.required("DeleteRequest", object.object)
            self = .delete(key: try delete.required("Key", delete.item))
        }
    }
}
