import AIUsage
import AIUsageReports
import AIUsageAPI
import DynamoDB
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Part 5: `GET /ai_usage` end to end, 30 days, all five aggregations.
//
// (i) In-process: `AIUsageHandler(environment:log:).handle(_:)` against the replay server (a
// real socket, curl, signing, the fetcher), from raw items (`AI_USAGE_ROLLUPS=off`) and with
// rollups (`on`), one warm-up and 3 timed runs each. The handler's own log line says what it
// read; the replay store counts what it served.
// (ii) The real `bootstrap`'s peak RSS: see BootstrapMemoryBench.swift.

/// The event every range is asked with (REST v1).
func restEvent(start: CivilDate, end: CivilDate) -> String {
    #"{"httpMethod":"GET","path":"/ai_usage","queryStringParameters":{"start_date":"\#(start.text)","end_date":"\#(end.text)","aggregation":"day,service,model,operation,hour"},"multiValueQueryStringParameters":null,"requestContext":{"requestId":"bench"}}"#
}

/// The handler's read log line, `read raw 30 days (90000 items, 54 pages, 8 queries); rollups
/// 0 days (0 items, 0 pages) (request …)`, as figures.
struct ReadSummary: Codable, Equatable {
    var rawDays: Int
    var rawItems: Int
    var rawPages: Int
    var rawQueries: Int
    var rollupDays: Int
    var rollupItems: Int
    var rollupPages: Int

    /// The figures of one log line, nil when it is not a read line.
    init?(_ text: Substring) {
        guard let start = text.range(of: "read raw ") else { return nil }
        var rest = text[start.upperBound...]
        if let end = rest.range(of: " (request") { rest = rest[..<end.lowerBound] }
        let numbers = rest.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 7 else { return nil }
        (rawDays, rawItems, rawPages, rawQueries) = (numbers[0], numbers[1], numbers[2], numbers[3])
        (rollupDays, rollupItems, rollupPages) = (numbers[4], numbers[5], numbers[6])
    }

    /// Every read line in `text`, in order.
    static func all(in text: String) -> [ReadSummary] {
        text.split(separator: "\n").compactMap { ReadSummary($0) }
    }

    var line: String {
        "raw \(rawDays) days (\(grouped(Double(rawItems))) items, \(rawPages) pages, \(rawQueries) queries); rollups \(rollupDays) days (\(grouped(Double(rollupItems))) items, \(rollupPages) pages)"
    }
}

/// One range, as the handler answered it in-process.
struct HandlerFigures: Codable {
    var range: String
    var days: Int
    /// `raw` (AI_USAGE_ROLLUPS=off) or `rollups` (on).
    var mode: String
    var items: Int
    var legacyItems: Int
    var runsMilliseconds: [Double]
    var medianMilliseconds: Double
    /// The range's items over the median.
    var itemsPerSecond: Double
    /// CPU of the whole bench process (handler and replay server) per run, median, ms.
    var cpuMillisecondsMedian: Double
    /// From the handler's log line, one per timed run.
    var read: [ReadSummary]
    /// What the replay server served, per timed run.
    var servedRaw: [ReplayStore.Served]
    var servedRollup: [ReplayStore.Served]
    var statuses: [Int]
    var totalAPICalls: [Int]
    var responseBytes: Int
    var goalMilliseconds: Double
    var verified: Bool
    var problems: [String]
}

/// `VmRSS` and `VmHWM` of this process, in kB (0 when /proc is not there).
func memoryStatus() -> (rss: Int, hwm: Int) {
    readWhole("/proc/self/status").map(parseStatus) ?? (0, 0)
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


enum HandlerPathBench {
    static let runs = 3

    /// The environment the handler (in-process, or the bootstrap) gets against the replay server.
    static func replayEnvironment(_ server: ReplayServer, rollups: Bool) -> [String: String] {
        [
            "DYNAMODB_TABLE_NAME": "ai-usage-bench-replay",
            "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDBENCHREPLAY",
            "AWS_SECRET_ACCESS_KEY": "bench-replay-secret",
            "AI_USAGE_CACHE_TTL_SECONDS": "0",
            "AI_USAGE_ROLLUPS": rollups ? "on" : "off",
        ]
    }

    /// `AIUsageHandler.handle` in this process: one warm-up, then `runs` timed runs.
    static func inProcess(
        range: String, days: Int, start: CivilDate, end: CivilDate, expected: ExpectedTotals, server: ReplayServer, rollups: Bool,
        goalMilliseconds: Double
    ) async -> (HandlerFigures, bodies: [[UInt8]]) {
        let lines = Mutex<[String]>([])
        let handler = AIUsageHandler(environment: replayEnvironment(server, rollups: rollups), log: { line in lines.withLock { $0.append(line) } })
        let event = Array(restEvent(start: start, end: end).utf8)
        var figures = HandlerFigures(
            range: range, days: days, mode: rollups ? "rollups" : "raw", items: expected.items, legacyItems: expected.legacy,
            runsMilliseconds: [], medianMilliseconds: 0, itemsPerSecond: 0, cpuMillisecondsMedian: 0, read: [], servedRaw: [], servedRollup: [],
            statuses: [], totalAPICalls: [], responseBytes: 0, goalMilliseconds: goalMilliseconds, verified: false, problems: []
        )
        if let problem = handler.configurationError {
            figures.problems.append("the handler is not configured: \(problem)")
            return (figures, [])
        }
        _ = await handler.handle(event)
        var cpu: [Double] = []
        var bodies: [[UInt8]] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            server.store.resetCounts()
            lines.withLock { $0.removeAll() }
            let cpuBefore = processCPUSeconds()
            let started = clock.now
            let answer = await handler.handle(event)
            let elapsed = clock.now - started
            cpu.append((processCPUSeconds() - cpuBefore) * 1000)
            figures.runsMilliseconds.append(rounded(elapsed.seconds * 1000, places: 1))
            let counts = server.store.counts
            figures.servedRaw.append(counts.raw)
            figures.servedRollup.append(counts.rollup)
            if let refusal = counts.firstRefusal { figures.problems.append("the replay server refused a request: \(refusal)") }
            let logged = lines.withLock { $0 }
            if let read = logged.lazy.compactMap({ ReadSummary(Substring($0)) }).first {
                figures.read.append(read)
            } else {
                figures.problems.append("no read line in the handler's log: \(logged.first ?? "(nothing logged)")")
            }
            let summary = summaryOf(answer)
            figures.statuses.append(summary.status)
            figures.totalAPICalls.append(summary.calls)
            figures.responseBytes = answer.count
            bodies.append(answer)
            figures.problems += check(summary, expected: expected)
        }
        figures.medianMilliseconds = Throughput(runs: figures.runsMilliseconds.map { $0 * 10 }).median / 10
        figures.itemsPerSecond = rounded(Double(expected.items) / (figures.medianMilliseconds / 1000))
        figures.cpuMillisecondsMedian = rounded(Throughput(runs: cpu.map { $0 * 10 }).median / 10, places: 1)
        for (read, (raw, rollup)) in zip(figures.read, zip(figures.servedRaw, figures.servedRollup)) {
            figures.problems += checkRead(read, raw: raw, rollup: rollup, days: days, expected: expected, rollups: rollups)
        }
        figures.verified = figures.problems.isEmpty && figures.read.count == runs
        return (figures, bodies)
    }

    /// What must hold of an answer: 200, and the totals of the items.
    static func check(_ summary: (status: Int, calls: Int, cost: String, tokens: Int, invalid: Int), expected: ExpectedTotals) -> [String] {
        var problems: [String] = []
        if summary.status != 200 { problems.append("HTTP \(summary.status)") }
        if summary.calls != expected.apiCalls { problems.append("total_api_calls \(summary.calls), expected \(expected.apiCalls)") }
        if ExactDecimal(summary.cost) != expected.cost.rounded(scale: UsageAggregate.costScale) {
            problems.append("total_cost_usd \(summary.cost), expected \(expected.cost.rounded(scale: UsageAggregate.costScale))")
        }
        if summary.tokens != expected.tokens { problems.append("total_tokens \(summary.tokens), expected \(expected.tokens)") }
        if summary.invalid != 0 { problems.append("\(summary.invalid) invalid items") }
        return problems
    }

    /// What must hold of what was read: every raw item once, or every day from rollups, and the
    /// replay server's counts agreeing with the handler's.
    static func checkRead(
        _ read: ReadSummary, raw: ReplayStore.Served, rollup: ReplayStore.Served, days: Int, expected: ExpectedTotals, rollups: Bool
    ) -> [String] {
        var problems: [String] = []
        if rollups {
            if read.rollupDays != days || read.rawItems != 0 { problems.append("expected every day from rollups, read \(read.line)") }
        } else if read.rawDays != days || read.rawItems != expected.items || read.rollupItems != 0 {
            problems.append("expected \(expected.items) raw items over \(days) days, read \(read.line)")
        }
        if raw.items != read.rawItems || raw.pages != read.rawPages || rollup.items != read.rollupItems || rollup.pages != read.rollupPages {
            problems.append("the server served \(raw.items) raw items in \(raw.pages) pages and \(rollup.items) rollup items in \(rollup.pages) pages; the handler read \(read.line)")
        }
        return problems
    }
}


/// The `body` string of a proxy response, nil when it has none.
func proxyBody(_ bytes: [UInt8]) -> String? {
    (try? JSONValue.parse(bytes))?["body"]?.stringValue
}

extension HandlerPathBench {
    /// A Query the replay server cannot answer (GSI1, for `service=openai` from raw items) must be
    /// refused with a 400, and the handler must turn it into an error answer: the HTTP status it
    /// gave and how many requests the server refused.
    static func refusal(server: ReplayServer, start: CivilDate, end: CivilDate) async -> (status: Int, refused: Int, reason: String?) {
        let handler = AIUsageHandler(environment: replayEnvironment(server, rollups: false), log: { _ in })
        let event = #"{"httpMethod":"GET","path":"/ai_usage","queryStringParameters":{"start_date":"\#(start.text)","end_date":"\#(end.text)","service":"openai"},"requestContext":{"requestId":"bench-refusal"}}"#
        server.store.resetCounts()
        let status = summaryOf(await handler.handle(Array(event.utf8))).status
        let counts = server.store.counts
        server.store.resetCounts()
        return (status, counts.refused, counts.firstRefusal)
    }
}
