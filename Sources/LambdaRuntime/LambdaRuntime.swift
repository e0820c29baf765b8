#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about the Runtime API this runtime speaks.
public enum LambdaRuntimeInfo {
    /// The Runtime API version this runtime speaks.
    public static let apiVersion = "2018-06-01"
}

/// The entry points of a custom runtime's `bootstrap`: run a handler under the Lambda Runtime
/// API named by `AWS_LAMBDA_RUNTIME_API`, and exit when the Runtime API fails.
///
/// Call these from top-level code (the main thread), not from inside a task; see `RuntimeLoop`.
public enum LambdaRuntime {
    /// Runs `handler` until the Runtime API fails, then exits non-zero (Lambda restarts the process).
    public static func run(
        handler: some LambdaHandler,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Never {
        exit(RuntimeLoop(environment: environment).run(handler: handler))
    }

    /// Runs a Codable handler (JSON in, JSON out).
    public static func run<Handler: CodableLambdaHandler>(
        handler: Handler,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Never {
        exit(RuntimeLoop(environment: environment).run(handler: handler))
    }

    /// Builds the handler with the runtime's logger (its lines carry the request id of the
    /// invocation running when they are written), then runs it. An error thrown by `initialize`
    /// is posted to `/init/error` and the process exits with status 1.
    public static func run<Handler: LambdaHandler>(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        initialize: (LambdaLogger) throws -> Handler
    ) -> Never {
        exit(RuntimeLoop(environment: environment).run(initialize: initialize))
    }

    /// Ends the process with the termination's exit status.
    public static func exit(_ termination: RuntimeTermination) -> Never {
        #if canImport(Glibc)
        Glibc.exit(termination.exitCode)
        #else
        Darwin.exit(termination.exitCode)
        #endif
    }

    /// Sets `_X_AMZN_TRACE_ID` to `traceId` in the process environment (where the AWS SDKs and
    /// the X-Ray SDK look for it), or removes it when the invocation carried no trace id, so that
    /// one invocation's id never leaks into the next.
    ///
    /// Not `setenv`: glibc never frees the strings `setenv` makes, so a new id per invocation
    /// leaked its length (plus about 40 bytes) every time. The runtime keeps the `NAME=value`
    /// storage itself and installs it with `putenv`, in bounded memory (`TraceIdEnvironment`).
    /// The value is cut at an embedded NUL, as C would see it. A value over 32 KiB is refused:
    /// the variable is removed. Safe to call from any thread.
    @Sendable public static func exportTraceId(_ traceId: String?) {
        TraceIdEnvironment.export(traceId)
    }
}
