import AIUsage
import AIUsageReports
import AIUsageAPI
import DynamoDB
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// Part 5: `GET /ai_usage` end to end for 1, 7 and 30 days, with peak RSS.
//
// Each range is answered by `AIUsageHandler(environment:).handle(_:)` in a process of its own:
// this binary re-run with `--handler-child`. So the peak RSS measured (VmHWM, read from
// /proc/self/status before the first request and after the last) is the handler's alone; the
// replay server and its pre-built pages stay in the bench's own process.

/// The event every range is asked with (REST v1).
func restEvent(start: CivilDate, end: CivilDate) -> String {
    #"{"httpMethod":"GET","path":"/ai_usage","queryStringParameters":{"start_date":"\#(start.text)","end_date":"\#(end.text)","aggregation":"day,service,model,operation,hour"},"multiValueQueryStringParameters":null,"requestContext":{"requestId":"bench"}}"#
}

/// What a child process measured, printed by it as one JSON line.
struct ChildResult: Codable {
    var runsMilliseconds: [Double]
    var cpuSecondsPerRun: [Double]
    var statuses: [Int]
    var totalAPICalls: [Int]
    var totalCost: [String]
    var totalTokens: [Int]
    var invalidItems: [Int]
    var responseBytes: Int
    /// /proc/self/status before the first run (the process is set up, nothing fetched yet).
    var rssBeforeKB: Int
    var hwmBeforeKB: Int
    /// VmHWM after the first run and after the last.
    var hwmAfterFirstKB: Int
    var hwmAfterKB: Int
    var error: String?
}

/// `VmRSS` and `VmHWM` of this process, in kB (0 when /proc is not there).
func memoryStatus() -> (rss: Int, hwm: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    var rss = 0
    var hwm = 0
    for line in text.split(separator: "\n") {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, let value = Int(parts[1]) else { continue }
        if parts[0] == "VmRSS:" { rss = value }
        if parts[0] == "VmHWM:" { hwm = value }
    }
    return (rss, hwm)
}

// MARK: - The child

enum HandlerChild {
    static let flag = "--handler-child"

    /// Runs in the child: `BENCH_CHILD_RUNS` times `AIUsageHandler.handle` on `BENCH_CHILD_EVENT`,
    /// the handler configured from this process's environment (as in Lambda).
    static func main() async -> Never {
        let environment = ProcessInfo.processInfo.environment
        let event = Array((environment["BENCH_CHILD_EVENT"] ?? "").utf8)
        let runs = Int(environment["BENCH_CHILD_RUNS"] ?? "") ?? 3
        var result = ChildResult(
            runsMilliseconds: [], cpuSecondsPerRun: [], statuses: [], totalAPICalls: [], totalCost: [], totalTokens: [],
            invalidItems: [], responseBytes: 0, rssBeforeKB: 0, hwmBeforeKB: 0, hwmAfterFirstKB: 0, hwmAfterKB: 0
        )
        let handler = AIUsageHandler(environment: environment)
        if let problem = handler.configurationError {
            result.error = problem
        } else {
            let before = memoryStatus()
            result.rssBeforeKB = before.rss
            result.hwmBeforeKB = before.hwm
            let clock = ContinuousClock()
            for index in 0..<runs {
                let cpu = processCPUSeconds()
                let started = clock.now
                let answer = await handler.handle(event)
                let elapsed = clock.now - started
                result.cpuSecondsPerRun.append(rounded(processCPUSeconds() - cpu, places: 3))
                result.runsMilliseconds.append(rounded(elapsed.seconds * 1000, places: 1))
                if index == 0 { result.hwmAfterFirstKB = memoryStatus().hwm }
                result.responseBytes = answer.count
                let summary = summaryOf(answer)
                result.statuses.append(summary.status)
                result.totalAPICalls.append(summary.calls)
                result.totalCost.append(summary.cost)
                result.totalTokens.append(summary.tokens)
                result.invalidItems.append(summary.invalid)
                if summary.status != 200, result.error == nil {
                    result.error = "HTTP \(summary.status): \(String(decoding: answer.prefix(300), as: UTF8.self))"
                }
            }
            result.hwmAfterKB = memoryStatus().hwm
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let line = (try? encoder.encode(result)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        print(line)
        fflush(nil)
        exit(result.error == nil ? 0 : 1)
    }
}

/// The status and summary figures of a proxy result (zeros when it has none).
func summaryOf(_ bytes: [UInt8]) -> (status: Int, calls: Int, cost: String, tokens: Int, invalid: Int) {
    guard let result = try? JSONValue.parse(bytes) else { return (0, 0, "", 0, 0) }
    let status = result["statusCode"]?.intValue ?? 0
    guard let text = result["body"]?.stringValue, let body = try? JSONValue.parse(Array(text.utf8)),
          let summary = body["summary"] else { return (status, 0, "", 0, 0) }
    return (
        status,
        summary["total_api_calls"]?.intValue ?? 0,
        summary["total_cost_usd"]?.numberText ?? "",
        summary["total_tokens"]?.intValue ?? 0,
        summary["invalid_items"]?.intValue ?? 0
    )
}

// MARK: - Processes

struct Finished {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs `path` with `arguments` and exactly `environment`, waits for it, and returns its exit
/// status and what it printed.
func runProcess(_ path: String, _ arguments: [String], environment: [String: String]) -> Finished {
    let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    let stem = "\(directory)/ai-usage-bench-\(getpid())-child-\(UInt32.random(in: 0...UInt32.max))"
    let outPath = "\(stem).out"
    let errPath = "\(stem).err"
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard spawned == 0 else {
        return Finished(status: -1, output: "", errors: "cannot start \(path): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return Finished(
        status: (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F),
        output: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        errors: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    )
}

/// This executable's path.
func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
}

// MARK: - The parent

/// One range, as the handler answered it.
struct RangeFigures: Codable {
    var range: String
    var days: Int
    var server: String
    var items: Int
    var legacyItems: Int
    var segments: Int
    /// AI_USAGE_QUERY_CONCURRENCY (8 unless set).
    var concurrency: Int
    var pagesPerRun: Int?
    var runsMilliseconds: [Double]
    var medianMilliseconds: Double
    var itemsPerSecond: Double
    /// The handler process's CPU per run (user + system, every thread), median.
    var cpuSecondsMedian: Double
    /// The process's RSS just before the first request of the range (kB).
    var rssBeforeKB: Int
    /// VmHWM after the first run.
    var peakAfterFirstRunKB: Int
    /// Its peak RSS over every run (VmHWM).
    var peakRSSKB: Int
    var growthKB: Int
    var totalAPICalls: [Int]
    var itemsServedPerRun: Int?
    var verified: Bool
}

enum HandlerPathBench {
    static let runs = 3

    /// The environment a handler process gets against the replay server.
    static func replayEnvironment(_ server: ReplayServer) -> [String: String] {
        [
            "DYNAMODB_TABLE_NAME": "ai-usage-bench-replay",
            "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDBENCHREPLAY",
            "AWS_SECRET_ACCESS_KEY": "bench-replay-secret",
            "AI_USAGE_CACHE_TTL_SECONDS": "0",
        ]
    }

    /// The handler in a child process of its own, `runs` times.
    static func child(event: String, environment: [String: String]) -> (ChildResult?, Finished) {
        var env = environment
        env["BENCH_CHILD_EVENT"] = event
        env["BENCH_CHILD_RUNS"] = String(runs)
        let finished = runProcess(selfExecutable(), [HandlerChild.flag], environment: env)
        let line = finished.output.split(separator: "\n").last.map(String.init) ?? ""
        let result = try? JSONDecoder().decode(ChildResult.self, from: Data(line.utf8))
        return (result, finished)
    }

    static func figures(
        range: String, days: Int, server: String, expected: ExpectedTotals, segments: Int, concurrency: Int,
        child: ChildResult, served: ReplayServer.Counts?
    ) -> RangeFigures {
        let median = Throughput(runs: child.runsMilliseconds).median
        let callsOK = child.totalAPICalls.count == runs && child.totalAPICalls.allSatisfy { $0 == expected.apiCalls }
        let costOK = child.totalCost.allSatisfy { ExactDecimal($0) == expected.cost.rounded(scale: UsageAggregate.costScale) }
        let tokensOK = child.totalTokens.allSatisfy { $0 == expected.tokens }
        let servedOK = served.map { $0.items == expected.items * runs && $0.refused == 0 } ?? true
        return RangeFigures(
            range: range, days: days, server: server,
            items: expected.items, legacyItems: expected.legacy, segments: segments, concurrency: concurrency,
            pagesPerRun: served.map { $0.pages / runs },
            runsMilliseconds: child.runsMilliseconds, medianMilliseconds: median,
            itemsPerSecond: rounded(Double(expected.items) / (median / 1000)),
            cpuSecondsMedian: Throughput(runs: child.cpuSecondsPerRun.map { $0 * 1000 }).median / 1000,
            rssBeforeKB: child.rssBeforeKB, peakAfterFirstRunKB: child.hwmAfterFirstKB, peakRSSKB: child.hwmAfterKB,
            growthKB: child.hwmAfterKB - child.rssBeforeKB,
            totalAPICalls: child.totalAPICalls, itemsServedPerRun: served.map { $0.items / runs },
            verified: callsOK && costOK && tokensOK && servedOK && child.invalidItems.allSatisfy { $0 == 0 }
                && child.statuses.allSatisfy { $0 == 200 }
        )
    }

    /// Creates a moto table, writes `items` into it (BatchWriteItem), runs `body`, deletes it.
    static func withSeededTable<T>(
        _ items: [UsageItem], environment: [String: String], _ body: (String, Double) async throws -> T
    ) async throws -> T {
        let client = DynamoDBClient(configuration: try DynamoDBConfiguration.fromEnvironment(environment))
        let tableName = "ai-usage-bench-report-\(getpid())-\(Int(Date().timeIntervalSince1970))"
        _ = try await client.createTableIfMissing(AIUsageTable.createTableInput(name: tableName), timeout: .seconds(60))
        let clock = ContinuousClock()
        var result: Result<T, any Error>
        do {
            let started = clock.now
            let written = await client.batchWriteItem(tableName: tableName, requests: items.map { .put($0.full) })
            guard written.isComplete, written.written == items.count else {
                throw LocalServerBench.Failure(description: "seeding wrote \(written.written) of \(items.count): \(written.errors.first.map { "\($0)" } ?? "unprocessed items")")
            }
            result = .success(try await body(tableName, (clock.now - started).seconds))
        } catch {
            result = .failure(error)
        }
        do {
            _ = try await client.deleteTableAndWait(tableName, timeout: .seconds(60))
        } catch {
            say("   warning: could not delete the bench table \(tableName): \(error)")
        }
        return try result.get()
    }
}
