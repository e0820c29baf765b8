import AIUsage
import LambdaRuntime

#if canImport(Glibc)
import Glibc
#endif

/// Test-only faults for end-to-end runs of the real binary under an emulator, switched on by
/// `AI_USAGE_BOOTSTRAP_FAULTS=1` and never otherwise (Lambda never sets it). An event
/// `{"ai_usage_fault": "<kind>"}` then makes this invocation:
/// - `throw`: fail with an error (the runtime posts `/error`);
/// - `sleep`: sleep `seconds` (default 30) before answering, to run past a timeout;
/// - `big`: answer with `bytes` (default 7,000,000) bytes, past the 6 MB response limit;
/// - `crash`: SIGKILL itself, as `kill -9` would, mid-invocation.
/// Every other event goes to the real handler.
struct FaultHooks<Wrapped: LambdaHandler>: LambdaHandler {
    let wrapped: Wrapped
    /// Off: every event goes straight to `wrapped`.
    let enabled: Bool

    struct InjectedFault: Error, CustomStringConvertible {
        var description: String { "injected fault: the event asked the handler to fail" }
    }

    init(wrapped: Wrapped, environment: [String: String]) {
        self.wrapped = wrapped
        enabled = environment["AI_USAGE_BOOTSTRAP_FAULTS"] == "1"
    }

    func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        // Cheap tests first: off in production, and real events never carry the marker.
        guard enabled, event.count < 4096, let json = try? JSONValue.parse(event), let fault = json["ai_usage_fault"]?.stringValue else {
            return try await wrapped.handle(event, context: context)
        }
        switch fault {
        case "throw":
            throw InjectedFault()
        case "sleep":
            try await Task.sleep(for: .seconds(json["seconds"]?.intValue ?? 30))
            return Array(#"{"slept":true}"#.utf8)
        case "big":
            return [UInt8](repeating: UInt8(ascii: "x"), count: json["bytes"]?.intValue ?? 7_000_000)
        case "crash":
            kill(getpid(), SIGKILL)
            return []
        default:
            return try await wrapped.handle(event, context: context)
        }
    }
}
