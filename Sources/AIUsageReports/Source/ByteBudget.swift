import Synchronization

/// Bounds the bytes of Query pages in flight across every concurrent read of a process: a read
/// reserves a page's worth before it sends a Query and gives it back once the page is folded.
/// Reads beyond the budget wait their turn (first come, first served), so memory stays flat
/// however many segments and shards a report runs in parallel.
public final class ByteBudget: Sendable {
    /// The bytes that may be reserved at once.
    public let limit: Int

    private struct State {
        var reserved = 0
        var waiting: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// A budget of `limit` bytes (at least 1).
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits until `bytes` (at most `limit`) fit, then reserves them.
    public func reserve(_ bytes: Int) async {
        let bytes = min(max(0, bytes), limit)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.waiting.isEmpty, state.reserved + bytes <= limit {
                    state.reserved += bytes
                    return true
                }
                state.waiting.append((bytes, continuation))
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Gives back `bytes` reserved earlier, and lets waiting reads in while they fit.
    public func release(_ bytes: Int) {
        let bytes = min(max(0, bytes), limit)
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.reserved = max(0, state.reserved - bytes)
            var ready: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiting.first, state.reserved + first.bytes <= limit {
                state.reserved += first.bytes
                ready.append(first.continuation)
                state.waiting.removeFirst()
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// The bytes reserved now.
    public var reserved: Int { state.withLock { $0.reserved } }
}
