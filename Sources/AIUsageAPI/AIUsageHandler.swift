import AIUsage
import AIUsageBudgets
import AIUsageReports
import CurlHTTP
import DynamoDB

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif
import Synchronization

/// `GET /ai_usage`: an API Gateway (REST v1, HTTP API v2), Function URL or direct event in, a
/// proxy response out. See docs/api.md for the contract.
///
/// `handle(_:)` never throws and never crashes on input: every failure is a JSON error answer
/// (400 for the caller's mistakes, 500 for missing configuration, 502 when DynamoDB refuses,
/// 503 with `Retry-After` when it stays throttled or unreachable), plus one log line.
public final class AIUsageHandler: Sendable {
    /// What the handler needs from its environment, or why it cannot have it.
    let setup: Result<Ready, ConfigurationProblem>
    private let cache: AnswerCache
    let today: @Sendable () -> CivilDate
    /// The current instant, for budget checks (derived from `today` in tests that fix the day).
    let now: @Sendable () -> UTCTimestamp
    let log: @Sendable (String) -> Void
    /// How raw items spread over the index partitions (`AI_USAGE_INDEX_SHARDS`).
    let sharding: IndexSharding
    /// The closed days a scheduled rollup compacts, ending with the day before yesterday.
    private let rollupDays: Int

    struct ConfigurationProblem: Error {
        var message: String
    }

    /// A configured handler's parts.
    struct Ready: Sendable {
        var fetcher: UsageFetcher
        var client: DynamoDBClient
        var tableName: String
        var alerts: AlertSettings
        var alertTransport: any HTTPTransport
        var standardOutput: @Sendable (String) -> Void
    }

    /// - Parameters:
    ///   - environment: `DYNAMODB_TABLE_NAME`, the AWS variables (see `DynamoDBConfiguration`),
    ///     `AI_USAGE_QUERY_CONCURRENCY` (8), `AI_USAGE_CACHE_TTL_SECONDS` (900; 0 disables) and
    ///     `AI_USAGE_INDEX_SHARDS` (1), `AI_USAGE_ROLLUPS` (`on`; `off` reads raw items only) and
    ///     `AI_USAGE_ROLLUP_DAYS` (7: the closed days a scheduled rollup compacts), and the alert
    ///     settings of `AlertSettings` (`AI_USAGE_ALERT_CHANNELS`, `AI_USAGE_ALERT_SECRET`, …).
    ///   - client: a ready client (tests); by default one is built from `environment`.
    ///   - alertTransport: how alerts are posted (tests); by default a libcurl client.
    ///   - now: the current instant (budget checks).
    ///   - today: the UTC day `end_date` defaults to; by default `now`'s day.
    ///   - log: where the one line per request goes (standard error by default).
    ///   - standardOutput: where `stdout` alert channels write.
    public init(
        environment: [String: String],
        client: DynamoDBClient? = nil,
        alertTransport: (any HTTPTransport)? = nil,
        now: @escaping @Sendable () -> UTCTimestamp = { UTCTimestamp.now() },
        today: (@Sendable () -> CivilDate)? = nil,
        log: @escaping @Sendable (String) -> Void = AIUsageHandler.standardErrorLog,
        standardOutput: @escaping @Sendable (String) -> Void = { print($0) }
    ) {
        self.now = now
        self.today = today ?? { now().civilDate }
        self.log = log
        self.sharding = (try? IndexSharding.fromEnvironment(environment).get()) ?? .single
        self.rollupDays = (try? Self.integer("AI_USAGE_ROLLUP_DAYS", in: environment, default: 7, range: 1...366).get()) ?? 7
        let concurrency: Int
        let ttl: Int
        if case .failure(let problem) = Self.integer("AI_USAGE_ROLLUP_DAYS", in: environment, default: 7, range: 1...366) {
            self.cache = AnswerCache(ttl: .zero)
            setup = .failure(problem)
            return
        }
        switch (Self.integer("AI_USAGE_QUERY_CONCURRENCY", in: environment, default: 8, range: 1...64),
                Self.integer("AI_USAGE_CACHE_TTL_SECONDS", in: environment, default: 900, range: 0...86_400)) {
        case (.success(let c), .success(let t)): (concurrency, ttl) = (c, t)
        case (.failure(let problem), _), (_, .failure(let problem)):
            self.cache = AnswerCache(ttl: .zero)
            setup = .failure(problem)
            return
        }
        self.cache = AnswerCache(ttl: .seconds(ttl))
        guard let table = environment["DYNAMODB_TABLE_NAME"], !table.isEmpty else {
            setup = .failure(ConfigurationProblem(message: "DYNAMODB_TABLE_NAME is not set: set it to the usage table's name"))
            return
        }
        if let problem = DynamoDBConfiguration.tableNameProblem(table) {
            setup = .failure(ConfigurationProblem(message: "DYNAMODB_TABLE_NAME \(problem)"))
            return
        }
        let rollups: Bool
        switch environment["AI_USAGE_ROLLUPS"]?.lowercased() ?? "" {
        case "", "on", "true", "1": rollups = true
        case "off", "false", "0": rollups = false
        case let other:
            setup = .failure(ConfigurationProblem(message: "AI_USAGE_ROLLUPS must be on or off, got '\(InputEcho.short(other, limit: 20))'"))
            return
        }
        let sharding: IndexSharding
        switch IndexSharding.fromEnvironment(environment) {
        case .success(let value): sharding = value
        case .failure(let problem):
            setup = .failure(ConfigurationProblem(message: problem.description))
            return
        }
        let alerts: AlertSettings
        switch AlertSettings.fromEnvironment(environment) {
        case .success(let value): alerts = value
        case .failure(let problem):
            setup = .failure(ConfigurationProblem(message: problem.description))
            return
        }
        let ready = { (client: DynamoDBClient) in
            Ready(
                fetcher: UsageFetcher(client: client, tableName: table, concurrency: concurrency, sharding: sharding, usesRollups: rollups),
                client: client, tableName: table, alerts: alerts,
                alertTransport: alertTransport ?? CurlHTTPClient(maxConnections: 2), standardOutput: standardOutput
            )
        }
        if let client {
            setup = .success(ready(client))
            return
        }
        do {
            let configuration = try DynamoDBConfiguration.fromEnvironment(environment)
            setup = .success(ready(DynamoDBClient(configuration: configuration, transport: CurlHTTPClient(maxConnections: concurrency))))
        } catch {
            setup = .failure(ConfigurationProblem(message: error.message))
        }
    }

    /// A whole number setting in `range`, `default` when unset or empty; anything else is a
    /// problem that names the variable.
    private static func integer(
        _ name: String, in environment: [String: String], default value: Int, range: ClosedRange<Int>
    ) -> Result<Int, ConfigurationProblem> {
        guard let text = environment[name], !text.isEmpty else { return .success(value) }
        guard let number = Int(text), range.contains(number) else {
            return .failure(ConfigurationProblem(
                message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(InputEcho.short(text, limit: 40))'"))
        }
        return .success(number)
    }

    /// Why the handler cannot serve, when its configuration is incomplete (for an init error).
    public var configurationError: String? {
        if case .failure(let problem) = setup { problem.message } else { nil }
    }

    /// One invocation: event bytes in, proxy-response bytes out.
    ///
    /// - Parameter requestId: the invocation's id (Lambda's request id), quoted in 5xx answers
    ///   and in the log line so that one can be found from the other; a fresh one when `nil`.
    public func handle(_ event: [UInt8], requestId: String? = nil) async -> [UInt8] {
        await invoke(event, requestId: requestId).body
    }

    /// One invocation, and whether it failed as a whole: a scheduled task that could not finish
    /// (the bootstrap reports it to Lambda as an error, so the schedule's metrics show it).
    /// HTTP answers never fail the invocation: their failures are the answer.
    ///
    /// - Parameter deadline: when the answer must be ready (the Lambda deadline less the time its
    ///   response needs). Every DynamoDB attempt, backoff and webhook delivery is cut to the time
    ///   left, so a stalled table gives a 503 in time instead of an invocation killed by Lambda.
    public func invoke(
        _ event: [UInt8], requestId: String? = nil, deadline: ContinuousClock.Instant?
    ) async -> (body: [UInt8], failed: Bool) {
        await RequestDeadline.$current.withValue(deadline) {
            await invoke(event, requestId: requestId)
        }
    }

    /// The time an invocation keeps back from its deadline to deliver its answer (the Runtime
    /// API post, or the local gateway's write).
    public static let responseReserve: Duration = .milliseconds(250)

    /// API Gateway's limit for an HTTP API integration: 30 s.
    public static let gatewayTimeout: Duration = .seconds(30)

    /// One invocation with no deadline of its own (a surrounding `RequestDeadline` still applies).
    public func invoke(_ event: [UInt8], requestId: String? = nil) async -> (body: [UInt8], failed: Bool) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(event)
        } catch {
            let problem = EventDecodingError(kind: .notJSON, message: "the event is not JSON: \(error)")
            log("400 \(problem.description)")
            return (ProxyResponse.error(status: 400, message: problem.description).encoded(for: .restV1), false)
        }
        switch ScheduledTask.recognise(json) {
        case .task(let task):
            return await run(task, requestId: requestId ?? UUID().uuidString.lowercased())
        case .unknown(let message):
            log("400 \(message)")
            return (ProxyResponse.error(status: 400, message: message).encoded(for: .restV1), true)
        case .notScheduled:
            break
        }
        do {
            let request = try EventDecoder.decode(json)
            return (await respond(to: request, requestId: requestId).encoded(for: request.format), false)
        } catch {
            log("400 \(error.description)")
            return (ProxyResponse.error(status: 400, message: error.description).encoded(for: .restV1), false)
        }
    }

    /// Runs a scheduled task: compaction, a budget check, or both (the classic scheduled event).
    private func run(_ task: ScheduledTask, requestId: String) async -> (body: [UInt8], failed: Bool) {
        switch task.kind {
        case .rollup: return await compact(task, requestId: requestId)
        case .budgetCheck: return await checkBudgets(requestId: requestId)
        case .rollupThenBudgetCheck:
            let rollup = await compact(task, requestId: requestId)
            let check = await checkBudgets(requestId: requestId)
            let body = JSONValue.object([
                .init(key: "rollup", value: (try? JSONValue.parse(rollup.body)) ?? .null),
                .init(key: "budget_check", value: (try? JSONValue.parse(check.body)) ?? .null),
            ]).serializedBytes()
            return (body, rollup.failed || check.failed)
        }
    }

    /// Compacts the recent closed days into rollups.
    private func compact(_ task: ScheduledTask, requestId: String) async -> (body: [UInt8], failed: Bool) {
        let started = ContinuousClock.now
        let fetcher: UsageFetcher
        switch setup {
        case .success(let ready): fetcher = ready.fetcher
        case .failure(let problem):
            log("rollup failed: \(PublicError.notConfigured.code) (request \(requestId)): \(problem.message)")
            return (task.failure(PublicError.notConfigured, requestId: requestId), true)
        }
        let today = self.today()
        let last = RollupKeys.lastClosedDay(today: today)
        let first = task.first ?? last.adding(days: -(rollupDays - 1))
        let end = min(task.last ?? last, last)
        if end.daysSinceEpoch - first.daysSinceEpoch >= ScheduledTask.maximumRollupDays {
            let message = "the rollup task's range \(first)..\(end) spans more than \(ScheduledTask.maximumRollupDays) days; give a shorter from/to"
            log("400 \(message) (request \(requestId))")
            return (ProxyResponse.error(status: 400, message: message).encoded(for: .restV1), true)
        }
        let compactor = RollupCompactor(source: fetcher.source, sharding: sharding)
        do {
            let outcomes = try await compactor.compact(from: first, to: end)
            let elapsed = ContinuousClock.now - started
            let written = outcomes.filter { $0.result == .written }.count
            log("rollup \(first)..\(end): \(outcomes.count) days, \(written) written, \(outcomes.filter(\.stillDirty).count) still dirty, \(outcomes.reduce(0) { $0 + $1.rawItems }) raw items read in \(elapsed.components.seconds) s (request \(requestId))")
            return (task.success(outcomes), false)
        } catch {
            let answer = PublicError(error)
            log("rollup failed: \(answer.code) (request \(requestId)): \(error.description)")
            return (task.failure(answer, requestId: requestId), true)
        }
    }

    /// The answer to one decoded request.
    public func respond(to request: HTTPEvent, requestId: String? = nil) async -> ProxyResponse {
        let started = ContinuousClock.now
        let invocation = requestId ?? UUID().uuidString.lowercased()
        let response = await route(request, requestId: invocation)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let gateway = request.requestId.map { ", gateway request \(InputEcho.short($0))" } ?? ""
        log("\(InputEcho.short(request.method)) \(InputEcho.short(request.path, limit: 200)) → \(response.status) in \(Int(milliseconds)) ms (request \(invocation)\(gateway))")
        return response
    }

    private func route(_ request: HTTPEvent, requestId: String) async -> ProxyResponse {
        let endpoint: Route
        if let match = Route.all.first(where: { $0.matches(path: request.path) }) {
            endpoint = match
        } else {
            return .error(status: 404, message: "no route for \(InputEcho.short(request.path)): the API answers GET /ai_usage, /ai_usage/report, /ai_usage/trends, /ai_usage/budgets and /ai_usage/dashboard")
        }
        switch request.method {
        case "GET": break
        case "OPTIONS": return .noContent
        default:
            return .error(status: 405, message: "method \(InputEcho.short(request.method)) is not allowed: use GET", extraHeaders: [.init("Allow", "GET, OPTIONS")] + ProxyResponse.corsPreflightHeaders)
        }
        switch endpoint {
        case .dashboard: return DashboardPage.response
        case .report: return await scopedReport(request, requestId: requestId)
        case .trends: return await trends(request, requestId: requestId)
        case .budgets: return await budgets(request, requestId: requestId)
        default: break
        }
        let query: UsageQuery
        do {
            query = try UsageQuery.parse(request.queryParameters.map { ($0.name, $0.values) }, today: today())
        } catch {
            return .error(status: 400, message: error.message)
        }
        let fetcher: UsageFetcher
        switch setup {
        case .success(let ready): fetcher = ready.fetcher
        case .failure(let problem):
            log("500 \(PublicError.notConfigured.code) (request \(requestId)): \(problem.message)")
            return PublicError.notConfigured.response(requestId: requestId)
        }
        let cacheable = query.end < today()
        if cacheable, let cached = cache.answer(for: query.cacheKey) { return cached }
        do {
            let outcome = try await fetcher.aggregate(query, today: today())
            log("read \(outcome.readSummary) (request \(requestId))")
            if outcome.aggregate.invalidItems > 0 {
                log("left out \(outcome.aggregate.invalidItems) unreadable items: \(outcome.aggregate.invalidReasons.map(\.description).joined(separator: "; "))")
            }
            let response: ProxyResponse
            switch query.format {
            case .json:
                response = .json(status: 200, outcome.aggregate.report(start: query.start, end: query.end, query: query.echo))
            case .csv:
                response = ProxyResponse(
                    status: 200,
                    headers: [
                        .init("Content-Type", "text/csv; charset=utf-8"), .allowAnyOrigin,
                        .init("Content-Disposition", "attachment; filename=\"\(UsageAggregate.csvFileName(start: query.start, end: query.end))\""),
                    ],
                    body: outcome.aggregate.csv
                )
            }
            if cacheable { cache.store(response, for: query.cacheKey) }
            return response
        } catch {
            let answer = PublicError(error)
            // The detail is for the log only, and DynamoDBClient has masked its secrets.
            log("\(answer.status) \(answer.code) (request \(requestId)): \(error.description)")
            return answer.response(requestId: requestId)
        }
    }

    /// Writes one line to standard error (Lambda sends it to CloudWatch).
    public static let standardErrorLog: @Sendable (String) -> Void = { line in
        StandardError.write("ai-usage api: \(line)")
    }
}

/// Answers for closed ranges, kept for a while in a warm Lambda.
final class AnswerCache: Sendable {
    private let ttl: Duration
    private let entries = Mutex<[String: (expires: ContinuousClock.Instant, response: ProxyResponse)]>([:])
    static let maximumEntries = 256

    init(ttl: Duration) {
        self.ttl = ttl
    }

    func answer(for key: String) -> ProxyResponse? {
        guard ttl > .zero else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            if entry.expires < .now {
                entries[key] = nil
                return nil
            }
            return entry.response
        }
    }

    func store(_ response: ProxyResponse, for key: String) {
        guard ttl > .zero else { return }
        entries.withLock { entries in
            let now = ContinuousClock.now
            if entries.count >= Self.maximumEntries { entries = entries.filter { $0.value.expires > now } }
            if entries.count >= Self.maximumEntries { entries.removeAll() }
            entries[key] = (now + ttl, response)
        }
    }
}
