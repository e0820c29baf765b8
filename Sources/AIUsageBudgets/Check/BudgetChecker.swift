import AIUsage
import DynamoDB

/// One budget check: every budget's spend in its current period instance, the alerts it calls
/// for, their delivery through the outbox, the retries that are due, and the block marks of
/// hard budgets. Run hourly by the scheduled event, or by `ai-usage budget check`.
///
/// For each subject the alert is the highest threshold reached (so a jump from 40 % to 97 %
/// raises `critical` at once, not three alerts), plus `projected` while the period is on course
/// to overrun. Each is raised at most once per subject, budget, period instance and threshold:
/// the outbox's conditional write is the cooldown, shared by every checker on the table.
public struct BudgetChecker: Sendable {
    public let store: BudgetStore
    public let outbox: AlertOutbox
    public let calculator: SpendCalculator
    public let sender: AlertSender
    /// Channels for budgets that name none.
    public let defaultChannels: [AlertChannel]
    /// `GET /ai_usage/report` as callers reach it (`https://…/prod/ai_usage/report`), for links.
    public let reportURL: String?
    private let log: @Sendable (String) -> Void

    public init(
        store: BudgetStore, outbox: AlertOutbox, calculator: SpendCalculator, sender: AlertSender,
        defaultChannels: [AlertChannel] = [], reportURL: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.store = store
        self.outbox = outbox
        self.calculator = calculator
        self.sender = sender
        self.defaultChannels = defaultChannels
        self.reportURL = reportURL
        self.log = log
    }

    /// What a check found and did.
    public struct Outcome: Sendable {
        public var evaluations: [BudgetEvaluation] = []
        /// Alerts raised by this check (sent or not), or, in a dry run, that would be.
        public var raised: [BudgetAlert] = []
        /// Alerts called for but already raised in this period instance.
        public var cooledDown: [BudgetAlert] = []
        /// Each delivery tried: alert id, channel (masked), and the failure if any.
        public var deliveries: [(alertId: String, channel: String, failure: String?)] = []
        /// Alerts whose delivery gave up (a channel failed `maxAttempts` times).
        public var failedAlerts: [String] = []
        /// Hard-budget subjects blocked now.
        public var blocked: [String] = []
        public var reads = SpendCalculator.Reads()
        public var unreadableBudgets: [String] = []
    }

    /// The alerts an evaluation calls for: its highest threshold reached, and the projection.
    public func alerts(for evaluation: BudgetEvaluation) -> [BudgetAlert] {
        var alerts: [BudgetAlert] = []
        let link = reportURL.map { Self.link(base: $0, evaluation: evaluation) }
        if let threshold = evaluation.level { alerts.append(BudgetAlert(evaluation: evaluation, threshold: threshold, reportURL: link)) }
        if evaluation.projectsOverrun { alerts.append(BudgetAlert(evaluation: evaluation, threshold: nil, reportURL: link)) }
        return alerts
    }

    /// Runs the check. With `send == false` (a dry run) nothing is written or sent: the outcome
    /// says what would be raised.
    public func check(at now: UTCTimestamp, send: Bool) async throws(DynamoDBError) -> Outcome {
        var outcome = Outcome()
        let listing = try await store.list()
        outcome.unreadableBudgets = listing.unreadable
        for problem in listing.unreadable { log("budget item skipped: \(problem)") }

        // Retries first: alerts whose earlier delivery failed and whose next attempt is due.
        if send {
            for entry in try await outbox.due(now: now) {
                guard let leased = try await outbox.lease(entry, now: now) else { continue }
                try await deliver(leased, now: now, into: &outcome)
            }
        }

        let (evaluations, reads) = try await calculator.evaluate(listing.budgets, at: now)
        outcome.evaluations = evaluations
        outcome.reads = reads
        for evaluation in evaluations {
            for alert in alerts(for: evaluation) {
                let channels = evaluation.budget.channels.isEmpty ? defaultChannels : evaluation.budget.channels
                if !send {
                    if try await outbox.entry(key: alert.key) == nil { outcome.raised.append(alert) } else { outcome.cooledDown.append(alert) }
                    continue
                }
                guard let entry = try await outbox.claim(alert, channels: channels, now: now) else {
                    outcome.cooledDown.append(alert)
                    continue
                }
                outcome.raised.append(alert)
                log("alert \(alert.id) raised: \(alert.message)\(channels.isEmpty ? " (no channel configured)" : "")")
                try await deliver(entry, now: now, into: &outcome)
            }
        }
        if send {
            outcome.blocked = try await updateBlocks(evaluations, now: now)
        } else {
            outcome.blocked = evaluations.filter { $0.budget.kind == .hard && Self.isExhausted($0) }.map { "\($0.subject.text) (\($0.budget.id))" }
        }
        return outcome
    }

    /// Delivers a leased entry's pending channels and records the outcome.
    private func deliver(_ entry: AlertOutbox.Entry, now: UTCTimestamp, into outcome: inout Outcome) async throws(DynamoDBError) {
        var results: [String: String?] = [:]
        for delivery in entry.deliveries where delivery.status == .pending {
            do {
                try await sender.deliver(entry.payload, to: delivery.channel)
                results[delivery.channel.key] = .some(nil)
                outcome.deliveries.append((entry.id, delivery.channel.description, nil))
            } catch {
                results[delivery.channel.key] = .some(error.description)
                outcome.deliveries.append((entry.id, delivery.channel.description, error.description))
                log("alert \(entry.id) delivery failed (attempt \(delivery.attempts + 1) of \(outbox.maxAttempts)): \(error.description)")
            }
        }
        guard let recorded = try await outbox.record(entry, outcomes: results, now: now) else {
            log("alert \(entry.id): its lease expired during delivery; another checker took it over")
            return
        }
        if recorded.status == .failed {
            outcome.failedAlerts.append(entry.id)
            log("alert \(entry.id) FAILED: gave up after \(outbox.maxAttempts) attempts on \(recorded.deliveries.filter { $0.status == .failed }.map(\.channel.description).joined(separator: ", "))")
        } else if recorded.status == .pending {
            log("alert \(entry.id) stays pending; next attempt at \(recorded.nextAttemptAt.iso8601)")
        }
    }

    /// Whether a hard budget's money is gone: spend ≥ limit (a limit of 0: anything spent).
    static func isExhausted(_ evaluation: BudgetEvaluation) -> Bool {
        evaluation.budget.limit == .zero ? evaluation.spend > .zero : evaluation.spend >= evaluation.budget.limit
    }

    /// Writes a block mark for each exhausted hard-budget subject and deletes the marks of
    /// subjects no longer exhausted (a raised limit, a new period); the subjects blocked.
    private func updateBlocks(_ evaluations: [BudgetEvaluation], now: UTCTimestamp) async throws(DynamoDBError) -> [String] {
        let client = store.client
        var existing: Set<String> = []
        var input = QueryInput(
            tableName: store.tableName, keyConditionExpression: "PK = :pk",
            expressionAttributeValues: [":pk": .s(BudgetBlockKeys.partition)], consistentRead: true
        )
        while true {
            let page = try await client.queryPage(input)
            for item in page.items { if let key = item["SK"]?.string { existing.insert(key) } }
            guard let next = page.lastEvaluatedKey else { break }
            input.exclusiveStartKey = next
        }
        var requests: [WriteRequest] = []
        var wanted: Set<String> = []
        var blocked: [String] = []
        for evaluation in evaluations where evaluation.budget.kind == .hard && Self.isExhausted(evaluation) {
            let sortKey = BudgetBlockKeys.sortKey(subject: evaluation.subject.text, budgetId: evaluation.budget.id)
            wanted.insert(sortKey)
            blocked.append("\(evaluation.subject.text) (\(evaluation.budget.id))")
            requests.append(.put([
                "PK": .s(BudgetBlockKeys.partition), "SK": .s(sortKey), "TYPE": .s(BudgetBlockKeys.type),
                "subject": .s(evaluation.subject.text), "budget": .s(evaluation.budget.id),
                "until": .s(evaluation.instance.endsAt.iso8601), "spend_usd": .n(evaluation.spend.description),
                "limit_usd": .n(evaluation.budget.limit.description), "checked_at": .s(now.iso8601),
            ]))
        }
        for key in existing where !wanted.contains(key) {
            requests.append(.delete(key: ["PK": .s(BudgetBlockKeys.partition), "SK": .s(key)]))
        }
        if !requests.isEmpty {
            let result = await client.batchWriteItem(tableName: store.tableName, requests: requests)
            if let error = result.errors.first { throw error }
        }
        return blocked
    }

    /// `<base>?<scope parameter>=<value>&start_date=…&end_date=…` (percent-encoded); the plain
    /// usage report for global, service and model scopes.
    static func link(base: String, evaluation: BudgetEvaluation) -> String {
        let range = "start_date=\(evaluation.instance.start.text)&end_date=\(evaluation.instance.end.text)"
        let subject = evaluation.subject
        switch subject.kind {
        case .job: return "\(base)?job_id=\(percentEncoded(subject.value))&\(range)"
        case .user: return "\(base)?user_id=\(percentEncoded(subject.value))&\(range)"
        case .environment: return "\(base)?environment=\(percentEncoded(subject.value))&\(range)"
        case .global, .service, .model:
            // The usage report: the base without its trailing `/report`.
            let usage = base.hasSuffix("/report") ? String(base.dropLast("/report".count)) : base
            switch subject.kind {
            case .service: return "\(usage)?service=\(percentEncoded(subject.value))&\(range)"
            case .model: return "\(usage)?model=\(percentEncoded(subject.value))&\(range)"
            default: return "\(usage)?\(range)"
            }
        }
    }

    /// RFC 3986: everything but unreserved characters as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let digits = Array("0123456789ABCDEF")
                out += "%\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
            }
        }
        return out
    }
}
