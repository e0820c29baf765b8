import AIUsage
import DynamoDB
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// Where the tracker's prices come from, and what it does about calls it cannot price.
extension Tracker {
    /// The environment variable setting how often a published catalogue is re-read (seconds,
    /// 10…86400; default 300).
    public static let priceRefreshVariable = "AI_USAGE_PRICING_REFRESH_SECONDS"

    /// A tracker configured like `fromEnvironment(_:)`, pricing with the effective catalogue:
    /// the built-in one, the catalogue published to the table when `AI_USAGE_PRICING_FROM_TABLE`
    /// is on (re-read every `AI_USAGE_PRICING_REFRESH_SECONDS`, so a `pricing publish` reaches
    /// running trackers without a restart), and `AI_USAGE_PRICING_FILE` over both.
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> Tracker {
        var plain = environment
        plain[PublishedCatalogue.environmentVariable] = nil
        let tracker = try fromEnvironment(plain)
        guard let enabled = PublishedCatalogue.isEnabled(environment) else {
            throw AIUsageMetric.ValidationError("\(PublishedCatalogue.environmentVariable) must be on or off, got '\(InputEcho.short(environment[PublishedCatalogue.environmentVariable] ?? "", limit: 40))'")
        }
        guard enabled else { return tracker }
        let interval = try refreshInterval(environment)
        let table = environment["DYNAMODB_TABLE_NAME"] ?? ""
        let client = DynamoDBClient(configuration: try DynamoDBConfiguration.fromEnvironment(environment))
        let load: @Sendable () async throws -> PricingCatalogue = {
            try await PublishedCatalogue.effectiveCatalogue(environment: environment, client: client, tableName: table)
        }
        tracker.usePrices(try await load())
        await tracker.startPriceRefresh(every: interval, load: load)
        return tracker
    }

    static func refreshInterval(_ environment: [String: String]) throws -> Duration {
        guard let text = environment[priceRefreshVariable], !text.isEmpty else { return .seconds(300) }
        guard let seconds = Int(text), (10...86_400).contains(seconds) else {
            throw AIUsageMetric.ValidationError("\(priceRefreshVariable) must be whole seconds from 10 to 86400, got '\(InputEcho.short(text, limit: 40))'")
        }
        return .seconds(seconds)
    }

    /// Prices later calls with `catalogue`.
    public nonisolated func usePrices(_ catalogue: PricingCatalogue) {
        pricing.withLock { $0 = CostCalculator(catalogue: catalogue) }
    }

    func startPriceRefresh(every interval: Duration, load: @escaping @Sendable () async throws -> PricingCatalogue) {
        priceRefresh?.cancel()
        priceRefresh = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                do {
                    self.usePrices(try await load())
                } catch {
                    // Keep the prices in use: a table outage must not stop pricing.
                    Self.log("could not re-read the published price catalogue (keeping the current prices): \(error)")
                }
            }
        }
    }

    /// The `service/model` names this process recorded calls of without a price, sorted.
    public nonisolated var unpricedModels: [String] { warnedUnpriced.withLock { $0.sorted() } }

    /// Counts a call recorded without a price, and warns once per service and model per process.
    nonisolated func noteUnpriced(service: String, model: String, reason: String) {
        counters.withLock { $0.unpriced += 1 }
        let key = "\(service)/\(model)"
        let first = warnedUnpriced.withLock { $0.insert(key).inserted }
        if first {
            Self.log("no price for \(InputEcho.short(key, limit: 120)) (\(reason)): its calls are recorded without a cost and counted as unpriced; add a price (ai-usage pricing import, or AI_USAGE_PRICING_FILE), then ai-usage reprice")
        }
    }
}
