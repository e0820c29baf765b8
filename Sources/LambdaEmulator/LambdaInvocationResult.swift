/// How one invocation ended, as `ai-usage emulate` prints it:
/// `{"requestId", "status", "durationMs", "response" | "error"}`.
public struct LambdaInvocationResult: Sendable, Hashable {
    /// The outcome's kind.
    public enum Status: String, Sendable, Hashable {
        /// The runtime posted `/response`.
        case success
        /// The runtime posted `/error` or `/init/error`, or the response was refused (413).
        case error
        /// The invocation outlived the timeout; the process was killed.
        case timeout
        /// The process ended (or could not start) before it answered.
        case crash
    }

    /// The invocation's `Lambda-Runtime-Aws-Request-Id`.
    public var requestId: String
    public var status: Status
    /// From the moment a sandbox took the invocation (a cold start included, waiting for a free
    /// sandbox not) to its outcome.
    public var duration: Duration
    /// The bytes the runtime posted to `/response` (success only).
    public var response: [UInt8]?
    /// The error object (compact JSON) for every other outcome: the runtime's own for `/error`
    /// and `/init/error`, else one the emulator writes (`errorType`, `errorMessage`, and for a crash
    /// `exitStatus` or `signal` and `stderr`, the last lines of standard error).
    public var error: [UInt8]?

    init(requestId: String, status: Status, duration: Duration, response: [UInt8]? = nil, error: EmulatorJSON? = nil) {
        self.requestId = requestId
        self.status = status
        self.duration = duration
        self.response = response
        self.error = error?.bytes
    }

    /// `errorType` of the error object.
    public var errorType: String? { parsedError?["errorType"]?.stringValue }
    /// `errorMessage` of the error object.
    public var errorMessage: String? { parsedError?["errorMessage"]?.stringValue }

    private var parsedError: EmulatorJSON? { error.flatMap { try? EmulatorJSON.parse($0) } }

    /// Milliseconds, two decimals (`12.35`).
    public var durationText: String { LambdaEmulatorConfiguration.twoDecimals(duration.milliseconds) }

    /// The result as one line of compact JSON (no newline). `response` is the runtime's answer as
    /// JSON when it parses (insignificant whitespace removed), otherwise as a string.
    public var jsonLine: String {
        var members: [EmulatorJSON.Member] = [
            .init("requestId", .string(requestId)),
            .init("status", .string(status.rawValue)),
            .init("durationMs", .number(durationText)),
        ]
        if status == .success {
            members.append(.init("response", Self.embedded(response ?? [])))
        } else {
            members.append(.init("error", error.map { Self.embedded($0) } ?? .null))
        }
        return EmulatorJSON.object(members).text
    }

    /// The bytes as a JSON value if they are JSON, else as a string (invalid UTF-8 repaired).
    static func embedded(_ bytes: [UInt8]) -> EmulatorJSON {
        (try? EmulatorJSON.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
    }
}
