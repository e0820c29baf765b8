import LambdaRuntime
import Testing

@Suite struct LoggerTests {
    private func logger(_ environment: [String: String], _ logs: LogCapture, requestId: String? = "req-1") -> LambdaLogger {
        LambdaLogger(environment: environment, sink: logs.sink, clock: { 1_800_000_000_123 }).withRequestId(requestId)
    }

    @Test func writesTextLinesWithTimestampRequestIdAndLevel() {
        let logs = LogCapture()
        let log = logger([:], logs)
        log.info("hello")
        log.error("two\nlines")
        logger([:], logs, requestId: nil).warn("outside an invocation")
        #expect(logs.lines == [
            "2027-01-15T08:00:00.123Z req-1 INFO hello\n",
            "2027-01-15T08:00:00.123Z req-1 ERROR two\rlines\n",
            "2027-01-15T08:00:00.123Z WARN outside an invocation\n",
        ])
    }

    @Test func writesLambdasJSONFormat() {
        let logs = LogCapture()
        let log = logger(["AWS_LAMBDA_LOG_FORMAT": "JSON"], logs)
        #expect(log.format == .json)
        log.info(#"say "hi"\ now"#)
        log.fatal("tab\tnew\nline \u{01} é")
        logger(["AWS_LAMBDA_LOG_FORMAT": "json"], logs, requestId: nil).info("no id")
        #expect(logs.lines == [
            #"{"timestamp":"2027-01-15T08:00:00.123Z","level":"INFO","requestId":"req-1","message":"say \"hi\"\\ now"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.123Z","level":"FATAL","requestId":"req-1","message":"tab\tnew\nline \u0001 é"}"# + "\n",
            #"{"timestamp":"2027-01-15T08:00:00.123Z","level":"INFO","message":"no id"}"# + "\n",
        ])
    }

    @Test func textIsTheDefaultAndUnknownFormatsFallBackToIt() {
        #expect(LambdaLogger(environment: [:]).format == .text)
        #expect(LambdaLogger(environment: ["AWS_LAMBDA_LOG_FORMAT": "Text"]).format == .text)
        #expect(LambdaLogger(environment: ["AWS_LAMBDA_LOG_FORMAT": "xml"]).format == .text)
    }

    @Test func dropsLinesBelowTheLevel() {
        let logs = LogCapture()
        let log = logger(["AWS_LAMBDA_LOG_LEVEL": "warn"], logs)
        #expect(log.level == .warn)
        log.trace("t")
        log.debug("d")
        log.info("i")
        log.warn("w")
        log.error("e")
        log.fatal("f")
        #expect(logs.lines.map { $0.split(separator: " ")[2] } == ["WARN", "ERROR", "FATAL"])
    }

    @Test func doesNotBuildDroppedMessages() {
        let built = Recorded<Bool>()
        func expensive() -> String {
            built.append(true)
            return "expensive"
        }
        let logs = LogCapture()
        let log = logger(["AWS_LAMBDA_LOG_LEVEL": "ERROR"], logs)
        log.debug(expensive())
        #expect(built.values.isEmpty)
        log.error(expensive())
        #expect(built.values == [true])
    }

    @Test func readsEveryLevelAndDefaultsToInfo() {
        let names = ["TRACE": LambdaLogLevel.trace, "debug": .debug, "Info": .info, "WARN": .warn, "warning": .warn,
                     "ERROR": .error, "fatal": .fatal]
        for (name, level) in names {
            #expect(LambdaLogger(environment: ["AWS_LAMBDA_LOG_LEVEL": name]).level == level)
        }
        #expect(LambdaLogger(environment: [:]).level == .info)
        #expect(LambdaLogger(environment: ["AWS_LAMBDA_LOG_LEVEL": "loud"]).level == .info)
        #expect(LambdaLogLevel.allCases.map(\.description) == ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"])
    }

    @Test func traceLevelKeepsEverything() {
        let logs = LogCapture()
        let log = logger(["AWS_LAMBDA_LOG_LEVEL": "TRACE"], logs)
        for level in LambdaLogLevel.allCases { log.log(level, "x") }
        #expect(logs.lines.count == 6)
    }
}
