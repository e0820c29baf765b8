import LambdaRuntime
import TestSupport
import Testing

@Suite struct SupportTests {
    /// The client speaks the 2018-06-01 Runtime API on the wire, at `AWS_LAMBDA_RUNTIME_API`.
    @Test func theClientUsesTheRuntimeAPIPathsOf2018() async throws {
        let server = try FaultResponder(script: [
            .respond(status: 200, headers: ["Lambda-Runtime-Aws-Request-Id": "req-1"], body: Array("{}".utf8)),
            .respond(status: 202, headers: [:], body: Array(#"{"status":"OK"}"#.utf8)),
        ])
        defer { server.stop() }
        let statuses = try await offPool {
            let client = try LambdaRuntimeAPIClient(runtimeAPI: "127.0.0.1:\(server.port)", retry: .none)
            return [try client.next().status, try client.postResponse(requestId: "req-1", body: Array("42".utf8)).status]
        }
        #expect(statuses == [200, 202])
        let requests = server.requests
        #expect(requests.map { "\($0.method) \($0.path)" } == [
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response",
        ])
        #expect(requests.last?.body == Array("42".utf8))
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_800_000_000_123, "2027-01-15T08:00:00.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func formatsTimestampsInUTCWithMilliseconds(epochMilliseconds: Int64, expected: String) {
        #expect(WallClock.timestamp(epochMilliseconds: epochMilliseconds) == expected)
    }

    @Test func theWallClockIsInEpochMilliseconds() {
        let now = WallClock.nowMilliseconds()
        #expect(now > 1_700_000_000_000 && now < 4_000_000_000_000)
    }

    @Test func describesAnyErrorAsAReport() {
        struct Broken: Error, CustomStringConvertible { var description: String { "it broke" } }
        let report = LambdaErrorReport(describing: Broken())
        #expect(report == LambdaErrorReport(errorType: "Broken", errorMessage: "it broke", functionErrorType: "Function.Unhandled"))
        #expect(report.jsonBody.text == #"{"errorMessage":"it broke","errorType":"Broken","stackTrace":[]}"#)
        let given = LambdaErrorReport(errorType: "T", errorMessage: "m", functionErrorType: "Runtime.X")
        #expect(LambdaErrorReport(describing: given, functionErrorType: "Runtime.UnknownReason") == given)
    }

    @Test func buildsALocalContext() {
        let context = LambdaContext.local(timeout: .seconds(30), environment: ["AWS_REGION": "eu-central-1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"])
        #expect(context.invokedFunctionARN == "arn:aws:lambda:eu-central-1:012345678912:function:local")
        #expect(context.functionName == "local")
        #expect(context.functionVersion == "$LATEST")
        #expect(context.memoryLimitMB == 256)
        #expect(context.remainingTime > .seconds(29) && context.remainingTime <= .seconds(30))
        let id = context.requestId
        #expect(id.count == 36)
        #expect(id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(id[id.index(id.startIndex, offsetBy: 14)] == "4")
        #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
        #expect(context.logger.requestId == id)
        #expect(LambdaContext.randomRequestId() != LambdaContext.randomRequestId())
    }
}
