import DynamoDB
import ExactJSON
import Foundation
import Testing

@Suite struct BatchAndPagingTests {
    func items(_ count: Int) -> [WriteRequest] {
        (0..<count).map { .put(["PK": .s("p"), "SK": .s(String($0))]) }
    }

    func unprocessedBody(_ requests: [WriteRequest]) throws -> String {
        WireForm.unprocessedBody(requests)
    }

    @Test func chunksOf25() async throws {
        let transport = FakeTransport([FakeTransport.ok, FakeTransport.ok, FakeTransport.ok])
        let result = await makeClient(transport).batchWriteItem(tableName: "t", requests: items(60))
        #expect(result.written == 60)
        #expect(result.isComplete)
        #expect(transport.requests.count == 3)
        let sizes = try transport.requests.map { request in
            try WireForm.requestItems(request.body)?.count ?? -1
        }
        #expect(sizes == [25, 25, 10])
    }

    @Test func unprocessedItemsAreResentUntilDone() async throws {
        let all = items(3)
        let transport = FakeTransport([
            .response(FakeTransport.json(200, try unprocessedBody(Array(all[1...])))),
            .response(FakeTransport.json(200, try unprocessedBody([all[2]]))),
            .response(FakeTransport.json(200, #"{"UnprocessedItems":{}}"#)),
        ])
        let sleeper = SleepRecorder()
        let result = await makeClient(transport, sleeper: sleeper).batchWriteItem(tableName: "t", requests: all)
        #expect(result.written == 3)
        #expect(result.isComplete)
        #expect(sleeper.recorded == [.seconds(1), .seconds(2)])
        #expect(try WireForm.requestItems(transport.requests[2].body) == [all[2]])
    }

    @Test func stillUnprocessedComesBackToTheCaller() async throws {
        let all = items(2)
        let stuck = FakeTransport.Outcome.response(FakeTransport.json(200, try unprocessedBody([all[1]])))
        let transport = FakeTransport(Array(repeating: stuck, count: 10))
        let result = await makeClient(transport).batchWriteItem(tableName: "t", requests: all)
        #expect(result.written == 1)
        #expect(result.unprocessed == [all[1]])
        #expect(transport.requests.count == 5)
    }

    @Test func failedChunkIsReturnedWithItsError() async throws {
        let transport = FakeTransport([FakeTransport.ok, FakeTransport.error(400, "ValidationException", "duplicates")])
        let all = items(30)
        let result = await makeClient(transport).batchWriteItem(tableName: "t", requests: all)
        #expect(result.written == 25)
        #expect(result.unprocessed == Array(all[25...]))
        #expect(result.errors.map(\.code) == ["ValidationException"])
    }

    @Test func queryFollowsLastEvaluatedKeyToTheEnd() async throws {
        let transport = FakeTransport([
            .response(FakeTransport.json(200, #"{"Items":[{"PK":{"S":"a"}}],"Count":1,"ScannedCount":1,"LastEvaluatedKey":{"PK":{"S":"a"},"SK":{"S":"1"}}}"#)),
            .response(FakeTransport.json(200, #"{"Items":[],"Count":0,"ScannedCount":3,"LastEvaluatedKey":{"PK":{"S":"a"},"SK":{"S":"4"}}}"#)),
            .response(FakeTransport.json(200, #"{"Items":[{"PK":{"S":"b"}}],"Count":1,"ScannedCount":1}"#)),
        ])
        let input = QueryInput(tableName: "t", keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("a")], limit: 1)
        var counts: [Int] = []
        for try await page in makeClient(transport).query(input) { counts.append(page.count) }
        #expect(counts == [1, 0, 1])
        let bodies = try transport.requests.map { try JSONValue.parse($0.body) }
        let keys = try bodies.map { body throws -> Item? in try body["ExclusiveStartKey"].map { try Item(wire: $0) } }
        #expect(keys == [nil, ["PK": .s("a"), "SK": .s("1")], ["PK": .s("a"), "SK": .s("4")]])
        #expect(bodies.allSatisfy { $0["Limit"]?.intValue == 1 })
    }
}
