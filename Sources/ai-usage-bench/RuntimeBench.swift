import CurlHTTP
import Foundation
import LambdaEmulator
import LambdaRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Part 6: the runtime.
//
// - No-op invocations through `LambdaEmulator` and a `LambdaRuntime` loop on loopback: this
//   binary re-run as the bootstrap (`AI_USAGE_BENCH_NOOP_RUNTIME=1`, or `--noop-runtime` by
//   hand), a handler that returns the event. Next to it, in the same run and interleaved with
//   it, the bare loopback HTTP/1.1 round trip: `CurlConnection` (what the runtime uses) against
//   a tiny blocking server, and a raw socket client against the same server.
// - Cold start of the real `bootstrap` (found next to this binary, or at `BENCH_BOOTSTRAP`):
//   spawned by the bench against a fake Runtime API that notes when `/next` and when
//   `/response` arrive, with an OPTIONS event (204, no DynamoDB); the same for a stripped copy,
//   and through the emulator (the first invoke of a fresh `LambdaEmulator`).

/// The bench binary as a no-op custom runtime, in two kinds: `LambdaRuntime` with a handler
/// that returns the event (`AI_USAGE_BENCH_NOOP_RUNTIME=1`, or `--noop-runtime` by hand), and a
/// bare loop of two `CurlConnection` requests with nothing else (`AI_USAGE_BENCH_NOOP_RUNTIME=bare`),
/// which shows what the emulator costs without the runtime library.
enum NoopRuntime {
    static let flag = "--noop-runtime"
    static let variable = "AI_USAGE_BENCH_NOOP_RUNTIME"

    /// Whether this process was started as a no-op runtime.
    static var requested: Bool {
        CommandLine.arguments.dropFirst().first == flag || ProcessInfo.processInfo.environment[variable] != nil
    }

    static func main() -> Never {
        if ProcessInfo.processInfo.environment[variable] == "bare" { bare() }
        LambdaRuntime.run(handler: ClosureLambdaHandler { event, _ in event })
    }

    /// `GET /next`, `POST /response` with the event, again; exits 1 on anything unexpected.
    static func bare() -> Never {
        guard let api = ProcessInfo.processInfo.environment["AWS_LAMBDA_RUNTIME_API"], !api.isEmpty,
              let connection = try? CurlConnection(caBundlePath: nil) else { exit(1) }
        let base = "http://\(api)/2018-06-01/runtime/invocation/"
        let next = HTTPRequest(method: "GET", url: base + "next", timeouts: .none)
        while true {
            guard let invocation = try? connection.perform(next), invocation.status == 200,
                  let id = invocation.headers["Lambda-Runtime-Aws-Request-Id"],
                  let posted = try? connection.perform(HTTPRequest(method: "POST", url: base + id + "/response", body: invocation.body, timeouts: .none)),
                  (200..<300).contains(posted.status) else { exit(1) }
        }
    }
}

/// Several runs of something measured in milliseconds (cold starts).
struct Milliseconds: Codable {
    var runs: [Double]
    var median: Double
    var min: Double
    var max: Double
    /// Nearest rank.
    var p90: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        runs = values.map { rounded($0, places: 2) }
        let middle = sorted.count / 2
        let median = sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        self.median = rounded(median, places: 2)
        self.min = rounded(sorted.first ?? 0, places: 2)
        self.max = rounded(sorted.last ?? 0, places: 2)
        let rank = Swift.max(1, Int((0.9 * Double(sorted.count)).rounded(.up)))
        p90 = sorted.isEmpty ? 0 : rounded(sorted[Swift.min(rank, sorted.count) - 1], places: 2)
    }
}

/// The real bootstrap's figures.
struct BootstrapFigures: Codable {
    var path: String
    var bytes: Int
    var strippedBytes: Int?
    var stripProblem: String?
    /// Spawned by the bench: `posix_spawn` → the fake Runtime API has the first `/next`.
    var spawnToNext: Milliseconds
    /// … → the fake has the whole `/response` (the first answer).
    var spawnToResponse: Milliseconds
    /// Distinct `.so` files in the process's maps at its first `/next` (an uncounted run).
    var sharedObjectsAtFirstNext: Int?
    /// The floor of any process: `/bin/true`, `posix_spawn` to reaped.
    var binTrueSpawnToExit: Milliseconds
    var strippedSpawnToNext: Milliseconds?
    var strippedSpawnToResponse: Milliseconds?
    /// The first `invoke` of a fresh `LambdaEmulator` (wall time around it; the emulator binds
    /// its Runtime API port, spawns the process, hands it the event, takes the response).
    var emulatorFirstInvoke: Milliseconds
    /// Warm OPTIONS invocations through the emulator and the real bootstrap.
    var warmInvocationsPerSecond: Double
    var warmLatencyMicroseconds: Latency
    var responsesChecked: Int
    /// Every answer (spawned, stripped, emulator, warm) was the 204 preflight.
    var verified: Bool
    var problems: [String]
}

/// One way of running no-op invocations, over every timed run.
struct InvocationPath: Codable {
    var name: String
    /// Invocations per second, one figure per run.
    var throughput: Throughput
    /// 1e6 / the median run's rate.
    var microsecondsPerInvocation: Double
    /// Each invocation (the caller's clock around `invoke`; for the runtime alone, between
    /// successive `/response` arrivals).
    var latency: Latency
    /// latency p50 / the curl loopback round trip p50.
    var roundTrips: Double
    /// CPU (user + system) per invocation: the bench's process (emulator or fake, and caller)
    /// and, under the emulator, the runtime process.
    var benchCPUMicroseconds: Double
    var runtimeCPUMicroseconds: Double?
    var failures: Int
}

struct RuntimeFigures: Codable {
    var invocationsPerRun: Int
    var runs: Int
    var eventBytes: Int
    var roundTripsPerRun: Int
    /// The goal's path: `LambdaEmulator.invoke` → `LambdaRuntime` (this binary) → back.
    var noop: InvocationPath
    /// `LambdaEmulator.invoke` → a bare curl loop (this binary): the emulator's own cost.
    var bareUnderEmulator: InvocationPath
    /// `RuntimeLoop` in-process against a tiny fake Runtime API: the runtime's own cost.
    var runtimeAgainstTiny: InvocationPath
    /// A bare loop of two `CurlConnection` requests against the same fake: the floor of any
    /// libcurl runtime against a server that does nothing but answer.
    var bareAgainstTiny: InvocationPath
    /// The no-op runtime's first invocation on a fresh emulator (the bench binary starting up).
    var noopFirstInvokeMilliseconds: Double
    /// `CurlConnection` GET against the tiny server: the runtime's own client.
    var curlRoundTripMicroseconds: Latency
    /// The median of each run's round trips.
    var curlRoundTripRunMedians: [Double]
    /// Both ends (client and server are threads of the bench).
    var curlCPUMicrosecondsPerRoundTrip: Double
    /// A raw socket client (send/recv) against the same server.
    var rawRoundTripMicroseconds: Latency
    var rawCPUMicrosecondsPerRoundTrip: Double
    /// The goal figure: per invocation, p50 / loopback round trip p50 (curl).
    var roundTripsPerInvocation: Double
    /// Per invocation, mean / loopback round trip mean (curl).
    var roundTripsPerInvocationMean: Double
    /// Per invocation p50 / the raw socket round trip p50.
    var rawRoundTripsPerInvocation: Double
    var bootstrap: BootstrapFigures?
    var bootstrapSkipped: String?
}

enum RuntimeBench {
    static let invocationsPerRun = 2_000
    static let runs = 5
    static let warmUpInvocations = 300
    static let roundTripsPerRun = 2_000
    static let coldStarts = 20
    static let event: [UInt8] = Array(#"{"bench":"noop","n":1}"#.utf8)

    /// A REST v1 CORS preflight: `AIUsageHandler` answers 204 without DynamoDB.
    static let optionsEvent: [UInt8] = Array(#"{"resource":"/ai_usage","path":"/ai_usage","httpMethod":"OPTIONS","headers":{"Origin":"https://example.com","Access-Control-Request-Method":"GET"},"multiValueHeaders":null,"queryStringParameters":null,"multiValueQueryStringParameters":null,"pathParameters":null,"stageVariables":null,"requestContext":{"requestId":"bench-cold-start","httpMethod":"OPTIONS","path":"/ai_usage","stage":"prod"},"body":null,"isBase64Encoded":false}"#.utf8)

    /// The bootstrap's environment, in full: no credentials or endpoint from the shell, so the
    /// runs are the same with or without a local DynamoDB.
    static let bootstrapHost: [String: String] = {
        let mine = ProcessInfo.processInfo.environment
        var host: [String: String] = [:]
        for name in LambdaEmulatorConfiguration.passedThrough { if let value = mine[name] { host[name] = value } }
        return host
    }()
    static let bootstrapFunction: [String: String] = [
        "DYNAMODB_TABLE_NAME": "ai-usage-bench-cold-start",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCHCOLDSTART",
        "AWS_SECRET_ACCESS_KEY": "bench-cold-start-secret",
    ]

    static func configuration(bootstrap: String, environment: [String: String], host: [String: String]) -> LambdaEmulatorConfiguration {
        LambdaEmulatorConfiguration(
            bootstrap: bootstrap, timeout: .seconds(30), environment: environment, hostEnvironment: host,
            log: { _ in }, functionOutput: { _ in }
        )
    }

    static let onlyFlag = "--runtime-only"

    /// Part 6 on its own (`--runtime-only`): its progress lines, then its figures as JSON.
    static func standalone() async -> Never {
        say("ai-usage-bench \(onlyFlag): part 6 alone; load average \(Machine.currentLoadAverage())")
        do {
            let figures = try await run(bootstrapPath: findBootstrap())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            say(String(decoding: try encoder.encode(figures), as: UTF8.self))
            exit(figures.noop.failures + figures.bareUnderEmulator.failures + figures.runtimeAgainstTiny.failures + figures.bareAgainstTiny.failures == 0 && figures.bootstrap?.verified != false ? 0 : 1)
        } catch {
            say("FAILED: \(error)")
            exit(1)
        }
    }

    static func run(bootstrapPath: String?) async throws -> RuntimeFigures {
        // The floor: a tiny server, answered by a thread per connection.
        let okay = TinyHTTPServer.response("200 OK", body: Array("ok".utf8))
        let floorServer = try TinyHTTPServer { _ in okay }
        defer { floorServer.stop() }
        let curl = try await onThread { try CurlClient(url: "http://\(floorServer.hostPort)/") }
        let raw = try await onThread { try RawClient(port: floorServer.port, responseBytes: okay.count) }
        defer { raw.close() }

        // The no-op runtimes: this binary, twice.
        var noopHost = ProcessInfo.processInfo.environment
        noopHost[NoopRuntime.variable] = nil
        let emulator = try LambdaEmulator(configuration: configuration(
            bootstrap: selfExecutable(), environment: [NoopRuntime.variable: "1"], host: noopHost
        ))
        let bareEmulator = try LambdaEmulator(configuration: configuration(
            bootstrap: selfExecutable(), environment: [NoopRuntime.variable: "bare"], host: noopHost
        ))
        let clock = ContinuousClock()
        let firstStarted = clock.now
        let first = await emulator.invoke(event)
        let firstInvoke = (clock.now - firstStarted).seconds * 1000
        let before = Set(childPids())
        let bareFirst = await bareEmulator.invoke(event)
        let barePid = Set(childPids()).subtracting(before).first
        let runtimePid = before.first { isSelf($0) }
        guard first.status == .success, first.response == event, bareFirst.status == .success, bareFirst.response == event else {
            await emulator.shutdown()
            await bareEmulator.shutdown()
            throw LocalServerBench.Failure(description: "a no-op runtime's first invocation failed: \(first.jsonLine.prefix(300)); bare: \(bareFirst.jsonLine.prefix(300))")
        }
        // The runtime alone: RuntimeLoop on a thread of its own against a fake that answers at once.
        let fast = try FastRuntimeAPI(event: event)
        defer { fast.stop() }

        say("   no-op runtimes up (LambdaRuntime pid \(runtimePid.map(String.init) ?? "?"), bare curl loop pid \(barePid.map(String.init) ?? "?")); "
            + "LambdaRuntime's first invocation \(fixed(firstInvoke, 1)) ms; warming up: \(warmUpInvocations) invocations and \(roundTripsPerRun / 4) round trips each way")
        _ = await invokeBatch(emulator, count: warmUpInvocations)
        _ = await invokeBatch(bareEmulator, count: warmUpInvocations)
        _ = try await fast.run(warmUpInvocations)
        _ = try await onThread { try curl.roundTrips(roundTripsPerRun / 4) }
        _ = try await onThread { try raw.roundTrips(roundTripsPerRun / 4) }

        var noop = PathRecorder(name: "emulator + LambdaRuntime")
        var bare = PathRecorder(name: "emulator + bare curl loop")
        var alone = PathRecorder(name: "LambdaRuntime + tiny fake Runtime API")
        var bareAlone = PathRecorder(name: "bare curl loop + tiny fake Runtime API")
        var curlTimes: [Int64] = []
        var curlMedians: [Double] = []
        var curlCPU = 0.0
        var rawTimes: [Int64] = []
        var rawCPU = 0.0
        for index in 1...runs {
            var cpu = processCPUSeconds()
            let curlRun = try await onThread { try curl.roundTrips(roundTripsPerRun) }
            curlCPU += processCPUSeconds() - cpu
            cpu = processCPUSeconds()
            let rawRun = try await onThread { try raw.roundTrips(roundTripsPerRun) }
            rawCPU += processCPUSeconds() - cpu
            curlTimes += curlRun
            rawTimes += rawRun
            let curlMedian = Latency(nanoseconds: curlRun).p50
            curlMedians.append(curlMedian)

            await noop.measure(runtimePid: runtimePid) { await invokeBatch(emulator, count: invocationsPerRun) }
            await bare.measure(runtimePid: barePid) { await invokeBatch(bareEmulator, count: invocationsPerRun) }
            try await alone.measure(runtimePid: nil) { try await fast.run(invocationsPerRun) }
            try await bareAlone.measure(runtimePid: nil) { try await fast.runBare(invocationsPerRun) }
            say("   run \(index): emulator + LambdaRuntime \(noop.last); bare curl loop \(bare.last); LambdaRuntime alone \(alone.last); bare curl loop alone \(bareAlone.last)"
                + "; loopback round trip p50: curl \(fixed(curlMedian, 1)) µs, raw socket \(fixed(Latency(nanoseconds: rawRun).p50, 1)) µs")
        }
        await emulator.shutdown()
        await bareEmulator.shutdown()

        let curlLatency = Latency(nanoseconds: curlTimes)
        let rawLatency = Latency(nanoseconds: rawTimes)
        let noopPath = noop.path(roundTrip: curlLatency.p50)
        let roundTrips = Double(runs * roundTripsPerRun)
        var figures = RuntimeFigures(
            invocationsPerRun: invocationsPerRun, runs: runs, eventBytes: event.count, roundTripsPerRun: roundTripsPerRun,
            noop: noopPath,
            bareUnderEmulator: bare.path(roundTrip: curlLatency.p50), runtimeAgainstTiny: alone.path(roundTrip: curlLatency.p50),
            bareAgainstTiny: bareAlone.path(roundTrip: curlLatency.p50),
            noopFirstInvokeMilliseconds: rounded(firstInvoke, places: 2),
            curlRoundTripMicroseconds: curlLatency, curlRoundTripRunMedians: curlMedians,
            curlCPUMicrosecondsPerRoundTrip: rounded(curlCPU / roundTrips * 1e6, places: 1),
            rawRoundTripMicroseconds: rawLatency,
            rawCPUMicrosecondsPerRoundTrip: rounded(rawCPU / roundTrips * 1e6, places: 1),
            roundTripsPerInvocation: noopPath.roundTrips,
            roundTripsPerInvocationMean: rounded(noopPath.latency.mean / curlLatency.mean, places: 2),
            rawRoundTripsPerInvocation: rounded(noopPath.latency.p50 / rawLatency.p50, places: 2)
        )
        guard let bootstrapPath else {
            figures.bootstrapSkipped = "no bootstrap next to this binary; build it: swift build -c release --product bootstrap (or set BENCH_BOOTSTRAP)"
            return figures
        }
        figures.bootstrap = try await bootstrap(bootstrapPath)
        return figures
    }

    /// Whether `pid` runs this very executable.
    static func isSelf(_ pid: pid_t) -> Bool {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        return count > 0 && String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) == selfExecutable()
    }

    // MARK: - The emulator

    struct Batch {
        var elapsed: Duration
        var nanoseconds: [Int64]
        var failures: Int
    }

    /// `count` invocations one after another, each timed; runs off the main actor.
    static func invokeBatch(_ emulator: LambdaEmulator, count: Int, event: [UInt8] = RuntimeBench.event, expect: (@Sendable (LambdaInvocationResult) -> Bool)? = nil) async -> Batch {
        let clock = ContinuousClock()
        var times: [Int64] = []
        times.reserveCapacity(count)
        var failures = 0
        let started = clock.now
        for _ in 0..<count {
            let before = clock.now
            let result = await emulator.invoke(event)
            times.append((clock.now - before).nanoseconds)
            let good = expect.map { $0(result) } ?? (result.status == .success && result.response == event)
            if !good { failures += 1 }
        }
        return Batch(elapsed: clock.now - started, nanoseconds: times, failures: failures)
    }

    // MARK: - The real bootstrap

    static func bootstrap(_ path: String) async throws -> BootstrapFigures {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var problems: [String] = []
        var checked = 0

        // A stripped copy, as it would be deployed.
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let strippedDirectory = "\(directory)/ai-usage-bench-\(getpid())-stripped"
        try? FileManager.default.createDirectory(atPath: strippedDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: strippedDirectory) }
        let strippedPath = "\(strippedDirectory)/bootstrap"
        let strip = runProcess("/usr/bin/env", ["strip", "-o", strippedPath, path], environment: bootstrapHost)
        let strippedBytes = strip.status == 0 ? (try? FileManager.default.attributesOfItem(atPath: strippedPath)[.size] as? Int) : nil
        let stripProblem = strip.status == 0 ? nil : "strip exited \(strip.status): \(strip.errors.prefix(200))"

        // The fake Runtime API.
        let fake = try FakeRuntimeAPI(event: optionsEvent)
        defer { fake.stop() }
        // The release build and the stripped copy take turns, so that neither gets the quieter half.
        let executables = [(path, "bootstrap")] + (strippedBytes != nil ? [(strippedPath, "stripped")] : [])
        var toNext = Array(repeating: [Double](), count: executables.count)
        var toResponse = Array(repeating: [Double](), count: executables.count)
        var trueTimes: [Double] = []
        var sharedObjects: Int?
        for index in 0...coldStarts {
            // The floor of any process: /bin/true, spawned and reaped.
            if let floor = await onThread({ spawnToExit("/bin/true") }), index > 0 { trueTimes.append(floor) }
            for (which, (executable, label)) in executables.enumerated() {
                let inspect = index == 0 && which == 0
                let run = await onThread { fake.coldStart(executable, countSharedObjects: inspect) }
                switch run {
                case .failure(let problem):
                    problems.append("\(label) run \(index): \(problem)")
                case .success(let timing):
                    checked += 1
                    if inspect { sharedObjects = timing.sharedObjects }
                    if !isPreflight(timing.response) {
                        problems.append("\(label) run \(index): not a 204: \(String(decoding: timing.response.prefix(200), as: UTF8.self))")
                    }
                    // Round 0 warms the page cache and is not counted.
                    if index > 0 {
                        toNext[which].append(timing.toNext.seconds * 1000)
                        toResponse[which].append(timing.toResponse.seconds * 1000)
                    }
                }
            }
        }
        let real = (next: Milliseconds(toNext[0]), response: Milliseconds(toResponse[0]))
        say("   bootstrap \(path): \(grouped(Double(bytes))) bytes, stripped \(strippedBytes.map { grouped(Double($0)) + " bytes" } ?? "n/a (\(stripProblem ?? "?"))")")
        let processFloor = Milliseconds(trueTimes)
        say("   \(sharedObjects.map(String.init) ?? "?") shared objects mapped at the first /next; the process floor, /bin/true spawned and reaped: median \(fixed(processFloor.median, 2)) ms")
        say("   cold start, spawned by the bench (median of \(coldStarts) after 1 not counted): first /next \(fixed(real.next.median, 2)) ms, first /response \(fixed(real.response.median, 2)) ms (min \(fixed(real.response.min, 2)), p90 \(fixed(real.response.p90, 2)), max \(fixed(real.response.max, 2)))")
        var stripped: (next: Milliseconds, response: Milliseconds)?
        if executables.count > 1 {
            let figures = (next: Milliseconds(toNext[1]), response: Milliseconds(toResponse[1]))
            stripped = figures
            say("   the stripped copy, in turn with it: first /next \(fixed(figures.next.median, 2)) ms, first /response \(fixed(figures.response.median, 2)) ms (min \(fixed(figures.response.min, 2)), p90 \(fixed(figures.response.p90, 2)), max \(fixed(figures.response.max, 2)))")
        }

        // Through the emulator: the first invoke of a fresh one, then warm invocations.
        let clock = ContinuousClock()
        let emulatorConfiguration = configuration(bootstrap: path, environment: bootstrapFunction, host: bootstrapHost)
        var firstInvokes: [Double] = []
        for index in 0...coldStarts {
            let emulator = try LambdaEmulator(configuration: emulatorConfiguration)
            let started = clock.now
            let result = await emulator.invoke(optionsEvent)
            let elapsed = (clock.now - started).seconds * 1000
            await emulator.shutdown()
            checked += 1
            guard result.status == .success, isPreflight(result.response ?? []) else {
                problems.append("emulator run \(index): \(result.jsonLine.prefix(300))")
                continue
            }
            if index > 0 { firstInvokes.append(elapsed) }
        }
        let firstInvoke = Milliseconds(firstInvokes)
        say("   cold start through the emulator (a new LambdaEmulator's first invoke, median of \(coldStarts)): \(fixed(firstInvoke.median, 2)) ms (min \(fixed(firstInvoke.min, 2)), p90 \(fixed(firstInvoke.p90, 2)), max \(fixed(firstInvoke.max, 2)))")

        let emulator = try LambdaEmulator(configuration: emulatorConfiguration)
        _ = await invokeBatch(emulator, count: warmUpInvocations, event: optionsEvent, expect: { $0.status == .success })
        let warm = await invokeBatch(emulator, count: invocationsPerRun, event: optionsEvent, expect: { result in
            result.status == .success && isPreflight(result.response ?? [])
        })
        await emulator.shutdown()
        checked += invocationsPerRun
        if warm.failures > 0 { problems.append("warm OPTIONS: \(warm.failures) of \(invocationsPerRun) were not a 204") }
        let warmLatency = Latency(nanoseconds: warm.nanoseconds)
        let warmRate = Double(invocationsPerRun) / warm.elapsed.seconds
        say("   warm, the real bootstrap through the emulator: \(grouped(warmRate)) OPTIONS invocations/s (\(fixed(1e6 / warmRate, 1)) µs each, p50 \(fixed(warmLatency.p50, 1)) µs; \(invocationsPerRun) after \(warmUpInvocations) not counted)")
        for problem in problems.prefix(5) { say("   PROBLEM: \(problem)") }

        return BootstrapFigures(
            path: path, bytes: bytes, strippedBytes: strippedBytes, stripProblem: stripProblem,
            spawnToNext: real.next, spawnToResponse: real.response,
            sharedObjectsAtFirstNext: sharedObjects, binTrueSpawnToExit: processFloor,
            strippedSpawnToNext: stripped?.next, strippedSpawnToResponse: stripped?.response,
            emulatorFirstInvoke: firstInvoke,
            warmInvocationsPerSecond: rounded(warmRate), warmLatencyMicroseconds: warmLatency,
            responsesChecked: checked, verified: problems.isEmpty, problems: problems
        )
    }

    /// A proxy response with `statusCode` 204.
    static func isPreflight(_ bytes: [UInt8]) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return false }
        return (object["statusCode"] as? Int) == 204
    }

    /// The real bootstrap next to this binary, or `BENCH_BOOTSTRAP`.
    static func findBootstrap() -> String? {
        if let given = ProcessInfo.processInfo.environment["BENCH_BOOTSTRAP"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        let besideMe = URL(fileURLWithPath: selfExecutable()).deletingLastPathComponent().appendingPathComponent("bootstrap").path
        return FileManager.default.isExecutableFile(atPath: besideMe) ? besideMe : nil
    }
}

/// Collects one path's runs.
struct PathRecorder {
    let name: String
    private var rates: [Double] = []
    private var times: [Int64] = []
    private var benchCPU = 0.0
    private var runtimeCPU = 0.0
    private var runtimeCPUKnown = true
    private var invocations = 0
    private var failures = 0
    private(set) var last = ""

    init(name: String) { self.name = name }

    mutating func measure(runtimePid: pid_t?, _ body: () async throws -> RuntimeBench.Batch) async rethrows {
        let runtimeBefore = runtimePid.flatMap(processCPUSeconds(pid:))
        let cpuBefore = processCPUSeconds()
        let batch = try await body()
        benchCPU += processCPUSeconds() - cpuBefore
        if let before = runtimeBefore, let after = runtimePid.flatMap(processCPUSeconds(pid:)) {
            runtimeCPU += after - before
        } else {
            runtimeCPUKnown = false
        }
        let rate = Double(batch.nanoseconds.count) / batch.elapsed.seconds
        rates.append(rate)
        times += batch.nanoseconds
        invocations += batch.nanoseconds.count
        failures += batch.failures
        last = "\(grouped(rate))/s (p50 \(fixed(Latency(nanoseconds: batch.nanoseconds).p50, 1)) µs)" + (batch.failures > 0 ? " \(batch.failures) FAILED" : "")
    }

    func path(roundTrip: Double) -> InvocationPath {
        let throughput = Throughput(runs: rates)
        let latency = Latency(nanoseconds: times)
        let count = Double(max(invocations, 1))
        return InvocationPath(
            name: name, throughput: throughput,
            microsecondsPerInvocation: rounded(1e6 / throughput.median, places: 1),
            latency: latency, roundTrips: rounded(latency.p50 / roundTrip, places: 2),
            benchCPUMicroseconds: rounded(benchCPU / count * 1e6, places: 1),
            runtimeCPUMicroseconds: runtimeCPUKnown ? rounded(runtimeCPU / count * 1e6, places: 1) : nil,
            failures: failures
        )
    }
}

/// A Runtime API that answers at once, from the tiny server's blocking threads: `/next` gets the
/// event, `/response` a 202 (and its arrival is noted). `run(_:)` drives `RuntimeLoop` against it.
final class FastRuntimeAPI: @unchecked Sendable {
    private let arrivals = Mutex<[ContinuousClock.Instant]>([])
    private let wrong = Mutex(0)
    private var server: TinyHTTPServer!
    private let counter = Atomic<Int>(0)

    init(event: [UInt8]) throws {
        let accepted = TinyHTTPServer.response("202 Accepted", headers: [("Content-Type", "application/json")], body: Array(#"{"status":"OK"}"#.utf8))
        server = try TinyHTTPServer { [unowned self] request in
            if request.method == "GET" {
                let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
                let deadline = Int64(Date().timeIntervalSince1970 * 1000) + 30_000
                return TinyHTTPServer.response("200 OK", headers: [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", "bench-\(number)"),
                    ("Lambda-Runtime-Deadline-Ms", String(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:AIUsageFunction"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"),
                ], body: event)
            }
            if !request.path.hasSuffix("/response") || request.body.elementsEqual(event) == false { wrong.withLock { $0 += 1 } }
            arrivals.withLock { $0.append(request.received) }
            return accepted
        }
    }

    func stop() { server.stop() }

    /// `count` invocations by a bare loop of two `CurlConnection` requests (what
    /// `NoopRuntime.bare` does) on a thread of its own; timed as `run`. The difference from `run`
    /// is what `RuntimeLoop` adds to the two requests.
    func runBare(_ count: Int) async throws -> RuntimeBench.Batch {
        arrivals.withLock { $0.removeAll(keepingCapacity: true) }
        wrong.withLock { $0 = 0 }
        let base = "http://\(server.hostPort)/2018-06-01/runtime/invocation/"
        let failed = await onThread { () -> Bool in
            guard let connection = try? CurlConnection(caBundlePath: nil) else { return true }
            let next = HTTPRequest(method: "GET", url: base + "next", timeouts: .none)
            for _ in 0..<count {
                guard let invocation = try? connection.perform(next), invocation.status == 200,
                      let id = invocation.headers["Lambda-Runtime-Aws-Request-Id"],
                      let posted = try? connection.perform(HTTPRequest(method: "POST", url: base + id + "/response", body: invocation.body, timeouts: .none)),
                      (200..<300).contains(posted.status) else { return true }
            }
            return false
        }
        if failed { throw LocalServerBench.Failure(description: "the bare loop against the fake failed") }
        let seen = arrivals.withLock { $0 }
        let deltas = zip(seen.dropFirst(), seen).map { ($0 - $1).nanoseconds }
        let elapsed = (seen.last ?? .now) - (seen.first ?? .now)
        return RuntimeBench.Batch(elapsed: elapsed, nanoseconds: deltas, failures: wrong.withLock { $0 } + (count - seen.count))
    }

    /// `count` invocations through a fresh `RuntimeLoop` (its own connection) on a thread of its
    /// own; timed between the first and the last `/response` arrival.
    func run(_ count: Int) async throws -> RuntimeBench.Batch {
        arrivals.withLock { $0.removeAll(keepingCapacity: true) }
        wrong.withLock { $0 = 0 }
        let api = server.hostPort
        let termination = await onThread {
            RuntimeLoop(environment: ["AWS_LAMBDA_RUNTIME_API": api], options: RuntimeLoop.Options(retry: .none, maxInvocations: count))
                .run(handler: ClosureLambdaHandler { event, _ in event })
        }
        guard termination.reason == .invocationLimitReached(count) else {
            throw LocalServerBench.Failure(description: "RuntimeLoop against the fake stopped: \(termination)")
        }
        let seen = arrivals.withLock { $0 }
        let deltas = zip(seen.dropFirst(), seen).map { ($0 - $1).nanoseconds }
        let elapsed = (seen.last ?? .now) - (seen.first ?? .now)
        return RuntimeBench.Batch(elapsed: elapsed, nanoseconds: deltas, failures: wrong.withLock { $0 } + (count - seen.count))
    }
}

// MARK: - Clients for the floor

/// `CurlConnection`, the runtime's own client, kept alive against the tiny server.
final class CurlClient: @unchecked Sendable {
    private let connection: CurlConnection
    private let request: HTTPRequest

    init(url: String) throws {
        connection = try CurlConnection(caBundlePath: nil)
        request = HTTPRequest(method: "GET", url: url, timeouts: .none)
        _ = try connection.perform(request)
    }

    /// `count` GETs, each timed (ns).
    func roundTrips(_ count: Int) throws -> [Int64] {
        let clock = ContinuousClock()
        var times: [Int64] = []
        times.reserveCapacity(count)
        for _ in 0..<count {
            let before = clock.now
            let response = try connection.perform(request)
            times.append((clock.now - before).nanoseconds)
            guard response.status == 200 else { throw LocalServerBench.Failure(description: "the loopback server answered \(response.status)") }
        }
        return times
    }

    func close() {}
}

/// A bare TCP client: writes a minimal request, reads the known-length answer.
final class RawClient: @unchecked Sendable {
    private let fd: Int32
    private let request = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    private let responseBytes: Int
    private var buffer: [UInt8]

    init(port: Int, responseBytes: Int) throws {
        self.responseBytes = responseBytes
        buffer = [UInt8](repeating: 0, count: responseBytes * 4)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    func roundTrips(_ count: Int) throws -> [Int64] {
        let clock = ContinuousClock()
        var times: [Int64] = []
        times.reserveCapacity(count)
        for _ in 0..<count {
            let before = clock.now
            guard sendAll(fd, request) else { throw LocalServerBench.Failure(description: "raw loopback: send failed") }
            var got = 0
            while got < responseBytes {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
                guard count > 0 else { throw LocalServerBench.Failure(description: "raw loopback: the server closed") }
                got += count
            }
            times.append((clock.now - before).nanoseconds)
        }
        return times
    }

    func close() { Glibc.close(fd) }
}

// MARK: - The fake Runtime API for the cold start

/// Hands one event to whichever process asks first, notes when its `/next` and its `/response`
/// arrive, then answers the next `/next` with 500 so that the runtime exits (1) on its own.
final class FakeRuntimeAPI: @unchecked Sendable {
    struct Timing {
        var toNext: Duration
        var toResponse: Duration
        var response: [UInt8]
        /// Shared objects the process had mapped when its first `/next` came (when asked).
        var sharedObjects: Int?
    }

    private struct Round {
        var next: ContinuousClock.Instant?
        var response: ContinuousClock.Instant?
        var body: [UInt8] = []
        var served = false
        /// Set to count the shared objects of this process at its first `/next`.
        var inspect: pid_t?
        var sharedObjects: Int?
    }

    private let state = Mutex(Round())
    private let responded = DispatchSemaphore(value: 0)
    private var server: TinyHTTPServer!

    init(event: [UInt8]) throws {
        let id = "bench-cold-start-request"
        server = try TinyHTTPServer { [unowned self] request in
            if request.method == "GET", request.path.hasSuffix("/invocation/next") {
                let first: Bool = state.withLock { round in
                    guard !round.served else { return false }
                    round.served = true
                    round.next = request.received
                    if let pid = round.inspect { round.sharedObjects = sharedObjectCount(pid) }
                    return true
                }
                guard first else {
                    return TinyHTTPServer.response("500 Internal Server Error", headers: [("Content-Type", "application/json")],
                                                   body: Array(#"{"errorType":"Bench.Done"}"#.utf8))
                }
                let deadline = Int64(Date().timeIntervalSince1970 * 1000) + 30_000
                return TinyHTTPServer.response("200 OK", headers: [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", id),
                    ("Lambda-Runtime-Deadline-Ms", String(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:AIUsageFunction"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"),
                ], body: event)
            }
            if request.method == "POST", request.path.hasSuffix("/invocation/\(id)/response") || request.path.hasSuffix("/error") {
                state.withLock { round in
                    round.response = request.received
                    round.body = Array(request.body)
                    if request.path.hasSuffix("/error") { round.body = Array("error: ".utf8) + round.body }
                }
                responded.signal()
                return TinyHTTPServer.response("202 Accepted", headers: [("Content-Type", "application/json")], body: Array(#"{"status":"OK"}"#.utf8))
            }
            return TinyHTTPServer.response("404 Not Found", body: [])
        }
    }

    func stop() { server.stop() }

    /// Spawns `executable` against this fake (blocking), waits for its answer and its exit.
    /// `countSharedObjects`: read the process's maps at its first `/next` (this delays its answer,
    /// so only for a run that is not counted).
    func coldStart(_ executable: String, countSharedObjects: Bool = false) -> Result<Timing, FakeFailure> {
        state.withLock { $0 = Round() }
        while responded.wait(timeout: .now()) == .success {}
        var environment = RuntimeBench.configuration(
            bootstrap: executable, environment: RuntimeBench.bootstrapFunction, host: RuntimeBench.bootstrapHost
        ).processEnvironment(runtimeAPI: server.hostPort)
        environment["LAMBDA_TASK_ROOT"] = URL(fileURLWithPath: executable).deletingLastPathComponent().path
        let clock = ContinuousClock()
        let started = clock.now
        let pid: pid_t
        switch spawnQuietly(executable, environment: environment) {
        case .success(let spawned): pid = spawned
        case .failure(let failure): return .failure(failure)
        }
        if countSharedObjects { state.withLock { $0.inspect = pid } }
        let answered = responded.wait(timeout: .now() + 10) == .success
        let exit = reap(pid, within: .seconds(5))
        guard answered else { return .failure(FakeFailure("no /response within 10 s (exit: \(exit))")) }
        let round = state.withLock { $0 }
        guard let next = round.next, let response = round.response else { return .failure(FakeFailure("no timestamps")) }
        return .success(Timing(toNext: next - started, toResponse: response - started, response: round.body, sharedObjects: round.sharedObjects))
    }
}

struct FakeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The distinct shared objects (`.so` files) in `/proc/PID/maps`.
func sharedObjectCount(_ pid: pid_t) -> Int? {
    guard let text = readWhole("/proc/\(pid)/maps") else { return nil }
    var paths = Set<Substring>()
    for line in text.split(separator: "\n") {
        guard let slash = line.firstIndex(of: "/") else { continue }
        let path = line[slash...]
        if path.contains(".so") { paths.insert(path) }
    }
    return paths.count
}

/// A file read to its end with read(2) (a /proc file reports size 0, so nothing that trusts the
/// size will do).
func readWhole(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The process floor: `posix_spawn` of `path` (no arguments) to its reaping, in ms.
func spawnToExit(_ path: String) -> Double? {
    let clock = ContinuousClock()
    let started = clock.now
    guard case .success(let pid) = spawnQuietly(path, environment: ["PATH": "/usr/bin:/bin"]) else { return nil }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (clock.now - started).seconds * 1000
}

/// `posix_spawn` with stdin/stdout/stderr on /dev/null (stderr into `errorPath` when given), a
/// clean signal mask and no arguments (as Lambda starts a bootstrap).
func spawnQuietly(_ path: String, environment: [String: String], errorPath: String? = nil) -> Result<pid_t, FakeFailure> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    if let errorPath {
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard status == 0 else { return .failure(FakeFailure("cannot start \(path): \(String(cString: strerror(status)))")) }
    return .success(pid)
}

/// Waits for `pid` to exit, killing it after `limit`; returns how it ended.
@discardableResult
func reap(_ pid: pid_t, within limit: Duration) -> String {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { break }
        if result < 0 && errno != EINTR { return "waitpid failed" }
        if clock.now >= deadline {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return "killed after \(limit)"
        }
        usleep(1_000)
    }
    return (status & 0x7F) == 0 ? "exit \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
}

/// Runs blocking work on a thread of its own, off the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}

func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.start()
    }
}

/// The pids of this process's children (from /proc: every thread's `children`).
func childPids() -> [pid_t] {
    let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    var pids: [pid_t] = []
    for thread in threads {
        guard let text = try? String(contentsOfFile: "/proc/self/task/\(thread)/children", encoding: .utf8) else { continue }
        pids += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    return pids.sorted()
}

/// User + system CPU seconds of another process so far (/proc/PID/stat), nil when unreadable.
func processCPUSeconds(pid: pid_t) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    // After "pid (comm) ": state is field 3, utime 14, stime 15.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) / ticks
}
