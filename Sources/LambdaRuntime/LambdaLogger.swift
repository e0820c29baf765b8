import Synchronization

/// Lambda's log levels, lowest first. `AWS_LAMBDA_LOG_LEVEL` picks the threshold.
public enum LambdaLogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case trace, debug, info, warn, error, fatal

    /// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`.
    public var description: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    /// Case-insensitive; `WARNING` is accepted for `WARN`. `nil` for anything else.
    public init?(name: String) {
        switch name.uppercased() {
        case "TRACE": self = .trace
        case "DEBUG": self = .debug
        case "INFO": self = .info
        case "WARN", "WARNING": self = .warn
        case "ERROR": self = .error
        case "FATAL": self = .fatal
        default: return nil
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// `AWS_LAMBDA_LOG_FORMAT`: `Text` (the default) or `JSON`.
public enum LambdaLogFormat: Sendable, Equatable {
    /// `2026-12-01T12:00:00.123Z <request-id> INFO message`
    case text
    /// `{"timestamp":"2026-12-01T12:00:00.123Z","level":"INFO","requestId":"<id>","message":"message"}`
    case json
}

/// Where finished log lines go. Each call gets one complete line, ending in a newline.
public struct LambdaLogSink: Sendable {
    public let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Standard error, one `write(2)` per line (Lambda forwards it to CloudWatch Logs).
    public static let standardError = LambdaLogSink { StandardErrorOutput.write($0) }
}

/// The request id of the invocation a runtime loop is running, for loggers created before it
/// began (a handler's own logger, built at init, still tags each line with the right id).
final class CurrentInvocation: Sendable {
    private let id = Mutex<String?>(nil)
    var requestId: String? {
        get { id.withLock { $0 } }
        set { id.withLock { $0 = newValue } }
    }
}

/// Lambda-style log lines: text or JSON, with the request id, filtered by level.
///
/// A logger is a small value: copy it freely, share it between tasks.
public struct LambdaLogger: Sendable {
    enum RequestIdSource: Sendable {
        case fixed(String?)
        case current(CurrentInvocation)
    }

    public let level: LambdaLogLevel
    public let format: LambdaLogFormat
    let sink: LambdaLogSink
    let clock: @Sendable () -> Int64
    let source: RequestIdSource

    /// - Parameters:
    ///   - clock: the wall clock in Unix epoch milliseconds, for the timestamps.
    public init(
        level: LambdaLogLevel = .info,
        format: LambdaLogFormat = .text,
        requestId: String? = nil,
        sink: LambdaLogSink = .standardError,
        clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds
    ) {
        self.init(level: level, format: format, source: .fixed(requestId), sink: sink, clock: clock)
    }

    /// Level and format from `AWS_LAMBDA_LOG_LEVEL` (default `INFO`; unknown values mean `INFO`)
    /// and `AWS_LAMBDA_LOG_FORMAT` (`JSON`, any case, else text).
    public init(
        environment: [String: String],
        sink: LambdaLogSink = .standardError,
        clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds
    ) {
        self.init(
            level: environment["AWS_LAMBDA_LOG_LEVEL"].flatMap(LambdaLogLevel.init(name:)) ?? .info,
            format: environment["AWS_LAMBDA_LOG_FORMAT"]?.uppercased() == "JSON" ? .json : .text,
            source: .fixed(nil),
            sink: sink,
            clock: clock
        )
    }

    init(level: LambdaLogLevel, format: LambdaLogFormat, source: RequestIdSource, sink: LambdaLogSink,
         clock: @escaping @Sendable () -> Int64) {
        self.level = level
        self.format = format
        self.source = source
        self.sink = sink
        self.clock = clock
    }

    /// The request id this logger tags its lines with, if any.
    public var requestId: String? {
        switch source {
        case .fixed(let id): id
        case .current(let current): current.requestId
        }
    }

    /// The same logger, tagging its lines with `requestId`.
    public func withRequestId(_ requestId: String?) -> LambdaLogger {
        LambdaLogger(level: level, format: format, source: .fixed(requestId), sink: sink, clock: clock)
    }

    /// The same logger, tagging each line with the id of the invocation running at that moment.
    func following(_ current: CurrentInvocation) -> LambdaLogger {
        LambdaLogger(level: level, format: format, source: .current(current), sink: sink, clock: clock)
    }

    public func isEnabled(_ level: LambdaLogLevel) -> Bool { level >= self.level }

    /// Writes one line if `level` reaches the logger's threshold; the message is not built otherwise.
    public func log(_ level: LambdaLogLevel, _ message: @autoclosure () -> String) {
        guard isEnabled(level) else { return }
        sink.write(line(level: level, message: message(), requestId: requestId, epochMilliseconds: clock()))
    }

    public func trace(_ message: @autoclosure () -> String) { log(.trace, message()) }
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func warn(_ message: @autoclosure () -> String) { log(.warn, message()) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    public func fatal(_ message: @autoclosure () -> String) { log(.fatal, message()) }

    /// One formatted line, newline included.
    ///
    /// Text mode turns the message's own line breaks into carriage returns, so that a
    /// multi-line message stays one CloudWatch event (the AWS-managed runtimes do the same);
    /// a line without request id leaves that column out. JSON mode escapes them and omits
    /// `requestId` when there is none.
    public func line(level: LambdaLogLevel, message: String, requestId: String?, epochMilliseconds: Int64) -> String {
        let timestamp = WallClock.timestamp(epochMilliseconds: epochMilliseconds)
        switch format {
        case .text:
            var text = timestamp
            if let requestId { text += " " + requestId }
            text += " " + level.description + " "
            text += message.contains("\n") ? message.replacing("\n", with: "\r") : message
            return text + "\n"
        case .json:
            var json = #"{"timestamp":"# + JSONText.quoted(timestamp)
            json += #","level":"# + JSONText.quoted(level.description)
            if let requestId { json += #","requestId":"# + JSONText.quoted(requestId) }
            json += #","message":"# + JSONText.quoted(message) + "}\n"
            return json
        }
    }
}
