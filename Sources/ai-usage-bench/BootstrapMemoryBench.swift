import AIUsage
import AIUsageReports
import Foundation
import LambdaEmulator
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Part 5 (ii): the real `bootstrap`'s peak RSS answering `GET /ai_usage`.
//
// A fresh bootstrap process per range, spawned by the bench (as for the cold start) against a
// scripted Runtime API in the bench's process that hands it the same event `requests` times.
// The bootstrap queries the replay server (also in the bench's process, so the pages are not in
// its memory) at the default concurrency. When it asks for one more event after its last
// response, the bench reads `VmHWM` (and `VmRSS`) from its /proc/PID/status, then answers that
// `/next` with 500 so that it exits on its own. Its standard error (the handler's log lines)
// goes to a file, read for what each request read.

/// One range, as the real bootstrap answered it.
struct BootstrapMemoryFigures: Codable {
    var range: String
    var days: Int
    /// `raw` (AI_USAGE_ROLLUPS=off) or `rollups` (on).
    var mode: String
    /// Set for a diagnostic run: the extra environment it ran with (not a goal's figure).
    var diagnostic: String?
    var items: Int
    var requests: Int
    /// `VmRSS` at its first `/next` (started, nothing asked yet), kB (1,024 bytes).
    var rssAtFirstNextKB: Int
    /// `VmHWM` and `VmRSS` after its last response, before it exits, kB.
    var peakKB: Int
    var rssAfterKB: Int
    /// Peak in MB of 10^6 bytes.
    var peakMB: Double
    /// From `/next` answered to `/response` received, per request, ms (the first includes
    /// the first connections).
    var requestMilliseconds: [Double]
    var statuses: [Int]
    var totalAPICalls: [Int]
    /// The handler's read lines, from the bootstrap's standard error.
    var read: [ReadSummary]
    /// What the replay server served over all its requests.
    var servedRaw: ReplayStore.Served
    var servedRollup: ReplayStore.Served
    var verified: Bool
    var problems: [String]
}

/// Hands `event` to the process that asks, `count` times, timing each; at the `/next` after
/// the last response, runs `inspect` and answers 500.
final class ScriptedRuntimeAPI: @unchecked Sendable {
    struct Round: Sendable {
        var handedOut = 0
        var handedAt: [ContinuousClock.Instant] = []
        var respondedAt: [ContinuousClock.Instant] = []
        var responses: [[UInt8]] = []
        var firstNextRSS: Int?
        var finalStatus: String?
        var pid: pid_t?
    }

    private let state = Mutex(Round())
    private let finished = DispatchSemaphore(value: 0)
    private var server: TinyHTTPServer!
    private let event: [UInt8]
    private let count: Int

    init(event: [UInt8], count: Int) throws {
        self.event = event
        self.count = count
        server = try TinyHTTPServer { [unowned self] request in answer(request) }
    }

    var hostPort: String { server.hostPort }

    func stop() { server.stop() }

    private func answer(_ request: TinyHTTPServer.Request) -> [UInt8] {
        if request.method == "GET", request.path.hasSuffix("/invocation/next") {
            let next: Int? = state.withLock { round in
                if round.handedOut == 0, let pid = round.pid { round.firstNextRSS = procStatus(pid)?.rss }
                guard round.handedOut < count else {
                    if let pid = round.pid { round.finalStatus = readWhole("/proc/\(pid)/status") }
                    return nil
                }
                round.handedOut += 1
                round.handedAt.append(ContinuousClock.now)
                return round.handedOut
            }
            guard let next else {
                finished.signal()
                return TinyHTTPServer.response("500 Internal Server Error", headers: [("Content-Type", "application/json")],
                                               body: Array(#"{"errorType":"Bench.Done"}"#.utf8))
            }
            let deadline = Int64(Date().timeIntervalSince1970 * 1000) + 60_000
            return TinyHTTPServer.response("200 OK", headers: [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", "bench-memory-\(next)"),
                ("Lambda-Runtime-Deadline-Ms", String(deadline)),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:AIUsageFunction"),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"),
            ], body: event)
        }
        if request.method == "POST", request.path.hasSuffix("/response") || request.path.hasSuffix("/error") {
            state.withLock { round in
                round.respondedAt.append(request.received)
                round.responses.append((request.path.hasSuffix("/error") ? Array("error: ".utf8) : []) + Array(request.body))
            }
            return TinyHTTPServer.response("202 Accepted", headers: [("Content-Type", "application/json")], body: Array(#"{"status":"OK"}"#.utf8))
        }
        return TinyHTTPServer.response("404 Not Found", body: [])
    }

    /// Spawns `executable` (blocking) with `environment` and its stderr in `errorPath`; waits for
    /// its last `/next` (at most `limit`) and its exit.
    func run(_ executable: String, environment: [String: String], errorPath: String, limit: Duration) -> Result<Round, FakeFailure> {
        state.withLock { $0 = Round() }
        var environment = environment
        environment["AWS_LAMBDA_RUNTIME_API"] = hostPort
        let pid: pid_t
        switch spawnQuietly(executable, environment: environment, errorPath: errorPath) {
        case .success(let spawned): pid = spawned
        case .failure(let failure): return .failure(failure)
        }
        state.withLock { $0.pid = pid }
        let seconds = Double(limit.components.seconds)
        let done = finished.wait(timeout: .now() + seconds) == .success
        let exit = reap(pid, within: .seconds(5))
        let round = state.withLock { $0 }
        guard done else {
            return .failure(FakeFailure("no /next after \(round.responses.count) of \(count) responses within \(Int(seconds)) s (\(exit))"))
        }
        return .success(round)
    }
}

/// `VmRSS` and `VmHWM` of a process, kB.
func procStatus(_ pid: pid_t) -> (rss: Int, hwm: Int)? {
    readWhole("/proc/\(pid)/status").map(parseStatus)
}

/// `VmRSS` and `VmHWM` from the text of a /proc status file, kB.
func parseStatus(_ text: String) -> (rss: Int, hwm: Int) {
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

enum BootstrapMemoryBench {
    static let requests = 3

    /// One fresh bootstrap answering `requests` times.
    static func run(
        bootstrap: String, range: String, days: Int, start: CivilDate, end: CivilDate, expected: ExpectedTotals,
        server: ReplayServer, rollups: Bool, extraEnvironment: [String: String] = [:]
    ) -> BootstrapMemoryFigures {
        var figures = BootstrapMemoryFigures(
            range: range, days: days, mode: rollups ? "rollups" : "raw",
            diagnostic: extraEnvironment.isEmpty ? nil : extraEnvironment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
            items: expected.items, requests: requests,
            rssAtFirstNextKB: 0, peakKB: 0, rssAfterKB: 0, peakMB: 0, requestMilliseconds: [], statuses: [], totalAPICalls: [],
            read: [], servedRaw: .init(), servedRollup: .init(), verified: false, problems: []
        )
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let errorPath = "\(directory)/ai-usage-bench-\(getpid())-bootstrap-memory.err"
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let api: ScriptedRuntimeAPI
        do {
            api = try ScriptedRuntimeAPI(event: Array(restEvent(start: start, end: end).utf8), count: requests)
        } catch {
            figures.problems.append("cannot start the scripted Runtime API: \(error)")
            return figures
        }
        defer { api.stop() }
        var environment = RuntimeBench.configuration(
            bootstrap: bootstrap, environment: HandlerPathBench.replayEnvironment(server, rollups: rollups), host: RuntimeBench.bootstrapHost
        ).processEnvironment(runtimeAPI: api.hostPort)
        environment["LAMBDA_TASK_ROOT"] = URL(fileURLWithPath: bootstrap).deletingLastPathComponent().path
        for (name, value) in extraEnvironment { environment[name] = value }
        // The pages it will ask for, built and cached before it starts (not counted as served),
        // so that its first request does not wait for the bench.
        if rollups {
            _ = server.store.pages(ReplayStore.rollupRequest(from: start, to: end))
        } else {
            let query = UsageQuery(start: start, end: end, aggregation: ReportBench.levels)
            for segment in UsageFetcher.segments(of: query, concurrency: 8) {
                _ = server.store.pages(ReplayStore.rawRequest(from: segment.first, to: segment.last))
            }
        }
        server.store.resetCounts()
        let round: ScriptedRuntimeAPI.Round
        switch api.run(bootstrap, environment: environment, errorPath: errorPath, limit: .seconds(120)) {
        case .success(let finished): round = finished
        case .failure(let failure):
            figures.problems.append("\(failure)")
            return figures
        }
        let counts = server.store.counts
        figures.servedRaw = counts.raw
        figures.servedRollup = counts.rollup
        if let refusal = counts.firstRefusal { figures.problems.append("the replay server refused a request: \(refusal)") }
        figures.rssAtFirstNextKB = round.firstNextRSS ?? 0
        if let status = round.finalStatus {
            let memory = parseStatus(status)
            (figures.peakKB, figures.rssAfterKB) = (memory.hwm, memory.rss)
            figures.peakMB = rounded(Double(memory.hwm) * 1024 / 1e6, places: 1)
        } else {
            figures.problems.append("could not read the bootstrap's /proc status after its last response")
        }
        figures.requestMilliseconds = zip(round.handedAt, round.respondedAt).map { rounded(($1 - $0).seconds * 1000, places: 1) }
        for response in round.responses {
            let summary = summaryOf(response)
            figures.statuses.append(summary.status)
            figures.totalAPICalls.append(summary.calls)
            figures.problems += HandlerPathBench.check(summary, expected: expected)
        }
        if round.responses.count != requests { figures.problems.append("\(round.responses.count) responses of \(requests)") }
        let log = readWhole(errorPath) ?? ""
        figures.read = ReadSummary.all(in: log)
        if figures.read.count != requests {
            figures.problems.append("\(figures.read.count) read lines in the bootstrap's log, expected \(requests): \(log.suffix(300))")
        }
        var readRaw = ReplayStore.Served()
        var readRollup = ReplayStore.Served()
        for read in figures.read {
            readRaw.items += read.rawItems
            readRaw.pages += read.rawPages
            readRollup.items += read.rollupItems
            readRollup.pages += read.rollupPages
            if rollups {
                if read.rollupDays != days || read.rawItems != 0 { figures.problems.append("expected every day from rollups, read \(read.line)") }
            } else if read.rawDays != days || read.rawItems != expected.items || read.rollupItems != 0 {
                figures.problems.append("expected \(expected.items) raw items over \(days) days, read \(read.line)")
            }
        }
        if readRaw.items != counts.raw.items || readRaw.pages != counts.raw.pages || readRollup.items != counts.rollup.items || readRollup.pages != counts.rollup.pages {
            figures.problems.append("the server served \(counts.raw.items) raw items in \(counts.raw.pages) pages and \(counts.rollup.items) rollup items in \(counts.rollup.pages) pages; the log says \(readRaw.items) in \(readRaw.pages) and \(readRollup.items) in \(readRollup.pages)")
        }
        figures.verified = figures.problems.isEmpty
        return figures
    }

    static func show(_ figure: BootstrapMemoryFigures) {
        let mb = { (kb: Int) in fixed(Double(kb) * 1024 / 1e6, 1) }
        say("   bootstrap, \(figure.range) \(figure.mode == "raw" ? "from raw items" : "with rollups")\(figure.diagnostic.map { ", diagnostic: \($0)" } ?? ""), \(figure.requests) requests in a fresh process: "
            + "peak RSS (VmHWM) \(mb(figure.peakKB)) MB; RSS \(mb(figure.rssAtFirstNextKB)) MB at its first /next, \(mb(figure.rssAfterKB)) MB after; "
            + "requests \(figure.requestMilliseconds.map { fixed($0, 0) }.joined(separator: " / ")) ms; "
            + "read \(figure.read.first?.line ?? "?"); total_api_calls \(figure.totalAPICalls.map(String.init).joined(separator: "/")) -> \(figure.verified ? "OK" : "PROBLEM")")
        for problem in figure.problems { say("     PROBLEM: \(problem)") }
    }
}
