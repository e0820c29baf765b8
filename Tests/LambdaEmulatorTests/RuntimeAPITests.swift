import Foundation
import LambdaEmulator
import TestSupport
import Testing

/// The emulator running foreign (shell + curl) runtimes through the Runtime API.
/// Serialized: each test runs processes, and the machine has two cores other suites time things on.
@Suite(.serialized) struct RuntimeAPITests {
    static let arn = "arn:aws:lambda:us-east-1:012345678912:function:AIUsageFunction"

    @Test func threeEventsGiveThreeEchoedAnswersInOrderWithTheRuntimeHeadersAndEnvironment() async throws {
        try await withEmulator("echo-bootstrap.sh", environment: ["FROM_ENV_FILE": "from the file"]) { emulator, _ in
            let events = [#"{"n":1}"#, #"{"n":2,"text":"zwei"}"#, #"{"n":3,"list":[1.50,true,null]}"#]
            var pids: [Int] = []
            var ids: [String] = []
            for event in events {
                let before = Int64(Date().timeIntervalSince1970 * 1000)
                let result = await emulator.invoke(event)
                let after = Int64(Date().timeIntervalSince1970 * 1000)
                #expect(result.status == .success)
                #expect(result.error == nil)
                // The event came back byte for byte, with the request id the result reports.
                #expect(result.responseText.hasPrefix(#"{"event":"# + event + #","requestId":""# + result.requestId + #"","#))
                let answer = try json(result.response)
                let deadlineText = try #require(answer["deadlineMs"] as? String)
                let deadline = try #require(Int64(deadlineText))
                #expect(deadline >= before + 10_000 && deadline <= after + 10_000)
                #expect(answer["functionArn"] as? String == Self.arn)
                let trace = try #require(answer["traceId"] as? String)
                #expect(trace.wholeMatch(of: /Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0/) != nil)
                let environment = try #require(answer["env"] as? [String: String])
                #expect(environment == [
                    "AWS_LAMBDA_FUNCTION_NAME": "AIUsageFunction",
                    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
                    "AWS_LAMBDA_FUNCTION_TIMEOUT": "10",
                    "_HANDLER": "bootstrap",
                    "LAMBDA_TASK_ROOT": Fixtures.directory.path,
                    "AWS_REGION": "eu-west-3",
                    "FROM_ENV_FILE": "from the file",
                    "PWD": Fixtures.directory.path,
                ])
                #expect(result.jsonLine == #"{"requestId":""# + result.requestId + #"","status":"success","durationMs":"# + result.durationText + #","response":"# + result.responseText + "}")
                pids.append(try #require(answer["pid"] as? Int))
                ids.append(result.requestId)
            }
            #expect(Set(pids).count == 1, "one warm process answers all three")
            #expect(Set(ids).count == 3)
            #expect(ids.allSatisfy { UUID(uuidString: $0) != nil && $0 == $0.lowercased() })
            // Random (version 4) UUIDs, RFC 9562: the version digit is 4, the variant digit 8 to b.
            #expect(ids.allSatisfy { $0.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil })
            #expect(emulator.processCount == 1)
        }
    }

    @Test func anErrorPostedToErrorIsAnErrorResultAndTheNextEventWorks() async throws {
        try await withEmulator("error-bootstrap.sh") { emulator, _ in
            let failed = await emulator.invoke(#"{"fail":true}"#)
            #expect(failed.status == .error)
            #expect(failed.errorText == #"{"errorMessage":"asked to fail","errorType":"TestFailure","stackTrace":["error-bootstrap.sh:9"]}"#)
            #expect(failed.errorType == "TestFailure")
            #expect(failed.response == nil)
            #expect(failed.jsonLine == #"{"requestId":""# + failed.requestId + #"","status":"error","durationMs":"# + failed.durationText + #","error":"# + failed.errorText + "}")
            let next = await emulator.invoke(#"{"ok":1}"#)
            #expect(next.status == .success)
            #expect(next.responseText.hasPrefix(#"{"echo":{"ok":1},"pid":"#))
            #expect(emulator.processCount == 1, "a function error keeps the process")
        }
    }

    @Test func anInitErrorIsTheFirstResultAndTheNextEventStartsAFreshProcess() async throws {
        try await withEmulator("init-error-bootstrap.sh") { emulator, scratch in
            let first = await emulator.invoke(#"{"n":1}"#)
            #expect(first.status == .error)
            #expect(first.errorText == #"{"errorMessage":"MISSING_SETTING is not set","errorType":"Runtime.ConfigInvalid"}"#)
            let initStatus = try await scratch.text("init-error-status")
            #expect(initStatus == "202")
            let second = await emulator.invoke(#"{"n":2}"#)
            #expect(second.status == .success)
            #expect(second.responseText.hasPrefix(#"{"echo":{"n":2},"pid":"#))
        }
    }

    @Test func aSleepPastTheTimeoutIsKilledAndTheNextEventRunsOnANewProcess() async throws {
        // 3 s, not less: the timeout covers the next event's cold start too (a shell script that
        // runs curl), which took over a second on two cores busy with fuzzing and the suites.
        try await withEmulator("sleep-bootstrap.sh", timeout: .seconds(3)) { emulator, scratch in
            let started = ContinuousClock.now
            let slow = await emulator.invoke(#"{"sleep": 20}"#)
            let elapsed = ContinuousClock.now - started
            #expect(slow.status == .timeout)
            #expect(slow.errorMessage == "Task timed out after 3.00 seconds")
            #expect(slow.errorText == #"{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 3.00 seconds"}"#)
            #expect(elapsed >= .seconds(3) && elapsed < .seconds(15))
            let startedPids = try await scratch.lines("pids")
            let first = try #require(startedPids.first.flatMap { Int32($0) })
            #expect(!exists(first), "the timed-out process is gone")
            let groupGone = try await groupDies(first)
            #expect(groupGone, "and so is its process group (the script's sleep)")

            let next = await emulator.invoke(#"{"n":2}"#)
            #expect(next.status == .success)
            let pids = try await scratch.lines("pids")
            #expect(pids.count == 2)
            #expect(next.responseText == #"{"echo":{"n":2},"pid":"# + pids[1] + "}")
            #expect(pids[0] != pids[1])
        }
    }

    @Test func waitingForABusySandboxDoesNotCountAgainstTheTimeout() async throws {
        // Each call sleeps 3 s under a 4.5 s timeout: if the second one's wait for the single
        // sandbox counted, it would run out at 6 s. (Margins wide enough for a busy 2-core machine.)
        try await withEmulator("sleep-bootstrap.sh", timeout: .milliseconds(4500)) { emulator, scratch in
            let results = await withTaskGroup(of: LambdaInvocationResult.self) { group in
                for index in 0..<2 {
                    group.addTask { await emulator.invoke(#"{"sleep": 3, "i": \#(index)}"#) }
                }
                var all: [LambdaInvocationResult] = []
                for await result in group { all.append(result) }
                return all
            }
            // One sandbox: the second waited about 3 s, then had its own full 4.5 s.
            #expect(results.map(\.status) == [.success, .success])
            let pids = try await scratch.lines("pids")
            #expect(pids.count == 1)
        }
    }

    @Test(arguments: ["expect", "plain", "chunked"])
    func aResponseOver6MBIsRefusedWith413AndTheResultIsAnError(upload: String) async throws {
        try await withEmulator("big-bootstrap.sh", environment: ["BIG_UPLOAD": upload]) { emulator, _ in
            let big = await emulator.invoke(#"{"big":true}"#)
            #expect(big.status == .error)
            #expect(big.errorText == #"{"errorType":"ResponseRefused","errorMessage":"HTTP 413","reply":{"errorType":"RequestEntityTooLarge","errorMessage":"Exceeded maximum allowed payload size (6291556 bytes)."}}"#)
            let next = await emulator.invoke(#"{"small":true}"#)
            #expect(next.status == .success)
            #expect(next.responseText.hasPrefix(#"{"echo":{"small":true},"pid":"#))
        }
    }

    @Test func aRuntimeThatMovesOnAfterA413FailsTheInvocationAsTooLarge() async throws {
        try await withEmulator("big-bootstrap.sh", environment: ["BIG_THEN": "next"]) { emulator, _ in
            let big = await emulator.invoke(#"{"big":true}"#)
            #expect(big.status == .error)
            #expect(big.errorText == #"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size (7340034 bytes) exceeded maximum allowed payload size (6291556 bytes)."}"#)
            let after = await emulator.invoke(#"{"n":1}"#)
            #expect(after.status == .success)
        }
    }

    @Test func killMinus9MidInvocationIsACrashWithTheSignalAndTheLastStderrLines() async throws {
        try await withEmulator("crash-bootstrap.sh") { emulator, _ in
            let crash = await emulator.invoke(#"{"kill":true}"#)
            #expect(crash.status == .crash)
            #expect(crash.errorText == #"{"errorType":"Runtime.ExitError","errorMessage":"RequestId: "# + crash.requestId
                + #" Error: Runtime exited with error: signal: killed","signal":9,"stderr":["crash-bootstrap: about to die","crash-bootstrap: last words"]}"#)
            let next = await emulator.invoke(#"{"n":1}"#)
            #expect(next.status == .success)
            #expect(next.responseText.hasPrefix(#"{"echo":{"n":1},"pid":"#))
        }
    }

    @Test func anExitMidInvocationIsACrashWithTheExitStatus() async throws {
        try await withEmulator("crash-bootstrap.sh") { emulator, _ in
            let crash = await emulator.invoke(#"{"exit":true}"#)
            #expect(crash.status == .crash)
            #expect(crash.errorText == #"{"errorType":"Runtime.ExitError","errorMessage":"RequestId: "# + crash.requestId
                + #" Error: Runtime exited with error: exit status 3","exitStatus":3,"stderr":["crash-bootstrap: giving up"]}"#)
            let after = await emulator.invoke(#"{"n":1}"#)
            #expect(after.status == .success)
        }
    }

    @Test func theBootstrapStartsWithNoSignalBlockedOrIgnoredSoSigtermReachesIt() async throws {
        try await withEmulator("crash-bootstrap.sh") { emulator, _ in
            // A Swift process's threads block signals; a child would inherit that mask.
            let report = await emulator.invoke(#"{"mask":true}"#)
            let masks = try json(report.response)
            #expect(masks["SigBlk"] as? String == "0000000000000000")
            let ignoredText = try #require(masks["SigIgn"] as? String)
            let ignored = try #require(UInt64(ignoredText, radix: 16))
            #expect(ignored & 0x7FFF_FFFF == 0, "no standard signal (SIGPIPE included) is ignored")

            let crash = await emulator.invoke(#"{"term":true}"#)
            #expect(crash.status == .crash)
            #expect(crash.errorMessage == "RequestId: \(crash.requestId) Error: Runtime exited with error: signal: terminated")
        }
    }

    @Test func aResponseForAnUnknownOrAnsweredRequestIdGets400() async throws {
        try await withEmulator("unknown-id-bootstrap.sh") { emulator, _ in
            let first = await emulator.invoke(#"{"n":1}"#)
            #expect(first.responseText.hasSuffix(#","bogusStatus":400,"bogusReply":{"errorType":"InvalidRequestID","errorMessage":"Invalid request ID"},"againStatus":null}"#))
            let second = await emulator.invoke(#"{"n":2}"#)
            #expect(second.status == .success)
            // Answering the first invocation again, once it is done, is refused too.
            #expect(second.responseText.hasSuffix(#","bogusStatus":400,"bogusReply":{"errorType":"InvalidRequestID","errorMessage":"Invalid request ID"},"againStatus":400}"#))
        }
    }

    @Test func shutdownEndsARunningInvocationAndKillsItsProcessGroup() async throws {
        try await withEmulator("sleep-bootstrap.sh", timeout: .seconds(60)) { emulator, scratch in
            let running = Task { await emulator.invoke(#"{"sleep": 30}"#) }
            var pids: [String] = []
            for _ in 0..<250 where pids.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                pids = try await scratch.lines("pids")
            }
            let started = try #require(pids.first.flatMap { Int32($0) })
            try await Task.sleep(for: .milliseconds(300))  // into the sleep
            await emulator.shutdown()
            let result = await running.value
            #expect(result.status == .error)
            #expect(result.errorType == "Emulator.Stopped")
            #expect(!exists(started))
            let groupGone = try await groupDies(started)
            #expect(groupGone)
            let refused = await emulator.invoke(#"{"n":1}"#)
            #expect(refused.errorType == "Emulator.Stopped", "a stopped emulator runs nothing")
        }
    }

    @Test func anEventOver6MBIsRefusedWithoutStartingTheBootstrap() async throws {
        try await withEmulator("echo-bootstrap.sh") { emulator, _ in
            let result = await emulator.invoke([UInt8](repeating: UInt8(ascii: " "), count: LambdaEmulatorConfiguration.maximumPayloadSize + 1))
            #expect(result.status == .error)
            #expect(result.errorText == #"{"errorType":"RequestEntityTooLarge","errorMessage":"Request must be smaller than 6291556 bytes for the InvokeFunction operation"}"#)
            #expect(emulator.processCount == 0)
        }
    }

    @Test func aBootstrapThatCannotStartIsACrashNamingTheEntrypoint() async throws {
        try await withEmulator("bad-interpreter.sh") { emulator, _ in
            let result = await emulator.invoke(#"{"n":1}"#)
            #expect(result.status == .crash)
            #expect(result.errorType == "Runtime.InvalidEntrypoint")
            #expect(result.errorMessage?.hasPrefix("cannot start \(Fixtures.directory.path)/bad-interpreter.sh: ") == true)
            #expect(emulator.processCount == 0)
        }
    }

    @Test func aMissingOrNonExecutableBootstrapIsRefusedUpFront() async throws {
        #expect(throws: LambdaEmulatorError.self) {
            try LambdaEmulator(configuration: LambdaEmulatorConfiguration(bootstrap: "/nonexistent/bootstrap"))
        }
        let library = Fixtures.directory.appendingPathComponent("runtime-lib.sh").path
        let error = #expect(throws: LambdaEmulatorError.self) {
            try LambdaEmulator(configuration: LambdaEmulatorConfiguration(bootstrap: library))
        }
        #expect(error?.message == "the bootstrap \(library) is not executable (chmod +x it)")
    }
}
