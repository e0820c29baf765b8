// The Lambda entry point (`provided.al2023`): AIUsageHandler under the custom runtime loop.
// Links no SwiftNIO, no ArgumentParser, no full Foundation (see docs/runtime.md).
import AIUsageAPI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif
import LambdaRuntime

let environment = ProcessInfo.processInfo.environment

LambdaRuntime.run(environment: environment) { logger in
    // The handler's one line per request goes through the runtime's logger, so it carries the
    // Lambda request id and follows AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL.
    let handler = AIUsageHandler(environment: environment, log: { logger.info($0) })
    if let problem = handler.configurationError {
        throw LambdaErrorReport(errorType: "Runtime.ConfigInvalid", errorMessage: problem,
                                functionErrorType: "Runtime.ConfigInvalid")
    }
    // Test-only, off unless AI_USAGE_BOOTSTRAP_FAULTS=1 (see FaultHooks.swift).
    if let faults = environment["AI_USAGE_BOOTSTRAP_FAULTS"], !["", "0", "1"].contains(faults) {
        logger.warn("AI_USAGE_BOOTSTRAP_FAULTS is neither 0 nor 1: the test-only faults stay off")
    }
    return FaultHooks(wrapped: handler, environment: environment)
}
