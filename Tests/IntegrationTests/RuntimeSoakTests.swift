import AIUsage
import Foundation
import LambdaEmulator
import TestSupport
import Testing

/// The soak: many invocations through the emulator and the real `bootstrap`, mixing events the
/// handler answers (a CORS preflight, 204), events it refuses (400, with the invocation's own
/// marker echoed back) and events whose handler fails (`/error`). Every invocation must get
/// exactly its own answer, the process must never be replaced, and its resident memory must be
/// flat. `AI_USAGE_SOAK_INVOCATIONS` sets the count (20,000 in `make test`; `docs/reliability.md`
/// records a 100,000 run); the figures go to standard output.
@Suite struct RuntimeSoakTests {
    static var invocations: Int {
        ProcessInfo.processInfo.environment["AI_USAGE_SOAK_INVOCATIONS"].flatMap { Int($0) } ?? 20_000
    }

    /// Resident set size of `pid` in kB (`VmRSS` of `/proc/PID/status`).
    static func residentKB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// The live `bootstrap` children of this test process whose environment holds `marker`
    /// (other suites run bootstraps of their own at the same time).
    static func bootstrapChildren(marker: String) -> [Int32] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
            guard fields.count > 2, Int32(fields[1]) == me, name == "bootstrap",
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "AI_USAGE_SOAK_MARKER=\(marker)" }
        }
    }

    enum Kind: CaseIterable { case preflight, refused, failing }

    static func event(_ index: Int) -> (Kind, [UInt8]) {
        switch index % 3 {
        case 0:
            return (.preflight, Array(#"{"httpMethod":"OPTIONS","path":"/ai_usage","resource":"/ai_usage","headers":{"Origin":"https://example.com"},"requestContext":{"httpMethod":"OPTIONS","stage":"prod"}}"#.utf8))
        case 1:
            return (.refused, Array(#"{"queryStringParameters":{"aggregation":"soak-\#(index)"}}"#.utf8))
        default:
            return (.failing, Array(#"{"ai_usage_fault":"throw"}"#.utf8))
        }
    }

    @Test func everyInvocationGetsItsOwnAnswerAndMemoryStaysFlat() async throws {
        let marker = UUID().uuidString
        let emulator = try LambdaEmulator(configuration: LambdaEmulatorConfiguration(
            bootstrap: RuntimeIntegrationTests.bootstrap, timeout: .seconds(30),
            environment: ["AI_USAGE_SOAK_MARKER": marker, "AI_USAGE_BOOTSTRAP_FAULTS": "1", "DYNAMODB_TABLE_NAME": "AIUsageMetrics", "AI_USAGE_CACHE_TTL_SECONDS": "0"],
            functionOutput: { _ in }
        ))
        defer { Task { await emulator.shutdown() } }

        // Warm up (allocator arenas, caches), then note the process and its memory.
        for index in 0..<600 { _ = await emulator.invoke(Self.event(index).1) }
        let pids = Self.bootstrapChildren(marker: marker)
        try #require(pids.count == 1, "bootstrap processes: \(pids)")
        let pid = pids[0]
        let before = try #require(Self.residentKB(pid))

        var counts: [Kind: Int] = [:]
        var wrong: [String] = []
        var requestIds = Set<String>()
        let started = ContinuousClock.now
        for index in 0..<Self.invocations {
            let (kind, event) = Self.event(index)
            let result = await emulator.invoke(event)
            requestIds.insert(result.requestId)
            let proxy = result.response.flatMap { try? JSONValue.parse($0) }
            let fine: Bool
            switch kind {
            case .preflight:
                fine = result.status == .success && proxy?["statusCode"]?.intValue == 204
            case .refused:
                let body = proxy?["body"]?.stringValue.flatMap { try? JSONValue.parse(Array($0.utf8)) }
                fine = result.status == .success && proxy?["statusCode"]?.intValue == 400
                    && body?["error"]?.stringValue?.hasPrefix("unknown aggregation 'soak-\(index)';") == true
            case .failing:
                fine = result.status == .error && result.errorMessage == "injected fault: the event asked the handler to fail"
            }
            if fine { counts[kind, default: 0] += 1 } else if wrong.count < 5 { wrong.append("#\(index) \(kind): \(result.jsonLine)") }
        }
        let elapsed = started.duration(to: .now)
        let after = try #require(Self.residentKB(pid), "the bootstrap (pid \(pid)) is gone")

        #expect(wrong.isEmpty, "\(wrong)")
        #expect(counts.values.reduce(0, +) == Self.invocations)
        #expect(requestIds.count == Self.invocations, "request ids reused")
        #expect(Self.bootstrapChildren(marker: marker) == [pid], "the bootstrap process was replaced")
        // Flat: a leak of even 100 bytes per invocation would add 2 MB over 20,000.
        #expect(after - before < 2048, "RSS grew from \(before) kB to \(after) kB")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("soak: \(Self.invocations) invocations (\(counts[.preflight] ?? 0) answered, \(counts[.refused] ?? 0) refused, \(counts[.failing] ?? 0) failed as asked) in \(String(format: "%.1f", seconds)) s, \(Int(Double(Self.invocations) / seconds))/s; bootstrap RSS \(before) kB after warm-up, \(after) kB at the end; 0 lost, 0 duplicated")
    }
}
