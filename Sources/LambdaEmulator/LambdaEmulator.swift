import Foundation
import LambdaRuntime
import NIOCore
import NIOHTTP1
import Synchronization

/// The Runtime API version the emulator serves.
public enum LambdaEmulatorInfo {
    public static let apiVersion = LambdaRuntimeInfo.apiVersion
}

/// A local AWS Lambda for any custom runtime: it serves the Runtime API (2018-06-01) on
/// 127.0.0.1, runs the `bootstrap` as a child process with Lambda's environment, hands it events
/// and reports how each invocation ended (docs/emulator.md).
///
/// - Every invocation gets the `Lambda-Runtime-*` headers, a deadline and a timeout that kills
///   the process (the next invocation starts a new one).
/// - Responses over 6 MB are refused with 413, answers for unknown or finished invocations with 400.
/// - An `/init/error` is the result of the invocation that started the process; a process that
///   dies mid-invocation is a `crash` with its exit status and last standard-error lines.
/// - Up to `concurrency` processes run at once, each with its own Runtime API port; further
///   invocations wait in arrival order.
/// - `listen(host:port:)` adds the RIE's invoke endpoint,
///   `POST /2015-03-31/functions/function/invocations`.
///
/// Call `shutdown()` when done: it kills every process group and closes every port.
public final class LambdaEmulator: Sendable {
    public let configuration: LambdaEmulatorConfiguration
    private let pool: InstancePool
    private let listeners = Mutex<[HTTPServer]>([])

    /// Checks the configuration; no process starts before the first invocation.
    public init(configuration: LambdaEmulatorConfiguration) throws {
        let path = configuration.bootstrap
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw LambdaEmulatorError("the bootstrap \(path) does not exist")
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw LambdaEmulatorError("the bootstrap \(path) is not executable (chmod +x it)")
        }
        guard configuration.timeout > .zero else { throw LambdaEmulatorError("the timeout must be positive") }
        guard configuration.concurrency >= 1 else { throw LambdaEmulatorError("the concurrency must be at least 1") }
        var resolved = configuration
        resolved.bootstrap = URL(fileURLWithPath: path).standardizedFileURL.path
        self.configuration = resolved
        self.pool = InstancePool(capacity: configuration.concurrency)
    }

    /// How many bootstrap processes exist right now.
    public var processCount: Int { pool.liveCount }

    /// Runs one invocation of `event` and returns how it ended. Never throws: every failure is a
    /// result. Waits for a free process when `concurrency` are busy.
    public func invoke(_ event: [UInt8], options: LambdaInvocationOptions = LambdaInvocationOptions()) async -> LambdaInvocationResult {
        let id = RandomIdentifier.uuid()
        guard event.count <= LambdaEmulatorConfiguration.maximumPayloadSize else {
            return LambdaInvocationResult(requestId: id, status: .error, duration: .zero, error: .object([
                "errorType": "RequestEntityTooLarge",
                "errorMessage": .string("Request must be smaller than \(LambdaEmulatorConfiguration.maximumPayloadSize) bytes for the InvokeFunction operation"),
            ]))
        }
        configuration.log("START RequestId: \(id) Version: $LATEST")
        let result = await run(id: id, event: event, options: options)
        configuration.log("END RequestId: \(id)")
        let status = result.status == .success ? "" : "\tStatus: \(result.status.rawValue)"
        configuration.log("REPORT RequestId: \(id)\tDuration: \(result.durationText) ms\tMemory Size: \(configuration.memorySize) MB\(status)")
        return result
    }

    private func run(id: String, event: [UInt8], options: LambdaInvocationOptions) async -> LambdaInvocationResult {
        while true {
            guard let lease = await pool.acquire() else { return Self.stopped(id) }
            // The clock starts once a sandbox is ours: waiting in the queue is not the function's time.
            let started = ContinuousClock.now
            let instance: FunctionInstance
            let cold: Bool
            switch lease {
            case .warm(let warm):
                instance = warm
                cold = false
            case .cold:
                do {
                    instance = try await FunctionInstance.start(configuration: configuration)
                } catch {
                    pool.release(nil)
                    return LambdaInvocationResult(
                        requestId: id, status: .crash, duration: ContinuousClock.now - started,
                        error: .object(["errorType": "Runtime.InvalidEntrypoint", "errorMessage": .string(String(describing: error))]))
                }
                guard pool.track(instance) else {
                    await instance.terminate()
                    pool.release(nil)
                    return Self.stopped(id)
                }
                cold = true
            }
            let request = InvocationRequest(
                id: id, event: event, options: options, started: started,
                deadlineMs: Int64((Date().timeIntervalSince1970 + configuration.timeout.seconds - (ContinuousClock.now - started).seconds) * 1000)
            )
            switch await instance.run(request, cold: cold) {
            case .gone:
                configuration.log("the bootstrap (pid \(instance.pid.map(String.init) ?? "?")) had exited; starting a new one")
                await retire(instance)
            case .finished(let result, let reusable):
                if reusable {
                    pool.release(instance)
                } else {
                    await retire(instance, grace: result.status == .error ? .milliseconds(250) : .zero)
                }
                return result
            }
        }
    }

    /// Kills an instance for good and frees its slot once the process is reaped, so that no more
    /// than `concurrency` processes ever exist.
    private func retire(_ instance: FunctionInstance, grace: Duration = .zero) async {
        pool.forget(instance)
        await instance.terminate(grace: grace)
        pool.release(nil)
    }

    /// Stops everything: waiting invocations end as errors, running processes are killed (their
    /// whole process groups) and reaped, and every port is closed.
    public func shutdown() async {
        let instances = pool.stop()
        for instance in instances { await instance.terminate() }
        let servers = listeners.withLock { servers in
            defer { servers = [] }
            return servers
        }
        for server in servers { await server.close() }
    }

    static func stopped(_ id: String) -> LambdaInvocationResult {
        LambdaInvocationResult(requestId: id, status: .error, duration: .zero, error: .object([
            "errorType": "Emulator.Stopped", "errorMessage": "the emulator stopped before the function answered",
        ]))
    }

    // MARK: - RIE compatibility

    /// Serves the RIE's invoke endpoint on `host:port` (`port` 0: a free one) until `shutdown()`;
    /// returns the port. See `invokeResponse(for:)` for the statuses.
    @discardableResult
    public func listen(host: String = "127.0.0.1", port: Int = 8080) async throws -> Int {
        let server = try await HTTPServer.start(
            host: host, port: port, maximumBodySize: LambdaEmulatorConfiguration.maximumPayloadSize,
            onRequest: { [weak self] request, responder in
                guard let self else {
                    responder.send(.apiError(503, type: "ServiceException", message: "the emulator has stopped"))
                    return
                }
                self.routeInvoke(request, responder)
            }
        )
        listeners.withLock { $0.append(server) }
        return server.port
    }

    private func routeInvoke(_ request: ServerRequest, _ responder: Responder) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "2015-03-31", "functions", NAME, "invocations"
        guard parts.count == 5, parts[1] == "2015-03-31", parts[2] == "functions", parts[4] == "invocations" else {
            responder.send(.apiError(404, type: "ResourceNotFoundException", message: "no such path: \(request.path); invoke POST /2015-03-31/functions/function/invocations"))
            return
        }
        guard request.method == .POST else {
            responder.send(.apiError(405, type: "MethodNotAllowed", message: "use POST to invoke"))
            return
        }
        guard !request.bodyTooLarge else {
            responder.send(.apiError(413, type: "RequestEntityTooLarge", message: "Request must be smaller than \(LambdaEmulatorConfiguration.maximumPayloadSize) bytes for the InvokeFunction operation"))
            return
        }
        var options = LambdaInvocationOptions(traceId: request.headers.first(name: "X-Amzn-Trace-Id"), tenantId: request.headers.first(name: "X-Amz-Tenant-Id"))
        if let encoded = request.headers.first(name: "X-Amz-Client-Context") {
            guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else {
                responder.send(.apiError(400, type: "InvalidRequestContentException", message: "X-Amz-Client-Context must be base64-encoded JSON"))
                return
            }
            options.clientContext = text
        }
        let event = request.body
        switch request.headers.first(name: "X-Amz-Invocation-Type") ?? "RequestResponse" {
        case "RequestResponse":
            Task {
                let result = await self.invoke(event, options: options)
                responder.send(Self.invokeResponse(for: result))
            }
        case "Event":
            Task { _ = await self.invoke(event, options: options) }
            responder.send(ServerResponse(status: 202))
        case "DryRun":
            responder.send(ServerResponse(status: 204))
        case let other:
            responder.send(.apiError(400, type: "InvalidParameterValueException", message: "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not \(other)"))
        }
    }

    /// The RIE-style HTTP answer to an invocation:
    /// - `success`: 200, the function's response bytes;
    /// - `error` (`/error`, `/init/error`, a refused response): 200 with the error object and
    ///   `X-Amz-Function-Error: Unhandled`, as Lambda's Invoke API;
    /// - `timeout`: 504 with `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after N.00 seconds"}`
    ///   and `X-Amz-Function-Error: Unhandled`;
    /// - `crash`: 502 with the `Runtime.ExitError` object and `X-Amz-Function-Error: Unhandled`;
    /// - the emulator stopping meanwhile: 503.
    ///
    /// Every answer carries `X-Amzn-RequestId` and `X-Amz-Executed-Version: $LATEST`.
    static func invokeResponse(for result: LambdaInvocationResult) -> ServerResponse {
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("X-Amzn-RequestId", result.requestId),
            ("X-Amz-Executed-Version", "$LATEST"),
        ]
        let status: Int
        switch result.status {
        case .success:
            return ServerResponse(status: 200, headers: headers, body: result.response ?? [])
        case .error: status = result.errorType == "Emulator.Stopped" ? 503 : 200
        case .timeout: status = 504
        case .crash: status = 502
        }
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        return ServerResponse(status: status, headers: headers, body: result.error ?? [])
    }
}
