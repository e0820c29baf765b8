import CurlHTTP
import Foundation
import LambdaRuntime
import Synchronization
import TestSupport

/// One invocation the fake Runtime API hands out on `/next`.
struct ScriptedInvocation: Sendable {
    var headers: [String: String]
    var body: [UInt8]

    /// The three required headers plus `extra`; `requestId: nil` leaves the id out.
    static func make(
        _ requestId: String?,
        body: String = "{}",
        deadline: String? = String(FakeRuntimeAPI.deadline),
        arn: String? = FakeRuntimeAPI.arn,
        extra: [String: String] = [:]
    ) -> ScriptedInvocation {
        var headers = extra
        headers["Lambda-Runtime-Aws-Request-Id"] = requestId
        headers["Lambda-Runtime-Deadline-Ms"] = deadline
        headers["Lambda-Runtime-Invoked-Function-Arn"] = arn
        headers["Content-Type"] = "application/json"
        return ScriptedInvocation(headers: headers, body: Array(body.utf8))
    }
}

/// A Runtime API on a `FaultResponder`: `/next` serves the scripted invocations in order (then
/// 500, "script exhausted") unless `next` (given the index of the GET) answers in their place;
/// POSTs get 202 `{"status":"OK"}` unless `answer` says otherwise.
final class FakeRuntimeAPI: Sendable {
    static let wallClock: Int64 = 1_800_000_000_000  // 2027-01-15T08:00:00.000Z
    static let deadline: Int64 = wallClock + 60_000
    static let arn = "arn:aws:lambda:eu-west-1:123456789012:function:ai-usage:live"

    let responder: FaultResponder
    private final class Counters: Sendable {
        let state = Mutex((gets: 0, handedOut: 0))
    }

    init(
        _ invocations: [ScriptedInvocation],
        next: (@Sendable (Int) -> FaultAction?)? = nil,
        answer: @escaping @Sendable (RecordedRequest) -> FaultAction? = { _ in nil }
    ) throws {
        let counters = Counters()
        responder = try FaultResponder { request, _ in
            if request.method == "GET" {
                let get = counters.state.withLock { counters in
                    defer { counters.gets += 1 }
                    return counters.gets
                }
                if let scripted = next?(get) { return scripted }
                let index = counters.state.withLock { counters in
                    defer { counters.handedOut += 1 }
                    return counters.handedOut
                }
                guard index < invocations.count else {
                    return .respond(status: 500, headers: [:], body: Array("script exhausted".utf8))
                }
                return .respond(status: 200, headers: invocations[index].headers, body: invocations[index].body)
            }
            return answer(request) ?? .respond(status: 202, headers: ["Content-Type": "application/json"], body: Array(#"{"status":"OK"}"#.utf8))
        }
    }

    var runtimeAPI: String { "127.0.0.1:\(responder.port)" }
    var requests: [RecordedRequest] { responder.requests }
    /// `METHOD path` of every request, in order.
    var lines: [String] { requests.map { "\($0.method) \($0.path)" } }
}

/// Collects log lines.
final class LogCapture: Sendable {
    private let stored = Mutex<[String]>([])
    var sink: LambdaLogSink { LambdaLogSink { line in self.stored.withLock { $0.append(line) } } }
    var lines: [String] { stored.withLock { $0 } }
}

/// Records what the loop exports as `_X_AMZN_TRACE_ID`.
final class TraceRecorder: Sendable {
    private let stored = Mutex<[String?]>([])
    var setter: @Sendable (String?) -> Void { { value in self.stored.withLock { $0.append(value) } } }
    var values: [String?] { stored.withLock { $0 } }
}

/// A value written by a handler's task and read by the test.
final class Recorded<Value: Sendable>: Sendable {
    private let stored = Mutex<[Value]>([])
    func append(_ value: Value) { stored.withLock { $0.append(value) } }
    var values: [Value] { stored.withLock { $0 } }
}

/// Quick retries for tests: 3 tries, 20 ms apart.
let quickRetry = LambdaRetryPolicy(delays: [.milliseconds(20), .milliseconds(20)])

/// Runs a loop against `api` on a thread of its own (the loop blocks in libcurl).
func runLoop(
    _ api: FakeRuntimeAPI?,
    environment extra: [String: String] = [:],
    options: RuntimeLoop.Options,
    logs: LogCapture = LogCapture(),
    traces: TraceRecorder? = TraceRecorder(),
    handler: some LambdaHandler
) async throws -> RuntimeTermination {
    let loop = makeLoop(api, environment: extra, options: options, logs: logs, traces: traces)
    return try await offPool { loop.run(handler: handler) }
}

func makeLoop(
    _ api: FakeRuntimeAPI?,
    environment extra: [String: String] = [:],
    options: RuntimeLoop.Options,
    logs: LogCapture = LogCapture(),
    traces: TraceRecorder? = TraceRecorder()
) -> RuntimeLoop {
    var environment = extra
    if let api { environment["AWS_LAMBDA_RUNTIME_API"] = api.runtimeAPI }
    return RuntimeLoop(
        environment: environment,
        options: options,
        logSink: logs.sink,
        wallClock: { FakeRuntimeAPI.wallClock },
        setTraceId: traces?.setter ?? LambdaRuntime.exportTraceId
    )
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

extension Array {
    /// The element at `index`, or `nil`: a failed expectation instead of a crash that would
    /// take the other tests' results with it.
    subscript(checked index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
