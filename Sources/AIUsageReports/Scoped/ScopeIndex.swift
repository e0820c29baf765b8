import AIUsage

/// GSI3, the scope index: `GSI3PK` holds an item's highest-priority context only (`JOB#` >
/// `USER#` > `BATCH#` > `ENV#`) and `GSI3SK` is `AI_USAGE#<timestamp>`. Only a job is complete
/// in it: every item with a job id carries `JOB#<id>`, while a user's, a batch's or an
/// environment's calls made inside a job (or a user's batch) are filed under the job.
enum ScopeIndex {
    static let name = "GSI3"

    /// `JOB#<id>`, the partition of a job's items (`AIUsageMetric.scopeKey`).
    static func jobPartition(_ jobId: String) -> String { "JOB#\(jobId)" }

    /// `AI_USAGE#<day>`: sorts at or before every sort key of that day.
    static func sortKeyStart(_ day: CivilDate) -> String { "AI_USAGE#\(day.text)" }

    /// `AI_USAGE#<day>~`: sorts after every sort key of that day (a timestamp continues with
    /// `T`, digits and `:.+-Z`, all below `~`).
    static func sortKeyEnd(_ day: CivilDate) -> String { "AI_USAGE#\(day.text)~" }
}

/// The index a raw read of a query uses.
enum RawIndex: Sendable, Hashable {
    /// GSI1, one service's partitions (the query has a `service`).
    case service
    /// GSI3, the job's own partition (a `job_id` and no `service`).
    case job
    /// GSI2, every service's partitions.
    case cost
}

extension UsageQuery {
    /// Where its raw items are read: GSI1 for a service, else GSI3 for a job (only the job's
    /// items, and complete: see `ScopeIndex`), else GSI2.
    var rawIndex: RawIndex {
        if service != nil { return .service }
        if jobId != nil { return .job }
        return .cost
    }

    /// The attributes a raw read of it projects: the report's, plus `error` (a call without a
    /// cost is unpriced only when it did not fail, and a job's or batch's report counts its
    /// failed calls), or for a job prefix the job ids instead (its spend is kept per job).
    /// DynamoDB charges a read by the item's whole size, so `error` adds only its transfer.
    /// `by_user` and `by_job` add the user and job ids.
    var rawProjection: [String] {
        if jobIdPrefix != nil { return ReportFields.names + ["job_id", "jobId"] }
        var names = ReportFields.names + ["error"]
        if aggregation.contains(.user) { names += ["user_id", "userId"] }
        if aggregation.contains(.job) { names += ["job_id", "jobId"] }
        return names
    }
}
