import AIUsageTracker
import CurlHTTP
@testable import DynamoDB
import ExactJSON
import Foundation
import Testing

/// The wire form of `WriteRequest`s, for the batch tests.
enum WireForm {
    /// A BatchWriteItem answer leaving `requests` of table `t` unprocessed.
    static func unprocessedBody(_ requests: [WriteRequest]) -> String {
        JSONValue.object(["UnprocessedItems": ["t": .array(requests.map(\.wire))]]).serialized()
    }

    /// The requests of table `t` in a BatchWriteItem request body.
    static func requestItems(_ body: [UInt8]) throws -> [WriteRequest]? {
        let json = try JSONValue.parse(body)
        return try json["RequestItems"]?["t"]?.arrayValue?.enumerated().map { index, element in
            try WriteRequest(wire: element, path: "RequestItems.t[\(index)]")
        }
    }
}

/// The one wire codec: request shapes and attribute values written with `JSONValue`, responses
/// and error bodies read with `JSONValue.parse`.
///
/// Every expected request text below is byte for byte what the former `Codable` conformances
/// produced under `JSONEncoder` with `.sortedKeys` (recorded from that code before it was
/// removed), with one difference: `JSONEncoder` wrote `/` as `\/`, the ExactJSON writer writes it
/// as it is (both are the same JSON string). Without `.sortedKeys`, as the client used it,
/// `JSONEncoder` wrote members in hash order, which changed from run to run; DynamoDB ignores the
/// order, and the new writer always sorts names in byte order.
@Suite struct WireCodecTests {
    // MARK: - Request shapes

    @Test func putItemWithEveryMember() {
        let input = PutItemInput(
            tableName: "Usage",
            item: ["PK": .s("p"), "SK": .s("s"), "cost": .n("0.0125")],
            conditionExpression: "attribute_not_exists(PK)",
            expressionAttributeNames: ["#n": "name", "#a": "age"],
            expressionAttributeValues: [":v": .n("1"), ":w": .s("x")]
        )
        #expect(input.wire.serialized() == ##"{"ConditionExpression":"attribute_not_exists(PK)","ExpressionAttributeNames":{"#a":"age","#n":"name"},"ExpressionAttributeValues":{":v":{"N":"1"},":w":{"S":"x"}},"Item":{"PK":{"S":"p"},"SK":{"S":"s"},"cost":{"N":"0.0125"}},"TableName":"Usage"}"##)
    }

    /// Members that are `nil` are left out, as `JSONEncoder` left them out.
    @Test func putItemLeavesOutNilMembers() {
        let input = PutItemInput(tableName: "t", item: ["PK": .s("p")])
        #expect(input.wire.serialized() == #"{"Item":{"PK":{"S":"p"}},"TableName":"t"}"#)
    }

    @Test func batchWriteItemWithPutAndDelete() {
        let input = BatchWriteItemInput(requestItems: [
            "t": [.put(["SK": .s("1"), "PK": .s("p")]), .delete(key: ["SK": .s("2"), "PK": .s("p")])],
        ])
        #expect(input.wire.serialized() == #"{"RequestItems":{"t":[{"PutRequest":{"Item":{"PK":{"S":"p"},"SK":{"S":"1"}}}},{"DeleteRequest":{"Key":{"PK":{"S":"p"},"SK":{"S":"2"}}}}]}}"#)
    }

    @Test func queryWithEveryMember() {
        let input = QueryInput(
            tableName: "t", indexName: "GSI1", keyConditionExpression: "#p = :p AND SK > :s",
            filterExpression: "x <> :x", projectionExpression: "PK, SK",
            expressionAttributeNames: ["#p": "PK"], expressionAttributeValues: [":s": .s("b"), ":p": .s("a"), ":x": .n("0")],
            limit: 100, scanIndexForward: false, exclusiveStartKey: ["SK": .s("c"), "PK": .s("a")], consistentRead: true
        )
        #expect(input.wire.serialized() == ##"{"ConsistentRead":true,"ExclusiveStartKey":{"PK":{"S":"a"},"SK":{"S":"c"}},"ExpressionAttributeNames":{"#p":"PK"},"ExpressionAttributeValues":{":p":{"S":"a"},":s":{"S":"b"},":x":{"N":"0"}},"FilterExpression":"x <> :x","IndexName":"GSI1","KeyConditionExpression":"#p = :p AND SK > :s","Limit":100,"ProjectionExpression":"PK, SK","ScanIndexForward":false,"TableName":"t"}"##)
    }

    @Test func queryWithRequiredMembersOnly() {
        let input = QueryInput(tableName: "t", keyConditionExpression: "PK = :p")
        #expect(input.wire.serialized() == #"{"KeyConditionExpression":"PK = :p","TableName":"t"}"#)
    }

    /// DescribeTable and DeleteTable.
    @Test func tableName() {
        #expect(TableNameInput(tableName: "t").wire.serialized() == #"{"TableName":"t"}"#)
    }

    /// Arrays keep their order (attribute definitions, key schema, indexes); a projection without
    /// `NonKeyAttributes` leaves it out.
    @Test func createTableWithIndexes() {
        let input = CreateTableInput(
            tableName: "t",
            attributeDefinitions: [AttributeDefinition("PK", .string), AttributeDefinition("SK", .number), AttributeDefinition("G2PK", .binary)],
            keySchema: [KeySchemaElement("PK", .hash), KeySchemaElement("SK", .range)],
            globalSecondaryIndexes: [
                GlobalSecondaryIndex(indexName: "G1", keySchema: [KeySchemaElement("SK", .hash)]),
                GlobalSecondaryIndex(indexName: "G2", keySchema: [KeySchemaElement("G2PK", .hash)], projection: Projection(projectionType: "INCLUDE", nonKeyAttributes: ["a", "b"])),
            ],
            billingMode: .provisioned
        )
        #expect(input.wire.serialized() == #"{"AttributeDefinitions":[{"AttributeName":"PK","AttributeType":"S"},{"AttributeName":"SK","AttributeType":"N"},{"AttributeName":"G2PK","AttributeType":"B"}],"BillingMode":"PROVISIONED","GlobalSecondaryIndexes":[{"IndexName":"G1","KeySchema":[{"AttributeName":"SK","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}},{"IndexName":"G2","KeySchema":[{"AttributeName":"G2PK","KeyType":"HASH"}],"Projection":{"NonKeyAttributes":["a","b"],"ProjectionType":"INCLUDE"}}],"KeySchema":[{"AttributeName":"PK","KeyType":"HASH"},{"AttributeName":"SK","KeyType":"RANGE"}],"TableName":"t"}"#)
    }

    /// The default billing mode is written; no indexes, no member.
    @Test func createTableWithoutIndexes() {
        let input = CreateTableInput(tableName: "t", attributeDefinitions: [], keySchema: [])
        #expect(input.wire.serialized() == #"{"AttributeDefinitions":[],"BillingMode":"PAY_PER_REQUEST","KeySchema":[],"TableName":"t"}"#)
    }

    /// An index taken from a description keeps its `IndexStatus`, as the `Codable` form did.
    @Test func indexWithStatus() {
        var index = GlobalSecondaryIndex(indexName: "G2", keySchema: [KeySchemaElement("G2PK", .hash)], projection: Projection(projectionType: "INCLUDE", nonKeyAttributes: ["a", "b"]))
        index.indexStatus = "ACTIVE"
        #expect(index.wire.serialized() == #"{"IndexName":"G2","IndexStatus":"ACTIVE","KeySchema":[{"AttributeName":"G2PK","KeyType":"HASH"}],"Projection":{"NonKeyAttributes":["a","b"],"ProjectionType":"INCLUDE"}}"#)
    }

    /// The client sends exactly the wire form, whatever the order the dictionaries hold.
    @Test func putItemSendsTheWireForm() async throws {
        let transport = FakeTransport([FakeTransport.ok])
        try await makeClient(transport).putItem(PutItemInput(tableName: "t", item: ["b": .n("2"), "a": .s("1")]))
        #expect(String(decoding: try #require(transport.requests.first).body, as: UTF8.self) == #"{"Item":{"a":{"S":"1"},"b":{"N":"2"}},"TableName":"t"}"#)
        #expect(transport.requests.first?.headers["X-Amz-Target"] == "DynamoDB_20120810.PutItem")
    }

    // MARK: - Attribute values

    /// Each type's text; the old encoder's differs only in `\/` for `/` (base64 has slashes).
    @Test func attributeValueText() {
        let cases: [(AttributeValue, String)] = [
            (.n("1E+400"), #"{"N":"1E+400"}"#),
            (.n("0.000000000000000000000000000000000000001"), #"{"N":"0.000000000000000000000000000000000000001"}"#),
            (.b([0, 1, 2, 255]), #"{"B":"AAEC/w=="}"#),
            (.b([]), #"{"B":""}"#),
            (.bool(true), #"{"BOOL":true}"#),
            (.bool(false), #"{"BOOL":false}"#),
            (.null, #"{"NULL":true}"#),
            (.ss(["a", "b"]), #"{"SS":["a","b"]}"#),
            (.ns(["1", "2.50"]), #"{"NS":["1","2.50"]}"#),
            (.bs([[1], [2, 3], []]), #"{"BS":["AQ==","AgM=",""]}"#),
            (.l([.s("x"), .n("1"), .null, .l([])]), #"{"L":[{"S":"x"},{"N":"1"},{"NULL":true},{"L":[]}]}"#),
            (.m([:]), #"{"M":{}}"#),
            (.l([]), #"{"L":[]}"#),
            (.m(["b": .s("1"), "a": .m(["d": .n("2"), "c": .bool(true)])]), #"{"M":{"a":{"M":{"c":{"BOOL":true},"d":{"N":"2"}}},"b":{"S":"1"}}}"#),
        ]
        for (value, text) in cases { #expect(value.wire.serialized() == text) }
    }

    /// Escapes as `JSONEncoder` wrote them (short forms, `\u00XX` lowercase for other control
    /// characters; DEL, U+2028 and non-ASCII as they are), except `/`.
    @Test func stringEscapes() {
        let value = AttributeValue.s("a/b \"q\" \\ \n\t\r\u{08}\u{0C}\u{01}\u{1F}\u{7F} é 😀 \u{2028}")
        #expect(value.wire.serialized() == #"{"S":"a/b \"q\" \\ \n\t\r\b\f\u0001\u001f"# + "\u{7F} é 😀 \u{2028}\"}")
    }

    @Test(arguments: [
        AttributeValue.s(""),
        .s("héllo \"quoted\" \n \u{01} /"),
        .n("1E+400"),
        .n("0.000000000000000000000000000000000000001"),
        .n("-12345678901234567890123456789012345678E-130"),
        .n("1.50"),
        .b([]),
        .b(Array(0...255)),
        .bool(true),
        .bool(false),
        .null,
        .ss(["a", "b", ""]),
        .ns(["1", "2.50", "1E+400", "-0.000000000000000000000000000000000000001"]),
        .bs([[1], [2, 3], [], Array(0...255)]),
        .l([]),
        .m([:]),
        .l([.s("x"), .n("1E+400"), .null, .l([.l([.bs([[9]])])]), .m(["k": .ns(["7"])])]),
        .m(["a": .m(["b": .l([.m(["c": .n("3.14"), "d": .ss(["e"]), "f": .bool(false), "g": .null])])]), "z": .b([0])]),
    ])
    func everyTypeRoundTrips(_ value: AttributeValue) throws {
        #expect(try AttributeValue(wire: value.wire) == value)
        #expect(try AttributeValue(wire: JSONValue.parse(value.wire.serializedBytes())) == value)
    }

    /// Numbers are written as JSON strings holding their exact text: no rounding, no rewriting.
    @Test func numbersStayExactText() throws {
        for text in ["1E+400", "0.000000000000000000000000000000000000001", "1.50", "-0", "99999999999999999999999999999999999999"] {
            let value = AttributeValue.n(text)
            #expect(value.wire == ["N": .string(text)])
            #expect(try AttributeValue(wire: JSONValue.parse(value.wire.serialized())).numberText == text)
        }
    }

    /// Items: names in byte order (so `B` < `Z` < `_` < `a` < `a10` < `a9` < `é`), each value its wire form.
    @Test func itemText() throws {
        let item: Item = ["b": .s("1"), "a10": .s("2"), "a9": .s("3"), "B": .s("4"), "é": .s("5"), "Z": .s("6"), "_": .s("7"), "a": .s("8")]
        let text = #"{"B":{"S":"4"},"Z":{"S":"6"},"_":{"S":"7"},"a":{"S":"8"},"a10":{"S":"2"},"a9":{"S":"3"},"b":{"S":"1"},"é":{"S":"5"}}"#
        #expect(item.wire.serialized() == text)
        #expect(try Item(wire: JSONValue.parse(text)) == item)
    }

    /// Text the old encoder wrote (`\/`, members in any order) reads the same.
    @Test func oldEncoderTextReads() throws {
        let old = #"{"cost":{"N":"0.0125"},"blob":{"B":"AAEC\/w=="},"PK":{"S":"a\/b"},"m":{"M":{"y":{"NS":["1E+400"]},"x":{"BS":["AQ=="]}}}}"#
        let item: Item = ["PK": .s("a/b"), "cost": .n("0.0125"), "blob": .b([0, 1, 2, 255]), "m": .m(["x": .bs([[1]]), "y": .ns(["1E+400"])])]
        #expect(try Item(wire: JSONValue.parse(old)) == item)
    }

    @Test(arguments: [#"[]"#, #""x""#, #"{"a":{}}"#, #"{"a":{"S":1}}"#, #"{"a":{"B":"AQ"}}"#, #"{"a":{"Q":"1"}}"#])
    func malformedItemsAreRejected(_ text: String) {
        #expect(throws: WireDecodingError.self) { try Item(wire: JSONValue.parse(text)) }
    }

    // MARK: - Outputs

    @Test func describeTableOutput() async throws {
        let body = #"""
        {"Table":{"AttributeDefinitions":[{"AttributeName":"PK","AttributeType":"S"},{"AttributeName":"N","AttributeType":"N"}],
        "TableName":"Usage","KeySchema":[{"AttributeName":"PK","KeyType":"HASH"},{"AttributeName":"N","KeyType":"RANGE"}],
        "TableStatus":"ACTIVE","CreationDateTime":1.7E9,"ItemCount":3.0,"TableSizeBytes":1.5e3,"TableArn":"arn:aws:dynamodb:us-east-1:1:table/Usage",
        "BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"},
        "GlobalSecondaryIndexes":[{"IndexName":"G1","KeySchema":[{"AttributeName":"N","KeyType":"HASH"}],
        "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x"]},"IndexStatus":"CREATING","ItemCount":0}]}}
        """#
        let table = try await makeClient(FakeTransport([.response(FakeTransport.json(200, body))])).describeTable("Usage")
        #expect(table.tableName == "Usage")
        #expect(table.tableStatus == "ACTIVE")
        #expect(table.tableArn == "arn:aws:dynamodb:us-east-1:1:table/Usage")
        #expect(table.itemCount == 3)
        #expect(table.tableSizeBytes == 1500)
        #expect(table.attributeDefinitions == [AttributeDefinition("PK", .string), AttributeDefinition("N", .number)])
        #expect(table.keySchema == [KeySchemaElement("PK", .hash), KeySchemaElement("N", .range)])
        #expect(table.billingModeSummary?.billingMode == .payPerRequest)
        var index = GlobalSecondaryIndex(indexName: "G1", keySchema: [KeySchemaElement("N", .hash)], projection: Projection(projectionType: "INCLUDE", nonKeyAttributes: ["x"]))
        index.indexStatus = "CREATING"
        #expect(table.globalSecondaryIndexes == [index])
    }

    /// CreateTable and DeleteTable answer `TableDescription`; `null` members are absent.
    @Test func tableDescriptionMember() throws {
        let output = try TableDescriptionOutput(wire: JSONValue.parse(#"{"Table":null,"TableDescription":{"TableName":"x","ItemCount":null,"BillingModeSummary":{}}}"#))
        #expect(output.table == nil)
        #expect(output.tableDescription?.tableName == "x")
        #expect(output.tableDescription?.itemCount == nil)
        #expect(output.tableDescription?.billingModeSummary != nil)
        #expect(output.tableDescription?.billingModeSummary?.billingMode == nil)
    }

    /// What `JSONDecoder` refused is refused: a missing or `null` required member, a wrong type,
    /// an unknown enum value, a fraction where an integer belongs.
    @Test(arguments: [
        #"[]"#,
        #"{"Table":1}"#,
        #"{"Table":{}}"#,
        #"{"Table":{"TableName":null}}"#,
        #"{"Table":{"TableName":"t","ItemCount":1.5}}"#,
        #"{"Table":{"TableName":"t","ItemCount":"1"}}"#,
        #"{"Table":{"TableName":"t","BillingModeSummary":{"BillingMode":"X"}}}"#,
        #"{"Table":{"TableName":"t","KeySchema":[{"AttributeName":"a","KeyType":"SORT"}]}}"#,
        #"{"Table":{"TableName":"t","KeySchema":[null]}}"#,
        #"{"Table":{"TableName":"t","AttributeDefinitions":[{"AttributeName":"a"}]}}"#,
        #"{"Table":{"TableName":"t","GlobalSecondaryIndexes":[{"IndexName":"g","KeySchema":[]}]}}"#,
        #"{"Table":{"TableName":"t","GlobalSecondaryIndexes":[{"IndexName":"g","KeySchema":[],"Projection":{"NonKeyAttributes":[1]}}]}}"#,
    ])
    func malformedTableDescriptionsAreRejected(_ text: String) {
        #expect(throws: WireDecodingError.self) { try TableDescriptionOutput(wire: JSONValue.parse(text)) }
    }

    /// A body that cannot be read is `InvalidResponse`, naming the operation, after no retry.
    @Test func undecodableOutputIsInvalidResponse() async throws {
        for body in ["", "{", #"{"Table":{"TableName":7}}"#] {
            let transport = FakeTransport([.response(FakeTransport.json(200, body))])
            let error = await #expect(throws: DynamoDBError.self) { try await makeClient(transport).describeTable("t") }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.code == "InvalidResponse")
            #expect(error?.message.hasPrefix("cannot decode the DescribeTable response: ") == true)
            #expect(error?.httpStatus == 200)
            #expect(error?.requestId == "req-1")
            #expect(transport.requests.count == 1)
        }
    }

    /// A description-less answer is still its own error.
    @Test func answerWithoutTableDescription() async throws {
        let error = await #expect(throws: DynamoDBError.self) { try await makeClient(FakeTransport([FakeTransport.ok])).createTable(CreateTableInput(tableName: "t", attributeDefinitions: [], keySchema: [])) }
        #expect(error?.message == "the response has no table description")
    }

    @Test func unprocessedItems() throws {
        let output = try BatchWriteItemOutput(wire: JSONValue.parse(#"{"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"a":{"S":"b"}}},"DeleteRequest":{"Key":{}}},{"DeleteRequest":{"Key":{"k":{"N":"1"}}}}]}}"#))
        #expect(output.unprocessedItems == ["t": [.put(["a": .s("b")]), .delete(key: ["k": .n("1")])]])
        #expect(try BatchWriteItemOutput(wire: JSONValue.parse(#"{"UnprocessedItems":null}"#)).unprocessedItems == nil)
        #expect(try BatchWriteItemOutput(wire: JSONValue.parse(#"{}"#)).unprocessedItems == nil)
        #expect(try BatchWriteItemOutput(wire: JSONValue.parse(#"{"UnprocessedItems":{}}"#)).unprocessedItems == [:])
    }

    @Test(arguments: [#"{"UnprocessedItems":{"t":[{}]}}"#, #"{"UnprocessedItems":{"t":[{"PutRequest":null}]}}"#, #"{"UnprocessedItems":{"t":null}}"#, #"{"UnprocessedItems":[]}"#])
    func malformedUnprocessedItemsAreRejected(_ text: String) {
        #expect(throws: WireDecodingError.self) { try BatchWriteItemOutput(wire: JSONValue.parse(text)) }
    }

    /// PutItem's answer is not read, only parsed: any JSON will do, as it did for `JSONDecoder`.
    @Test func emptyOutputTakesAnyJSON() async throws {
        for body in ["{}", "[]", "null", #"{"ConsumedCapacity":{"CapacityUnits":1}}"#] {
            try await makeClient(FakeTransport([.response(FakeTransport.json(200, body))])).putItem(PutItemInput(tableName: "t", item: [:]))
        }
        let error = await #expect(throws: DynamoDBError.self) {
            try await makeClient(FakeTransport([.response(FakeTransport.json(200, "{} x"))])).putItem(PutItemInput(tableName: "t", item: [:]))
        }
        #expect(error?.code == "InvalidResponse")
    }

    // MARK: - Error bodies

    /// Each body's code and message, as the former `JSONDecoder`-based parser gave them (recorded
    /// from it): the JSON form when the body is an object whose `__type`, `code`, `message` and
    /// `Message` are strings or `null` (the first of a name counts), else the XML form, else the status.
    @Test(arguments: [
        (400, [:], #"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#, "ResourceNotFoundException", "Requested resource not found", nil),
        (400, [:], #"{"code":"ValidationException","Message":"bad"}"#, "ValidationException", "bad", nil),
        (400, [:], #"{"__type":"A","code":"B","message":"m1","Message":"m2"}"#, "A", "m1", nil),
        (400, [:], #"{"Message":"only upper"}"#, "HTTP400", "only upper", nil),
        (400, ["x-amzn-ErrorType": "HeaderType:http://internal.amazon.com/"], #"{"__type":"BodyType","message":"m"}"#, "HeaderType", "m", nil),
        (403, [:], "<ErrorResponse><Error><Code>InvalidSignatureException</Code><Message>sig bad</Message></Error><RequestId>rid-9</RequestId></ErrorResponse>", "InvalidSignatureException", "sig bad", "rid-9"),
        (500, [:], "", "InternalServerError", "no error body", nil),
        (503, [:], "Service Unavailable", "InternalServerError", "Service Unavailable", nil),
        (400, [:], "{}", "HTTP400", "{}", nil),
        (400, [:], #"{"__type":5,"message":"m"}"#, "HTTP400", #"{"__type":5,"message":"m"}"#, nil),
        (400, [:], #"{"__type":null,"message":null,"Message":"M"}"#, "HTTP400", "M", nil),
        (400, [:], "[]", "HTTP400", "[]", nil),
        (400, [:], #"{"__type":"T:extra","message":"a\nb"}"#, "T", "a\nb", nil),
        (400, [:], #"{"__type":"","message":"empty type"}"#, "HTTP400", "empty type", nil),
        (400, [:], #" {"__type":"WS"} "#, "WS", #" {"__type":"WS"} "#, nil),
        (400, [:], #"{"__type":"X"} trailing"#, "HTTP400", #"{"__type":"X"} trailing"#, nil),
        (400, [:], #"{"__type":"Dup","__type":"Dup2"}"#, "Dup", #"{"__type":"Dup","__type":"Dup2"}"#, nil),
        (400, [:], #"{"message":{"a":1},"Message":"M"}"#, "HTTP400", #"{"message":{"a":1},"Message":"M"}"#, nil),
    ] as [(Int, [String: String], String, String, String, String?)])
    func errorBody(status: Int, headers: [String: String], body: String, code: String, message: String, requestId: String?) {
        let response = HTTPResponse(status: status, headers: HTTPHeaders(headers.map { ($0.key, $0.value) }), body: Array(body.utf8))
        let error = ErrorResponse.parse(response, operation: "Op", requestId: nil)
        #expect(error.kind == .service)
        #expect(error.code == code)
        #expect(error.message == message)
        #expect(error.requestId == requestId)
        #expect(error.httpStatus == status)
        #expect(error.operation == "Op")
    }

    // MARK: - Spill file

    func spillPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wire-codec-\(getpid())-\(name).jsonl").path
    }

    /// Lines the old `JSONEncoder` wrote (here: members in another order, `\/`, numbers as
    /// strings, nested maps and sets) read as the same items.
    @Test func spillFileReadsTheOldFormat() throws {
        let path = spillPath("old")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let old = #"""
        {"cost_usd":{"N":"0.000000000000000000000000000000000000001"},"SK":{"S":"2026-01-01T00:00:00Z#a\/b"},"PK":{"S":"AI_USAGE#openai#gpt-4o"},"big":{"N":"1E+400"},"metadata":{"M":{"tags":{"L":[{"S":"a"},{"BOOL":false},{"NULL":true}]},"blob":{"B":"AAEC\/w=="}}},"sets":{"NS":["1","2.50"]}}
        not an item
        {"PK":{"S":"p"},"SK":{"S":"s"}}

        """#
        try old.write(toFile: path, atomically: true, encoding: .utf8)
        let contents = try SpillFile(path: path).read()
        #expect(contents.malformedLines == 1)
        #expect(contents.items == [
            [
                "PK": .s("AI_USAGE#openai#gpt-4o"), "SK": .s("2026-01-01T00:00:00Z#a/b"),
                "cost_usd": .n("0.000000000000000000000000000000000000001"), "big": .n("1E+400"),
                "metadata": .m(["tags": .l([.s("a"), .bool(false), .null]), "blob": .b([0, 1, 2, 255])]),
                "sets": .ns(["1", "2.50"]),
            ],
            ["PK": .s("p"), "SK": .s("s")],
        ])
    }

    /// New lines: one item per line, names sorted at every level, as `.sortedKeys` wrote them.
    @Test func spillFileWritesSortedLines() throws {
        let path = spillPath("new")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let items: [Item] = [
            ["SK": .s("s"), "PK": .s("p"), "m": .m(["z": .n("1E+400"), "a": .null])],
            ["PK": .s("q")],
        ]
        try SpillFile(path: path).append(items)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"""
        {"PK":{"S":"p"},"SK":{"S":"s"},"m":{"M":{"a":{"NULL":true},"z":{"N":"1E+400"}}}}
        {"PK":{"S":"q"}}

        """#)
        #expect(try SpillFile(path: path).read().items == items)
    }
}
