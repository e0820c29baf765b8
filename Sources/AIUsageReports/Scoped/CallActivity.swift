import AIUsage
import DynamoDB

/// When a scope's calls happened and how many failed: the first and last call's instants and the
/// number of calls with an `error`, over the items a report counts (an item whose numbers cannot
/// be read is left out here as it is from the sums). Mergeable, like `UsageAggregate`.
struct CallActivity: Sendable, Hashable {
    /// The earliest and latest `timestamp` (converted to UTC); `nil` before a timed item.
    private(set) var firstCall: UTCTimestamp?
    private(set) var lastCall: UTCTimestamp?
    /// Items with a non-empty `error` string.
    private(set) var errorItems = 0
    /// Counted items without a readable `timestamp` (they move neither end).
    private(set) var untimedItems = 0

    /// Adds one counted item.
    mutating func add(_ fields: ReportFields, _ item: WireItem) {
        if let error = fields.error, error.type == .s, let span = error.text, span.count > 0 { errorItems += 1 }
        guard let text = ReportFields.text(fields.timestamp, item), let instant = UTCTimestamp(iso8601: text) else {
            untimedItems += 1
            return
        }
        add(instant)
    }

    /// Moves the ends to include `instant`.
    mutating func add(_ instant: UTCTimestamp) {
        if firstCall.map({ instant < $0 }) ?? true { firstCall = instant }
        if lastCall.map({ $0 < instant }) ?? true { lastCall = instant }
    }

    /// Folds in what `other` saw.
    mutating func merge(_ other: CallActivity) {
        if let first = other.firstCall { add(first) }
        if let last = other.lastCall { add(last) }
        errorItems += other.errorItems
        untimedItems += other.untimedItems
    }

    /// `lastCall − firstCall` in seconds, exact to the microsecond; `nil` without a timed item.
    var durationSeconds: ExactDecimal? {
        guard let firstCall, let lastCall else { return nil }
        let micros = lastCall.microsecondsSinceEpoch - firstCall.microsecondsSinceEpoch
        return ExactDecimal(significand: Int128(micros), scale: 6)
    }
}
