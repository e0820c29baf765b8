import AIUsageAPI
import LambdaRuntime

/// `AIUsageHandler` under the runtime loop. HTTP answers never throw: every failure, including
/// missing configuration, is a proxy response (the bootstrap reports missing configuration to
/// `/init/error` before the first invocation). A scheduled rollup that cannot finish is reported
/// to `/error`, so that Lambda counts it as a failed invocation.
///
/// The handler's work is budgeted against the invocation's deadline, less `responseReserve`
/// for posting the answer: a stalled DynamoDB gives a 503 before Lambda would kill the function.
extension AIUsageHandler: LambdaHandler {

    public func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let (body, failed) = await invoke(event, requestId: context.requestId, deadline: context.deadline - Self.responseReserve)
        if failed { throw ScheduledTaskFailed(body: String(decoding: body, as: UTF8.self)) }
        return body
    }
}

/// A scheduled task's failure, as the runtime reports it (its body is the public one).
struct ScheduledTaskFailed: Error, CustomStringConvertible {
    var body: String
    var description: String { "scheduled task failed: \(body)" }
}
