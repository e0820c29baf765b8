import AIUsage
import AIUsageReports

/// A scheduled invocation: compact recent closed days into rollups.
///
/// Recognised events:
/// - `{"ai_usage_task": "rollup"}`, optionally with `"from"` and `"to"` (`YYYY-MM-DD`): what
///   the template's EventBridge Scheduler rule sends;
/// - an EventBridge scheduled event (`"detail-type": "Scheduled Event"`, `"source":
///   "aws.events"`), the classic rule's shape.
/// Without dates, the task compacts the last `AI_USAGE_ROLLUP_DAYS` closed days.
struct ScheduledTask {
    var first: CivilDate?
    var last: CivilDate?

    init?(event: JSONValue) {
        if let task = event["ai_usage_task"]?.stringValue {
            guard task == "rollup" else { return nil }
            first = event["from"]?.stringValue.flatMap(CivilDate.init)
            last = event["to"]?.stringValue.flatMap(CivilDate.init)
            return
        }
        guard event["detail-type"]?.stringValue == "Scheduled Event", event["source"]?.stringValue == "aws.events" else { return nil }
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
