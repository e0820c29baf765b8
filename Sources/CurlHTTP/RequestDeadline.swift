/// The instant by which the work in progress must have its answer, such as a Lambda
/// invocation's deadline less the time its response needs. It is task-local: the Lambda entry
/// point binds it around an invocation, and every outbound call made inside (DynamoDB attempts,
/// their backoff, webhook deliveries) budgets itself against the time that is left instead of
/// its own fixed limits.
///
/// Outside a binding there is no deadline and the fixed limits apply unchanged.
public enum RequestDeadline {
    /// The deadline of the current task, when one is bound.
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// The time left before the current deadline (negative once it has passed); `nil` when none is bound.
    public static func remaining(now: ContinuousClock.Instant = .now) -> Duration? {
        current.map { now.duration(to: $0) }
    }
}

extension HTTPTimeouts {
    /// These limits, each cut to at most `remaining` (at least 1 ms, which libcurl requires).
    public func clamped(to remaining: Duration) -> HTTPTimeouts {
        let budget = max(remaining, .milliseconds(1))
        return HTTPTimeouts(
            connect: connect.map { min($0, budget) } ?? budget,
            total: total.map { min($0, budget) } ?? budget
        )
    }

    /// These limits cut to the current `RequestDeadline`, or unchanged when none is bound.
    public func clampedToDeadline(now: ContinuousClock.Instant = .now) -> HTTPTimeouts {
        guard let remaining = RequestDeadline.remaining(now: now) else { return self }
        return clamped(to: remaining)
    }
}
