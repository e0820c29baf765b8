import ArgumentParser
import Foundation
import LambdaEmulator
import Synchronization

struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run a Lambda bootstrap (any custom runtime) under a local Runtime API and feed it events.",
        discussion: """
            The bootstrap runs as a child process with Lambda's environment (AWS_LAMBDA_RUNTIME_API, \
            _HANDLER, LAMBDA_TASK_ROOT, function name, version, memory and timeout; region, \
            credentials and the other AWS_* variables of this shell; DYNAMODB_TABLE_NAME and the AI_USAGE_* settings of this shell; --env-vars over all of them). Each \
            EVENT is sent in order and its result printed as one JSON line: {"requestId", \
            "status": "success"|"error"|"timeout"|"crash", "durationMs", "response"|"error"}. \
            The bootstrap's own output goes to standard error. Exits 1 if any invocation did not \
            succeed.

            With --listen HOST:PORT it serves the RIE's invoke endpoint instead, until SIGINT or \
            SIGTERM: curl -d @event.json http://HOST:PORT/2015-03-31/functions/function/invocations. \
            200 with the function's answer; a function error is 200 with \
            'X-Amz-Function-Error: Unhandled'; a timeout 504; a crash 502. Up to --concurrency \
            invocations run at once, each in its own process; more wait their turn. \
            See docs/emulator.md.
            """
    )

    @OptionGroup var function: FunctionOptions
    @Option(help: ArgumentHelp("Serve POST /2015-03-31/functions/function/invocations on this address (PORT, or HOST:PORT; port 0 picks a free one).", valueName: "host:port"))
    var listen: String?
    @Argument(help: "Event files, sent in order ('-' reads one from standard input).") var events: [String] = []

    func validate() throws {
        try function.validate()
        if listen == nil, events.isEmpty { throw ValidationError("give at least one event file, or --listen HOST:PORT") }
        if listen != nil, !events.isEmpty { throw ValidationError("--listen serves invocations from HTTP; give no event files with it") }
        if let listen, ListenAddress(listen) == nil { throw ValidationError("--listen must be PORT or HOST:PORT, got '\(listen)'") }
    }

    func run() async throws {
        try await reportingErrors {
            let emulator = try function.emulator()
            let signals = SignalTrap()
            if let listen, let address = ListenAddress(listen) {
                let port: Int
                do {
                    port = try await emulator.listen(host: address.host, port: address.port)
                } catch {
                    await emulator.shutdown()
                    throw CLIError("cannot listen on \(address.host):\(address.port): \(error)")
                }
                let url = "http://\(address.host):\(port)/2015-03-31/functions/function/invocations"
                // The warning comes first: whoever waits for the "Listening" line has seen it.
                let limits = "bootstrap \(emulator.configuration.bootstrap), concurrency \(emulator.configuration.concurrency)"
                if !address.isLoopback {
                    FileHandle.standardError.write(Data("ai-usage: warning: \(address.host) is not a loopback address: other machines can invoke the function (with this shell's AWS credentials) through \(url), which has no authentication; use 127.0.0.1 unless that is meant\n".utf8))
                }
                FileHandle.standardOutput.write(Data("Listening on \(url) (\(limits)); Ctrl-C stops\n".utf8))
                let signal = await signals.next()
                FileHandle.standardError.write(Data("ai-usage: stopping (signal \(signal))\n".utf8))
                await emulator.shutdown()
                return
            }
            // Ctrl-C must not leave the bootstrap running: it is in a process group of its own.
            Task {
                let signal = await signals.next()
                await emulator.shutdown()
                Foundation.exit(128 + signal)
            }
            var failures = 0
            for path in events {
                let event: [UInt8]
                do {
                    event = try Self.read(path)
                } catch {
                    await emulator.shutdown()
                    throw CLIError("cannot read the event \(path): \(error.localizedDescription)")
                }
                let result = await emulator.invoke(event)
                FileHandle.standardOutput.write(Data((result.jsonLine + "\n").utf8))
                if result.status != .success { failures += 1 }
            }
            await emulator.shutdown()
            if failures > 0 { throw CLIError("\(failures) of \(events.count) invocations did not succeed") }
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        path == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// The function `emulate` and `serve` run: its bootstrap, limits and environment.
struct FunctionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The bootstrap executable (default for emulate: the 'bootstrap' built next to this ai-usage).", valueName: "path"))
    var bootstrap: String?
    @Option(help: ArgumentHelp("Seconds one invocation may take, a cold start included (Lambda's maximum is 900).", valueName: "seconds"))
    var timeout: Double = 30
    @Option(help: ArgumentHelp("AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB (not enforced).", valueName: "MB"))
    var memory: Int = 128
    @Option(name: .customLong("env-vars"), help: ArgumentHelp("SAM-style JSON: {\"Parameters\": {...}, \"AIUsageFunction\": {\"VAR\": \"value\"}}.", valueName: "file"))
    var envVars: String?
    @Option(name: .customLong("function-name"), help: ArgumentHelp("AWS_LAMBDA_FUNCTION_NAME, and the --env-vars section that applies.", valueName: "name"))
    var functionName: String = "AIUsageFunction"
    @Option(help: "How many bootstrap processes may run at once (each invocation gets a process of its own).")
    var concurrency: Int = 1

    func validate() throws {
        guard timeout > 0, timeout <= 900 else { throw ValidationError("--timeout must be more than 0 and at most 900 seconds") }
        guard memory >= 128, memory <= 10240 else { throw ValidationError("--memory must be between 128 and 10240 MB") }
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be between 1 and 256") }
        guard !functionName.isEmpty else { throw ValidationError("--function-name must not be empty") }
    }

    /// The `--env-vars` variables for the function (empty without the option).
    func environmentFileVariables() throws -> [String: String] {
        guard let envVars else { return [:] }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: envVars)))
        } catch {
            throw CLIError("cannot read --env-vars \(envVars): \(error.localizedDescription)")
        }
        do {
            return try SAMEnvironmentFile.variables(from: bytes, functionName: functionName)
        } catch {
            throw CLIError("--env-vars \(envVars): \(error.message)")
        }
    }

    /// The function's own settings that this shell has (`DYNAMODB_TABLE_NAME`, `AI_USAGE_*`,
    /// `TRACK_TO_FILE`, `ENVIRONMENT`, `USER_ID`), with `--env-vars` over them: an exported
    /// `DYNAMODB_TABLE_NAME` reaches the bootstrap as it does `ai-usage invoke`.
    func functionEnvironment() throws -> [String: String] {
        let names: Set<String> = ["DYNAMODB_TABLE_NAME", "TRACK_TO_FILE", "ENVIRONMENT", "USER_ID"]
        var result = ProcessInfo.processInfo.environment.filter { names.contains($0.key) || $0.key.hasPrefix("AI_USAGE_") }
        for (name, value) in try environmentFileVariables() { result[name] = value }
        return result
    }

    /// `--bootstrap`, else the `bootstrap` executable next to this one.
    func bootstrapPath() throws -> String {
        if let bootstrap { return bootstrap }
        let sibling = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("bootstrap").path
        if let sibling, FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        throw CLIError("no bootstrap: pass --bootstrap PATH (or build one: swift build --product bootstrap)")
    }

    func emulator(bootstrap path: String? = nil) throws -> LambdaEmulator {
        let configuration = LambdaEmulatorConfiguration(
            bootstrap: try path ?? bootstrapPath(),
            functionName: functionName,
            timeout: .milliseconds(Int64((timeout * 1000).rounded())),
            memorySize: memory,
            concurrency: concurrency,
            environment: try functionEnvironment()
        )
        do {
            return try LambdaEmulator(configuration: configuration)
        } catch let error as LambdaEmulatorError {
            throw CLIError(error.message)
        }
    }
}

/// `8080`, `:8080`, `127.0.0.1:8080`, `[::1]:8080`.
struct ListenAddress {
    var host: String
    var port: Int

    /// Whether only this machine can connect: 127.0.0.0/8, ::1 or localhost.
    var isLoopback: Bool {
        host.hasPrefix("127.") || host == "::1" || host.lowercased() == "localhost"
    }

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else {
            guard let port = Int(text), (0...65535).contains(port) else { return nil }
            self.host = "127.0.0.1"
            self.port = port
            return
        }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = port
    }
}

/// SIGINT and SIGTERM, caught instead of killing the process, so children can be stopped first.
final class SignalTrap: @unchecked Sendable {
    private struct State {
        var caught: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }
    private final class Shared: Sendable {
        let state = Mutex(State())
    }
    private let shared: Shared
    /// Kept alive as long as the trap; never touched after `init`.
    private let sources: [any DispatchSourceSignal]

    init() {
        let shared = Shared()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let waiters = shared.state.withLock { state in
                    if state.caught == nil { state.caught = number }
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume(returning: number) }
            }
            source.resume()
            sources.append(source)
        }
        self.shared = shared
        self.sources = sources
    }

    /// Waits for the first of the two signals.
    func next() async -> Int32 {
        await withCheckedContinuation { continuation in
            let caught: Int32? = shared.state.withLock { state in
                if let caught = state.caught { return caught }
                state.waiters.append(continuation)
                return nil
            }
            if let caught { continuation.resume(returning: caught) }
        }
    }
}
