import AIUsage

/// What a scoped report is about: one job, batch, user or environment.
public struct ReportScope: Sendable, Hashable, CustomStringConvertible {
    /// The kind of context.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case job, batch, user, environment

        /// Its query parameter: `job_id`, `batch_id`, `user_id`, `environment`.
        public var parameterName: String {
            switch self {
            case .job: "job_id"
            case .batch: "batch_id"
            case .user: "user_id"
            case .environment: "environment"
            }
        }

        /// Whether the report gives a duration and an error count: a job or a batch is one
        /// piece of work that starts and ends; a user or an environment is not.
        public var isRun: Bool { self == .job || self == .batch }
    }

    public var kind: Kind
    /// The context's value, as stored (`[a-z0-9_.:-]{1,64}` once parsed).
    public var id: String

    public init(_ kind: Kind, _ id: String) {
        self.kind = kind
        self.id = id
    }

    /// `job nightly-1`.
    public var description: String { "\(kind.rawValue) \(id)" }

    /// The `UsageQuery` that selects this scope's items over `start` … `end`, keeping `levels`.
    public func usageQuery(start: CivilDate, end: CivilDate, levels: [AggregationLevel]) -> UsageQuery {
        var query = UsageQuery(start: start, end: end, aggregation: levels)
        switch kind {
        case .job: query.jobId = id
        case .batch: query.batchId = id
        case .user: query.userId = id
        case .environment: query.environment = id
        }
        return query
    }
}
