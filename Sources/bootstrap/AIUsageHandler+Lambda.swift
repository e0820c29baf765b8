import AIUsageAPI

import LambdaRuntime

/// `AIUsageHandler` under the runtime loop. It never throws: every failure, including missing
/// configuration, is a proxy response (the bootstrap reports missing configuration to
/// `/init/error` before the first invocation).
extension AIUsageHandler: LambdaHandler {
    public func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        await handle(event, requestId: context.requestId)
    }
}
