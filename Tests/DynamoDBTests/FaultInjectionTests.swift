import CurlHTTP
import DynamoDB
import Foundation
import SigV4
import TestSupport
import Testing

/// The real client over real libcurl against a scripted responder on 127.0.0.1: the faults that
/// moto never produces (throttling, 5xx, resets, bad checksums, UnprocessedItems).
@Suite struct FaultInjectionTests {
    let put = PutItemInput(tableName: "t", item: ["PK": .s("a"), "SK": .s("b")])

    /// A client on `server` that records its backoffs instead of sleeping.
    func client(_ server: any LoopbackEndpoint, sleeper: SleepRecorder = SleepRecorder()) -> DynamoDBClient {
        DynamoDBClient(
            configuration: try! DynamoDBConfiguration(
                region: "us-east-1",
                credentials: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret"),
                endpoint: Endpoint(server.endpoint),
                timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(5))
            ),
            transport: CurlHTTPClient(maxConnections: 2),
            sleep: { await sleeper.sleep($0) },
            random: { 1.0 }
        )
    }

    @Test func throttlingThenSuccess() async throws {
        let server = try FaultResponder(script: [
            .dynamoError(code: "ThrottlingException", message: "Rate of requests exceeds the allowed throughput."),
            .dynamoError(code: "ProvisionedThroughputExceededException"),
            .dynamoJSON("{}"),
        ])
        let sleeper = SleepRecorder()
        try await client(server, sleeper: sleeper).putItem(put)
        #expect(server.requests.count == 3)
        #expect(sleeper.recorded == [.seconds(1), .seconds(2)])
        for request in server.requests {
            #expect(request.header("X-Amz-Target") == "DynamoDB_20120810.PutItem")
            #expect(request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
            #expect(request.header("Host") == "127.0.0.1:\(server.port)")
        }
    }

    @Test func throttlingThatNeverEndsSurfacesAfterThreeAttempts() async throws {
        let server = try FaultResponder { _, _ in .dynamoError(code: "ThrottlingException") }
        let error = await #expect(throws: DynamoDBError.self) { try await client(server).putItem(put) }
        #expect(error?.code == "ThrottlingException")
        #expect(error?.isThrottling == true)
        #expect(error?.attempts == 3)
        #expect(error?.requestId == "fault-responder")
        #expect(server.requests.count == 3)
    }

    @Test func serverErrorThenSuccess() async throws {
        let server = try FaultResponder(script: [
            .dynamoError(status: 500, code: "InternalServerError", message: "Internal server error"),
            .dynamoJSON("{}"),
        ])
        try await client(server).putItem(put)
        #expect(server.requests.count == 2)
    }

    @Test func connectionResetThenSuccess() async throws {
        let server = try FaultResponder(script: [.reset, .dynamoJSON("{}")])
        try await client(server).putItem(put)
        #expect(server.requests.count == 2)
        #expect(server.connectionCount == 2)
    }

    @Test func connectionResetOnEveryAttemptIsATypedTransportError() async throws {
        let server = try FaultResponder { _, _ in .reset }
        let error = await #expect(throws: DynamoDBError.self) { try await client(server).putItem(put) }
        #expect(error?.kind == .transport)
        #expect(error?.transportError?.kind == .connectionReset)
        #expect(error?.attempts == 3)
    }

    @Test func checksumMismatchThenSuccess() async throws {
        let server = try FaultResponder(script: [.dynamoJSON(#"{"Items":[],"Count":0,"ScannedCount":0}"#, crc: .wrong), .dynamoJSON(#"{"Items":[{"PK":{"S":"a"}}],"Count":1,"ScannedCount":1}"#)])
        let page = try await client(server).queryPage(QueryInput(tableName: "t", keyConditionExpression: "PK = :p", expressionAttributeValues: [":p": .s("a")]))
        #expect(page.items == [["PK": .s("a")]])
        #expect(server.requests.count == 2)
    }

    @Test func checksumMismatchOnEveryAttemptIsReported() async throws {
        let server = try FaultResponder { _, _ in .dynamoJSON("{}", crc: .wrong) }
        let error = await #expect(throws: DynamoDBError.self) { try await client(server).putItem(put) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.attempts == 3)
    }

    @Test func unprocessedItemsTwiceThenSuccess() async throws {
        let requests: [WriteRequest] = (0..<30).map { .put(["PK": .s("p"), "SK": .s(String($0))]) }
        func unprocessed(_ slice: ArraySlice<WriteRequest>) throws -> String {
            WireForm.unprocessedBody(Array(slice))
        }
        let server = try FaultResponder(script: [
            .dynamoJSON(try unprocessed(requests[20..<25])),      // chunk 1 (25): 5 left
            .dynamoJSON(try unprocessed(requests[22..<25])),      // resend of 5: 3 left
            .dynamoJSON(#"{"UnprocessedItems":{}}"#),             // resend of 3: done
            .dynamoJSON(#"{"UnprocessedItems":{}}"#),             // chunk 2 (5): done
        ])
        let sleeper = SleepRecorder()
        let result = await client(server, sleeper: sleeper).batchWriteItem(tableName: "t", requests: requests)
        #expect(result.written == 30)
        #expect(result.isComplete)
        #expect(result.errors.isEmpty)
        #expect(sleeper.recorded == [.seconds(1), .seconds(2)])
        let sent = try server.requests.map { request in
            try WireForm.requestItems(request.body) ?? []
        }
        #expect(sent.map(\.count) == [25, 5, 3, 5])
        #expect(sent[1] == Array(requests[20..<25]))
        #expect(sent[2] == Array(requests[22..<25]))
        #expect(sent[3] == Array(requests[25...]))
    }

    @Test func nothingListeningIsConnectionRefusedAfterRetries() async throws {
        let server = try RefusingPort()
        let error = await #expect(throws: DynamoDBError.self) { try await client(server).putItem(put) }
        #expect(error?.transportError?.kind == .connectionRefused)
        #expect(error?.attempts == 3)
    }
}
