import Synchronization

/// At most `capacity` sandboxes, reused while warm. An invocation takes an idle one, or a slot
/// to start a new one, or waits in arrival order: load only ever queues.
final class InstancePool: Sendable {
    enum Lease: Sendable {
        case warm(FunctionInstance)
        /// A free slot: start a new instance, then `release` it (or `nil`) when done.
        case cold
    }

    private struct State {
        var idle: [FunctionInstance] = []
        var live = 0
        var waiters: [CheckedContinuation<Lease?, Never>] = []
        var stopped = false
        /// Every instance alive, idle or busy, for `stop()`.
        var all: [ObjectIdentifier: FunctionInstance] = [:]
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// How many sandboxes exist now (busy, idle or starting).
    var liveCount: Int { state.withLock { $0.live } }

    /// A warm instance or a slot; `nil` once the pool is stopped.
    func acquire() async -> Lease? {
        // Most of the time a sandbox is free: take it without suspending (a continuation resumed
        // at once still re-enqueues the task).
        enum Fast { case lease(Lease?), wait }
        let fast: Fast = state.withLock { state in
            if state.stopped { return .lease(nil) }
            if let instance = state.idle.popLast() { return .lease(.warm(instance)) }
            if state.live < capacity {
                state.live += 1
                return .lease(.cold)
            }
            return .wait
        }
        if case .lease(let lease) = fast { return lease }
        return await withCheckedContinuation { continuation in
            let lease: Lease?? = state.withLock { state in
                if state.stopped { return .some(nil) }
                if let instance = state.idle.popLast() { return .warm(instance) }
                if state.live < capacity {
                    state.live += 1
                    return .cold
                }
                state.waiters.append(continuation)
                return nil
            }
            if let lease { continuation.resume(returning: lease) }
        }
    }

    /// Records a started instance (so `stop()` can find it); `false` when the pool stopped meanwhile.
    func track(_ instance: FunctionInstance) -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.all[ObjectIdentifier(instance)] = instance
            return true
        }
    }

    /// Gives back a healthy instance, or (`nil`) the slot of one that is gone.
    func release(_ instance: FunctionInstance?) {
        let handOver: (CheckedContinuation<Lease?, Never>, Lease)? = state.withLock { state in
            // Once stopped, `stop()`'s caller terminates every instance.
            guard !state.stopped else { return nil }
            if !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst()
                return (waiter, instance.map { .warm($0) } ?? .cold)
            }
            if let instance {
                state.idle.append(instance)
            } else {
                state.live -= 1
            }
            return nil
        }
        if let handOver { handOver.0.resume(returning: handOver.1) }
    }

    /// Forgets an instance that is being terminated (its slot is given back by `release(nil)`).
    func forget(_ instance: FunctionInstance) {
        _ = state.withLock { $0.all.removeValue(forKey: ObjectIdentifier(instance)) }
    }

    /// Refuses new work, wakes the waiting callers with `nil` and returns every instance.
    func stop() -> [FunctionInstance] {
        let (waiters, instances) = state.withLock { state in
            state.stopped = true
            defer {
                state.waiters = []
                state.idle = []
                state.all = [:]
            }
            return (state.waiters, Array(state.all.values))
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        return instances
    }
}
