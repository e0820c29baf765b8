import CurlHTTP
import Dispatch
import Synchronization

/// Why a runtime loop stopped, and the exit status the process should end with.
public struct RuntimeTermination: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// `Options.maxInvocations` invocations were answered (tests, benchmarks). Exit 0.
        case invocationLimitReached(Int)
        /// `AWS_LAMBDA_RUNTIME_API` is not set: this is not running under Lambda.
        case missingRuntimeAPI
        /// `AWS_LAMBDA_RUNTIME_API` is set to something that is not `host:port`.
        case invalidRuntimeAPI(String)
        /// Initialisation failed; the report went to `/init/error`.
        case initializationFailed(LambdaErrorReport)
        /// The Runtime API answered with a status that leaves no way on (5xx, or anything but
        /// 200 on `/next`). Lambda restarts the process.
        case runtimeAPIStatus(status: Int, request: String)
        /// The Runtime API could not be reached, after the retries.
        case runtimeAPIUnreachable(HTTPError)
        /// `/next` answered without what an invocation needs to be answered at all (its request id).
        case brokenInvocation(String)
    }

    public let reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var exitCode: Int32 {
        if case .invocationLimitReached = reason { 0 } else { 1 }
    }

    public var description: String {
        switch reason {
        case .invocationLimitReached(let count): "stopped after \(count) invocations"
        case .missingRuntimeAPI: "AWS_LAMBDA_RUNTIME_API is not set: not running under Lambda"
        case .invalidRuntimeAPI(let problem): problem
        case .initializationFailed(let report): "initialisation failed: \(report)"
        case .runtimeAPIStatus(let status, let request): "the Runtime API answered \(request) with \(status)"
        case .runtimeAPIUnreachable(let error): "the Runtime API is unreachable: \(error)"
        case .brokenInvocation(let problem): problem
        }
    }
}

/// The runtime loop: `/next`, run the handler, `/response` or `/error`, again, one invocation
/// at a time over one kept-alive connection.
///
/// `run` blocks the calling thread (the Runtime API calls are blocking libcurl transfers) and
/// runs each invocation's handler in a task of its own whose jobs run on that same thread
/// (`LoopThreadExecutor`): a handler that does not suspend costs no thread hand-over. Call it
/// from the main thread or a thread of its own, never from inside a task.
///
/// It returns instead of exiting, so that tests can run a bounded number of invocations and
/// look at the outcome; `LambdaRuntime.run` turns the outcome into the process's exit status.
public struct RuntimeLoop: Sendable {
    public struct Options: Sendable {
        /// Retries of a Runtime API request whose connection failed.
        public var retry: LambdaRetryPolicy
        /// A larger response is reported as `Function.ResponseSizeTooLarge` without uploading it
        /// (Lambda's buffered limit; the Runtime API answers 413 above it).
        public var maxResponseBytes: Int
        /// Stop (exit status 0) after this many invocations; `nil` runs until the Runtime API fails.
        public var maxInvocations: Int?

        public init(retry: LambdaRetryPolicy = .standard, maxResponseBytes: Int = 6_291_556, maxInvocations: Int? = nil) {
            self.retry = retry
            self.maxResponseBytes = maxResponseBytes
            self.maxInvocations = maxInvocations
        }
    }

    public let environment: [String: String]
    public let options: Options
    /// The runtime's logger: level and format from the environment; while an invocation runs
    /// its lines carry that invocation's request id. Hand it to the handler at init.
    public let logger: LambdaLogger
    private let function: LambdaFunctionMetadata
    private let current: CurrentInvocation
    /// Runs each invocation's handler on the loop's thread.
    private let executor = LoopThreadExecutor()
    private let wallClock: @Sendable () -> Int64
    private let setTraceId: @Sendable (String?) -> Void

    /// - Parameters:
    ///   - environment: `AWS_LAMBDA_RUNTIME_API`, the function metadata and log settings.
    ///   - logSink: where log lines go (standard error by default).
    ///   - wallClock: Unix epoch milliseconds, for log timestamps and the deadline.
    ///   - setTraceId: exports `Lambda-Runtime-Trace-Id` for each invocation, `nil` when absent
    ///     (by default into the process environment as `_X_AMZN_TRACE_ID`).
    public init(
        environment: [String: String],
        options: Options = Options(),
        logSink: LambdaLogSink = .standardError,
        wallClock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds,
        setTraceId: @escaping @Sendable (String?) -> Void = LambdaRuntime.exportTraceId
    ) {
        self.environment = environment
        self.options = options
        self.function = LambdaFunctionMetadata(environment: environment)
        self.current = CurrentInvocation()
        self.logger = LambdaLogger(environment: environment, sink: logSink, clock: wallClock).following(current)
        self.wallClock = wallClock
        self.setTraceId = setTraceId
    }

    /// Runs `handler` until the Runtime API fails (or `maxInvocations` is reached).
    public func run(handler: some LambdaHandler) -> RuntimeTermination {
        run { _ in handler }
    }

    /// Runs a Codable handler through `CodableLambdaAdapter`.
    public func run<Handler: CodableLambdaHandler>(handler: Handler) -> RuntimeTermination {
        run(handler: CodableLambdaAdapter(handler))
    }

    /// Builds the handler with the runtime's logger, then runs it. A thrown error is posted to
    /// `/init/error` (see `reportInitializationError`) and ends the loop.
    public func run<Handler: LambdaHandler>(initialize: (LambdaLogger) throws -> Handler) -> RuntimeTermination {
        let client: LambdaRuntimeAPIClient
        switch makeClient() {
        case .ready(let made): client = made
        case .terminated(let termination): return termination
        }
        let handler: Handler
        do {
            handler = try initialize(logger)
        } catch {
            return reportInitializationError(error, client: client)
        }
        return loop(client: client, handler: handler)
    }

    /// Posts `error` to `/init/error` (`Runtime.UnknownReason` unless it is a
    /// `LambdaErrorReport`) and returns the termination: the process must exit.
    public func reportInitializationError(_ error: any Error) -> RuntimeTermination {
        switch makeClient() {
        case .ready(let client): reportInitializationError(error, client: client)
        case .terminated(let termination): termination
        }
    }

    // MARK: - The loop

    private func makeClient() -> ClientOrTermination {
        guard let runtimeAPI = environment["AWS_LAMBDA_RUNTIME_API"], !runtimeAPI.isEmpty else {
            let termination = RuntimeTermination(.missingRuntimeAPI)
            logger.fatal("\(termination)")
            return .terminated(termination)
        }
        if let problem = RuntimeEnvironment.runtimeAPIProblem(runtimeAPI) {
            let termination = RuntimeTermination(.invalidRuntimeAPI(problem))
            logger.fatal("\(termination)")
            return .terminated(termination)
        }
        for warning in RuntimeEnvironment.warnings(environment) { logger.warn(warning) }
        let logger = self.logger
        do throws(HTTPError) {
            return .ready(try LambdaRuntimeAPIClient(runtimeAPI: runtimeAPI, retry: options.retry) { attempt, error in
                logger.warn("Runtime API request failed (attempt \(attempt)), retrying: \(error)")
            })
        } catch {
            let termination = RuntimeTermination(.runtimeAPIUnreachable(error))
            logger.fatal("\(termination)")
            return .terminated(termination)
        }
    }

    private enum ClientOrTermination {
        case ready(LambdaRuntimeAPIClient)
        case terminated(RuntimeTermination)
    }

    private func reportInitializationError(_ error: any Error, client: LambdaRuntimeAPIClient) -> RuntimeTermination {
        let report = LambdaErrorReport(describing: error, functionErrorType: "Runtime.UnknownReason")
        logger.fatal("initialisation failed: \(report)")
        do throws(HTTPError) {
            let response = try client.postInitError(report: report)
            if !(200..<300).contains(response.status) {
                logger.error("the Runtime API answered the init error with \(response.status): \(response.bodyText)")
            }
        } catch {
            logger.error("could not report the init error: \(error)")
        }
        return RuntimeTermination(.initializationFailed(report))
    }

    private func loop(client: LambdaRuntimeAPIClient, handler: some LambdaHandler) -> RuntimeTermination {
        var answered = 0
        while true {
            if let limit = options.maxInvocations, answered >= limit {
                return RuntimeTermination(.invocationLimitReached(answered))
            }
            let next: HTTPResponse
            do throws(HTTPError) {
                next = try client.next()
            } catch {
                return fail(.runtimeAPIUnreachable(error))
            }
            guard next.status == 200 else {
                return fail(.runtimeAPIStatus(status: next.status, request: "GET /invocation/next"), body: next.bodyText)
            }
            if let termination = answer(next, client: client, handler: handler) { return termination }
            answered += 1
        }
    }

    /// One invocation, from the `/next` answer to the posted result. `nil` to go on.
    private func answer(_ next: HTTPResponse, client: LambdaRuntimeAPIClient, handler: some LambdaHandler) -> RuntimeTermination? {
        func header(_ name: String) -> String? {
            guard let value = next.headers[name], !value.isEmpty else { return nil }
            return value
        }
        let traceId = header("Lambda-Runtime-Trace-Id")
        setTraceId(traceId)
        guard let requestId = header("Lambda-Runtime-Aws-Request-Id") else {
            return fail(.brokenInvocation("/next answered without Lambda-Runtime-Aws-Request-Id: the control plane is broken"))
        }
        current.requestId = requestId
        defer { current.requestId = nil }

        let now = wallClock()
        guard let deadline = header("Lambda-Runtime-Deadline-Ms").flatMap({ Int64($0) }), deadline > 0 else {
            let value = header("Lambda-Runtime-Deadline-Ms").map { "'\($0)'" } ?? "absent"
            return reportInvalid("Lambda-Runtime-Deadline-Ms is missing or not a number: \(value)", requestId: requestId, client: client)
        }
        guard let arn = header("Lambda-Runtime-Invoked-Function-Arn") else {
            return reportInvalid("Lambda-Runtime-Invoked-Function-Arn is missing", requestId: requestId, client: client)
        }
        let context = LambdaContext(
            requestId: requestId,
            deadlineEpochMilliseconds: deadline,
            invokedFunctionARN: arn,
            traceId: traceId,
            clientContext: header("Lambda-Runtime-Client-Context"),
            cognitoIdentity: header("Lambda-Runtime-Cognito-Identity"),
            tenantId: header("Lambda-Runtime-Aws-Tenant-Id"),
            function: function,
            logger: logger,
            now: now
        )
        logger.debug("invocation started: \(next.body.count) event bytes, \(deadline - now) ms to the deadline")

        switch invoke(handler, event: next.body, context: context) {
        case .failure(let error):
            let report = LambdaErrorReport(describing: error)
            logger.error("invocation failed: \(report)")
            return postError(report, requestId: requestId, client: client)
        case .success(let output) where output.count > options.maxResponseBytes:
            return postError(tooLarge(output.count, limit: options.maxResponseBytes), requestId: requestId, client: client)
        case .success(let output):
            let posted: HTTPResponse
            do throws(HTTPError) {
                posted = try client.postResponse(requestId: requestId, body: output)
            } catch {
                return fail(.runtimeAPIUnreachable(error))
            }
            switch posted.status {
            case 200..<300:
                logger.debug("invocation answered: \(output.count) response bytes")
                return nil
            case 413:
                return postError(tooLarge(output.count, limit: options.maxResponseBytes), requestId: requestId, client: client)
            case 500...:
                return fail(.runtimeAPIStatus(status: posted.status, request: "POST /invocation/{id}/response"), body: posted.bodyText)
            default:
                // 400 (unknown or already answered id) or 403: this invocation is lost, the process is fine.
                logger.error("the Runtime API refused the response with \(posted.status): \(posted.bodyText)")
                return nil
            }
        }
    }

    /// An invocation the runtime cannot pass to the handler, though it can answer it.
    private func reportInvalid(_ problem: String, requestId: String, client: LambdaRuntimeAPIClient) -> RuntimeTermination? {
        let report = LambdaErrorReport(errorType: "Runtime.InvalidInvocation", errorMessage: problem,
                                       functionErrorType: "Runtime.InvalidInvocation")
        logger.error("invocation failed: \(report)")
        return postError(report, requestId: requestId, client: client)
    }

    private func tooLarge(_ size: Int, limit: Int) -> LambdaErrorReport {
        let report = LambdaErrorReport(
            errorType: "Function.ResponseSizeTooLarge",
            errorMessage: "Response payload size (\(size) bytes) exceeded maximum allowed payload size (\(limit) bytes).",
            functionErrorType: "Function.ResponseSizeTooLarge"
        )
        logger.error("invocation failed: \(report)")
        return report
    }

    private func postError(_ report: LambdaErrorReport, requestId: String, client: LambdaRuntimeAPIClient) -> RuntimeTermination? {
        let posted: HTTPResponse
        do throws(HTTPError) {
            posted = try client.postError(requestId: requestId, report: report)
        } catch {
            return fail(.runtimeAPIUnreachable(error))
        }
        switch posted.status {
        case 200..<300:
            return nil
        case 500...:
            return fail(.runtimeAPIStatus(status: posted.status, request: "POST /invocation/{id}/error"), body: posted.bodyText)
        default:
            logger.error("the Runtime API refused the error report with \(posted.status): \(posted.bodyText)")
            return nil
        }
    }

    private func fail(_ reason: RuntimeTermination.Reason, body: String = "") -> RuntimeTermination {
        let termination = RuntimeTermination(reason)
        logger.fatal(body.isEmpty ? "\(termination); exiting" : "\(termination) (\(body)); exiting")
        return termination
    }

    /// Runs the handler in a task of its own whose jobs run on this thread (`LoopThreadExecutor`),
    /// and returns when it is done.
    private func invoke<Handler: LambdaHandler>(
        _ handler: Handler, event: [UInt8], context: LambdaContext
    ) -> Result<[UInt8], any Error> {
        let outcome = InvocationOutcome()
        Task(executorPreference: executor) {
            do {
                outcome.finish(.success(try await handler.handle(event, context: context)))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        executor.run(until: { outcome.isFinished })
        return outcome.take()
    }
}

/// The handler's result, set by its task and taken by the loop once the task has finished.
private final class InvocationOutcome: Sendable {
    private let result = Mutex<Result<[UInt8], any Error>?>(nil)

    func finish(_ value: Result<[UInt8], any Error>) {
        result.withLock { $0 = value }
    }

    var isFinished: Bool { result.withLock { $0 != nil } }

    func take() -> Result<[UInt8], any Error> {
        result.withLock { $0! }
    }
}
