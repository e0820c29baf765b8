import CurlHTTP
@testable import DynamoDB
import Testing

/// Every attempt is budgeted against the bound `RequestDeadline`: its limits are cut to the time
/// left, a retry whose backoff would leave no room for an attempt is not made, and no attempt
/// starts once less than `minimumAttemptTime` is left.
@Suite struct RequestDeadlineTests {
    let put = PutItemInput(tableName: "t", item: ["PK": .s("a"), "SK": .s("b")])

    @Test func withoutADeadlineTheConfiguredLimitsApply() async throws {
        let transport = FakeTransport([FakeTransport.ok])
        try await makeClient(transport).putItem(put)
        #expect(transport.requests.first?.timeouts == HTTPTimeouts(connect: .seconds(3), total: .seconds(30)))
    }

    @Test func eachAttemptIsCutToTheTimeLeft() async throws {
        let transport = FakeTransport([FakeTransport.ok])
        let deadline = ContinuousClock.now + .seconds(2)
        try await RequestDeadline.$current.withValue(deadline) { try await makeClient(transport).putItem(put) }
        let timeouts = try #require(transport.requests.first?.timeouts)
        // 2 s were left when the request was built: both limits are at most that, and the
        // connect limit (3 s configured) was cut as well as the total (30 s configured).
        let total = try #require(timeouts.total), connect = try #require(timeouts.connect)
        #expect(total <= .seconds(2) && total > .seconds(1))
        #expect(connect <= .seconds(2) && connect > .seconds(1))
    }

    @Test func aRetryWhoseBackoffLeavesNoRoomIsNotMade() async throws {
        // random = 1.0: the first backoff is the full 1 s cap, more than the 0.5 s left.
        let transport = FakeTransport([FakeTransport.error(500, "InternalServerError"), FakeTransport.ok])
        let sleeper = SleepRecorder()
        let deadline = ContinuousClock.now + .milliseconds(500)
        let error = await #expect(throws: DynamoDBError.self) {
            try await RequestDeadline.$current.withValue(deadline) { try await makeClient(transport, sleeper: sleeper).putItem(put) }
        }
        #expect(transport.requests.count == 1)
        #expect(sleeper.recorded.isEmpty)
        // The error is the attempt's own, not a deadline error: it says what went wrong.
        #expect(error?.code == "InternalServerError")
        #expect(error?.attempts == 1)
    }

    @Test func aRetryThatFitsIsStillMade() async throws {
        // random = 0.1: a 0.1 s backoff, well inside the 20 s left.
        let transport = FakeTransport([FakeTransport.error(500, "InternalServerError"), FakeTransport.ok])
        let sleeper = SleepRecorder()
        let deadline = ContinuousClock.now + .seconds(20)
        try await RequestDeadline.$current.withValue(deadline) {
            try await makeClient(transport, sleeper: sleeper, random: 0.1).putItem(put)
        }
        #expect(transport.requests.count == 2)
        #expect(sleeper.recorded == [.milliseconds(100)])
    }

    @Test func noAttemptStartsAfterTheDeadline() async throws {
        let transport = FakeTransport([FakeTransport.ok])
        let deadline = ContinuousClock.now - .milliseconds(1)
        let error = await #expect(throws: DynamoDBError.self) {
            try await RequestDeadline.$current.withValue(deadline) { try await makeClient(transport).putItem(put) }
        }
        #expect(transport.requests.isEmpty)
        #expect(error?.code == "DeadlineExceeded")
        #expect(error?.kind == .transport)
        #expect(error?.transportError?.kind == .timedOut)
        #expect(error?.attempts == 0)
    }

    @Test func batchWritesStopResendingWhenTheBackoffWouldPassTheDeadline() async throws {
        let unprocessed = #"{"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"PK":{"S":"a"},"SK":{"S":"b"}}}}]}}"#
        let transport = FakeTransport([.response(FakeTransport.json(200, unprocessed)), FakeTransport.ok])
        let sleeper = SleepRecorder()
        let deadline = ContinuousClock.now + .milliseconds(500)
        let result = await RequestDeadline.$current.withValue(deadline) {
            await makeClient(transport, sleeper: sleeper).batchWriteItem(
                tableName: "t", requests: [.put(["PK": .s("a"), "SK": .s("b")])]
            )
        }
        // One send; the 1 s backoff does not fit in 0.5 s, so the item comes back unwritten.
        #expect(transport.requests.count == 1)
        #expect(result.written == 0)
        #expect(result.unprocessed.count == 1)
        #expect(sleeper.recorded.isEmpty)
    }

    @Test func clampingKeepsAtLeastOneMillisecond() {
        let clamped = HTTPTimeouts.standard.clamped(to: .milliseconds(-5))
        #expect(clamped == HTTPTimeouts(connect: .milliseconds(1), total: .milliseconds(1)))
        #expect(HTTPTimeouts.none.clamped(to: .seconds(2)) == HTTPTimeouts(connect: .seconds(2), total: .seconds(2)))
        #expect(HTTPTimeouts.standard.clamped(to: .seconds(60)) == .standard)
    }
}
