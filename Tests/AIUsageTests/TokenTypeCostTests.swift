import AIUsage
import Testing
import TestSupport

/// Every token type, tier and mode priced exactly, each against a value worked out by hand.
/// The catalogue uses round prices so the arithmetic can be checked in the comments.
@Suite struct TokenTypeCostTests {
    static let catalogue = try! CatalogueJSON.read(Array("""
        {"format": "ai-usage-pricing/1", "version": "test-1", "entries": [
          {"provider": "openai", "model": "o-test", "effective_from": "2026-01-01",
           "prices": {"input": "0.000002", "output": "0.000008", "cache_read": "0.0000005", "reasoning": "0.00001"},
           "batch": {"input": "0.0000011"},
           "service_tiers": {"flex": {"input": "0.000001", "output": "0.000004", "cache_read": "0.00000025"},
                             "priority": {"input": "0.0000035", "output": "0.000014"}},
           "tiers": [{"above_input_tokens": 128000, "prices": {"input": "0.000004", "output": "0.000016", "cache_read": "0.000001"}},
                     {"above_input_tokens": 200000, "prices": {"input": "0.000006", "output": "0.000024"}}],
           "aliases": ["o-test-alias"]},
          {"provider": "openai", "model": "o-test", "effective_from": "2026-03-01T00:00:00Z",
           "prices": {"input": "0.000001", "output": "0.000004"}},
          {"provider": "anthropic", "model": "c-explicit", "effective_from": "2026-01-01",
           "prices": {"input": "0.000003", "output": "0.000015", "cache_write_5m": "0.000004", "cache_write_1h": "0.000007", "cache_read": "0.0000002"},
           "tiers": [{"above_input_tokens": 200000, "prices": {"input": "0.000006", "output": "0.00003"}}]},
          {"provider": "anthropic", "model": "c-rule", "effective_from": "2026-01-01", "prices": {"input": "0.000004", "output": "0.00002"}},
          {"provider": "openai", "model": "img", "effective_from": "2026-01-01", "prices": {"per_image": "0.04"}},
          {"provider": "google_places", "model": "place_details", "effective_from": "2026-01-01", "prices": {"per_call": "0.017"}}
        ]}
        """.utf8), source: "test")
    static let calculator = CostCalculator(catalogue: catalogue)
    static let february = UTCTimestamp(year: 2026, month: 2, day: 1)

    static func cost(
        _ service: String = "openai", _ model: String = "o-test", usage: TokenUsage, batch: Bool = false,
        at timestamp: UTCTimestamp = february, operation: String = "completion"
    ) -> CostResult {
        calculator.cost(service: service, model: model, operation: operation, usage: usage, isBatch: batch, at: timestamp)
    }

    static func parts(_ result: CostResult) -> [String: String] {
        Dictionary(uniqueKeysWithValues: result.breakdown.map { ($0.unit.rawValue, "\($0.quantity)×\($0.price)") })
    }

    @Test func inputAndOutput() {
        // 1000 × 0.000002 + 500 × 0.000008 = 0.002 + 0.004 = 0.006.
        let result = Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500))
        #expect(result.costUSD == dec("0.006"))
        #expect(Self.parts(result) == ["input": "1000×0.000002", "output": "500×0.000008"])
        #expect(result.pricedWith == "test-1")
        #expect(result.effectiveFrom == UTCTimestamp(year: 2026, month: 1, day: 1))
    }

    @Test func cachedInputIsNotBilledAgainAtTheFullRate() {
        // (1000 − 400) × 0.000002 + 400 × 0.0000005 + 100 × 0.000008 = 0.0012 + 0.0002 + 0.0008 = 0.0022.
        let result = Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 100, cachedInputTokens: 400))
        #expect(result.costUSD == dec("0.0022"))
        #expect(Self.parts(result) == ["input": "600×0.000002", "cache_read": "400×0.0000005", "output": "100×0.000008"])
    }

    @Test func reasoningTokensAreCountedOnce() {
        // Output 1000 of which 600 reasoning: 400 × 0.000008 + 600 × 0.00001 = 0.0032 + 0.006 = 0.0092,
        // plus 100 × 0.000002 = 0.0002 input: 0.0094 (not 1600 output tokens).
        let result = Self.cost(usage: TokenUsage(inputTokens: 100, outputTokens: 1000, reasoningTokens: 600))
        #expect(result.costUSD == dec("0.0094"))
        #expect(Self.parts(result) == ["input": "100×0.000002", "output": "400×0.000008", "reasoning": "600×0.00001"])
        // Without a reasoning price (c-rule), reasoning tokens are billed at the output price:
        // 10 × 0.000004 + 1000 × 0.00002 = 0.00004 + 0.02 = 0.02004.
        #expect(Self.cost("anthropic", "c-rule", usage: TokenUsage(inputTokens: 10, outputTokens: 1000, reasoningTokens: 600)).costUSD == dec("0.02004"))
        // More reasoning than output is inconsistent: no price.
        let bad = Self.cost(usage: TokenUsage(inputTokens: 1, outputTokens: 5, reasoningTokens: 6))
        #expect(bad.costUSD == nil)
        #expect(bad.note == "reasoning tokens (6) exceed output tokens (5)")
    }

    @Test func anthropicCacheWritesAndReadsWithExplicitPrices() {
        // 100 × 0.000003 + (1000 − 300) × 0.000004 + 300 × 0.000007 + 2000 × 0.0000002 + 50 × 0.000015
        // = 0.0003 + 0.0028 + 0.0021 + 0.0004 + 0.00075 = 0.00635.
        let result = Self.cost("anthropic", "c-explicit", usage: TokenUsage(
            inputTokens: 100, outputTokens: 50, cacheCreationInputTokens: 1000, cacheCreation1hInputTokens: 300, cacheReadInputTokens: 2000))
        #expect(result.costUSD == dec("0.00635"))
        #expect(Self.parts(result) == [
            "input": "100×0.000003", "cache_write_5m": "700×0.000004", "cache_write_1h": "300×0.000007",
            "cache_read": "2000×0.0000002", "output": "50×0.000015",
        ])
    }

    @Test func anthropicCachePricesByRule() {
        // c-rule input 0.000004: 5m write 1.25× = 0.000005, 1h write 2× = 0.000008, read 0.1× = 0.0000004.
        // 1000 × 0.000005 + 1000 × 0.000008 + 1000 × 0.0000004 = 0.005 + 0.008 + 0.0004 = 0.0134.
        let result = Self.cost("anthropic", "c-rule", usage: TokenUsage(
            inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 2000, cacheCreation1hInputTokens: 1000, cacheReadInputTokens: 1000))
        #expect(result.costUSD == dec("0.0134"))
    }

    @Test func batchUsesTheBatchPriceWhereThereIsOneElseHalf() {
        // Input at the batch price 0.0000011, output at half of 0.000008 = 0.000004:
        // 1000 × 0.0000011 + 500 × 0.000004 = 0.0011 + 0.002 = 0.0031.
        let result = Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500), batch: true)
        #expect(result.costUSD == dec("0.0031"))
        // Anthropic's service_tier "batch" means the same.
        #expect(Self.cost("anthropic", "c-rule", usage: TokenUsage(inputTokens: 1000, outputTokens: 0, serviceTier: "batch")).costUSD == dec("0.002"))
        // A service without a batch discount pays standard, with a note: 2 × 0.017 = 0.034.
        let places = Self.cost("google_places", "places_api", usage: TokenUsage(apiCalls: 2), batch: true, operation: "place_details")
        #expect(places.costUSD == dec("0.034"))
        #expect(places.note == "service 'google_places' has no batch discount; standard price charged")
    }

    @Test func longContextTiersPriceTheWholeRequest() {
        // Exactly at the threshold: 128000 × 0.000002 + 1000 × 0.000008 = 0.256 + 0.008 = 0.264.
        #expect(Self.cost(usage: TokenUsage(inputTokens: 128_000, outputTokens: 1000)).costUSD == dec("0.264"))
        // One above: every token at the first tier: 128001 × 0.000004 + 1000 × 0.000016 = 0.512004 + 0.016 = 0.528004.
        let above = Self.cost(usage: TokenUsage(inputTokens: 128_001, outputTokens: 1000))
        #expect(above.costUSD == dec("0.528004"))
        #expect(above.note == "long-context prices: 128001 tokens of context is above 128000")
        // Cached tokens are part of OpenAI's input and priced at the tier's cache price:
        // (150000 − 50000) × 0.000004 + 50000 × 0.000001 = 0.4 + 0.05 = 0.45.
        #expect(Self.cost(usage: TokenUsage(inputTokens: 150_000, outputTokens: 0, cachedInputTokens: 50_000)).costUSD == dec("0.45"))
        // Above the second tier: 200001 × 0.000006 + 10 × 0.000024 = 1.200006 + 0.00024 = 1.200246.
        #expect(Self.cost(usage: TokenUsage(inputTokens: 200_001, outputTokens: 10)).costUSD == dec("1.200246"))
        // Anthropic's context counts cache writes and reads: 1000 input + 150000 writes + 50000 reads = 201000 > 200000:
        // the tier names only input and output, so the explicit cache prices follow input's ratio (0.000006 / 0.000003 = 2):
        // 5m write 0.000004 × 2 = 0.000008, read 0.0000002 × 2 = 0.0000004.
        // 1000 × 0.000006 + 150000 × 0.000008 + 50000 × 0.0000004 + 100 × 0.00003
        // = 0.006 + 1.2 + 0.02 + 0.003 = 1.229.
        #expect(Self.cost("anthropic", "c-explicit", usage: TokenUsage(
            inputTokens: 1000, outputTokens: 100, cacheCreationInputTokens: 150_000, cacheReadInputTokens: 50_000)).costUSD == dec("1.229"))
        // A batch call above a tier: the tier's prices halved (the standard-context batch price does not apply):
        // 128001 × 0.000002 = 0.256002.
        #expect(Self.cost(usage: TokenUsage(inputTokens: 128_001, outputTokens: 0), batch: true).costUSD == dec("0.256002"))
    }

    @Test func serviceTiers() {
        // Flex: 1000 × 0.000001 + 200 × 0.00000025 (cached) + 500 × 0.000004, with 800 uncached:
        // 800 × 0.000001 + 200 × 0.00000025 + 500 × 0.000004 = 0.0008 + 0.00005 + 0.002 = 0.00285.
        #expect(Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500, cachedInputTokens: 200, serviceTier: "flex")).costUSD == dec("0.00285"))
        // Priority: 1000 × 0.0000035 + 500 × 0.000014 = 0.0035 + 0.007 = 0.0105.
        #expect(Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500, serviceTier: "priority")).costUSD == dec("0.0105"))
        // default and auto are the standard prices (0.006, as in inputAndOutput).
        #expect(Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500, serviceTier: "default")).costUSD == dec("0.006"))
        #expect(Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500, serviceTier: "auto")).costUSD == dec("0.006"))
        let unknown = Self.cost(usage: TokenUsage(inputTokens: 1000, outputTokens: 500, serviceTier: "scale"))
        #expect(unknown.costUSD == dec("0.006"))
        #expect(unknown.note == "no 'scale' service-tier prices for 'o-test'; standard prices charged")
    }

    @Test func perImageAndPerCall() {
        // 3 × 0.04 = 0.12.
        let images = Self.cost("openai", "img", usage: TokenUsage(images: 3), operation: "image")
        #expect(images.costUSD == dec("0.12"))
        #expect(Self.parts(images) == ["per_image": "3×0.04"])
        #expect(Self.cost("openai", "img", usage: TokenUsage(), operation: "image").costUSD == nil)
        // 5 × 0.017 = 0.085.
        let calls = Self.cost("google_places", "places_api", usage: TokenUsage(apiCalls: 5), operation: "place_details")
        #expect(calls.costUSD == dec("0.085"))
        #expect(Self.parts(calls) == ["per_call": "5×0.017"])
    }

    @Test func theBreakdownAddsUpToTheCostExactly() {
        let usage = TokenUsage(inputTokens: 123_457, outputTokens: 98_765, cachedInputTokens: 23_456, reasoningTokens: 12_345)
        for model in ["o-test"] {
            for tier in [nil, "flex", "priority"] {
                var tiered = usage
                tiered.serviceTier = tier
                for batch in [false, true] {
                    let result = Self.cost("openai", model, usage: tiered, batch: batch)
                    var sum = ExactDecimal.zero
                    for part in result.breakdown { sum += part.cost }
                    #expect(result.costUSD == sum, "\(tier ?? "standard") batch \(batch)")
                    #expect(!result.breakdown.contains { $0.quantity == 0 })
                }
            }
        }
    }

    @Test func aPriceChangeTakesEffectAtItsTimestamp() {
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 500)
        // Before 2026-03-01: 0.006. From 2026-03-01T00:00:00Z: 1000 × 0.000001 + 500 × 0.000004 = 0.003.
        #expect(Self.cost(usage: usage, at: UTCTimestamp(year: 2026, month: 2, day: 28, hour: 23, minute: 59, second: 59)).costUSD == dec("0.006"))
        #expect(Self.cost(usage: usage, at: UTCTimestamp(year: 2026, month: 3, day: 1)).costUSD == dec("0.003"))
        // Before the first entry: no price, and the note names the first date.
        let early = Self.cost(usage: usage, at: UTCTimestamp(year: 2025, month: 12, day: 31))
        #expect(early.costUSD == nil)
        #expect(early.note == "no price for 'o-test' in force at 2025-12-31T00:00:00.000000+00:00 (its first price takes effect 2026-01-01)")
    }

    @Test func layersAddToTheHistoryAndReplaceOnTheSameDate() throws {
        let upper = try CatalogueJSON.read(Array("""
            {"format": "ai-usage-pricing/1", "version": "upper", "entries": [
              {"provider": "openai", "model": "o-test", "effective_from": "2026-03-01T00:00:00Z", "prices": {"input": "0.0000009", "output": "0.000004"}},
              {"provider": "openai", "model": "o-test", "effective_from": "2026-06-01", "prices": {"input": "0.0000005", "output": "0.000002"}}
            ]}
            """.utf8), source: "upper")
        let layered = upper.layered(over: Self.catalogue)
        #expect(layered.version == "test-1+upper")
        let history = layered.history(provider: "openai", model: "o-test")
        #expect(history.map(\.catalogueVersion) == ["test-1", "upper", "upper"])
        #expect(history[1].prices[.input] == dec("0.0000009"))
        // The alias of the lower layer's model still resolves.
        #expect(layered.resolve("o-test-alias", provider: "openai")?.model == "o-test")
    }

    @Test func estimatedUsageGivesAnEstimatedCost() {
        let result = Self.cost(usage: TokenUsage(inputTokens: 10, outputTokens: 0, isEstimated: true))
        #expect(result.costUSD == dec("0.00002"))
        #expect(result.isEstimated)
    }
}
