import AIUsage
/// One way `GET /ai_usage` can break the usage down: the `aggregation` parameter's values.
///
/// `allCases` is the canonical order, the order in which a report writes its `aggregations`
/// (`by_day`, `by_service`, `by_model`, `by_operation`, `by_hour`, `by_user`, `by_job`),
/// whatever order they were asked for in.
///
/// `user` is a rollup dimension (the fine groups keep it); `job` is not, so a query that asks
/// for `by_job` reads raw items for its whole range, as a `job_id` filter does.
public enum AggregationLevel: String, CaseIterable, Sendable {
    /// By calendar day (`date`, `YYYY-MM-DD`): `by_day`.
    case day
    /// By service (`openai`, `anthropic`, …): `by_service`.
    case service
    /// By model: `by_model`.
    case model
    /// By operation (`completion`, `embedding`, …): `by_operation`.
    case operation
    /// By hour of the day (`00` … `23`): `by_hour`.
    case hour
    /// By user (`user_id`, else `userId`): `by_user`.
    case user
    /// By job (`job_id`, else `jobId`): `by_job`. Read from raw items only.
    case job

    /// The key of this level's object in a report's `aggregations`: `by_day`, `by_service`, ….
    public var reportKey: String {
        switch self {
        case .day: "by_day"
        case .service: "by_service"
        case .model: "by_model"
        case .operation: "by_operation"
        case .hour: "by_hour"
        case .user: "by_user"
        case .job: "by_job"
        }
    }

    /// `levels` without repeats, each kept where it first appears: `[hour, day, hour]` →
    /// `[hour, day]` (the order a report's `query.aggregation` lists them in).
    public static func deduplicated(_ levels: [AggregationLevel]) -> [AggregationLevel] {
        var seen: Set<AggregationLevel> = []
        return levels.filter { seen.insert($0).inserted }
    }
}
