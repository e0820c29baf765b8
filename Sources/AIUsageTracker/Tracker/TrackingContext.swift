import AIUsage
/// Who and what a call is made for: job, batch, user, environment and GitHub PR.
///
/// It lives in a task-local value, so it follows structured concurrency (child tasks inherit
/// it), nests (an inner scope overrides only what it sets) and is restored when a scope ends:
/// nothing is sticky, unlike the original system's tracker fields.
///
/// ```swift
/// try await TrackingContext.with(jobId: "nightly-42") {
///     try await TrackingContext.with(batchId: "b7") { /* job nightly-42, batch b7 */ }
///     /* job nightly-42, no batch */
/// }
/// ```
public struct TrackingContext: Sendable, Hashable {
    public var jobId: String?
    public var batchId: String?
    public var userId: String?
    public var environment: String?
    public var githubPR: Int?

    public init(jobId: String? = nil, batchId: String? = nil, userId: String? = nil, environment: String? = nil, githubPR: Int? = nil) {
        self.jobId = jobId
        self.batchId = batchId
        self.userId = userId
        self.environment = environment
        self.githubPR = githubPR
    }

    @TaskLocal public static var current = TrackingContext()

    /// This context with every value `inner` sets laid over it.
    public func merging(_ inner: TrackingContext) -> TrackingContext {
        TrackingContext(
            jobId: inner.jobId ?? jobId,
            batchId: inner.batchId ?? batchId,
            userId: inner.userId ?? userId,
            environment: inner.environment ?? environment,
            githubPR: inner.githubPR ?? githubPR
        )
    }

    /// Runs `body` with the current context plus the given values; the previous context is
    /// back in force when `body` returns or throws.
    @discardableResult
    public static func with<Result>(
        jobId: String? = nil,
        batchId: String? = nil,
        userId: String? = nil,
        environment: String? = nil,
        githubPR: Int? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Result
    ) async rethrows -> Result {
        let inner = TrackingContext(jobId: jobId, batchId: batchId, userId: userId, environment: environment, githubPR: githubPR)
        return try await $current.withValue(current.merging(inner), operation: body, isolation: isolation)
    }

    /// Fills the metric's empty context fields from this context.
    func apply(to metric: inout AIUsageMetric) {
        metric.jobId = metric.jobId ?? jobId
        metric.batchId = metric.batchId ?? batchId
        metric.userId = metric.userId ?? userId
        metric.environment = metric.environment ?? environment
        metric.githubPR = metric.githubPR ?? githubPR
    }
}

/// The deployment environment, detected as the original system did:
/// 1. `ENVIRONMENT`, when set;
/// 2. `cicd` under GitHub Actions, GitLab CI, Jenkins or any CI that sets `CI`/`CONTINUOUS_INTEGRATION`;
/// 3. on AWS (`AWS_EXECUTION_ENV` set, not SAM local): `production` when `PULUMI_STACK_NAME`
///    contains "prod", `staging` when it contains "stage"/"staging";
/// 4. otherwise `development`.
public enum EnvironmentDetector {
    public static func detect(_ environment: [String: String]) -> String {
        func isSet(_ name: String) -> Bool { !(environment[name] ?? "").isEmpty }
        if let explicit = environment["ENVIRONMENT"]?.lowercased(), !explicit.isEmpty { return explicit }
        if ["GITHUB_ACTIONS", "CI", "CONTINUOUS_INTEGRATION", "GITLAB_CI", "JENKINS_URL"].contains(where: isSet) { return "cicd" }
        if isSet("AWS_EXECUTION_ENV"), !isSet("AWS_SAM_LOCAL") {
            let stack = (environment["PULUMI_STACK_NAME"] ?? "").lowercased()
            if stack.contains("prod") { return "production" }
            if stack.contains("stag") { return "staging" }
        }
        return "development"
    }
}
