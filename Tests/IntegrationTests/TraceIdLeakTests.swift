import Foundation
import Synchronization
import TestSupport
import Testing

/// The real `bootstrap` through thousands of invocations that each carry a new trace id, as
/// Lambda sends them, under a minimal Runtime API: its resident memory must stay flat.
///
/// Needs no DynamoDB: every event is a CORS preflight (`OPTIONS /ai_usage`), which the handler
/// answers 204 without touching the table.
@Suite struct TraceIdLeakTests {
    static let warmUp = 500
    static let measured = 3000
    /// A bound the old exporter clearly exceeds (see the test for the numbers).
    static let maxGrowth = 1 << 20

    /// What the Runtime API saw and measured; written by its connection thread.
    final class Probe: Sendable {
        struct State {
            var pid: pid_t = 0
            var gets = 0
            /// VmRSS in bytes, by the index of the `/next` it was read at.
            var rss: [Int: Int] = [:]
        }
        let state = Mutex(State())
    }

    /// `VmRSS` of `pid` in bytes, from /proc/<pid>/status.
    static func residentBytes(_ pid: pid_t) -> Int? {
        guard pid > 0, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(String(line.dropFirst("VmRSS:".count).filter(\.isNumber))).map { $0 * 1024 }
    }

    /// A distinct X-Ray header padded to 1 KiB: any per-invocation copy the runtime leaks costs
    /// at least a kilobyte, megabytes over the run.
    static func traceId(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        let root = "Root=1-65a4f1c0-" + String(repeating: "0", count: max(0, 24 - hex.count)) + hex
        let head = root + ";Parent=9a9197af755a6419;Sampled=1;Pad="
        return head + String(repeating: "p", count: 1024 - head.count)
    }

    /// Measured (debug build, 2 busy cores, 2 to 6 s per run): with the old exporter (`setenv`),
    /// VmRSS grew by 3,391,488 and 3,407,872 bytes over the 3,000 measured invocations, about
    /// 1.1 KB each, because every 1 KiB trace id stayed in memory. With `putenv` and the runtime's
    /// own buffers it grew by 86,016 to 131,072 bytes (eleven runs, two of them beside the whole
    /// unit test suite): settling in, not per invocation (12,000 invocations: 102,400 bytes).
    @Test func thousandsOfInvocationsWithTheTraceHeaderKeepRSSFlat() async throws {
        let warmUp = Self.warmUp, total = Self.warmUp + Self.measured
        let event = try Array(Data(contentsOf: HandlerEvents.directory.appendingPathComponent("route-options-preflight.json")))
        let deadline = String(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
        let probe = Probe()
        let api = try FaultResponder { request, _ in
            guard request.method == "GET" else {
                return .respond(status: 202, headers: ["Content-Type": "application/json"], body: Array(#"{"status":"OK"}"#.utf8))
            }
            let (index, pid) = probe.state.withLock { state in
                defer { state.gets += 1 }
                return (state.gets, state.pid)
            }
            if index == warmUp || index == total {
                // The bootstrap is waiting for this answer: its memory is at rest.
                let rss = Self.residentBytes(pid)
                probe.state.withLock { $0.rss[index] = rss }
            }
            guard index < total else {
                // Ends the run: the runtime exits 1 on a 5xx from /next.
                return .respond(status: 500, headers: [:], body: Array("enough".utf8))
            }
            return .respond(status: 200, headers: [
                "Lambda-Runtime-Aws-Request-Id": "leak-\(index)",
                "Lambda-Runtime-Deadline-Ms": deadline,
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:trace-leak",
                "Lambda-Runtime-Trace-Id": Self.traceId(index),
                "Content-Type": "application/json",
            ], body: event)
        }
        defer { api.stop() }

        let bootstrap = RuntimeIntegrationTests.bootstrap
        let status = try await offPool { () throws -> Int32 in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bootstrap)
            process.environment = [
                "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(api.port)",
                "AWS_LAMBDA_FUNCTION_NAME": "trace-leak",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                // The handler needs a configuration to start; a preflight never uses it.
                "DYNAMODB_TABLE_NAME": "trace-leak-never-used",
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "never-used",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
            ]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            probe.state.withLock { $0.pid = process.processIdentifier }
            // A stuck bootstrap fails the test instead of hanging it (far beyond a normal run).
            let giveUp = ContinuousClock.now + .seconds(300)
            while process.isRunning, ContinuousClock.now < giveUp { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        let answers = api.requests.filter { $0.method == "POST" }
        #expect(status == 1, "the bootstrap should stop on the final 500 from /next")
        #expect(answers.count == total)
        #expect(answers.allSatisfy { $0.path.hasSuffix("/response") && $0.body.text.contains(#""statusCode":204"#) })
        let rss = probe.state.withLock { $0.rss }
        let before = try #require(rss[warmUp], "VmRSS after the warm-up")
        let after = try #require(rss[total], "VmRSS at the end")
        #expect(after - before < Self.maxGrowth,
                "VmRSS grew by \(after - before) bytes over \(Self.measured) traced invocations (\(before) → \(after))")
    }
}

extension Array where Element == UInt8 {
    fileprivate var text: String { String(decoding: self, as: UTF8.self) }
}
