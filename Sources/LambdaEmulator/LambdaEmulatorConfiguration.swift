import Foundation

/// What the emulated function is: its bootstrap, limits, name and environment.
public struct LambdaEmulatorConfiguration: Sendable {
    /// The executable Lambda would start (`bootstrap` of a custom runtime), any language.
    public var bootstrap: String
    /// `AWS_LAMBDA_FUNCTION_NAME`, also the last part of the invoked function ARN.
    public var functionName: String
    /// `_HANDLER` (custom runtimes may ignore it).
    public var handler: String
    /// How long one invocation may run once a sandbox has taken it (a cold start included, time
    /// waiting for a free sandbox not); then the process is killed.
    public var timeout: Duration
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB (not enforced).
    public var memorySize: Int
    /// How many bootstrap processes may run at once; further invocations wait their turn.
    public var concurrency: Int
    /// The function's own variables (from `--env-vars`); they override the emulator's defaults but
    /// not the variables that describe the sandbox (see `processEnvironment(runtimeAPI:)`).
    public var environment: [String: String]
    /// The environment the emulator itself runs in: region, credentials, `PATH` and the other
    /// `AWS_*` variables are passed through from it.
    public var hostEnvironment: [String: String]
    /// Where the emulator's own lines go (`START`/`END`/`REPORT`, restarts); standard error by default.
    public var log: @Sendable (String) -> Void
    /// Where the bootstrap's standard output and standard error go, byte for byte; standard error
    /// by default (standard output of `ai-usage emulate` carries only results).
    public var functionOutput: @Sendable ([UInt8]) -> Void

    /// Lambda's limit on a buffered request or response: 6 MB and 100 bytes.
    public static let maximumPayloadSize = 6_291_556
    /// The account in the fabricated ARN (the RIE's).
    public static let accountID = "012345678912"
    /// The region in the fabricated ARN (the RIE's).
    public static let arnRegion = "us-east-1"

    public init(
        bootstrap: String,
        functionName: String = "AIUsageFunction",
        handler: String = "bootstrap",
        timeout: Duration = .seconds(30),
        memorySize: Int = 128,
        concurrency: Int = 1,
        environment: [String: String] = [:],
        hostEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        log: @escaping @Sendable (String) -> Void = LambdaEmulatorConfiguration.standardError,
        functionOutput: @escaping @Sendable ([UInt8]) -> Void = LambdaEmulatorConfiguration.standardErrorBytes
    ) {
        self.bootstrap = bootstrap
        self.functionName = functionName
        self.handler = handler
        self.timeout = timeout
        self.memorySize = memorySize
        self.concurrency = concurrency
        self.environment = environment
        self.hostEnvironment = hostEnvironment
        self.log = log
        self.functionOutput = functionOutput
    }

    /// `arn:aws:lambda:us-east-1:012345678912:function:<name>`, as the RIE makes it.
    public var invokedFunctionARN: String {
        "arn:aws:lambda:\(Self.arnRegion):\(Self.accountID):function:\(functionName)"
    }

    /// `Task timed out after 3.00 seconds`.
    public var timeoutMessage: String {
        "Task timed out after \(Self.twoDecimals(timeout.seconds)) seconds"
    }

    /// The directory of the bootstrap: `LAMBDA_TASK_ROOT` and the process's working directory.
    public var taskRoot: String {
        URL(fileURLWithPath: bootstrap).deletingLastPathComponent().path
    }

    /// Host variables passed through besides every `AWS_*` one.
    public static let passedThrough = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LD_LIBRARY_PATH"]

    /// The environment of one bootstrap process, in four layers, later ones winning:
    /// 1. from the host: `PATH`, `HOME`, `TMPDIR`, `LANG`, `LC_ALL`, `LD_LIBRARY_PATH` and every
    ///    `AWS_*` variable except `AWS_LAMBDA_*` (credentials, region, endpoints);
    /// 2. Lambda's defaults: `AWS_REGION`/`AWS_DEFAULT_REGION` (host's, else `us-east-1`),
    ///    `AWS_LAMBDA_LOG_GROUP_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`,
    ///    `AWS_LAMBDA_INITIALIZATION_TYPE=on-demand`, `LAMBDA_RUNTIME_DIR`, `TZ=:UTC`;
    /// 3. `environment` (the function's variables);
    /// 4. the sandbox, which nothing overrides: `AWS_LAMBDA_RUNTIME_API`, `_HANDLER`,
    ///    `LAMBDA_TASK_ROOT`, `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST`),
    ///    `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_LAMBDA_FUNCTION_TIMEOUT` (whole seconds, rounded up).
    public func processEnvironment(runtimeAPI: String) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in hostEnvironment
        where Self.passedThrough.contains(name) || (name.hasPrefix("AWS_") && !name.hasPrefix("AWS_LAMBDA_")) {
            result[name] = value
        }
        if result["PATH"] == nil { result["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        let region = hostEnvironment["AWS_REGION"] ?? hostEnvironment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        result["AWS_REGION"] = region
        result["AWS_DEFAULT_REGION"] = hostEnvironment["AWS_DEFAULT_REGION"] ?? region
        result["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/\(functionName)"
        result["AWS_LAMBDA_LOG_STREAM_NAME"] = Self.logStreamName()
        result["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
        result["LAMBDA_RUNTIME_DIR"] = taskRoot
        result["TZ"] = ":UTC"
        for (name, value) in environment { result[name] = value }
        result["AWS_LAMBDA_RUNTIME_API"] = runtimeAPI
        result["_HANDLER"] = handler
        result["LAMBDA_TASK_ROOT"] = taskRoot
        result["AWS_LAMBDA_FUNCTION_NAME"] = functionName
        result["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        result["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(memorySize)
        result["AWS_LAMBDA_FUNCTION_TIMEOUT"] = String(Int(timeout.seconds.rounded(.up)))
        return result
    }

    /// `2026/01/31/[$LATEST]` and 32 hex digits, as Lambda names a log stream.
    static func logStreamName() -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        let day = String(format: "%04d/%02d/%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "\(day)/[$LATEST]\(hex)"
    }

    /// `1.00`, `0.25`, `12.35`: `value` rounded half-up to two decimals.
    static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Writes the line to standard error.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Writes the bytes to standard error.
    public static let standardErrorBytes: @Sendable ([UInt8]) -> Void = { bytes in
        FileHandle.standardError.write(Data(bytes))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in milliseconds, as a `Double`.
    var milliseconds: Double { seconds * 1000 }
}
