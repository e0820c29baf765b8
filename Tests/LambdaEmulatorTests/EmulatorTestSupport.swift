import Foundation
import LambdaEmulator
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The shell-script bootstraps in Fixtures/ (they need only `sh` and `curl`).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The path of a fixture script, made executable (git may have lost the bit).
    static func script(_ name: String) async throws -> String {
        let path = directory.appendingPathComponent(name).path
        try await offPool {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        return path
    }
}

/// A directory of its own for one test (TMPDIR of its bootstraps, `TEST_STATE_DIR`).
struct ScratchDirectory: Sendable {
    let path: String

    static func make() async throws -> ScratchDirectory {
        try await offPool {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return ScratchDirectory(path: url.path)
        }
    }

    func remove() async {
        let path = self.path
        _ = try? await offPool { try FileManager.default.removeItem(atPath: path) }
    }

    /// The lines of a file the bootstraps wrote ([] when it does not exist).
    func lines(_ name: String) async throws -> [String] {
        let path = self.path + "/" + name
        return try await offPool {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").map(String.init)
        }
    }

    func text(_ name: String) async throws -> String? {
        let path = self.path + "/" + name
        return try await offPool { try? String(contentsOfFile: path, encoding: .utf8) }
    }
}

/// Everything a bootstrap wrote, kept instead of cluttering the test log.
final class CapturedOutput: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ chunk: [UInt8]) { bytes.withLock { $0 += chunk } }
    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}

/// Runs `body` with an emulator for the fixture `script`, then shuts it down (also on failure).
func withEmulator<T: Sendable>(
    _ script: String,
    timeout: Duration = .seconds(10),
    concurrency: Int = 1,
    environment: [String: String] = [:],
    _ body: (LambdaEmulator, ScratchDirectory) async throws -> T
) async throws -> T {
    let scratch = try await ScratchDirectory.make()
    var host = ProcessInfo.processInfo.environment
    host["TMPDIR"] = scratch.path
    host["AWS_REGION"] = "eu-west-3"
    var variables = environment
    variables["TEST_STATE_DIR"] = scratch.path
    let output = CapturedOutput()
    let emulator = try LambdaEmulator(configuration: LambdaEmulatorConfiguration(
        bootstrap: try await Fixtures.script(script),
        timeout: timeout,
        memorySize: 256,
        concurrency: concurrency,
        environment: variables,
        hostEnvironment: host,
        log: { _ in },
        functionOutput: { output.append($0) }
    ))
    do {
        let value = try await body(emulator, scratch)
        await emulator.shutdown()
        await scratch.remove()
        return value
    } catch {
        await emulator.shutdown()
        await scratch.remove()
        throw error
    }
}

/// JSON through Foundation (an independent reader for what the emulator writes).
func json(_ bytes: [UInt8]?) throws -> [String: Any] {
    let bytes = try #require(bytes)
    let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    return try #require(object as? [String: Any])
}

func json(_ text: String) throws -> [String: Any] {
    try json(Array(text.utf8))
}

/// Whether a process (or, with a negative id, a process group) still exists.
func exists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}

/// The processes of a process group that are still alive (zombies waiting for init do not count),
/// from /proc/*/stat.
func livingMembers(ofGroup group: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry),
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state, ppid, pgrp, ...
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, fields[0] != "Z", fields[0] != "X", Int32(fields[2]) == group else { return nil }
        return pid
    }
}

/// Whether every process of the group has died within two seconds.
func groupDies(_ group: Int32) async throws -> Bool {
    for _ in 0..<100 {
        if try await offPool({ livingMembers(ofGroup: group) }).isEmpty { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}

extension LambdaEmulator {
    /// `invoke` with a JSON text.
    func invoke(_ text: String) async -> LambdaInvocationResult {
        await invoke(Array(text.utf8))
    }
}

extension LambdaInvocationResult {
    var responseText: String { String(decoding: response ?? [], as: UTF8.self) }
    var errorText: String { String(decoding: error ?? [], as: UTF8.self) }
}
