import AIUsage
import AIUsageReports
import DynamoDB
import Foundation
import Testing

/// `Repricer` against the real server (moto with signature checks on): a catalogue update
/// reprices exactly the items it should, in place, keeps the previous cost, marks the days for
/// the rollups, and a second run changes nothing.
@Suite struct RepriceIntegrationTests {
    static let now = UTCTimestamp(year: 2026, month: 4, day: 1, hour: 12)

    /// Catalogue A: m1 at $1 / $2 per 1M from 2026-01-01; m2 has no price.
    static let before = """
        {"format": "ai-usage-pricing/1", "version": "cat-a", "entries": [
          {"provider": "openai", "model": "m1", "effective_from": "2026-01-01", "prices": {"input": "0.000001", "output": "0.000002"}},
          {"provider": "anthropic", "model": "c1", "effective_from": "2026-01-01", "prices": {"input": "0.000003", "output": "0.000015"}}
        ]}
        """
    /// Catalogue B (layered over A): m1 doubles from 2026-03-01; m2 gets a price.
    static let after = """
        {"format": "ai-usage-pricing/1", "version": "cat-b", "entries": [
          {"provider": "openai", "model": "m1", "effective_from": "2026-03-01", "prices": {"input": "0.000002", "output": "0.000004"}},
          {"provider": "openai", "model": "m2", "effective_from": "2026-01-01", "prices": {"input": "0.00001", "output": "0.00001"}}
        ]}
        """

    static func catalogue(_ text: String) throws -> PricingCatalogue {
        try CatalogueJSON.read(Array(text.utf8), source: "test")
    }

    /// A call priced (or not) with catalogue A, as the tracker would have stored it.
    static func item(_ service: String, _ model: String, day: Int, month: Int, id: String, input: Int, output: Int, error: String? = nil) throws -> Item {
        let calculator = CostCalculator(catalogue: try catalogue(before))
        let timestamp = UTCTimestamp(year: 2026, month: month, day: day, hour: 10)
        let result = calculator.cost(service: service, model: model, operation: "completion",
                                     usage: TokenUsage(inputTokens: input, outputTokens: output), at: timestamp)
        var metadata: [String: AttributeValue] = [:]
        if let note = result.note { metadata["cost_note"] = .s(note) }
        return try MetricItemCodec.item(for: AIUsageMetric(
            service: service, model: model, operation: "completion", timestamp: timestamp, requestId: id,
            inputTokens: input, outputTokens: output, costUSD: error == nil ? result.costUSD : nil,
            error: error, metadata: metadata, pricedWith: result.pricedWith))
    }

    static func stored(_ client: DynamoDBClient, _ table: String, _ item: Item) async throws -> Item? {
        let page = try await client.queryPage(QueryInput(
            tableName: table, keyConditionExpression: "PK = :p AND SK = :s",
            expressionAttributeValues: [":p": item["PK"]!, ":s": item["SK"]!], consistentRead: true))
        return page.items.first
    }

    @Test func aCatalogueUpdateRepricesExactlyTheItemsItShould() async throws {
        let client = try IntegrationEnvironment.client()
        try await IntegrationEnvironment.withTable(client) { table in
            // m1 on 10 Feb (before the change): 1000 × 0.000001 + 500 × 0.000002 = 0.002, stays.
            let february = try Self.item("openai", "m1", day: 10, month: 2, id: "feb", input: 1000, output: 500)
            // m1 on 5 Mar (after): 0.002 under A; under B 1000 × 0.000002 + 500 × 0.000004 = 0.004.
            let march = try Self.item("openai", "m1-2026-03-01", day: 5, month: 3, id: "mar", input: 1000, output: 500)
            // m2 on 6 Mar: unpriced under A; under B 100 × 0.00001 + 100 × 0.00001 = 0.002.
            let unpriced = try Self.item("openai", "m2", day: 6, month: 3, id: "m2", input: 100, output: 100)
            // A failed call, and another service: left as they are.
            let failed = try Self.item("openai", "m1", day: 6, month: 3, id: "failed", input: 10, output: 0, error: "openai HTTP 500")
            let claude = try Self.item("anthropic", "c1", day: 6, month: 3, id: "claude", input: 1000, output: 100)
            #expect(march["cost_usd"] == .n("0.002"))
            #expect(unpriced["cost_usd"] == nil)
            #expect(await client.batchWriteItem(tableName: table, requests: [february, march, unpriced, failed, claude].map { .put($0) }).isComplete)

            let updated = try Self.catalogue(Self.after).layered(over: try Self.catalogue(Self.before))
            let repricer = Repricer(client: client, tableName: table, calculator: CostCalculator(catalogue: updated), now: { Self.now })
            let scope = Repricer.Scope(from: CivilDate(year: 2026, month: 2, day: 1), to: CivilDate(year: 2026, month: 3, day: 31))

            // A dry run reports the change and writes nothing.
            let dry = try await repricer.run(Repricer.Scope(from: scope.from, to: scope.to, dryRun: true))
            #expect(dry.changed == 2)
            #expect(try await Self.stored(client, table, march)?["cost_usd"] == .n("0.002"))

            let outcome = try await repricer.run(scope)
            #expect(outcome.itemsRead == 5)
            #expect(outcome.changed == 2)
            #expect(outcome.unchanged == 2)
            #expect(outcome.leftAlone == 1)
            #expect(outcome.conflicts == 0)
            // Before: 0.002 (march) + 0 (unpriced). After: 0.004 + 0.002. Difference +0.004.
            #expect(outcome.totalBefore == ExactDecimal("0.002"))
            #expect(outcome.totalAfter == ExactDecimal("0.006"))
            #expect(outcome.difference == ExactDecimal("0.004"))
            #expect(outcome.daysMarked == ["2026-03-05", "2026-03-06"])
            #expect(Set(outcome.changes.map(\.requestId)) == ["mar", "m2"])

            let repriced = try #require(try await Self.stored(client, table, march))
            #expect(repriced["cost_usd"] == .n("0.004"))
            #expect(repriced["previous_cost_usd"] == .n("0.002"))
            #expect(repriced["priced_with"] == .s("cat-b"))
            #expect(repriced["previous_priced_with"] == .s("cat-a"))
            #expect(repriced["repriced_at"] == .s(Self.now.iso8601))
            #expect(repriced["metadata"]?.map?["cost_breakdown"] == .m(["input": .n("0.002"), "output": .n("0.002")]))
            let nowPriced = try #require(try await Self.stored(client, table, unpriced))
            #expect(nowPriced["cost_usd"] == .n("0.002"))
            #expect(nowPriced["previously_unpriced"] == .bool(true))
            #expect(nowPriced["metadata"]?.map?["cost_note"] == nil)
            #expect(try await Self.stored(client, table, february) == february)
            #expect(try await Self.stored(client, table, failed) == failed)
            #expect(try await Self.stored(client, table, claude) == claude)
            // The changed days are marked dirty for the rollups.
            let markers = try await client.queryPage(QueryInput(
                tableName: table, keyConditionExpression: "PK = :p",
                expressionAttributeValues: [":p": .s(RollupKeys.partition)], consistentRead: true))
            #expect(markers.items.compactMap { $0["day"]?.string }.sorted() == ["2026-03-05", "2026-03-06"])

            // Idempotent: a second run finds nothing to change.
            let again = try await repricer.run(scope)
            #expect(again.changed == 0)
            #expect(again.unchanged == 4)
            #expect(again.leftAlone == 1)
            #expect(again.daysMarked.isEmpty)

            // A model filter: only items resolving to m1.
            let onlyM1 = try await repricer.run(Repricer.Scope(from: scope.from, to: scope.to, service: "openai", model: "m1", dryRun: true))
            #expect(onlyM1.itemsRead == 3)
        }
    }
}
