import Foundation

/// Runs blocking work (a synchronous libcurl transfer, a child process, a sleep) on a thread of
/// its own, so it never occupies one of the few threads of Swift's cooperative pool, which the
/// other tests running in parallel need for their own timing.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}
