import AIUsage
import AIUsageBudgets
import AIUsageReports
import CurlHTTP
import DynamoDB

extension AIUsageHandler {
    /// The budget checker of a configured handler.
    func budgetChecker(_ ready: Ready) -> BudgetChecker {
        Self.makeBudgetChecker(
            client: ready.client, tableName: ready.tableName, sharding: sharding, fetcher: ready.fetcher,
            alerts: ready.alerts, transport: ready.alertTransport, standardOutput: ready.standardOutput, log: log
        )
    }

    /// A budget checker on a table: the CLI builds the same one.
    public static func makeBudgetChecker(
        client: DynamoDBClient, tableName: String, sharding: IndexSharding, fetcher: UsageFetcher, alerts: AlertSettings,
        transport: any HTTPTransport, standardOutput: @escaping @Sendable (String) -> Void, log: @escaping @Sendable (String) -> Void
    ) -> BudgetChecker {
        BudgetChecker(
            store: BudgetStore(client: client, tableName: tableName),
            outbox: AlertOutbox(client: client, tableName: tableName, maxAttempts: alerts.maxAttempts, retrySeconds: alerts.retrySeconds),
            calculator: SpendCalculator(reader: FineGroupReader(source: fetcher.source, sharding: sharding), fetcher: fetcher),
            sender: AlertSender(transport: transport, signer: alerts.signer, standardOutput: standardOutput),
            defaultChannels: alerts.channels, reportURL: alerts.reportURL, log: log
        )
    }

    /// The scheduled budget check: evaluations, alerts raised and delivered, due retries.
    func checkBudgets(requestId: String) async -> (body: [UInt8], failed: Bool) {
        let started = ContinuousClock.now
        let ready: Ready
        switch setup {
        case .success(let value): ready = value
        case .failure(let problem):
            log("budget check failed: \(PublicError.notConfigured.code) (request \(requestId)): \(problem.message)")
            return (Self.taskFailure("budget_check", PublicError.notConfigured, requestId: requestId), true)
        }
        do {
            let outcome = try await budgetChecker(ready).check(at: now(), send: true)
            let elapsed = ContinuousClock.now - started
            let sent = outcome.deliveries.filter { $0.failure == nil }.count
            log("budget check: \(outcome.evaluations.count) subjects, \(outcome.raised.count) alerts raised, \(outcome.cooledDown.count) in cooldown, \(sent) of \(outcome.deliveries.count) deliveries ok, \(outcome.failedAlerts.count) given up, \(outcome.blocked.count) blocked; read \(outcome.reads.text) in \(elapsed.components.seconds) s (request \(requestId))")
            return (outcome.json(sent: true).serializedBytes(), false)
        } catch {
            let answer = PublicError(error)
            log("budget check failed: \(answer.code) (request \(requestId)): \(error.description)")
            return (Self.taskFailure("budget_check", answer, requestId: requestId), true)
        }
    }

    /// `{"task": …, "status": "failed", "error", "code", "request_id"}`.
    static func taskFailure(_ task: String, _ error: PublicError, requestId: String) -> [UInt8] {
        JSONValue.object([
            .init(key: "task", value: .string(task)),
            .init(key: "status", value: "failed"),
            .init(key: "error", value: .string(error.message)),
            .init(key: "code", value: .string(error.code)),
            .init(key: "request_id", value: .string(requestId)),
        ]).serializedBytes()
    }

    /// `GET /ai_usage/budgets`: every budget, and where each subject stands now (a dry run of
    /// the check: nothing is written or sent).
    func budgets(_ request: HTTPEvent, requestId: String) async -> ProxyResponse {
        if let parameter = request.queryParameters.first {
            return .error(status: 400, message: "unknown parameter '\(InputEcho.short(parameter.name, limit: 40))': GET /ai_usage/budgets takes none")
        }
        let ready: Ready
        switch setup {
        case .success(let value): ready = value
        case .failure(let problem):
            log("500 \(PublicError.notConfigured.code) (request \(requestId)): \(problem.message)")
            return PublicError.notConfigured.response(requestId: requestId)
        }
        do {
            let checker = budgetChecker(ready)
            let listing = try await checker.store.list()
            let (evaluations, _) = try await checker.calculator.evaluate(listing.budgets, at: now())
            return .json(status: 200, .object([
                .init(key: "budgets", value: .array(listing.budgets.map(\.json))),
                .init(key: "status", value: .array(evaluations.map(\.json))),
                .init(key: "checked_at", value: .string(now().iso8601)),
            ]))
        } catch {
            return failure(error, requestId: requestId)
        }
    }
}
