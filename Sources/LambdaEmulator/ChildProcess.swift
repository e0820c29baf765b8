import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a bootstrap process ended.
public enum LambdaProcessExit: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)

    /// Lambda's wording: `exit status 1`, `signal: killed`.
    public var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "signal: \(Self.signalName(signal))"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: "killed"
        case SIGTERM: "terminated"
        case SIGSEGV: "segmentation fault"
        case SIGABRT: "aborted"
        case SIGBUS: "bus error"
        case SIGILL: "illegal instruction"
        case SIGTRAP: "trace/breakpoint trap"
        case SIGFPE: "floating point exception"
        case SIGINT: "interrupt"
        case SIGHUP: "hangup"
        case SIGPIPE: "broken pipe"
        default: "\(signal)"
        }
    }

    init(waitStatus status: Int32) {
        let low = status & 0x7F
        if low == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(low)
        }
    }
}

/// A bootstrap running as a child process in its own process group, with a clean signal mask,
/// standard input from /dev/null and both output streams read by the emulator.
///
/// A thread reaps it (`waitpid`), then kills what is left of its process group (a shell script's
/// `sleep` or `curl`), waits briefly for the output pipes to drain and reports the exit once.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let state = Mutex(State())
    private let drained = DispatchGroup()

    private struct State {
        var exit: LambdaProcessExit?
        var reaped = false
        var waiters: [CheckedContinuation<LambdaProcessExit, Never>] = []
        var tail: [String] = []
        var partial: [UInt8] = []
    }

    /// How many lines of standard error a crash report keeps.
    static let tailLines = 20

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with exactly `environment`, in `directory`.
    ///
    /// - Parameters:
    ///   - output: every chunk the process writes on standard output or standard error, as read.
    ///   - onExit: called once, on the reaper thread, after the process is gone and its output read.
    static func spawn(
        executable: String, environment: [String: String], directory: String,
        output: @escaping @Sendable ([UInt8]) -> Void,
        onExit: @escaping @Sendable (LambdaProcessExit) -> Void
    ) throws -> ChildProcess {
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard pipe(&stdoutPipe) == 0 else { throw LambdaEmulatorError("pipe failed: \(String(cString: strerror(errno)))") }
        guard pipe(&stderrPipe) == 0 else {
            close(stdoutPipe[0]); close(stdoutPipe[1])
            throw LambdaEmulatorError("pipe failed: \(String(cString: strerror(errno)))")
        }
        for fd in stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        if let closeFrom = SpawnExtensions.addCloseFrom {
            // Nothing else of ours (sockets, other children's pipes) leaks into the function.
            _ = closeFrom(&actions, 3)
        } else {
            for fd in stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        if let changeDirectory = SpawnExtensions.addChangeDirectory {
            _ = directory.withCString { changeDirectory(&actions, $0) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A Swift process blocks signals in its threads; the child must not inherit that mask, or
        // SIGTERM would never reach it. Every catchable signal gets its default action back.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, Int32(signal))
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let arguments = [strdup(executable)] + [UnsafeMutablePointer<CChar>?.none]
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments + variables { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, arguments, variables)
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard status == 0 else {
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw LambdaEmulatorError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        let process = ChildProcess(pid: pid)
        process.read(stdoutPipe[0], keepTail: false, output: output)
        process.read(stderrPipe[0], keepTail: true, output: output)
        process.reap(onExit: onExit)
        return process
    }

    /// The last lines the process wrote on standard error (an unfinished last line included).
    var stderrTail: [String] {
        state.withLock { state in
            var lines = state.tail
            if !state.partial.isEmpty { lines.append(String(decoding: state.partial, as: UTF8.self)) }
            return Array(lines.suffix(Self.tailLines))
        }
    }

    /// How it ended, once it has.
    var exitStatus: LambdaProcessExit? { state.withLock { $0.exit } }

    /// Sends `signal` to the whole process group (the bootstrap and anything it started).
    func killGroup(_ signal: Int32 = SIGKILL) {
        // Once reaped, the pid may belong to someone else; the reaper has killed the group.
        state.withLock { state in
            guard !state.reaped else { return }
            kill(pid, signal)
            kill(-pid, signal)
        }
    }

    /// Waits until the process has been reaped.
    func waitForExit() async -> LambdaProcessExit {
        await withCheckedContinuation { continuation in
            let done: LambdaProcessExit? = state.withLock { state in
                if let exit = state.exit { return exit }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    private func read(_ fd: Int32, keepTail: Bool, output: @escaping @Sendable ([UInt8]) -> Void) {
        drained.enter()
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { readFile(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                let chunk = Array(buffer[0..<count])
                output(chunk)
                if keepTail { remember(chunk) }
            }
            close(fd)
            drained.leave()
        }
        thread.name = "bootstrap \(pid) output"
        thread.start()
    }

    private func remember(_ chunk: [UInt8]) {
        state.withLock { state in
            for byte in chunk {
                if byte == UInt8(ascii: "\n") {
                    state.tail.append(String(decoding: state.partial, as: UTF8.self))
                    state.partial.removeAll(keepingCapacity: true)
                    if state.tail.count > Self.tailLines { state.tail.removeFirst(state.tail.count - Self.tailLines) }
                } else if state.partial.count < 4096 {
                    state.partial.append(byte)
                }
            }
        }
    }

    private func reap(onExit: @escaping @Sendable (LambdaProcessExit) -> Void) {
        let pid = self.pid
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 {
                if errno != EINTR {
                    status = 0
                    break
                }
            }
            // Leftovers of the group would hold the pipes open; the sandbox goes with its runtime.
            state.withLock { state in
                kill(-pid, SIGKILL)
                state.reaped = true
            }
            _ = drained.wait(timeout: .now() + .milliseconds(500))
            let exit = LambdaProcessExit(waitStatus: status)
            let waiters = state.withLock { state in
                state.exit = exit
                defer { state.waiters = [] }
                return state.waiters
            }
            onExit(exit)
            for waiter in waiters { waiter.resume(returning: exit) }
        }
        thread.name = "bootstrap \(pid) reaper"
        thread.start()
    }
}

/// `read(2)`, outside any type that has a `read` of its own.
private func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// glibc's `posix_spawn` extensions that Swift's Glibc module does not export (they need
/// `_GNU_SOURCE`), looked up at run time.
private enum SpawnExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static var addCloseFrom: AddCloseFrom? {
        symbol("posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }
    }

    static var addChangeDirectory: AddChangeDirectory? {
        symbol("posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChangeDirectory.self) }
    }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        return dlsym(handle, name)
    }
}
