import AIUsage
import DynamoDB
import Foundation
import LambdaEmulator
import CurlHTTP
import TestSupport
import Testing

/// The real `bootstrap` (our runtime + `AIUsageHandler`) under the emulator, against the real
/// server `make test` started: what Lambda would do to it, without AWS or Docker.
@Suite(.serialized) struct RuntimeIntegrationTests {
    /// The bootstrap built next to the test bundle (`swift build --build-tests` builds it).
    static var bootstrap: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bootstrap").path
    }

    func emulator(table: String?, timeout: Duration = .seconds(20), faults: Bool = true, endpoint: String? = nil) throws -> LambdaEmulator {
        var environment = ["AI_USAGE_CACHE_TTL_SECONDS": "0"]
        if let table { environment["DYNAMODB_TABLE_NAME"] = table }
        if let endpoint { environment["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint }
        if faults { environment["AI_USAGE_BOOTSTRAP_FAULTS"] = "1" }
        return try LambdaEmulator(configuration: LambdaEmulatorConfiguration(
            bootstrap: Self.bootstrap, timeout: timeout, environment: environment, functionOutput: { _ in }
        ))
    }

    func report(_ parameters: String) -> [UInt8] {
        Array(#"{"queryStringParameters":{\#(parameters)}}"#.utf8)
    }

    func body(_ result: LambdaInvocationResult) throws -> JSONValue? {
        let proxy = try JSONValue.parse(try #require(result.response))
        return try proxy["body"]?.stringValue.map { try JSONValue.parse($0) }
    }

    /// A table with three known calls on 2026-11-05.
    func withSeededTable(_ body: (String) async throws -> Void) async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let items = try [("openai", "gpt-4o", "0.0125"), ("anthropic", "claude-3-haiku-20240307", "0.001"), ("openai", "gpt-4o-mini", "0.0002")]
                .enumerated().map { index, row in
                    try MetricItemCodec.item(for: AIUsageMetric(
                        service: row.0, model: row.1, operation: "completion",
                        timestamp: UTCTimestamp(year: 2026, month: 11, day: 5, hour: 8 + index), requestId: "rt\(index)",
                        inputTokens: 100, outputTokens: 10, costUSD: ExactDecimal(row.2)))
                }
            #expect(await client.batchWriteItem(tableName: table, requests: items.map { .put($0) }).isComplete)
            try await body(table)
        }
    }

    @Test func threeEventsGiveThreeAnswersInOrderAndFailuresDoNotStopTheLoop() async throws {
        try await withSeededTable { table in
            let emulator = try emulator(table: table)
            defer { Task { await emulator.shutdown() } }
            let day = #""start_date":"2026-11-05","end_date":"2026-11-05""#
            let all = await emulator.invoke(report(day + #","aggregation":"service""#))
            let openai = await emulator.invoke(report(day + #","service":"openai""#))
            let refused = await emulator.invoke(report(#""end_date":"2026-02-30""#))
            #expect([all, openai, refused].map(\.status) == [.success, .success, .success])
            #expect(try body(all)?["summary"]?["total_cost_usd"]?.numberText == "0.0137")
            #expect(try body(all)?["aggregations"]?["by_service"]?["anthropic"]?["api_calls"]?.intValue == 1)
            #expect(try body(openai)?["summary"]?["total_api_calls"]?.intValue == 2)
            #expect(try JSONValue.parse(try #require(refused.response))["statusCode"]?.intValue == 400)

            // The handler fails: an error result, and the same process answers the next event.
            let failed = await emulator.invoke(Array(#"{"ai_usage_fault":"throw"}"#.utf8))
            #expect(failed.status == .error)
            #expect(failed.errorMessage?.contains("injected fault") == true)
            let after = await emulator.invoke(report(day))
            #expect(after.status == .success)
            #expect(try body(after)?["summary"]?["total_api_calls"]?.intValue == 3)
            #expect(emulator.processCount == 1)
        }
    }

    @Test func aScheduledRollupRunsThroughTheBootstrapAndItsFailureIsAnError() async throws {
        try await withSeededTable { table in
            let emulator = try emulator(table: table)
            defer { Task { await emulator.shutdown() } }
            // The 5th of November is long closed: compacted, three calls in its groups.
            let task = Array(#"{"ai_usage_task":"rollup","from":"2026-11-04","to":"2026-11-05"}"#.utf8)
            let done = await emulator.invoke(task)
            #expect(done.status == .success)
            let answer = try JSONValue.parse(try #require(done.response))
            #expect(answer["status"]?.stringValue == "ok")
            #expect(answer["days"]?[1]?["result"]?.stringValue == "written")
            #expect(answer["days"]?[1]?["raw_items"]?.intValue == 3)
            // The report of that day now comes from the rollups, with the same answer.
            let day = #""start_date":"2026-11-05","end_date":"2026-11-05""#
            #expect(try body(await emulator.invoke(report(day)))?["summary"]?["total_cost_usd"]?.numberText == "0.0137")
        }
        // Against a table that does not exist, the task cannot finish: Lambda sees an error,
        // whose message is the fixed public body, not AWS's words.
        let missing = try emulator(table: "no-such-table-\(UUID().uuidString.prefix(8).lowercased())")
        defer { Task { await missing.shutdown() } }
        let failed = await missing.invoke(Array(#"{"ai_usage_task":"rollup","from":"2026-11-04","to":"2026-11-05"}"#.utf8))
        #expect(failed.status == .error)
        #expect(failed.errorMessage?.contains(#""status":"failed""#) == true, "\(failed.errorMessage ?? "")")
        #expect(failed.errorMessage?.contains("the usage table does not exist") == true, "\(failed.errorMessage ?? "")")
    }

    @Test func aMissingTableNameIsAnInitError() async throws {
        let emulator = try emulator(table: nil)
        defer { Task { await emulator.shutdown() } }
        let result = await emulator.invoke(report(""))
        #expect(result.status == .error)
        #expect(result.errorType == "Runtime.ConfigInvalid")
        #expect(result.errorMessage == "DYNAMODB_TABLE_NAME is not set: set it to the usage table's name")
    }

    @Test func aTimeoutKillsTheProcessAndTheNextEventStillWorks() async throws {
        try await withSeededTable { table in
            let emulator = try emulator(table: table, timeout: .seconds(2))
            defer { Task { await emulator.shutdown() } }
            let slow = await emulator.invoke(Array(#"{"ai_usage_fault":"sleep","seconds":30}"#.utf8))
            #expect(slow.status == .timeout)
            #expect(slow.errorMessage == "Task timed out after 2.00 seconds")
            let next = await emulator.invoke(report(#""start_date":"2026-11-05","end_date":"2026-11-05""#))
            #expect(next.status == .success)
            #expect(try body(next)?["summary"]?["total_api_calls"]?.intValue == 3)
        }
    }

    /// The function has 3 s; DynamoDB accepts connections and never answers. Without a budget the
    /// handler would wait 30 s per attempt and Lambda would kill it. With one, the attempt is cut
    /// to the time left, no retry is started that cannot finish, and the caller gets a 503 with
    /// `Retry-After` before the deadline (a `.timeout` status here would mean it did not).
    @Test func aStalledTableGetsA503BeforeTheFunctionTimesOut() async throws {
        let stalled = try FaultResponder { _, _ in .noAnswer }
        defer { stalled.stop() }
        let emulator = try emulator(table: "AIUsageMetrics", timeout: .seconds(3), endpoint: "http://127.0.0.1:\(stalled.port)")
        defer { Task { await emulator.shutdown() } }
        let result = await emulator.invoke(report(#""start_date":"2026-11-05","end_date":"2026-11-05""#))
        #expect(result.status == .success)
        let proxy = try JSONValue.parse(try #require(result.response))
        #expect(proxy["statusCode"]?.intValue == 503)
        #expect(proxy["headers"]?["Retry-After"]?.stringValue == "5")
        #expect(try body(result)?["error"]?.stringValue == "the usage table is unavailable, retry shortly")
        #expect(stalled.connectionCount >= 1)
    }

    @Test func aResponseOverSixMegabytesIsRefusedAndReported() async throws {
        try await withSeededTable { table in
            let emulator = try emulator(table: table)
            defer { Task { await emulator.shutdown() } }
            let big = await emulator.invoke(Array(#"{"ai_usage_fault":"big","bytes":7000000}"#.utf8))
            #expect(big.status == .error)
            #expect(big.errorType == "Function.ResponseSizeTooLarge")
            #expect(await emulator.invoke(report(#""start_date":"2026-11-05","end_date":"2026-11-05""#)).status == .success)
        }
    }

    @Test func aKilledBootstrapIsACrashAndTheNextEventStillWorks() async throws {
        try await withSeededTable { table in
            let emulator = try emulator(table: table)
            defer { Task { await emulator.shutdown() } }
            let crash = await emulator.invoke(Array(#"{"ai_usage_fault":"crash"}"#.utf8))
            #expect(crash.status == .crash)
            #expect(crash.errorType == "Runtime.ExitError")
            let error = try JSONValue.parse(try #require(crash.error))
            #expect(error["signal"]?.intValue == 9, "\(crash.jsonLine)")
            let next = await emulator.invoke(report(#""start_date":"2026-11-05","end_date":"2026-11-05""#))
            #expect(next.status == .success)
        }
    }
}

/// `ai-usage emulate` and `ai-usage serve` as a user runs them, against the real server.
@Suite(.serialized) struct EmulateAndServeCLITests {
    static var binaries: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    /// As uid 65534 the emulator used to reset every Runtime API connection: it set "TCP_NODELAY"
    /// at the socket level, where that number is SO_DEBUG, which only root may set, and NIO closed
    /// each connection the option failed on. Run as root, this test drops to nobody with setpriv;
    /// run as any other user, it is already not root.
    @Test func emulateWorksAsANonRootUser() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("it-nobody-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: directory) }
        // Copies that nobody may run, wherever the build tree is.
        for name in ["ai-usage", "bootstrap"] {
            let copy = directory.appendingPathComponent(name)
            try FileManager.default.copyItem(at: Self.binaries.appendingPathComponent(name), to: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        }
        let event = directory.appendingPathComponent("event.json")
        try Data(#"{"queryStringParameters":{"start_date":"2026-11-05","end_date":"2026-02-30"}}"#.utf8).write(to: event)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: event.path)
        let command = [directory.appendingPathComponent("ai-usage").path, "emulate", "--timeout", "20", event.path]
        let environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "DYNAMODB_TABLE_NAME": "AIUsageMetrics",
                           "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-secret"]
        let output = getuid() == 0
            ? try await ChildProcessRunner.runOffPool("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups"] + command, environment: environment)
            : try await ChildProcessRunner.runOffPool(command[0], Array(command.dropFirst()), environment: environment)
        #expect(output.status == 0, "\(output.stderr)")
        let line = try JSONValue.parse(Array(output.stdout.utf8))
        #expect(line["status"]?.stringValue == "success", "\(output.stdout)")
        #expect(line["response"]?["statusCode"]?.intValue == 400)
        #expect(!output.stderr.contains("connection reset"))
    }

    /// A bare port binds 127.0.0.1; a host that other machines can reach is served with a warning.
    @Test func emulateListensOnLoopbackAndWarnsOtherwise() async throws {
        let executable = Self.binaries.appendingPathComponent("ai-usage").path
        for (listen, warns) in [("0", false), ("0.0.0.0:0", true)] {
            let emulate = try ChildProcessRunner.start(executable, ["emulate", "--bootstrap", "/bin/true", "--listen", listen])
            let line = try await offPool { emulate.waitForLine(timeout: .seconds(30)) { $0.hasPrefix("Listening on ") } }
            let output = emulate.stop()
            #expect(line?.hasPrefix(warns ? "Listening on http://0.0.0.0:" : "Listening on http://127.0.0.1:") == true, "\(output.stderr)")
            #expect(output.stderr.contains("is not a loopback address: other machines can invoke the function") == warns, "\(output.stderr)")
        }
    }

    @Test func emulateRunsTheRealBootstrapOnEventFiles() async throws {
        _ = try IntegrationEnvironment.configuration()
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("it-emulate-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let env = directory.appendingPathComponent("env.json")
            try Data(#"{"AIUsageFunction": {"DYNAMODB_TABLE_NAME": "\#(table)"}}"#.utf8).write(to: env)
            let events = HandlerEvents.directory
            let output = try await ChildProcessRunner.runOffPool(Self.binaries.appendingPathComponent("ai-usage").path, [
                "emulate", "--env-vars", env.path, "--timeout", "20",
                events.appendingPathComponent("format-rest-v1-no-parameters.json").path,
                events.appendingPathComponent("bad-date-impossible.json").path,
            ])
            #expect(output.status == 0, "\(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            let results = try lines.map { try JSONValue.parse($0) }
            #expect(results.map { $0["status"]?.stringValue } == ["success", "success"])
            #expect(results[0]["response"]?["statusCode"]?.intValue == 200)
            #expect(results[1]["response"]?["statusCode"]?.intValue == 400)
        }
    }

    @Test func serveAnswersCurlLikeAPIGateway() async throws {
        _ = try IntegrationEnvironment.configuration()
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            // Port 0: serve binds a free port itself and names it in its first line.
            let serve = try ChildProcessRunner.start(
                Self.binaries.appendingPathComponent("ai-usage").path, ["serve", "--port", "0"],
                environment: ProcessInfo.processInfo.environment.merging(["DYNAMODB_TABLE_NAME": table]) { $1 })
            defer { serve.stop() }
            let prefix = "Serving http://127.0.0.1:"
            let line = try await offPool { serve.waitForLine(timeout: .seconds(30)) { $0.hasPrefix(prefix) } }
            let port = try #require(line.flatMap { Int($0.dropFirst(prefix.count).prefix { $0.isNumber }) }, "serve did not say where it listens: \(serve.stderrText)")
            let http = CurlHTTPClient(maxConnections: 1)
            func get(_ path: String, method: String = "GET") async throws -> HTTPResponse {
                try await http.send(HTTPRequest(method: method, url: "http://127.0.0.1:\(port)\(path)"))
            }
            let report = try await get("/ai_usage?aggregation=day,service")
            #expect(report.status == 200)
            #expect(try JSONValue.parse(report.body)["summary"]?["total_api_calls"]?.intValue == 0)
            #expect(report.headers["Access-Control-Allow-Origin"] == "*")
            #expect(try await get("/ai_usage?start_date=2026-02-30").status == 400)
            #expect(try await get("/ai_usage", method: "OPTIONS").status == 204)
            #expect(try await get("/nothing-here").status == 404)
        }
    }
}

enum HandlerEvents {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("events")
}
