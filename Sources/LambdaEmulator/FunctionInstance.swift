import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a caller may pass along with an event (the Invoke API's optional headers).
public struct LambdaInvocationOptions: Sendable, Hashable {
    /// `Lambda-Runtime-Trace-Id`; one is made up when `nil` (Lambda always sends one).
    public var traceId: String?
    /// `Lambda-Runtime-Client-Context`: the client context JSON, decoded.
    public var clientContext: String?
    /// `Lambda-Runtime-Cognito-Identity`: JSON.
    public var cognitoIdentity: String?
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    public var tenantId: String?

    public init(traceId: String? = nil, clientContext: String? = nil, cognitoIdentity: String? = nil, tenantId: String? = nil) {
        self.traceId = traceId
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.tenantId = tenantId
    }
}

/// One invocation on its way through an instance.
struct InvocationRequest: Sendable {
    let id: String
    let event: [UInt8]
    let options: LambdaInvocationOptions
    let started: ContinuousClock.Instant
    /// `Lambda-Runtime-Deadline-Ms`: the start plus the timeout, in Unix epoch milliseconds.
    let deadlineMs: Int64
}

/// One sandbox: a bootstrap process and the Runtime API it alone talks to, on a port of its own
/// (so a killed process's late requests can never reach its successor). It runs one invocation
/// at a time; the pool reuses it while it stays healthy.
final class FunctionInstance: Sendable {
    enum Outcome: Sendable {
        /// The invocation ended; `reusable` when the process may take the next one.
        case finished(LambdaInvocationResult, reusable: Bool)
        /// The (warm) process had already gone before the invocation reached it: retry elsewhere.
        case gone
    }

    private enum Ending: Sendable {
        case timeout, initError, crash, stopped
    }

    private struct Current {
        let request: InvocationRequest
        let continuation: CheckedContinuation<Outcome, Never>
        var delivered = false
        /// The size of a response refused with 413; the runtime may still post `/error`.
        var refusedSize: Int?
        var timer: Scheduled<Void>?
    }

    private struct State {
        var server: HTTPServer?
        var process: ChildProcess?
        var parkedNext: Responder?
        var current: Current?
        var ending: Ending?
        /// An `/init/error` that came while no invocation waited: the next one's result.
        var initError: EmulatorJSON?
        var exited = false
    }

    private let configuration: LambdaEmulatorConfiguration
    private let state = Mutex(State())
    private let eventLoop: any EventLoop

    private init(configuration: LambdaEmulatorConfiguration) {
        self.configuration = configuration
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.next()
    }

    /// Binds a Runtime API on a free port and starts the bootstrap against it.
    static func start(configuration: LambdaEmulatorConfiguration) async throws -> FunctionInstance {
        let instance = FunctionInstance(configuration: configuration)
        // The Runtime API's connections, the invocation timers and the hand-over of each event
        // all run on the instance's one event loop: an invocation crosses threads once to start.
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, maximumBodySize: LambdaEmulatorConfiguration.maximumPayloadSize,
            group: instance.eventLoop,
            onRequest: { [weak instance] request, responder in
                guard let instance else {
                    responder.send(.apiError(500, type: "ServiceException", message: "the sandbox is gone"))
                    return
                }
                instance.route(request, responder)
            },
            onClose: { [weak instance] connection in instance?.connectionClosed(connection) }
        )
        instance.state.withLock { $0.server = server }
        do {
            let process = try ChildProcess.spawn(
                executable: configuration.bootstrap,
                environment: configuration.processEnvironment(runtimeAPI: "127.0.0.1:\(server.port)"),
                directory: configuration.taskRoot,
                output: configuration.functionOutput,
                onExit: { [weak instance] exit in instance?.processExited(exit) }
            )
            instance.state.withLock { $0.process = process }
        } catch {
            await server.close()
            throw error
        }
        return instance
    }

    /// The bootstrap's pid (for logs).
    var pid: pid_t? { state.withLock { $0.process?.pid } }

    /// Runs one invocation to its outcome. `cold`: the process was started for it.
    ///
    /// The invocation is registered before this suspends. Arming its timeout and writing the event
    /// to a waiting `/next` happen together on the instance's event loop: one hop, and none more
    /// (the loop owns the Runtime API's connections and the timers).
    func run(_ request: InvocationRequest, cold: Bool) async -> Outcome {
        await withCheckedContinuation { continuation in
            enum Next: Sendable { case wait, deliver(Responder), resume(Outcome) }
            let next: Next = state.withLock { state in
                if let initError = state.initError {
                    state.initError = nil
                    state.ending = .initError
                    return .resume(.finished(result(request, .error, error: initError), reusable: false))
                }
                if state.ending != nil || (state.exited && !cold) { return .resume(.gone) }
                var current = Current(request: request, continuation: continuation)
                if state.exited {
                    // A cold process that ended before the invocation was handed to it.
                    state.current = current
                    return .wait
                }
                if let parked = state.parkedNext {
                    state.parkedNext = nil
                    current.delivered = true
                    state.current = current
                    return .deliver(parked)
                }
                state.current = current
                return .wait
            }
            if case .resume(let outcome) = next {
                continuation.resume(returning: outcome)
                return
            }
            let onLoop: @Sendable () -> Void = { [self] in
                armTimeout(request)
                if case .deliver(let responder) = next { deliver(request, to: responder) }
            }
            if eventLoop.inEventLoop { onLoop() } else { eventLoop.execute(onLoop) }
            if state.withLock({ $0.exited && $0.current?.request.id == request.id && $0.ending == nil }) {
                // The exit was reported before this invocation was registered.
                processExited(nil)
            }
        }
    }

    /// Schedules the timeout of `request` if it is still the current invocation (it may have
    /// ended already: a fast answer can come back before this runs).
    private func armTimeout(_ request: InvocationRequest) {
        let remaining = configuration.timeout - (ContinuousClock.now - request.started)
        state.withLock { state in
            guard var current = state.current, current.request.id == request.id, current.timer == nil else { return }
            current.timer = eventLoop.scheduleTask(in: .nanoseconds(max(0, Int64(remaining.seconds * 1e9)))) { [weak self] in
                self?.timedOut(request.id)
            }
            state.current = current
        }
    }

    /// Kills the process group, waits until the process is reaped and closes the Runtime API.
    /// `grace`: first let the process end on its own for that long (after an `/init/error`).
    /// An invocation still running ends as an `error` ("Emulator.Stopped").
    func terminate(grace: Duration = .zero) async {
        let (process, server, stopped) = state.withLock { state -> (ChildProcess?, HTTPServer?, (CheckedContinuation<Outcome, Never>, Outcome)?) in
            var stopped: (CheckedContinuation<Outcome, Never>, Outcome)?
            if let current = state.current {
                state.ending = state.ending ?? .stopped
                stopped = finish(&state, current, .error, error: .object([
                    "errorType": "Emulator.Stopped",
                    "errorMessage": "the emulator stopped before the function answered",
                ]), reusable: false)
            }
            state.ending = state.ending ?? .stopped
            let parked = state.parkedNext
            state.parkedNext = nil
            parked?.channel.close(promise: nil)
            return (state.process, state.server, stopped)
        }
        if let stopped { stopped.0.resume(returning: stopped.1) }
        if let process {
            if grace > .zero, process.exitStatus == nil {
                let kill = eventLoop.scheduleTask(in: .nanoseconds(Int64(grace.seconds * 1e9))) { process.killGroup() }
                _ = await process.waitForExit()
                kill.cancel()
            } else {
                process.killGroup()
                _ = await process.waitForExit()
            }
        }
        await server?.close()
    }

    // MARK: - Runtime API

    private static let prefix = "/2018-06-01/runtime/"

    private func route(_ request: ServerRequest, _ responder: Responder) {
        let path = request.path
        guard path.hasPrefix(Self.prefix) else {
            responder.send(.apiError(404, type: "NotFound", message: "no such Runtime API path: \(path)"))
            return
        }
        let parts = path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        switch (request.method, parts.count, parts.first, parts.last) {
        case (.GET, 2, "invocation"?, "next"?):
            next(responder)
        case (.POST, 3, "invocation"?, "response"?):
            respond(String(parts[1]), request, responder)
        case (.POST, 3, "invocation"?, "error"?):
            fail(String(parts[1]), request, responder)
        case (.POST, 2, "init"?, "error"?):
            initFailed(request, responder)
        case (_, 2, "invocation"?, "next"?), (_, 3, "invocation"?, "response"?), (_, 3, "invocation"?, "error"?), (_, 2, "init"?, "error"?):
            responder.send(.apiError(405, type: "MethodNotAllowed", message: "\(request.method) is not allowed on \(path)"))
        default:
            responder.send(.apiError(404, type: "NotFound", message: "no such Runtime API path: \(path)"))
        }
    }

    private func next(_ responder: Responder) {
        enum Next { case deliver(InvocationRequest), park(replacing: Responder?), refuse, finished(CheckedContinuation<Outcome, Never>, Outcome) }
        let next: Next = state.withLock { state in
            guard state.ending == nil else { return .refuse }
            if var current = state.current {
                if !current.delivered {
                    current.delivered = true
                    state.current = current
                    return .deliver(current.request)
                }
                if let size = current.refusedSize {
                    // The runtime moved on after its response was refused: the invocation failed.
                    let done = finish(&state, current, .error, error: Self.tooLarge(size), reusable: true)
                    state.parkedNext = responder
                    return .finished(done.0, done.1)
                }
            }
            let previous = state.parkedNext
            state.parkedNext = responder
            return .park(replacing: previous)
        }
        switch next {
        case .deliver(let request): deliver(request, to: responder)
        case .park(let previous): previous?.channel.close(promise: nil)
        case .refuse:
            responder.send(.apiError(403, type: "InvalidStateTransition", message: "the sandbox is shutting down"))
        case .finished(let continuation, let outcome): continuation.resume(returning: outcome)
        }
    }

    private func deliver(_ request: InvocationRequest, to responder: Responder) {
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", request.id),
            ("Lambda-Runtime-Deadline-Ms", String(request.deadlineMs)),
            ("Lambda-Runtime-Invoked-Function-Arn", configuration.invokedFunctionARN),
            ("Lambda-Runtime-Trace-Id", request.options.traceId ?? Self.traceId()),
        ]
        if let context = request.options.clientContext { headers.append(("Lambda-Runtime-Client-Context", context)) }
        if let identity = request.options.cognitoIdentity { headers.append(("Lambda-Runtime-Cognito-Identity", identity)) }
        if let tenant = request.options.tenantId { headers.append(("Lambda-Runtime-Aws-Tenant-Id", tenant)) }
        responder.send(ServerResponse(status: 200, headers: headers, body: request.event)) { [weak self] written in
            if !written { self?.deliveryFailed(request.id) }
        }
    }

    /// The `/next` connection went away before the event reached it: wait for another `/next`.
    private func deliveryFailed(_ id: String) {
        state.withLock { state in
            guard var current = state.current, current.request.id == id, current.delivered else { return }
            current.delivered = false
            state.current = current
        }
    }

    private func connectionClosed(_ connection: UInt64) {
        state.withLock { state in
            if state.parkedNext?.connection == connection { state.parkedNext = nil }
        }
    }

    private func respond(_ id: String, _ request: ServerRequest, _ responder: Responder) {
        if let mode = request.headers.first(name: "Lambda-Runtime-Function-Response-Mode"), mode.lowercased() != "streaming" {
            responder.send(.apiError(400, type: "InvalidFunctionResponseMode", message: "Lambda-Runtime-Function-Response-Mode must be 'streaming', not '\(mode)'"))
            return
        }
        enum Reply { case invalid, tooLarge, accepted(CheckedContinuation<Outcome, Never>, Outcome) }
        let reply: Reply = state.withLock { state in
            guard var current = state.current, current.request.id == id, current.delivered, state.ending == nil else { return .invalid }
            if request.bodyTooLarge {
                current.refusedSize = request.bodySize
                state.current = current
                return .tooLarge
            }
            // A streamed response that failed midway says so in its trailers.
            if let type = request.trailers?.first(name: "Lambda-Runtime-Function-Error-Type") {
                let body = request.trailers?.first(name: "Lambda-Runtime-Function-Error-Body")
                    .flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
                let done = finish(&state, current, .error, error: Self.errorObject(body, type: type), reusable: true)
                return .accepted(done.0, done.1)
            }
            let done = finish(&state, current, .success, response: request.body, reusable: true)
            return .accepted(done.0, done.1)
        }
        switch reply {
        case .invalid:
            responder.send(.apiError(400, type: "InvalidRequestID", message: "Invalid request ID"))
        case .tooLarge:
            responder.send(.apiError(
                413, type: "RequestEntityTooLarge",
                message: "Exceeded maximum allowed payload size (\(LambdaEmulatorConfiguration.maximumPayloadSize) bytes)."))
        case .accepted(let continuation, let outcome):
            responder.send(.json(202, .object(["status": "OK"])))
            continuation.resume(returning: outcome)
        }
    }

    private func fail(_ id: String, _ request: ServerRequest, _ responder: Responder) {
        let type = request.headers.first(name: "Lambda-Runtime-Function-Error-Type")
        let done: (CheckedContinuation<Outcome, Never>, Outcome)? = state.withLock { state in
            guard let current = state.current, current.request.id == id, current.delivered, state.ending == nil else { return nil }
            let error = request.bodyTooLarge
                ? EmulatorJSON.object(["errorType": .string(type ?? "Function.Unknown"), "errorMessage": "the error body was too large"])
                : Self.errorObject(request.body, type: type)
            return finish(&state, current, .error, error: error, reusable: true)
        }
        guard let done else {
            responder.send(.apiError(400, type: "InvalidRequestID", message: "Invalid request ID"))
            return
        }
        responder.send(.json(202, .object(["status": "OK"])))
        done.0.resume(returning: done.1)
    }

    private func initFailed(_ request: ServerRequest, _ responder: Responder) {
        let error = Self.errorObject(request.bodyTooLarge ? [] : request.body, type: request.headers.first(name: "Lambda-Runtime-Function-Error-Type"))
        enum Reply { case refused, stored, finished(CheckedContinuation<Outcome, Never>, Outcome) }
        let reply: Reply = state.withLock { state in
            guard state.ending == nil, state.current?.delivered != true else { return .refused }
            guard let current = state.current else {
                state.initError = error
                return .stored
            }
            state.ending = .initError
            let done = finish(&state, current, .error, error: error, reusable: false)
            return .finished(done.0, done.1)
        }
        switch reply {
        case .refused:
            responder.send(.apiError(403, type: "InvalidStateTransition", message: "init/error is only allowed before the first /next"))
        case .stored:
            responder.send(.json(202, .object(["status": "OK"])))
        case .finished(let continuation, let outcome):
            responder.send(.json(202, .object(["status": "OK"])))
            continuation.resume(returning: outcome)
        }
    }

    // MARK: - Ends

    private func timedOut(_ id: String) {
        let (done, process) = state.withLock { state -> ((CheckedContinuation<Outcome, Never>, Outcome)?, ChildProcess?) in
            guard let current = state.current, current.request.id == id, state.ending == nil else { return (nil, nil) }
            state.ending = .timeout
            let message = configuration.timeoutMessage
            let done = finish(&state, current, .timeout, error: .object(["errorType": "Sandbox.Timedout", "errorMessage": .string(message)]), reusable: false)
            return (done, state.process)
        }
        guard let done else { return }
        process?.killGroup()
        done.0.resume(returning: done.1)
    }

    /// The process is gone (`exit`), or an exit seen earlier must now end an invocation (`nil`).
    private func processExited(_ exit: LambdaProcessExit?) {
        let (done, parked) = state.withLock { state -> ((CheckedContinuation<Outcome, Never>, Outcome)?, Responder?) in
            state.exited = true
            let parked = state.parkedNext
            state.parkedNext = nil
            guard let current = state.current, state.ending == nil,
                  let status = exit ?? state.process?.exitStatus else { return (nil, parked) }
            state.ending = .crash
            var members: [EmulatorJSON.Member] = [
                .init("errorType", "Runtime.ExitError"),
                .init("errorMessage", .string("RequestId: \(current.request.id) Error: Runtime exited with error: \(status)")),
            ]
            switch status {
            case .exited(let code): members.append(.init("exitStatus", .integer(code)))
            case .signaled(let signal): members.append(.init("signal", .integer(signal)))
            }
            members.append(.init("stderr", .array((state.process?.stderrTail ?? []).map { .string($0) })))
            let done = finish(&state, current, .crash, error: .object(members), reusable: false)
            return (done, parked)
        }
        parked?.channel.close(promise: nil)
        if let done { done.0.resume(returning: done.1) }
    }

    // MARK: - Helpers

    /// Ends the current invocation: cancels its timer and returns what to resume outside the lock.
    private func finish(
        _ state: inout State, _ current: Current, _ status: LambdaInvocationResult.Status,
        response: [UInt8]? = nil, error: EmulatorJSON? = nil, reusable: Bool
    ) -> (CheckedContinuation<Outcome, Never>, Outcome) {
        current.timer?.cancel()
        state.current = nil
        let result = result(current.request, status, response: response, error: error)
        return (current.continuation, .finished(result, reusable: reusable))
    }

    private func result(
        _ request: InvocationRequest, _ status: LambdaInvocationResult.Status, response: [UInt8]? = nil, error: EmulatorJSON? = nil
    ) -> LambdaInvocationResult {
        LambdaInvocationResult(
            requestId: request.id, status: status, duration: ContinuousClock.now - request.started,
            response: response, error: error)
    }

    /// The runtime's error body as JSON when it is a JSON object, else an object made of the
    /// `Lambda-Runtime-Function-Error-Type` header and the body text.
    static func errorObject(_ body: [UInt8], type: String?) -> EmulatorJSON {
        if let parsed = try? EmulatorJSON.parse(body), case .object = parsed { return parsed }
        return .object([
            "errorType": .string(type ?? "Function.Unknown"),
            "errorMessage": .string(String(decoding: body, as: UTF8.self)),
        ])
    }

    static func tooLarge(_ size: Int) -> EmulatorJSON {
        .object([
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": .string("Response payload size (\(size) bytes) exceeded maximum allowed payload size (\(LambdaEmulatorConfiguration.maximumPayloadSize) bytes)."),
        ])
    }

    /// `Root=1-<8 hex seconds>-<24 hex>;Parent=<16 hex>;Sampled=0`, an X-Ray trace header.
    static func traceId() -> String {
        let seconds = String(Int(Date().timeIntervalSince1970), radix: 16)
        return "Root=1-\(seconds)-\(RandomIdentifier.hex(24));Parent=\(RandomIdentifier.hex(16));Sampled=0"
    }
}

