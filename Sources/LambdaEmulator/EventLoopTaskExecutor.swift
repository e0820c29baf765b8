import NIOCore

/// A task executor that runs its jobs on one NIO event loop.
///
/// The emulator's sandboxes run their Runtime API connections, timers and event hand-overs on
/// one loop (`LambdaEmulator.taskExecutor`). A caller whose task prefers this executor hands each
/// event over and gets each result back on that same thread: no thread is woken on the way in
/// or on the way out. A job enqueued from the loop itself is queued there and runs next, without
/// waking anything.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        eventLoop.execute { [self] in
            unowned.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
