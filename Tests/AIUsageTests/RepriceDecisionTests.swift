import AIUsage
import AIUsageReports
import AIUsageTracker
import DynamoDB
import Testing
import TestSupport

/// The pure part of re-pricing: what one stored item becomes under a catalogue.
@Suite struct RepriceDecisionTests {
    static let now = UTCTimestamp(year: 2026, month: 12, day: 5, hour: 9)

    /// m at $1 / $2 per 1M, cache_read $0.50, from 2026-01-01.
    static let catalogue = try! CatalogueJSON.read(Array("""
        {"format": "ai-usage-pricing/1", "version": "v2", "entries": [
          {"provider": "openai", "model": "m", "effective_from": "2026-01-01", "prices": {"input": "0.000001", "cache_read": "0.0000005", "output": "0.000002"}}
        ]}
        """.utf8), source: "test")
    static let calculator = CostCalculator(catalogue: catalogue)

    static func item(cost: String?, error: String? = nil, metadata: [String: AttributeValue] = [:], model: String = "m") throws -> Item {
        try MetricItemCodec.item(for: AIUsageMetric(
            service: "openai", model: model, operation: "completion", timestamp: UTCTimestamp(year: 2026, month: 6, day: 1),
            requestId: "r1", inputTokens: 1000, outputTokens: 500, costUSD: cost.flatMap { ExactDecimal($0) },
            error: error, metadata: metadata, pricedWith: "v1"))
    }

    @Test func aChangedCostRewritesTheItemKeepingThePreviousCost() throws {
        // 600 uncached × 0.000001 + 400 cached × 0.0000005 + 500 × 0.000002 = 0.0006 + 0.0002 + 0.001 = 0.0018.
        let original = try Self.item(cost: "0.0025", metadata: ["cached_input_tokens": .number(400), "cost_note": .s("old note")])
        guard case .changed(let item, let from, let to) = RepriceDecision.decide(original, calculator: Self.calculator, now: Self.now) else {
            Issue.record("expected a change")
            return
        }
        #expect(from == ExactDecimal("0.0025"))
        #expect(to == ExactDecimal("0.0018"))
        #expect(item["PK"] == original["PK"] && item["SK"] == original["SK"])
        #expect(item["cost_usd"] == .n("0.0018"))
        #expect(item["previous_cost_usd"] == .n("0.0025"))
        #expect(item["priced_with"] == .s("v2"))
        #expect(item["previous_priced_with"] == .s("v1"))
        #expect(item["repriced_at"] == .s(Self.now.iso8601))
        #expect(item["metadata"]?.map?["cost_note"] == nil)
        #expect(item["metadata"]?.map?["cached_input_tokens"] == .n("400"))
        #expect(item["metadata"]?.map?["cost_breakdown"] == .m(["input": .n("0.0006"), "cache_read": .n("0.0002"), "output": .n("0.001")]))
    }

    @Test func theSameCostIsUnchanged() throws {
        // 1000 × 0.000001 + 500 × 0.000002 = 0.002.
        #expect(RepriceDecision.decide(try Self.item(cost: "0.002"), calculator: Self.calculator, now: Self.now) == .unchanged)
    }

    @Test func failedCallsAndUnknownModelsAreLeftAlone() throws {
        guard case .leftAlone(let failed) = RepriceDecision.decide(try Self.item(cost: "0", error: "openai HTTP 429"), calculator: Self.calculator, now: Self.now) else {
            Issue.record("a failed call must be left alone")
            return
        }
        #expect(failed.hasPrefix("a failed call"))
        guard case .leftAlone(let unknown) = RepriceDecision.decide(try Self.item(cost: "0.5", model: "other"), calculator: Self.calculator, now: Self.now) else {
            Issue.record("an unknown model must be left alone")
            return
        }
        #expect(unknown == "no price now: no price for model 'other' of service 'openai'")
        #expect(RepriceDecision.decide(["PK": .s("x")], calculator: Self.calculator, now: Self.now) != .unchanged)
    }

    @Test func aFirstGenerationItemGetsSnakeCaseCost() throws {
        var original = try Self.item(cost: "0.003")
        original["costUSD"] = original.removeValue(forKey: "cost_usd")
        guard case .changed(let item, let from, _) = RepriceDecision.decide(original, calculator: Self.calculator, now: Self.now) else {
            Issue.record("expected a change")
            return
        }
        #expect(from == ExactDecimal("0.003"))
        #expect(item["costUSD"] == nil)
        #expect(item["cost_usd"] == .n("0.002"))
    }

    @Test func theBatchFlagAndServiceTierAreReadBack() throws {
        // Batch: half of 0.002 = 0.001.
        let batch = try Self.item(cost: "0.002", metadata: ["is_batch": .bool(true)])
        guard case .changed(_, _, let to) = RepriceDecision.decide(batch, calculator: Self.calculator, now: Self.now) else {
            Issue.record("expected a change")
            return
        }
        #expect(to == ExactDecimal("0.001"))
    }
}

/// The tracker counts calls it cannot price and warns once per model.
@Suite struct UnpricedTrackingTests {
    @Test func unpricedCallsAreCountedAndWarnedOncePerModel() throws {
        let tracker = Tracker(sink: NullSink(), configuration: TrackerConfiguration(spillFile: SpillFile(path: "/tmp/ai-usage-unpriced-\(RequestID.random()).jsonl")))
        for _ in 0..<3 {
            let metric = tracker.metric(service: "openai", model: "gpt-9", operation: "completion", usage: TokenUsage(inputTokens: 1, outputTokens: 1))
            #expect(metric.costUSD == nil)
            #expect(metric.metadata["cost_note"] == .s("no price for model 'gpt-9' of service 'openai'"))
        }
        _ = tracker.metric(service: "openai", model: "gpt-4o", operation: "completion", usage: TokenUsage(inputTokens: 1, outputTokens: 1))
        // A failed call without a price is not "unpriced": it was not billed.
        _ = tracker.metric(service: "openai", model: "gpt-9", operation: "completion", usage: nil, error: "boom")
        #expect(tracker.stats().unpriced == 3)
        #expect(tracker.unpricedModels == ["openai/gpt-9"])
    }
}
