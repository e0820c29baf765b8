import CurlHTTP
import Foundation
import LambdaEmulator
import TestSupport
import Testing

/// `--listen`: the RIE's invoke endpoint, called the way curl would.
@Suite(.serialized) struct InvokeEndpointTests {
    static let path = "/2015-03-31/functions/function/invocations"

    static func post(_ client: CurlHTTPClient, _ port: Int, _ body: String, headers: HTTPHeaders = [:], path: String = path) async throws -> HTTPResponse {
        try await client.send(HTTPRequest(
            method: "POST", url: "http://127.0.0.1:\(port)\(path)", headers: headers, body: Array(body.utf8),
            timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(30))))
    }

    @Test func successIs200WithTheFunctionsAnswer() async throws {
        try await withEmulator("error-bootstrap.sh") { emulator, _ in
            let port = try await emulator.listen(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 2)
            let response = try await Self.post(client, port, #"{"hello":"world"}"#)
            #expect(response.status == 200)
            #expect(response.bodyText.hasPrefix(#"{"echo":{"hello":"world"},"pid":"#))
            #expect(response.headers["X-Amz-Function-Error"] == nil)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.headers["X-Amz-Executed-Version"] == "$LATEST")
            #expect(UUID(uuidString: try #require(response.headers["X-Amzn-RequestId"])) != nil)
        }
    }

    @Test func aFunctionErrorIs200WithTheErrorAndXAmzFunctionErrorUnhandled() async throws {
        try await withEmulator("error-bootstrap.sh") { emulator, _ in
            let port = try await emulator.listen(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 2)
            let response = try await Self.post(client, port, #"{"fail":true}"#)
            #expect(response.status == 200)
            #expect(response.headers["X-Amz-Function-Error"] == "Unhandled")
            #expect(response.bodyText == #"{"errorMessage":"asked to fail","errorType":"TestFailure","stackTrace":["error-bootstrap.sh:9"]}"#)
            let next = try await Self.post(client, port, #"{"ok":true}"#)
            #expect(next.status == 200)
        }
    }

    @Test func aTimeoutIs504AndACrashIs502() async throws {
        try await withEmulator("sleep-bootstrap.sh", timeout: .seconds(1)) { emulator, _ in
            let port = try await emulator.listen(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 2)
            let timeout = try await Self.post(client, port, #"{"sleep": 8}"#)
            #expect(timeout.status == 504)
            #expect(timeout.headers["X-Amz-Function-Error"] == "Unhandled")
            #expect(timeout.bodyText == #"{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 1.00 seconds"}"#)
        }
        try await withEmulator("crash-bootstrap.sh") { emulator, _ in
            let port = try await emulator.listen(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 2)
            let crash = try await Self.post(client, port, #"{"exit":true}"#)
            #expect(crash.status == 502)
            #expect(crash.headers["X-Amz-Function-Error"] == "Unhandled")
            let body = try json(crash.body)
            #expect(body["errorType"] as? String == "Runtime.ExitError")
            #expect(body["exitStatus"] as? Int == 3)
            #expect(body["stderr"] as? [String] == ["crash-bootstrap: giving up"])
        }
    }

    @Test func eightConcurrentInvocationsWithConcurrency4AllSucceedOnAtMostFourProcesses() async throws {
        try await withEmulator("sleep-bootstrap.sh", concurrency: 4) { emulator, scratch in
            let port = try await emulator.listen(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 8)
            let started = ContinuousClock.now
            let responses = try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
                for index in 0..<8 {
                    group.addTask { (index, try await Self.post(client, port, #"{"sleep": 0.5, "i": \#(index)}"#)) }
                }
                var all: [Int: HTTPResponse] = [:]
                for try await (index, response) in group { all[index] = response }
                return all
            }
            let elapsed = ContinuousClock.now - started
            let pids = try await scratch.lines("pids")
            #expect(responses.count == 8)
            var answeredBy: [String] = []
            for index in 0..<8 {
                let response = try #require(responses[index])
                #expect(response.status == 200)
                let body = try json(response.body)
                #expect((body["echo"] as? [String: Any])?["i"] as? Int == index)
                answeredBy.append(String(try #require(body["pid"] as? Int)))
            }
            #expect(pids.count == 4, "four processes were started, no more")
            #expect(Set(answeredBy) == Set(pids))
            #expect(elapsed >= .milliseconds(1000), "eight half-second sleeps on four processes take two rounds")
            #expect(emulator.processCount <= 4)
        }
    }

    @Test func otherInvocationTypesPathsAndSizes() async throws {
        try await withEmulator("echo-bootstrap.sh") { emulator, _ in
            let port = try await emulator.listen(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 2)
            let dryRun = try await Self.post(client, port, "{}", headers: ["X-Amz-Invocation-Type": "DryRun"])
            #expect(dryRun.status == 204)
            let event = try await Self.post(client, port, "{}", headers: ["X-Amz-Invocation-Type": "Event"])
            #expect(event.status == 202)
            let wrongType = try await Self.post(client, port, "{}", headers: ["X-Amz-Invocation-Type": "Later"])
            #expect(wrongType.status == 400)
            let wrongTypeBody = try json(wrongType.body)
            #expect(wrongTypeBody["errorType"] as? String == "InvalidParameterValueException")
            let badContext = try await Self.post(client, port, "{}", headers: ["X-Amz-Client-Context": "%%%"])
            #expect(badContext.status == 400)
            let otherPath = try await Self.post(client, port, "{}", path: "/2015-03-31/functions/function/other")
            #expect(otherPath.status == 404)
            let get = try await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)\(Self.path)"))
            #expect(get.status == 405)
            let huge = String(repeating: " ", count: LambdaEmulatorConfiguration.maximumPayloadSize + 1)
            let tooLarge = try await Self.post(client, port, huge)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.bodyText == #"{"errorType":"RequestEntityTooLarge","errorMessage":"Request must be smaller than 6291556 bytes for the InvokeFunction operation"}"#)
            // The trace id of the caller reaches the runtime.
            let traced = try await Self.post(client, port, #"{"n":1}"#, headers: ["X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000001;Sampled=1"])
            let tracedBody = try json(traced.body)
            #expect(tracedBody["traceId"] as? String == "Root=1-00000000-000000000000000000000001;Sampled=1")
        }
    }
}
