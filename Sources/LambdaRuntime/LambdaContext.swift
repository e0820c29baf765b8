/// What the environment says about the function: the same for every invocation of a process.
public struct LambdaFunctionMetadata: Sendable, Equatable {
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    public var functionName: String
    /// `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST` when unset).
    public var functionVersion: String
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB; `nil` when unset or not a number.
    public var memoryLimitMB: Int?
    /// `AWS_LAMBDA_LOG_GROUP_NAME` / `AWS_LAMBDA_LOG_STREAM_NAME`.
    public var logGroupName: String?
    public var logStreamName: String?

    public init(
        functionName: String = "",
        functionVersion: String = "$LATEST",
        memoryLimitMB: Int? = nil,
        logGroupName: String? = nil,
        logStreamName: String? = nil
    ) {
        self.functionName = functionName
        self.functionVersion = functionVersion
        self.memoryLimitMB = memoryLimitMB
        self.logGroupName = logGroupName
        self.logStreamName = logStreamName
    }

    public init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        self.init(
            functionName: value("AWS_LAMBDA_FUNCTION_NAME") ?? "",
            functionVersion: value("AWS_LAMBDA_FUNCTION_VERSION") ?? "$LATEST",
            memoryLimitMB: value("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").flatMap { Int($0) },
            logGroupName: value("AWS_LAMBDA_LOG_GROUP_NAME"),
            logStreamName: value("AWS_LAMBDA_LOG_STREAM_NAME")
        )
    }
}

/// One invocation, as the Runtime API described it in the `Lambda-Runtime-*` headers of
/// `/next`, plus the function's metadata and a logger tagged with the request id.
public struct LambdaContext: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public let requestId: String
    /// `Lambda-Runtime-Deadline-Ms`: the absolute deadline, Unix epoch milliseconds.
    public let deadlineEpochMilliseconds: Int64
    /// The same deadline on the monotonic clock, fixed when the invocation arrived.
    public let deadline: ContinuousClock.Instant
    /// `Lambda-Runtime-Invoked-Function-Arn` (may carry an alias or version).
    public let invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id` (X-Ray), absent under the RIE unless the caller sent one.
    public let traceId: String?
    /// `Lambda-Runtime-Client-Context`: JSON text, as received.
    public let clientContext: String?
    /// `Lambda-Runtime-Cognito-Identity`: JSON text, as received.
    public let cognitoIdentity: String?
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    public let tenantId: String?
    public let function: LambdaFunctionMetadata
    /// Lines tagged with this invocation's request id.
    public let logger: LambdaLogger

    /// - Parameter now: the wall clock when the invocation arrived, epoch milliseconds; it
    ///   anchors `deadline` on the monotonic clock.
    public init(
        requestId: String,
        deadlineEpochMilliseconds: Int64,
        invokedFunctionARN: String,
        traceId: String? = nil,
        clientContext: String? = nil,
        cognitoIdentity: String? = nil,
        tenantId: String? = nil,
        function: LambdaFunctionMetadata = LambdaFunctionMetadata(),
        logger: LambdaLogger = LambdaLogger(),
        now: Int64 = WallClock.nowMilliseconds()
    ) {
        self.requestId = requestId
        self.deadlineEpochMilliseconds = deadlineEpochMilliseconds
        self.deadline = ContinuousClock.now + .milliseconds(deadlineEpochMilliseconds - now)
        self.invokedFunctionARN = invokedFunctionARN
        self.traceId = traceId
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.tenantId = tenantId
        self.function = function
        self.logger = logger.withRequestId(requestId)
    }

    /// Time left until the deadline (negative once it has passed).
    public var remainingTime: Duration { deadline - ContinuousClock.now }

    public var functionName: String { function.functionName }
    public var functionVersion: String { function.functionVersion }
    public var memoryLimitMB: Int? { function.memoryLimitMB }
    public var logGroupName: String? { function.logGroupName }
    public var logStreamName: String? { function.logStreamName }

    /// A context for running a handler outside Lambda (`ai-usage invoke`): a fresh random
    /// request id, the deadline `timeout` from now, an ARN made up the way the RIE makes it
    /// (`arn:aws:lambda:<AWS_REGION or us-east-1>:012345678912:function:<name>`), and the
    /// function metadata of `environment` (name `local` when unset).
    public static func local(
        timeout: Duration,
        environment: [String: String],
        requestId: String = randomRequestId(),
        logger: LambdaLogger? = nil
    ) -> LambdaContext {
        var function = LambdaFunctionMetadata(environment: environment)
        if function.functionName.isEmpty { function.functionName = "local" }
        let region = environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        let now = WallClock.nowMilliseconds()
        let (seconds, attoseconds) = timeout.components
        let timeoutMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return LambdaContext(
            requestId: requestId,
            deadlineEpochMilliseconds: now + timeoutMilliseconds,
            invokedFunctionARN: "arn:aws:lambda:\(region):012345678912:function:\(function.functionName)",
            function: function,
            logger: logger ?? LambdaLogger(environment: environment),
            now: now
        )
    }

    /// A random version-4 UUID in lowercase, like Lambda's request ids.
    public static func randomRequestId() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { text += "-" }
            let hex = String(byte, radix: 16)
            text += hex.count == 1 ? "0" + hex : hex
        }
        return text
    }
}
