import Foundation
import LambdaEmulator
import TestSupport
import Testing

/// Every variable the bootstrap and the CLI read, set to values that once crashed them or would
/// break a URL, a header or a key: the process never crashes, and it says in one line which
/// variable is wrong (an init error under Lambda, one `ai-usage:` line in the CLI).
@Suite struct HostileEnvironmentTests {
    static let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static let secretShaped = "hostile\r\nX-Injected: yes"
    /// A configuration that would work, so that each case fails for its own variable only (no
    /// server is needed: each fails before any request).
    static let sane = [
        "DYNAMODB_TABLE_NAME": "AIUsageMetrics", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secretexample", "AWS_SESSION_TOKEN": "",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AWS_ENDPOINT_URL": "", "CURL_CA_BUNDLE": "", "SSL_CERT_FILE": "",
        "AI_USAGE_PRICING_FILE": "", "AI_USAGE_SPILL_FILE": "", "TRACK_TO_FILE": "", "USER_ID": "", "ENVIRONMENT": "",
    ]

    /// (variable changes, the variable the message must name)
    static let initErrors: [([String: String], String)] = [
        (["AWS_REGION": "us east 1"], "AWS_REGION"),
        (["AWS_REGION": "user@evil.example"], "AWS_REGION"),
        (["AWS_REGION": "us-east-1/../../x"], "AWS_REGION"),
        (["AWS_REGION": "us-east-1:443"], "AWS_REGION"),
        (["AWS_REGION": String(repeating: "a", count: 100_000)], "AWS_REGION"),
        (["AWS_REGION": "", "AWS_DEFAULT_REGION": "eu west"], "AWS_DEFAULT_REGION"),
        (["AWS_ACCESS_KEY_ID": secretShaped], "AWS_ACCESS_KEY_ID"),
        (["AWS_SECRET_ACCESS_KEY": "two words"], "AWS_SECRET_ACCESS_KEY"),
        (["AWS_SESSION_TOKEN": secretShaped], "AWS_SESSION_TOKEN"),
        (["AWS_SESSION_TOKEN": "tökén"], "AWS_SESSION_TOKEN"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "http://user:pass@127.0.0.1:1/"], "AWS_ENDPOINT_URL_DYNAMODB"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:99999"], "AWS_ENDPOINT_URL_DYNAMODB"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "http://a b/"], "AWS_ENDPOINT_URL_DYNAMODB"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "ftp://127.0.0.1/"], "AWS_ENDPOINT_URL_DYNAMODB"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1/a\r\nb"], "AWS_ENDPOINT_URL_DYNAMODB"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "", "AWS_ENDPOINT_URL": "http://[::1"], "AWS_ENDPOINT_URL"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "", "AWS_ENDPOINT_URL": "", "CURL_CA_BUNDLE": "/nonexistent/ca.pem"], "CURL_CA_BUNDLE"),
        (["AWS_ENDPOINT_URL_DYNAMODB": "", "AWS_ENDPOINT_URL": "", "SSL_CERT_FILE": "/nonexistent/ca.pem"], "SSL_CERT_FILE"),
        (["DYNAMODB_TABLE_NAME": "no spaces allowed"], "DYNAMODB_TABLE_NAME"),
        (["DYNAMODB_TABLE_NAME": String(repeating: "t", count: 300)], "DYNAMODB_TABLE_NAME"),
        (["AI_USAGE_QUERY_CONCURRENCY": "lots"], "AI_USAGE_QUERY_CONCURRENCY"),
        (["AI_USAGE_QUERY_CONCURRENCY": "99999999999999999999999"], "AI_USAGE_QUERY_CONCURRENCY"),
        (["AI_USAGE_QUERY_CONCURRENCY": "0"], "AI_USAGE_QUERY_CONCURRENCY"),
        (["AI_USAGE_CACHE_TTL_SECONDS": "-1"], "AI_USAGE_CACHE_TTL_SECONDS"),
        (["AI_USAGE_CACHE_TTL_SECONDS": "1e9"], "AI_USAGE_CACHE_TTL_SECONDS"),
        (["AI_USAGE_ALERT_SECRET": "two words"], "AI_USAGE_ALERT_SECRET"),
        (["AI_USAGE_ALERT_CHANNELS": "webhook:http://127.0.0.1:1/a\r\nX-Injected: 1"], "AI_USAGE_ALERT_CHANNELS"),
        (["AI_USAGE_ALERT_CHANNELS": "sns:arn:aws:sns:us-east-1:1:topic"], "AI_USAGE_ALERT_CHANNELS"),
        (["AI_USAGE_REPORT_URL": "https://api.example.com/r?x=1"], "AI_USAGE_REPORT_URL"),
        (["AI_USAGE_ALERT_RETRY_SECONDS": "-1"], "AI_USAGE_ALERT_RETRY_SECONDS"),
        (["AI_USAGE_ALERT_MAX_ATTEMPTS": String(repeating: "9", count: 100)], "AI_USAGE_ALERT_MAX_ATTEMPTS"),
    ]

    // Serialized, with a generous timeout: 31 debug bootstraps started at once, during the whole
    // parallel suite on 2 cores, once took over 20 s to print their first line (the timer itself
    // fired 7 s late), and every case timed out.
    @Test(.serialized, arguments: initErrors)
    func theBootstrapReportsAnInitErrorNamingTheVariable(_ changes: [String: String], _ variable: String) async throws {
        var environment = Self.sane
        environment.merge(changes) { $1 }
        let emulator = try LambdaEmulator(configuration: LambdaEmulatorConfiguration(
            bootstrap: Self.binDirectory.appendingPathComponent("bootstrap").path, timeout: .seconds(60),
            environment: environment, functionOutput: { _ in }
        ))
        let result = await emulator.invoke(Array(#"{"queryStringParameters":{}}"#.utf8))
        await emulator.shutdown()
        #expect(result.status == .error, "\(result.jsonLine)")
        #expect(result.errorType == "Runtime.ConfigInvalid")
        let message = try #require(result.errorMessage)
        #expect(message.hasPrefix(variable), "\(message)")
        #expect(!message.contains("\n") && message.count < 300, "\(message)")
        #expect(!message.contains("X-Injected") && !message.contains("two words"))  // credentials are never quoted
    }

    /// The variables the runtime reads itself: a bad Runtime API address stops it with one line;
    /// a bad log level, log format or memory size is a warning, and the runtime goes on.
    @Test func theRuntimeNamesItsOwnVariables() async throws {
        let bootstrap = Self.binDirectory.appendingPathComponent("bootstrap").path
        var base = ProcessInfo.processInfo.environment
        base.merge(Self.sane) { $1 }
        for hostile in ["127.0.0.1:9/../x", "user@127.0.0.1:9", "a b:9", "127.0.0.1", "127.0.0.1:0", "[::1:9"] {
            var environment = base
            environment["AWS_LAMBDA_RUNTIME_API"] = hostile
            let result = try await ChildProcessRunner.runOffPool(bootstrap, [], environment: environment)
            #expect(result.status == 1, "\(hostile): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("AWS_LAMBDA_RUNTIME_API must be host:port"), "\(hostile): \(result.stderr)")
        }
        // Nothing listens on port 9: the runtime gives up after its retries, having warned first.
        var environment = base
        environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9"
        environment["AWS_LAMBDA_LOG_LEVEL"] = "LOUD\u{1b}[2J"
        environment["AWS_LAMBDA_LOG_FORMAT"] = "xml"
        environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "lots"
        environment["AI_USAGE_BOOTSTRAP_FAULTS"] = "yes please"
        let result = try await ChildProcessRunner.runOffPool(bootstrap, [], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("AWS_LAMBDA_LOG_LEVEL 'LOUD?[2J' is not TRACE, DEBUG, INFO, WARN, ERROR or FATAL"), "\(result.stderr)")
        #expect(result.stderr.contains("AWS_LAMBDA_LOG_FORMAT 'xml' is not Text or JSON"))
        #expect(result.stderr.contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE 'lots' is not a number"))
        #expect(result.stderr.contains("AI_USAGE_BOOTSTRAP_FAULTS is neither 0 nor 1"))
        #expect(result.stderr.contains("the Runtime API is unreachable"))
        #expect(!result.stderr.contains("\u{1b}"))
    }

    /// (variable changes, the variable the message must name)
    static let cliErrors: [([String: String], String)] = initErrors.filter { !$0.1.hasPrefix("AI_USAGE_") } + [
        (["AI_USAGE_SPILL_FILE": "/nonexistent-dir/spill.jsonl"], "AI_USAGE_SPILL_FILE"),
        (["AI_USAGE_SPILL_FILE": "", "TMPDIR": "/nonexistent-dir"], "TMPDIR"),
        (["TRACK_TO_FILE": "maybe"], "TRACK_TO_FILE"),
        (["TRACK_TO_FILE": "true", "AI_USAGE_LOG_FILE": "/nonexistent-dir/log.jsonl"], "AI_USAGE_LOG_FILE"),
        (["USER_ID": "alice\nbob"], "USER_ID"),
        (["ENVIRONMENT": String(repeating: "e", count: 200)], "ENVIRONMENT"),
        (["AI_USAGE_PRICING_FILE": "/nonexistent-dir/prices.json"], "AI_USAGE_PRICING_FILE"),
    ]

    @Test(arguments: cliErrors)
    func theCLISaysOneLineNamingTheVariable(_ changes: [String: String], _ variable: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(Self.sane) { $1 }
        environment.merge(changes) { $1 }
        let result = try await ChildProcessRunner.runOffPool(
            Self.binDirectory.appendingPathComponent("ai-usage").path,
            ["record", "--service", "openai", "--model", "gpt-4o", "--operation", "completion", "--input-tokens", "1", "--output-tokens", "1"],
            environment: environment)
        #expect(result.status == 1, "\(variable): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("ai-usage: ") == true && lines.first?.contains(variable) == true, "\(result.stderr)")
        #expect(!result.stderr.contains("X-Injected") && !result.stderr.contains("two words"))
        #expect(result.stdout.isEmpty)
    }
}
