import CurlHTTP
import Foundation
import LambdaRuntime
import Testing
import TestSupport

private struct QuotaExceeded: Error, CustomStringConvertible {
    var description: String { "quota of 3 \"calls\" exceeded" }
}

private let echo = ClosureLambdaHandler { event, context in
    Array("\(context.requestId):".utf8) + event
}

@Suite struct RuntimeLoopTests {
    @Test func answersThreeInvocationsInOrderOverOneConnection() async throws {
        let api = try FakeRuntimeAPI([
            .make("req-1", body: #"{"n":1}"#), .make("req-2", body: #"{"n":2}"#), .make("req-3", body: #"{"n":3}"#),
        ])
        let termination = try await runLoop(api, options: .init(maxInvocations: 3), handler: echo)

        #expect(termination == RuntimeTermination(.invocationLimitReached(3)))
        #expect(termination.exitCode == 0)
        #expect(api.lines == [
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response",
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-2/response",
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-3/response",
        ])
        #expect(api.requests.filter { $0.method == "POST" }.map(\.body.text) == [
            #"req-1:{"n":1}"#, #"req-2:{"n":2}"#, #"req-3:{"n":3}"#,
        ])
        #expect(api.responder.connectionCount == 1)
    }

    @Test func parsesTheContextFromHeadersAndEnvironment() async throws {
        let api = try FakeRuntimeAPI([
            .make("req-full", extra: [
                "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
                "Lambda-Runtime-Client-Context": #"{"client":{"app_title":"t"}}"#,
                "Lambda-Runtime-Cognito-Identity": #"{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}"#,
                "Lambda-Runtime-Aws-Tenant-Id": "tenant-7",
            ]),
            .make("req-bare"),
        ])
        let contexts = Recorded<LambdaContext>()
        let remaining = Recorded<Duration>()
        let handler = ClosureLambdaHandler { _, context in
            contexts.append(context)
            remaining.append(context.remainingTime)
            return []
        }
        let environment = [
            "AWS_LAMBDA_FUNCTION_NAME": "ai-usage", "AWS_LAMBDA_FUNCTION_VERSION": "7",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/ai-usage",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2027/01/15/[7]abc",
        ]
        let started = ContinuousClock.now
        _ = try await runLoop(api, environment: environment, options: .init(maxInvocations: 2), handler: handler)
        let elapsed = started.duration(to: .now)

        let full = try #require(contexts.values.first)
        #expect(full.requestId == "req-full")
        #expect(full.deadlineEpochMilliseconds == 1_800_000_060_000)
        let left = try #require(remaining.values.first)
        // 60 s from when the invocation arrived, minus at most the whole loop's run (however busy the machine).
        #expect(left >= .seconds(60) - elapsed && left <= .seconds(60))
        #expect(full.invokedFunctionARN == "arn:aws:lambda:eu-west-1:123456789012:function:ai-usage:live")
        #expect(full.traceId == "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        #expect(full.clientContext == #"{"client":{"app_title":"t"}}"#)
        #expect(full.cognitoIdentity == #"{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}"#)
        #expect(full.tenantId == "tenant-7")
        #expect(full.functionName == "ai-usage")
        #expect(full.functionVersion == "7")
        #expect(full.memoryLimitMB == 512)
        #expect(full.logGroupName == "/aws/lambda/ai-usage")
        #expect(full.logStreamName == "2027/01/15/[7]abc")
        #expect(full.logger.requestId == "req-full")

        let bare = try #require(contexts.values.last)
        #expect(bare.requestId == "req-bare")
        #expect(bare.traceId == nil)
        #expect(bare.clientContext == nil)
        #expect(bare.cognitoIdentity == nil)
        #expect(bare.tenantId == nil)
    }

    @Test func passesTheTraceIdToTheInjectedExporter() async throws {
        let api = try FakeRuntimeAPI([.make("req-1", extra: ["Lambda-Runtime-Trace-Id": "Root=1-a"]), .make("req-2")])
        let traces = TraceRecorder()
        _ = try await runLoop(api, options: .init(maxInvocations: 2), traces: traces, handler: echo)
        #expect(traces.values == ["Root=1-a", nil])
    }

    @Test func reportsAThrownErrorAndGoesOn() async throws {
        let api = try FakeRuntimeAPI([.make("req-1"), .make("req-2", body: "ok")])
        let logs = LogCapture()
        let handler = ClosureLambdaHandler { event, context in
            if context.requestId == "req-1" { throw QuotaExceeded() }
            return event
        }
        let termination = try await runLoop(api, options: .init(maxInvocations: 2), logs: logs, handler: handler)

        #expect(termination == RuntimeTermination(.invocationLimitReached(2)))
        #expect(api.lines == [
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/error",
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-2/response",
        ])
        let error = try #require(api.requests[checked: 1])
        #expect(error.header("Content-Type") == "application/vnd.aws.lambda.error+json")
        #expect(error.header("Lambda-Runtime-Function-Error-Type") == "Function.Unhandled")
        #expect(error.body.text == #"{"errorMessage":"quota of 3 \"calls\" exceeded","errorType":"QuotaExceeded","stackTrace":[]}"#)
        #expect(api.requests[checked: 3]?.body.text == "ok")
        #expect(logs.lines == [#"2027-01-15T08:00:00.000Z req-1 ERROR invocation failed: QuotaExceeded: quota of 3 "calls" exceeded"# + "\n"])
    }

    @Test func sendsAThrownReportAsItIs() async throws {
        let api = try FakeRuntimeAPI([.make("req-1")])
        let handler = ClosureLambdaHandler { _, _ in
            throw LambdaErrorReport(errorType: "Validation", errorMessage: "bad\nline", stackTrace: ["a.swift:1", "b.swift:2"],
                                    functionErrorType: "Function.Bad\r\nX-Injected: 1")
        }
        _ = try await runLoop(api, options: .init(maxInvocations: 1), handler: handler)

        let error = try #require(api.requests.last)
        #expect(error.path == "/2018-06-01/runtime/invocation/req-1/error")
        #expect(error.header("Lambda-Runtime-Function-Error-Type") == "Function.BadX-Injected1")
        #expect(error.header("X-Injected") == nil)
        #expect(error.body.text == #"{"errorMessage":"bad\nline","errorType":"Validation","stackTrace":["a.swift:1","b.swift:2"]}"#)
    }

    @Test func reportsA413OnTheResponseAsAnErrorForThatInvocation() async throws {
        let api = try FakeRuntimeAPI([.make("req-1"), .make("req-2")], answer: { request in
            request.path.hasSuffix("/req-1/response")
                ? .respond(status: 413, headers: [:], body: Array(#"{"errorType":"RequestEntityTooLarge","errorMessage":"Exceeded maximum allowed payload size (6291556 bytes)."}"#.utf8))
                : nil
        })
        let logs = LogCapture()
        let termination = try await runLoop(api, options: .init(maxInvocations: 2), logs: logs, handler: ClosureLambdaHandler { _, _ in Array("12345".utf8) })

        #expect(termination.exitCode == 0)
        #expect(api.lines == [
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response",
            "POST /2018-06-01/runtime/invocation/req-1/error",
            "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-2/response",
        ])
        let error = try #require(api.requests[checked: 2])
        #expect(error.header("Lambda-Runtime-Function-Error-Type") == "Function.ResponseSizeTooLarge")
        #expect(error.body.text == #"{"errorMessage":"Response payload size (5 bytes) exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge","stackTrace":[]}"#)
        #expect(logs.lines.count == 1)
    }

    @Test func reportsAnOversizedResponseWithoutUploadingIt() async throws {
        let api = try FakeRuntimeAPI([.make("req-1")])
        _ = try await runLoop(api, options: .init(maxResponseBytes: 4, maxInvocations: 1), handler: ClosureLambdaHandler { _, _ in Array("12345".utf8) })

        #expect(api.lines == ["GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/error"])
        #expect(api.requests[checked: 1]?.body.text == #"{"errorMessage":"Response payload size (5 bytes) exceeded maximum allowed payload size (4 bytes).","errorType":"Function.ResponseSizeTooLarge","stackTrace":[]}"#)
    }

    @Test func exitsNonZeroOnA500FromNext() async throws {
        let api = try FakeRuntimeAPI([.make("req-1")])  // the second /next gets 500
        let logs = LogCapture()
        let termination = try await runLoop(api, options: .init(), logs: logs, handler: echo)

        #expect(termination == RuntimeTermination(.runtimeAPIStatus(status: 500, request: "GET /invocation/next")))
        #expect(termination.exitCode == 1)
        #expect(api.lines.count == 3)
        #expect(logs.lines == ["2027-01-15T08:00:00.000Z FATAL the Runtime API answered GET /invocation/next with 500 (script exhausted); exiting\n"])
    }

    @Test func exitsNonZeroOnA500FromResponse() async throws {
        let api = try FakeRuntimeAPI([.make("req-1"), .make("req-2")], answer: { _ in
            .respond(status: 500, headers: [:], body: Array(#"{"errorType":"ContainerError"}"#.utf8))
        })
        let termination = try await runLoop(api, options: .init(), handler: echo)

        #expect(termination == RuntimeTermination(.runtimeAPIStatus(status: 500, request: "POST /invocation/{id}/response")))
        #expect(termination.exitCode == 1)
        #expect(api.lines == ["GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response"])
    }

    @Test func exitsNonZeroWhenTheRuntimeAPIRefusesConnectionsAfterRetries() async throws {
        let refusing = try RefusingPort()
        let logs = LogCapture()
        let loop = RuntimeLoop(
            environment: ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(refusing.port)"],
            options: .init(retry: quickRetry),
            logSink: logs.sink,
            wallClock: { FakeRuntimeAPI.wallClock },
            setTraceId: { _ in }
        )
        let started = ContinuousClock.now
        let termination = try await offPool { loop.run(handler: echo) }
        let elapsed = ContinuousClock.now - started

        guard case .runtimeAPIUnreachable(let error) = termination.reason else {
            Issue.record("unexpected termination \(termination)")
            return
        }
        #expect(error.kind == .connectionRefused)
        #expect(termination.exitCode == 1)
        #expect(elapsed >= .milliseconds(40))
        let levels = logs.lines.map { $0.split(separator: " ")[1] }
        #expect(levels == ["WARN", "WARN", "FATAL"])
        #expect(logs.lines[checked: 0]?.contains("Runtime API request failed (attempt 1), retrying: connection refused") == true)
        #expect(logs.lines[checked: 1]?.contains("(attempt 2)") == true)
    }

    @Test func retriesARequestWhoseConnectionWasReset() async throws {
        let api = try FakeRuntimeAPI([.make("req-1")], next: { index in index == 0 ? .reset : nil })
        let logs = LogCapture()
        let termination = try await runLoop(api, options: .init(retry: quickRetry, maxInvocations: 1), logs: logs, handler: echo)
        #expect(termination.exitCode == 0)
        #expect(api.lines.suffix(2) == ["GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response"] as ArraySlice)
        #expect(api.lines.count == 3)
        #expect(api.responder.connectionCount == 2)
        #expect(logs.lines.count == 1)
        #expect(logs.lines[checked: 0]?.hasPrefix("2027-01-15T08:00:00.000Z WARN Runtime API request failed (attempt 1), retrying: connection reset") == true)
    }

    @Test func exitsNonZeroWithoutARequestId() async throws {
        let api = try FakeRuntimeAPI([.make(nil), .make("req-2")])
        let logs = LogCapture()
        let termination = try await runLoop(api, options: .init(), logs: logs, handler: echo)

        #expect(termination == RuntimeTermination(.brokenInvocation("/next answered without Lambda-Runtime-Aws-Request-Id: the control plane is broken")))
        #expect(termination.exitCode == 1)
        #expect(api.lines == ["GET /2018-06-01/runtime/invocation/next"])
        #expect(logs.lines == ["2027-01-15T08:00:00.000Z FATAL /next answered without Lambda-Runtime-Aws-Request-Id: the control plane is broken; exiting\n"])
    }

    @Test func reportsABadDeadlineOrMissingARNForThatInvocationAndGoesOn() async throws {
        let api = try FakeRuntimeAPI([.make("req-1", deadline: "soon"), .make("req-2", arn: nil), .make("req-3")])
        let calls = Recorded<String>()
        let handler = ClosureLambdaHandler { _, context in
            calls.append(context.requestId)
            return []
        }
        let termination = try await runLoop(api, options: .init(maxInvocations: 3), handler: handler)

        #expect(termination.exitCode == 0)
        #expect(calls.values == ["req-3"])
        #expect(api.lines.filter { $0.hasPrefix("POST") } == [
            "POST /2018-06-01/runtime/invocation/req-1/error", "POST /2018-06-01/runtime/invocation/req-2/error",
            "POST /2018-06-01/runtime/invocation/req-3/response",
        ])
        let posts = api.requests.filter { $0.method == "POST" }
        #expect(posts[checked: 0]?.header("Lambda-Runtime-Function-Error-Type") == "Runtime.InvalidInvocation")
        #expect(posts[checked: 0]?.body.text == #"{"errorMessage":"Lambda-Runtime-Deadline-Ms is missing or not a number: 'soon'","errorType":"Runtime.InvalidInvocation","stackTrace":[]}"#)
        #expect(posts[checked: 1]?.body.text == #"{"errorMessage":"Lambda-Runtime-Invoked-Function-Arn is missing","errorType":"Runtime.InvalidInvocation","stackTrace":[]}"#)
    }

    @Test func percentEncodesTheRequestIdInThePath() async throws {
        let api = try FakeRuntimeAPI([.make("a/b c")])
        _ = try await runLoop(api, options: .init(maxInvocations: 1), handler: echo)
        #expect(api.lines.last == "POST /2018-06-01/runtime/invocation/a%2Fb%20c/response")
    }

    @Test func postsAnInitErrorAndExitsNonZero() async throws {
        let api = try FakeRuntimeAPI([.make("req-1")])
        let logs = LogCapture()
        let loop = makeLoop(api, options: .init(), logs: logs)
        let termination = try await offPool {
            loop.run { _ -> ClosureLambdaHandler in
                throw LambdaErrorReport(errorType: "Runtime.ConfigInvalid", errorMessage: "DYNAMODB_TABLE_NAME is not set",
                                        functionErrorType: "Runtime.ConfigInvalid")
            }
        }
        let report = LambdaErrorReport(errorType: "Runtime.ConfigInvalid", errorMessage: "DYNAMODB_TABLE_NAME is not set",
                                       functionErrorType: "Runtime.ConfigInvalid")
        #expect(termination == RuntimeTermination(.initializationFailed(report)))
        #expect(termination.exitCode == 1)
        #expect(api.lines == ["POST /2018-06-01/runtime/init/error"])
        let posted = try #require(api.requests[checked: 0])
        #expect(posted.header("Content-Type") == "application/vnd.aws.lambda.error+json")
        #expect(posted.header("Lambda-Runtime-Function-Error-Type") == "Runtime.ConfigInvalid")
        #expect(posted.body.text == #"{"errorMessage":"DYNAMODB_TABLE_NAME is not set","errorType":"Runtime.ConfigInvalid","stackTrace":[]}"#)
        #expect(logs.lines == ["2027-01-15T08:00:00.000Z FATAL initialisation failed: Runtime.ConfigInvalid: DYNAMODB_TABLE_NAME is not set\n"])
    }

    @Test func reportsAnyOtherInitErrorAsUnknownReason() async throws {
        let api = try FakeRuntimeAPI([])
        let loop = makeLoop(api, options: .init())
        let termination = try await offPool { loop.reportInitializationError(QuotaExceeded()) }
        #expect(termination.exitCode == 1)
        #expect(api.requests.map(\.path) == ["/2018-06-01/runtime/init/error"])
        #expect(api.requests[checked: 0]?.header("Lambda-Runtime-Function-Error-Type") == "Runtime.UnknownReason")
        #expect(api.requests[checked: 0]?.body.text == #"{"errorMessage":"quota of 3 \"calls\" exceeded","errorType":"QuotaExceeded","stackTrace":[]}"#)
    }

    @Test func exitsNonZeroWithoutARuntimeAPI() async throws {
        let logs = LogCapture()
        let loop = makeLoop(nil, options: .init(), logs: logs)
        let called = Recorded<Bool>()
        let termination = try await offPool {
            loop.run { _ in
                called.append(true)
                return echo
            }
        }
        #expect(termination == RuntimeTermination(.missingRuntimeAPI))
        #expect(termination.exitCode == 1)
        #expect(called.values.isEmpty)
        #expect(logs.lines == ["2027-01-15T08:00:00.000Z FATAL AWS_LAMBDA_RUNTIME_API is not set: not running under Lambda\n"])
    }

    @Test func theRuntimeLoggerTagsLinesWithTheRunningInvocation() async throws {
        let api = try FakeRuntimeAPI([.make("req-1"), .make("req-2")])
        let logs = LogCapture()
        let loop = makeLoop(api, environment: ["AWS_LAMBDA_LOG_FORMAT": "JSON"], options: .init(maxInvocations: 2), logs: logs)
        let termination = try await offPool {
            loop.run { logger in
                logger.info("ready")
                return ClosureLambdaHandler { event, context in
                    logger.info("via the init logger")
                    context.logger.warn("via the context")
                    return event
                }
            }
        }
        loop.logger.info("after")

        #expect(termination.exitCode == 0)
        #expect(logs.lines == [
            #"{"timestamp":"2027-01-15T08:00:00.000Z","level":"INFO","message":"ready"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.000Z","level":"INFO","requestId":"req-1","message":"via the init logger"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.000Z","level":"WARN","requestId":"req-1","message":"via the context"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.000Z","level":"INFO","requestId":"req-2","message":"via the init logger"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.000Z","level":"WARN","requestId":"req-2","message":"via the context"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.000Z","level":"INFO","message":"after"}"# + "\n",
        ])
    }

    @Test func debugLevelShowsTheRuntimesOwnInvocationLines() async throws {
        let api = try FakeRuntimeAPI([.make("req-1", body: "abc")])
        let logs = LogCapture()
        _ = try await runLoop(api, environment: ["AWS_LAMBDA_LOG_LEVEL": "DEBUG"], options: .init(maxInvocations: 1), logs: logs, handler: echo)
        #expect(logs.lines == [
            "2027-01-15T08:00:00.000Z req-1 DEBUG invocation started: 3 event bytes, 60000 ms to the deadline\n",
            "2027-01-15T08:00:00.000Z req-1 DEBUG invocation answered: 9 response bytes\n",
        ])
    }
}
