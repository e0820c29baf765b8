// The Lambda entry point (`provided.al2023`): AIUsageHandler under the custom runtime loop.
// Links no SwiftNIO, no ArgumentParser, no full Foundation (see docs/runtime.md).
import AIUsageAPI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif
import CMallocTuning
import LambdaRuntime

let environment = ProcessInfo.processInfo.environment

// Memory flat in the range (docs/runtime.md): pages of up to 1.2 MB are read on several threads,
// and glibc would keep each freed page body in that thread's arena. At most two arenas, and
// blocks of 256 KiB or more mapped on their own, so a report's peak is what it holds at once, not
// what it has read. glibc's own settings win when the environment gives them.
if environment["MALLOC_ARENA_MAX"] == nil, environment["MALLOC_MMAP_THRESHOLD_"] == nil,
   !(environment["GLIBC_TUNABLES"] ?? "").contains("glibc.malloc.") {
    _ = ai_usage_tune_malloc(2, 256 * 1024)
}

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
