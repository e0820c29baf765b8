import AIUsage
import AIUsageReports

/// A scheduled invocation: compact recent closed days into rollups, check budgets, or both.
///
/// Recognised events:
/// - `{"ai_usage_task": "rollup"}`, optionally with `"from"` and `"to"` (`YYYY-MM-DD`): what
///   the template's compaction schedule sends. Without dates, the task compacts the last
///   `AI_USAGE_ROLLUP_DAYS` closed days. A date that does not parse, `from` after `to`, and a
///   range of more than `maximumRollupDays` are refused;
/// - `{"ai_usage_task": "budget_check"}`: what the template's budget schedule sends;
/// - an EventBridge scheduled event (`"detail-type": "Scheduled Event"`, `"source":
///   "aws.events"`), the classic rule's shape: compaction, then a budget check.
/// Any other `ai_usage_task` is refused with the list of tasks.
struct ScheduledTask {
    enum Kind: String {
        case rollup
        case budgetCheck = "budget_check"
        case rollupThenBudgetCheck
    }

    var kind: Kind
    var first: CivilDate?
    var last: CivilDate?

    /// The most days one rollup task compacts (as `ai-usage rollup`): ten years. More would run
    /// until the function's timeout, reading and writing all the while.
    static let maximumRollupDays = 3660

    /// What an event is: a task, a task we do not know (with the message), or not scheduled.
    enum Recognition {
        case task(ScheduledTask)
        case unknown(String)
        case notScheduled
    }

    static func recognise(_ event: JSONValue) -> Recognition {
        if let member = event["ai_usage_task"] {
            let valid = "valid: rollup, budget_check"
            guard let name = member.stringValue else { return .unknown("ai_usage_task must be a string; \(valid)") }
            switch name {
            case "rollup":
                // A date that does not parse is refused, not replaced by the default range.
                var dates: [CivilDate?] = []
                for name in ["from", "to"] {
                    switch event[name] {
                    case nil, .null?: dates.append(nil)
                    case .string(let text)? where CivilDate(text) != nil: dates.append(CivilDate(text))
                    case let other?:
                        let shown = other.stringValue.map { "'\(InputEcho.short($0, limit: 40))'" } ?? "not a string"
                        return .unknown("the rollup task's \(name) must be a date as YYYY-MM-DD, got \(shown)")
                    }
                }
                if let first = dates[0], let last = dates[1], first > last {
                    return .unknown("the rollup task's from (\(first)) is after its to (\(last))")
                }
                return .task(ScheduledTask(kind: .rollup, first: dates[0], last: dates[1]))
            case "budget_check":
                return .task(ScheduledTask(kind: .budgetCheck))
            default:
                return .unknown("unknown ai_usage_task '\(InputEcho.short(name, limit: 40))'; \(valid)")
            }
        }
        guard event["detail-type"]?.stringValue == "Scheduled Event", event["source"]?.stringValue == "aws.events" else { return .notScheduled }
        return .task(ScheduledTask(kind: .rollupThenBudgetCheck))
    }

    /// `{"task": "rollup", "status": "ok", "days": [...]}`.
    func success(_ outcomes: [RollupCompactor.DayOutcome]) -> [UInt8] {
        JSONValue.object([
            .init(key: "task", value: "rollup"),
            .init(key: "status", value: "ok"),
            .init(key: "days", value: .array(outcomes.map { outcome in
                .object([
                    .init(key: "day", value: .string(outcome.day.text)),
                    .init(key: "result", value: .string(outcome.result.rawValue)),
                    .init(key: "raw_items", value: .number(outcome.rawItems)),
                    .init(key: "groups", value: .number(outcome.groups)),
                    .init(key: "summary_groups", value: .number(outcome.summaryGroups)),
                    .init(key: "still_dirty", value: .bool(outcome.stillDirty)),
                ])
            })),
        ]).serializedBytes()
    }

    /// `{"task": "rollup", "status": "failed", "error", "code", "request_id"}`: the fixed public sentence.
    func failure(_ error: PublicError, requestId: String) -> [UInt8] {
        JSONValue.object([
            .init(key: "task", value: "rollup"),
            .init(key: "status", value: "failed"),
            .init(key: "error", value: .string(error.message)),
            .init(key: "code", value: .string(error.code)),
            .init(key: "request_id", value: .string(requestId)),
        ]).serializedBytes()
    }
}
