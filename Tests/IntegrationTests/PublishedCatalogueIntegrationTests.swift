import AIUsage
import AIUsageTracker
import DynamoDB
import Foundation
import Testing

/// A catalogue published to the table (moto, signatures checked), read back whole, layered
/// between the built-in prices and AI_USAGE_PRICING_FILE, and used by a tracker.
@Suite struct PublishedCatalogueIntegrationTests {
    static let published = """
        {"format": "ai-usage-pricing/1", "version": "team-2026-12", "entries": [
          {"provider": "openai", "model": "gpt-4o", "effective_from": "2026-12-01", "prices": {"input": "0.0000025", "cache_read": "0.00000125", "output": "0.00001"}},
          {"provider": "openai", "model": "ft:gpt-4o-mini:acme", "effective_from": "2026-01-01", "prices": {"input": "0.0000003", "output": "0.0000012"}, "aliases": ["acme-mini"]}
        ]}
        """

    @Test func publishedCatalogueIsReadBackWholeAndPricesTrackedCalls() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            let store = PublishedCatalogue(client: client, tableName: table)
            #expect(try await store.load() == nil)
            let catalogue = try CatalogueJSON.read(Array(Self.published.utf8), source: "test")
            #expect(try await store.publish(catalogue) == 2)
            #expect(try await store.load() == catalogue)

            var environment = IntegrationEnvironment.environment
            environment["DYNAMODB_TABLE_NAME"] = table
            environment["AI_USAGE_PRICING_FROM_TABLE"] = "on"
            environment["AI_USAGE_PRICING_FILE"] = nil
            let effective = try await PublishedCatalogue.effectiveCatalogue(environment: environment, client: client, tableName: table)
            #expect(effective.version == "builtin-2026-12-05+team-2026-12")
            // gpt-4o keeps its built-in history and gains the published price from 1 December 2026.
            #expect(effective.history(provider: "openai", model: "gpt-4o").map(\.catalogueVersion) == ["builtin-2026-12-05", "team-2026-12"])

            // A tracker started with the table's prices: 1000 in × 0.0000025 + 500 out × 0.00001 = 0.0075
            // (the built-in gpt-4o price would give 1000 × 0.000005 + 500 × 0.000015 = 0.0125).
            let tracker = try await Tracker.start(environment: environment)
            let metric = tracker.metric(service: "openai", model: "gpt-4o", operation: "completion",
                                        usage: TokenUsage(inputTokens: 1000, outputTokens: 500))
            #expect(metric.costUSD == ExactDecimal("0.0075"))
            #expect(metric.pricedWith == "team-2026-12")
            // An alias from the published catalogue: 1M × 0.0000003 = 0.3.
            #expect(tracker.metric(service: "openai", model: "acme-mini", operation: "completion",
                                   usage: TokenUsage(inputTokens: 1_000_000, outputTokens: 0)).costUSD == ExactDecimal("0.3"))
            await tracker.shutdown()

            // A pointer whose entries are missing is refused, not half-used.
            try await client.putItem(PutItemInput(tableName: table, item: [
                "PK": .s(PublishedCatalogue.pointerPartition), "SK": .s(PublishedCatalogue.pointerSortKey),
                "version": .s("ghost"), "entries": .n("3"),
            ]))
            await #expect(throws: PublishedCatalogue.LoadError.self) { try await store.load() }
        }
    }

    @Test func aBadSwitchValueIsAClearError() async throws {
        #expect(PublishedCatalogue.isEnabled(["AI_USAGE_PRICING_FROM_TABLE": "yes please"]) == nil)
        #expect(throws: AIUsageMetric.ValidationError.self) {
            _ = try Tracker.fromEnvironment(["DYNAMODB_TABLE_NAME": "t-1", "AI_USAGE_PRICING_FROM_TABLE": "on"])
        }
    }
}
