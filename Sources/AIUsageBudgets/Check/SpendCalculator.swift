import AIUsage
import AIUsageReports
import DynamoDB

/// The spend of every subject of every budget in its current period instance, read through the
/// report path:
/// - global, service, model, user and environment scopes: fine groups (rollups for closed clean
///   days, raw items grouped for the rest), one read per period in use, however many budgets
///   share it;
/// - an exact job scope: the job's own GSI3 partition (through `UsageFetcher`);
/// - job prefix scopes: `JobSpendReader`, every raw item of the period with a `begins_with`
///   filter, one read per period for all of that period's job prefixes (jobs are not rollup
///   dimensions, so this is the one costly scope).
///
/// A subject is one concrete scope: `user:alice` under `user:*`. When several budgets of the same
/// kind and period cover a subject, the most specific wins (an exact value over any prefix, a
/// longer prefix over a shorter one); budgets of different kinds or periods all apply.
public struct SpendCalculator: Sendable {
    public let reader: FineGroupReader
    public let fetcher: UsageFetcher

    public init(reader: FineGroupReader, fetcher: UsageFetcher) {
        self.reader = reader
        self.fetcher = fetcher
    }

    /// Job prefix spend: every raw item of a period, filtered on the job id.
    public var jobs: JobSpendReader { JobSpendReader(fetcher: fetcher) }

    /// What was read, for the log.
    public struct Reads: Sendable {
        public var groups = FineGroupReader.Summary()
        /// Queries of exact jobs' GSI3 partitions.
        public var jobQueries = 0
        /// Job prefix reads: raw days, and what they read.
        public var jobPrefixDays = 0
        public var jobPrefix = ReadCount()
        /// Matching items of job prefixes whose cost could not be read (left out).
        public var jobPrefixInvalidItems = 0

        /// `rollups 28 days (412 items), raw 3 days (905 items)`, then the job reads when there
        /// were any.
        public var text: String {
            var text = groups.text
            if jobQueries > 0 { text += ", \(jobQueries) job queries" }
            if jobPrefixDays > 0 {
                text += ", job prefixes \(jobPrefixDays) raw days (\(jobPrefix.items) matching items, \(jobPrefix.queries) queries)"
                if jobPrefixInvalidItems > 0 { text += ", \(jobPrefixInvalidItems) unreadable items left out" }
            }
            return text
        }
    }

    /// Evaluations of every budget's subjects at `now`: concrete scopes always (spend 0 when
    /// nothing was spent), prefix scopes for each subject with spend in the instance.
    public func evaluate(_ budgets: [Budget], at now: UTCTimestamp) async throws(DynamoDBError) -> (evaluations: [BudgetEvaluation], reads: Reads) {
        var reads = Reads()
        let today = now.civilDate
        var spend: [SubjectKey: ExactDecimal] = [:]
        var evaluations: [BudgetEvaluation] = []

        // Global, service, model, user and environment budgets: fine groups, one read per period.
        let grouped = Dictionary(grouping: budgets.filter { $0.scope.kind != .job }, by: \.period)
        for period in BudgetPeriod.allCases {
            guard let periodBudgets = grouped[period], !periodBudgets.isEmpty else { continue }
            let instance = period.instance(containing: today)
            let summary = try await reader.read(from: instance.start, to: today, today: today) { group in
                let cost = group.total.cost
                for (index, budget) in periodBudgets.enumerated() {
                    guard let subject = Self.subject(of: group.key, for: budget.scope.kind), budget.scope.covers(subject) else { continue }
                    let key = SubjectKey(budget: index, period: period, subject: subject)
                    spend[key] = (spend[key] ?? .zero).adding(cost) ?? spend[key]
                }
            }
            reads.groups.rollupDays += summary.rollupDays
            reads.groups.rawDays += summary.rawDays
            reads.groups.rollupItems += summary.rollupItems
            reads.groups.rawItems += summary.rawItems
            for (index, budget) in periodBudgets.enumerated() {
                var subjects = spend.filter { $0.key.budget == index && $0.key.period == period }
                if !budget.scope.isPrefix {
                    let subject = budget.scope.kind == .global ? "" : budget.scope.value
                    let key = SubjectKey(budget: index, period: period, subject: subject)
                    if subjects[key] == nil { subjects[key] = .zero }
                }
                for (key, amount) in subjects {
                    // The most specific budget of this kind and period covering the subject wins.
                    let best = periodBudgets.filter { $0.scope.kind == budget.scope.kind && $0.scope.covers(key.subject) }
                        .max { ($0.scope.specificity, $1.scope.text) < ($1.scope.specificity, $0.scope.text) }
                    guard best == budget else { continue }
                    let subjectScope = budget.scope.kind == .global
                        ? BudgetScope(kind: .global) : BudgetScope(kind: budget.scope.kind, value: key.subject)
                    evaluations.append(BudgetEvaluation(budget: budget, subject: subjectScope, spend: amount, at: now))
                }
            }
        }

        // Exact job budgets: the job's GSI3 partition (every item of a job carries its JOB# key).
        for budget in budgets where budget.scope.kind == .job && !budget.scope.isPrefix {
            let instance = budget.period.instance(containing: today)
            let query = UsageQuery(start: instance.start, end: today, jobId: budget.scope.value, aggregation: [.service])
            let outcome = try await fetcher.aggregate(query, today: today)
            reads.jobQueries += outcome.queries
            evaluations.append(BudgetEvaluation(budget: budget, subject: budget.scope, spend: outcome.aggregate.totalCost, at: now))
        }
        // Job prefix budgets: one raw read per period, for the prefix every one of them shares.
        let jobBudgets = budgets.filter { $0.scope.kind == .job }
        for period in BudgetPeriod.allCases {
            let periodJobs = jobBudgets.filter { $0.period == period }
            let prefixes = periodJobs.filter(\.scope.isPrefix).map(\.scope.value)
            guard let first = prefixes.first else { continue }
            let shared = prefixes.dropFirst().reduce(first, Self.commonPrefix)
            let instance = period.instance(containing: today)
            let outcome = try await jobs.spend(jobPrefix: shared, from: instance.start, to: today)
            reads.jobPrefixDays += today.daysSinceEpoch - instance.start.daysSinceEpoch + 1
            reads.jobPrefix += outcome.reads
            reads.jobPrefixInvalidItems += outcome.invalidItems
            for (job, amount) in outcome.spend {
                // The most specific job budget of the period wins; an exact one was evaluated above.
                let best = periodJobs.filter { $0.scope.covers(job) }
                    .max { ($0.scope.specificity, $1.scope.text) < ($1.scope.specificity, $0.scope.text) }
                guard let best, best.scope.isPrefix else { continue }
                evaluations.append(BudgetEvaluation(budget: best, subject: BudgetScope(kind: .job, value: job), spend: amount, at: now))
            }
        }
        evaluations.sort { ($0.budget.id, $0.subject.text) < ($1.budget.id, $1.subject.text) }
        return (evaluations, reads)
    }

    /// The longest prefix `a` and `b` share, whole Unicode scalars (so also a byte prefix of both).
    static func commonPrefix(_ a: String, _ b: String) -> String {
        var shared = String.UnicodeScalarView()
        for (x, y) in zip(a.unicodeScalars, b.unicodeScalars) {
            guard x == y else { break }
            shared.append(x)
        }
        return String(shared)
    }

    private struct SubjectKey: Hashable {
        var budget: Int
        var period: BudgetPeriod
        var subject: String
    }

    /// A group's value for a scope kind: the service its GSI1 key names (as a report's service
    /// filter reads it), the model, the user (either generation's name), the environment; `""`
    /// for global; `nil` when the group has none.
    static func subject(of key: RollupGroup.Key, for kind: BudgetScope.Kind) -> String? {
        switch kind {
        case .global: ""
        case .service: key.indexedService ?? key.service?.lowercased()
        case .model: key.model
        case .user: key.userId ?? key.userIdCamel
        case .environment: key.environment
        case .job: nil
        }
    }
}
