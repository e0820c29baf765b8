import Dispatch
import Synchronization

/// A task executor that runs its jobs on the runtime loop's own thread, while that thread waits
/// for an invocation's result.
///
/// Running the handler in a task on the concurrency pool cost two thread hand-overs per
/// invocation: the loop thread woke a pool thread to start the handler, and the pool thread
/// woke the loop thread with the result. With this executor preferred, a handler that never
/// suspends runs start to end on the loop thread, with no hand-over at all; one that does
/// suspend (on I/O) is resumed here by whichever thread completes the I/O, as it would have
/// resumed on a pool thread.
///
/// Child tasks inherit the preference, so a handler's task group runs its children on this one
/// thread too (their I/O still overlaps: it runs on libcurl's own threads). Code that must not
/// run here can opt out with `Task.detached` or its own executor preference.
final class LoopThreadExecutor: TaskExecutor, @unchecked Sendable {
    // `@unchecked Sendable`: `jobs` is only touched under its mutex; `wake` is thread-safe.
    private let jobs = Mutex<[UnownedJob]>([])
    private let wake = DispatchSemaphore(value: 0)

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        wake.signal()
    }

    /// Runs jobs on the calling thread until `finished()` says so, sleeping while there are none.
    /// Call it only from the thread that owns the executor (the loop thread).
    func run(until finished: () -> Bool) {
        let executor = asUnownedTaskExecutor()
        while !finished() {
            wake.wait()
            // One signal per job, but a wake-up runs every job queued by then: the signals
            // of jobs already run only make a later wait return at once, to an empty queue.
            while let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                job.runSynchronously(on: executor)
            }
        }
    }
}
