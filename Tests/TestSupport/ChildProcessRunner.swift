import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended and everything it wrote.
public struct ChildProcessOutput: Sendable {
    /// The exit status, or the signal's number when a signal ended the process.
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The one way the tests run a child process (the CLI, the bootstrap, openssl).
///
/// Standard output and standard error are read at the same time, each on a thread of its own,
/// so a child that fills one pipe (64 KiB) while the test waits on the other cannot deadlock.
/// Standard input is /dev/null.
public enum ChildProcessRunner {
    /// Runs `executable` to completion, blocking the calling thread (use `runOffPool` from a task).
    ///
    /// - Parameter environment: the child's whole environment; `nil` inherits the test runner's.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildProcessOutput {
        let child = try start(executable, arguments, environment: environment)
        return child.waitUntilExit()
    }

    /// `run` on a thread of its own, off Swift's cooperative pool.
    public static func runOffPool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ChildProcessOutput {
        try await offPool { try run(executable, arguments, environment: environment) }
    }

    /// Starts `executable` and returns at once; its output is collected until it exits.
    /// A server, say: wait for the line that gives its port with `waitForLine`, then `stop()` it.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> RunningChildProcess {
        try RunningChildProcess(executable, arguments, environment: environment)
    }
}

/// A child process whose standard output and standard error are drained as it runs.
///
/// `@unchecked Sendable`: `Process` is only started in `init` and then only asked for its
/// identifier and waited for; the collected output is guarded by the collectors' conditions.
public final class RunningChildProcess: @unchecked Sendable {
    private let process = Process()
    private let stdout = OutputCollector()
    private let stderr = OutputCollector()

    fileprivate init(_ executable: String, _ arguments: [String], environment: [String: String]?) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        stdout.drain(out.fileHandleForReading)
        stderr.drain(err.fileHandleForReading)
    }

    /// Stops the process if `stop()` has not: a test that forgets it must not leave a server behind.
    deinit { _ = stop() }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// The standard output so far.
    public var stdoutText: String { stdout.text }
    /// The standard error so far.
    public var stderrText: String { stderr.text }

    /// Waits (blocking) for the first complete line of standard output that satisfies `matches`;
    /// `nil` when the process closes its standard output (exits, typically) or `timeout` passes first.
    public func waitForLine(timeout: Duration, where matches: (String) -> Bool) -> String? {
        stdout.waitForLine(until: ContinuousClock.now + timeout, where: matches)
    }

    /// Waits for the process to exit by itself and for both pipes to close.
    public func waitUntilExit() -> ChildProcessOutput {
        process.waitUntilExit()
        return output(joinWithin: nil)
    }

    /// Waits for the process to exit by itself, but no longer than `timeout`: `nil` when it is
    /// still running then (`stop()` it, and fail the test, rather than hang it).
    public func waitUntilExit(timeout: Duration) -> ChildProcessOutput? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            usleep(20_000)
        }
        return waitUntilExit()
    }

    /// Kills the process (SIGKILL: the child inherits the test runner's blocked signal mask, so it
    /// might never see SIGTERM) and waits for it. Idempotent.
    @discardableResult
    public func stop() -> ChildProcessOutput {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // A grandchild that inherited a pipe could keep it open: do not wait for it forever.
        return output(joinWithin: .seconds(5))
    }

    private func output(joinWithin limit: Duration?) -> ChildProcessOutput {
        let deadline = limit.map { ContinuousClock.now + $0 }
        stdout.waitForEnd(until: deadline)
        stderr.waitForEnd(until: deadline)
        return ChildProcessOutput(status: process.terminationStatus, stdout: stdout.text, stderr: stderr.text)
    }
}

/// The bytes read from one pipe by a thread of its own, until end of file.
///
/// `@unchecked Sendable`: `bytes` and `ended` are only touched with `condition` locked.
private final class OutputCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var ended = false

    func drain(_ handle: FileHandle) {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                condition.withLock {
                    bytes += buffer[..<count]
                    condition.broadcast()
                }
            }
            try? handle.close()
            condition.withLock {
                ended = true
                condition.broadcast()
            }
        }.start()
    }

    var text: String { condition.withLock { String(decoding: bytes, as: UTF8.self) } }

    /// Waits for end of file; `deadline` `nil` waits as long as it takes.
    func waitForEnd(until deadline: ContinuousClock.Instant?) {
        condition.withLock {
            while !ended {
                guard let deadline else { condition.wait(); continue }
                if !waitForBroadcast(until: deadline) { return }
            }
        }
    }

    func waitForLine(until deadline: ContinuousClock.Instant, where matches: (String) -> Bool) -> String? {
        condition.withLock {
            var scanned = 0
            while true {
                while let newline = bytes[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: bytes[scanned..<newline], as: UTF8.self)
                    scanned = newline + 1
                    if matches(line) { return line }
                }
                if ended || !waitForBroadcast(until: deadline) { return nil }
            }
        }
    }

    /// With `condition` locked: waits for a broadcast; `false` once `deadline` has passed.
    private func waitForBroadcast(until deadline: ContinuousClock.Instant) -> Bool {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return false }
        let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
        _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        return true
    }
}
