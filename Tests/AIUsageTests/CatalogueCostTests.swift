import AIUsage
import Testing
import TestSupport

/// The cost rules of `CostCalculator` / `TokenCosting`, each against a value worked out by hand
/// (the arithmetic is in the comment above each expectation). The catalogue is built in code with
/// round per-token prices so every product can be checked on paper.
@Suite struct CatalogueCostTests {
    static let json = """
        {"format": "ai-usage-pricing/1", "version": "cost-test-1", "entries": [
          {"provider": "openai", "model": "o-test", "effective_from": "2026-01-01",
           "prices": {"input": "0.000002", "output": "0.000008", "cache_read": "0.0000005", "reasoning": "0.00001"},
           "batch": {"input": "0.0000011"},
           "service_tiers": {"flex": {"input": "0.000001", "output": "0.000004", "cache_read": "0.00000025"},
                             "priority": {"input": "0.0000035", "output": "0.000014"}},
           "tiers": [{"above_input_tokens": 128000, "prices": {"input": "0.000004", "output": "0.000016", "cache_read": "0.000001"}},
                     {"above_input_tokens": 200000, "prices": {"input": "0.000006", "output": "0.000024"}}],
           "aliases": ["o-test-alias"]},
          {"provider": "openai", "model": "o-plain", "effective_from": "2026-01-01",
           "prices": {"input": "0.000001", "output": "0.000004"}},
          {"provider": "openai", "model": "img-test", "effective_from": "2026-01-01", "prices": {"per_image": "0.04"}},
          {"provider": "openai", "model": "d-test", "effective_from": "2026-01-01",
           "prices": {"input": "0.000002", "output": "0.000008"}},
          {"provider": "openai", "model": "d-test", "effective_from": "2026-03-01T00:00:00Z",
           "prices": {"input": "0.000001", "output": "0.000004"}},
          {"provider": "anthropic", "model": "c-explicit", "effective_from": "2026-01-01",
           "prices": {"input": "0.000003", "output": "0.000015", "cache_write_5m": "0.000004", "cache_write_1h": "0.000007", "cache_read": "0.0000002"},
           "tiers": [{"above_input_tokens": 200000, "prices": {"input": "0.000006", "output": "0.0000225", "cache_read": "0.0000006"}}]},
          {"provider": "anthropic", "model": "c-rule", "effective_from": "2026-01-01",
           "prices": {"input": "0.000004", "output": "0.00002"},
           "tiers": [{"above_input_tokens": 200000, "prices": {"input": "0.000008", "output": "0.00003"}}]},
          {"provider": "google_places", "model": "place_details", "effective_from": "2026-01-01", "prices": {"per_call": "0.017"}},
          {"provider": "google_places", "model": "place_photo", "effective_from": "2026-06-01", "prices": {"per_call": "0.007"}}
        ]}
        """
    static let catalogue = try! CatalogueJSON.read(Array(json.utf8), source: "test")
    static let calculator = CostCalculator(catalogue: catalogue)
    static let january1 = UTCTimestamp(year: 2026, month: 1, day: 1)
    static let february = UTCTimestamp(year: 2026, month: 2, day: 1)

    /// o-test (OpenAI).
    static func cost(_ usage: TokenUsage, batch: Bool = false, at timestamp: UTCTimestamp = february) -> CostResult {
        cost("openai", "o-test", usage, batch: batch, at: timestamp)
    }

    static func cost(
        _ service: String, _ model: String, operation: String = "completion",
        _ usage: TokenUsage, batch: Bool = false, at timestamp: UTCTimestamp = february,
        calculator: CostCalculator = calculator
    ) -> CostResult {
        calculator.cost(service: service, model: model, operation: operation, usage: usage, isBatch: batch, at: timestamp)
    }

    /// The breakdown in its order, as `unit quantity×price`.
    static func parts(_ result: CostResult) -> [String] {
        result.breakdown.map { "\($0.unit.rawValue) \($0.quantity)×\($0.price)" }
    }

    static func sum(_ result: CostResult) -> ExactDecimal {
        var total = ExactDecimal.zero
        for part in result.breakdown { total += part.cost }
        return total
    }

    // MARK: - Input, output, cache

    @Test func inputAndOutput() {
        // 1000 × 0.000002 + 500 × 0.000008 = 0.002 + 0.004 = 0.006.
        let result = Self.cost(TokenUsage(inputTokens: 1000, outputTokens: 500))
        #expect(result.costUSD == dec("0.006"))
        #expect(Self.parts(result) == ["input 1000×0.000002", "output 500×0.000008"])
        #expect(result.pricedAs == "o-test")
        #expect(result.note == nil)
        #expect(!result.isEstimated)
    }

    @Test func openAICachedTokensAreASubsetOfInput() {
        // (10000 − 4000) × 0.000002 + 4000 × 0.0000005 + 1000 × 0.000008 = 0.012 + 0.002 + 0.008 = 0.022
        // (not 10000 × 0.000002 + 4000 × 0.0000005 = 0.022 + 0.008: cached tokens are not billed twice).
        let result = Self.cost(TokenUsage(inputTokens: 10_000, outputTokens: 1000, cachedInputTokens: 4000))
        #expect(result.costUSD == dec("0.022"))
        #expect(Self.parts(result) == ["input 6000×0.000002", "cache_read 4000×0.0000005", "output 1000×0.000008"])
        #expect(result.note == nil)
    }

    @Test func openAICachedTokensWithoutACachePriceCostTheInputPriceWithANote() {
        // o-plain has no cache_read and OpenAI has no default multiplier:
        // 600 × 0.000001 + 400 × 0.000001 = 0.0006 + 0.0004 = 0.001.
        let result = Self.cost("openai", "o-plain", TokenUsage(inputTokens: 1000, outputTokens: 0, cachedInputTokens: 400))
        #expect(result.costUSD == dec("0.001"))
        #expect(Self.parts(result) == ["input 600×0.000001", "cache_read 400×0.000001"])
        #expect(result.note == "no cached-input price for 'o-plain'; cached tokens charged at the input price")
    }

    @Test func anthropicCacheWritesAndReadsWithExplicitPrices() {
        // Writes and reads are in addition to input; 2000 writes of which 500 1-hour:
        //   200 × 0.000003 (input)         = 0.0006
        // 10000 × 0.0000002 (read)         = 0.002
        //  1500 × 0.000004 (5m write)      = 0.006
        //   500 × 0.000007 (1h write)      = 0.0035
        //   100 × 0.000015 (output)        = 0.0015
        //                            total = 0.0136
        let result = Self.cost("anthropic", "c-explicit", TokenUsage(
            inputTokens: 200, outputTokens: 100, cacheCreationInputTokens: 2000, cacheCreation1hInputTokens: 500, cacheReadInputTokens: 10_000))
        #expect(result.costUSD == dec("0.0136"))
        #expect(Self.parts(result) == [
            "input 200×0.000003", "cache_read 10000×0.0000002", "cache_write_5m 1500×0.000004",
            "cache_write_1h 500×0.000007", "output 100×0.000015",
        ])
        #expect(result.note == nil)
    }

    @Test func anthropicCacheWritesAndReadsByTheRules() {
        // c-rule input 0.000004: 5m write 1.25× = 0.000005, 1h write 2× = 0.000008, read 0.1× = 0.0000004.
        //   200 × 0.000004  = 0.0008
        // 10000 × 0.0000004 = 0.004
        //  1500 × 0.000005  = 0.0075
        //   500 × 0.000008  = 0.004
        //   100 × 0.00002   = 0.002
        //             total = 0.0183
        let result = Self.cost("anthropic", "c-rule", TokenUsage(
            inputTokens: 200, outputTokens: 100, cacheCreationInputTokens: 2000, cacheCreation1hInputTokens: 500, cacheReadInputTokens: 10_000))
        #expect(result.costUSD == dec("0.0183"))
        #expect(Self.parts(result) == [
            "input 200×0.000004", "cache_read 10000×0.0000004", "cache_write_5m 1500×0.000005",
            "cache_write_1h 500×0.000008", "output 100×0.00002",
        ])
        #expect(result.note == nil)
    }

    @Test func anthropicWritesWithoutA1hBreakdownAreAll5Minute() {
        // 1000 × 0.000005 (1.25 × 0.000004) = 0.005; input and output 0 are omitted from the breakdown.
        let result = Self.cost("anthropic", "c-rule", TokenUsage(inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 1000))
        #expect(result.costUSD == dec("0.005"))
        #expect(Self.parts(result) == ["cache_write_5m 1000×0.000005"])
    }

    // MARK: - Reasoning

    @Test func reasoningIsASubsetOfOutputCountedOnce() {
        // (2000 − 1500) × 0.000008 + 1500 × 0.00001 + 1000 × 0.000002 = 0.004 + 0.015 + 0.002 = 0.021
        // (not 3500 output tokens: 0.002 + 2000 × 0.000008 + 1500 × 0.00001 = 0.033).
        let result = Self.cost(TokenUsage(inputTokens: 1000, outputTokens: 2000, reasoningTokens: 1500))
        #expect(result.costUSD == dec("0.021"))
        #expect(Self.parts(result) == ["input 1000×0.000002", "output 500×0.000008", "reasoning 1500×0.00001"])
    }

    @Test func allOutputBeingReasoningLeavesNoOutputPart() {
        // 1000 × 0.00001 = 0.01; the output part (quantity 0) is omitted.
        let result = Self.cost(TokenUsage(inputTokens: 0, outputTokens: 1000, reasoningTokens: 1000))
        #expect(result.costUSD == dec("0.01"))
        #expect(Self.parts(result) == ["reasoning 1000×0.00001"])
    }

    @Test func reasoningWithoutAReasoningPriceIsBilledAtTheOutputPrice() {
        // o-plain: 1000 × 0.000001 + 500 × 0.000004 + 1500 × 0.000004 = 0.001 + 0.002 + 0.006 = 0.009
        // (= 1000 × 0.000001 + 2000 × 0.000004).
        let result = Self.cost("openai", "o-plain", TokenUsage(inputTokens: 1000, outputTokens: 2000, reasoningTokens: 1500))
        #expect(result.costUSD == dec("0.009"))
        #expect(Self.parts(result) == ["input 1000×0.000001", "output 500×0.000004", "reasoning 1500×0.000004"])
    }

    // MARK: - Batch

    @Test func batchUsesTheExplicitPriceWhereThereIsOneAndHalfElsewhere() {
        // o-test batch names only input (0.0000011); the rest is half of standard:
        // cache_read 0.0000005 / 2 = 0.00000025, output 0.000008 / 2 = 0.000004, reasoning 0.00001 / 2 = 0.000005.
        //   800 × 0.0000011   = 0.00088
        //   200 × 0.00000025  = 0.00005
        //   400 × 0.000004    = 0.0016
        //   100 × 0.000005    = 0.0005
        //               total = 0.00303
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 500, cachedInputTokens: 200, reasoningTokens: 100)
        let result = Self.cost(usage, batch: true)
        #expect(result.costUSD == dec("0.00303"))
        #expect(Self.parts(result) == [
            "input 800×0.0000011", "cache_read 200×0.00000025", "output 400×0.000004", "reasoning 100×0.000005",
        ])
        #expect(result.note == nil)
    }

    @Test func batchServiceTierMeansBatchPrices() {
        // Anthropic reports a Message Batches call as service_tier "batch": half of every price.
        // 1000 × 0.000002 + 100 × 0.00001 = 0.002 + 0.001 = 0.003.
        #expect(Self.cost("anthropic", "c-rule", TokenUsage(inputTokens: 1000, outputTokens: 100, serviceTier: "batch")).costUSD == dec("0.003"))
        // Rule-priced cache writes follow the halved input: 1000 × 1.25 × 0.000002 = 0.0025.
        #expect(Self.cost("anthropic", "c-rule", TokenUsage(inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 1000), batch: true).costUSD == dec("0.0025"))
        // Explicit cache prices are halved too: 1000 × 0.000004 / 2 + 1000 × 0.0000002 / 2 = 0.002 + 0.0001 = 0.0021.
        #expect(Self.cost("anthropic", "c-explicit", TokenUsage(
            inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 1000, cacheReadInputTokens: 1000), batch: true).costUSD == dec("0.0021"))
    }

    @Test func batchForAServiceWithoutADiscountIsStandardWithANote() {
        // 3 × 0.017 = 0.051, the standard price.
        let result = Self.cost("google_places", "places_api", operation: "place_details", TokenUsage(apiCalls: 3), batch: true)
        #expect(result.costUSD == dec("0.051"))
        #expect(Self.parts(result) == ["per_call 3×0.017"])
        #expect(result.note == "service 'google_places' has no batch discount; standard price charged")
    }

    @Test func batchAboveALongContextTierHalvesTheTierPrices() {
        // 130000 > 128000: tier 1, halved (the standard-context batch input price does not apply):
        // 130000 × 0.000004 / 2 + 1000 × 0.000016 / 2 = 0.26 + 0.008 = 0.268.
        let result = Self.cost(TokenUsage(inputTokens: 130_000, outputTokens: 1000), batch: true)
        #expect(result.costUSD == dec("0.268"))
        #expect(Self.parts(result) == ["input 130000×0.000002", "output 1000×0.000008"])
        #expect(result.note == "long-context prices: 130000 tokens of context is above 128000")
    }

    // MARK: - Long-context tiers

    @Test func exactlyAtTheThresholdIsStandard() {
        // 128000 tokens of context is not above 128000:
        // 100000 × 0.000002 + 28000 × 0.0000005 + 1000 × 0.000008 = 0.2 + 0.014 + 0.008 = 0.222.
        let result = Self.cost(TokenUsage(inputTokens: 128_000, outputTokens: 1000, cachedInputTokens: 28_000))
        #expect(result.costUSD == dec("0.222"))
        #expect(result.note == nil)
    }

    @Test func oneAboveTheThresholdPricesTheWholeRequestAtTheTier() {
        // 128001 > 128000: input, cache and output all at tier 1:
        // 100001 × 0.000004 + 28000 × 0.000001 + 1000 × 0.000016 = 0.400004 + 0.028 + 0.016 = 0.444004.
        let result = Self.cost(TokenUsage(inputTokens: 128_001, outputTokens: 1000, cachedInputTokens: 28_000))
        #expect(result.costUSD == dec("0.444004"))
        #expect(Self.parts(result) == ["input 100001×0.000004", "cache_read 28000×0.000001", "output 1000×0.000016"])
        #expect(result.note == "long-context prices: 128001 tokens of context is above 128000")
    }

    @Test func exactlyAtTheSecondThresholdIsTheFirstTier() {
        // 200000 is above 128000 but not above 200000: 200000 × 0.000004 = 0.8.
        let result = Self.cost(TokenUsage(inputTokens: 200_000, outputTokens: 0))
        #expect(result.costUSD == dec("0.8"))
        #expect(result.note == "long-context prices: 200000 tokens of context is above 128000")
    }

    @Test func aboveTheSecondTier() {
        // 200001 > 200000: tier 2 (input 0.000006, output 0.000024); tier 2 names no cache_read, so
        // the standard one follows input's ratio: 0.0000005 × (0.000006 / 0.000002 = 3) = 0.0000015;
        // reasoning follows output's: 0.00001 × (0.000024 / 0.000008 = 3) = 0.00003.
        // 200000 × 0.000006 + 1 × 0.0000015 + 10 × 0.000024 = 1.2 + 0.0000015 + 0.00024 = 1.2002415.
        let result = Self.cost(TokenUsage(inputTokens: 200_001, outputTokens: 10, cachedInputTokens: 1))
        #expect(result.costUSD == dec("1.2002415"))
        #expect(Self.parts(result) == ["input 200000×0.000006", "cache_read 1×0.0000015", "output 10×0.000024"])
        // With reasoning, tier 2: 200001 × 0.000006 + 4 × 0.000024 + 6 × 0.00003
        // = 1.200006 + 0.000096 + 0.00018 = 1.200282 (never the standard 0.00001 under a tripled output price).
        let reasoning = Self.cost(TokenUsage(inputTokens: 200_001, outputTokens: 10, reasoningTokens: 6))
        #expect(reasoning.costUSD == dec("1.200282"))
        #expect(Self.parts(reasoning) == ["input 200001×0.000006", "output 4×0.000024", "reasoning 6×0.00003"])
        // Tier 1 doubles output: reasoning 0.00001 × 2 = 0.00002.
        // 200000 × 0.000004 + 4 × 0.000016 + 6 × 0.00002 = 0.8 + 0.000064 + 0.00012 = 0.800184.
        let tier1 = Self.cost(TokenUsage(inputTokens: 200_000, outputTokens: 10, reasoningTokens: 6))
        #expect(tier1.costUSD == dec("0.800184"))
        #expect(result.note == "long-context prices: 200001 tokens of context is above 200000")
    }

    @Test func openAIContextCountsCachedTokensOnce() {
        // 120000 input of which 60000 cached is 120000 tokens of context (not 180000): standard.
        // 60000 × 0.000002 + 60000 × 0.0000005 = 0.12 + 0.03 = 0.15.
        let result = Self.cost(TokenUsage(inputTokens: 120_000, outputTokens: 0, cachedInputTokens: 60_000))
        #expect(result.costUSD == dec("0.15"))
        #expect(result.note == nil)
    }

    @Test func anthropicContextIsInputPlusCacheWritesAndReads() {
        // 100000 input + 60000 writes + 40000 reads = 200000: not above 200000, standard:
        // 100000 × 0.000003 + 40000 × 0.0000002 + 60000 × 0.000004 + 1000 × 0.000015
        // = 0.3 + 0.008 + 0.24 + 0.015 = 0.563.
        let at = Self.cost("anthropic", "c-explicit", TokenUsage(
            inputTokens: 100_000, outputTokens: 1000, cacheCreationInputTokens: 60_000, cacheReadInputTokens: 40_000))
        #expect(at.costUSD == dec("0.563"))
        #expect(at.note == nil)
        // One more read: 200001 > 200000 though the input alone is 100000. The tier names input,
        // output and cache_read; the explicit 5m write price is not in the tier, so it follows
        // input's ratio: 0.000004 × (0.000006 / 0.000003 = 2) = 0.000008:
        // 100000 × 0.000006 + 40001 × 0.0000006 + 60000 × 0.000008 + 1000 × 0.0000225
        // = 0.6 + 0.0240006 + 0.48 + 0.0225 = 1.1265006.
        let above = Self.cost("anthropic", "c-explicit", TokenUsage(
            inputTokens: 100_000, outputTokens: 1000, cacheCreationInputTokens: 60_000, cacheReadInputTokens: 40_001))
        #expect(above.costUSD == dec("1.1265006"))
        #expect(Self.parts(above) == [
            "input 100000×0.000006", "cache_read 40001×0.0000006", "cache_write_5m 60000×0.000008", "output 1000×0.0000225",
        ])
        #expect(above.note == "long-context prices: 200001 tokens of context is above 200000")
    }

    @Test func anthropicRuleCachePricesFollowTheTierInput() {
        // 1000 + 200000 writes + 10000 reads = 211000 > 200000: tier input 0.000008, so
        // 5m write 1.25× = 0.00001, 1h write 2× = 0.000016, read 0.1× = 0.0000008.
        //   1000 × 0.000008   = 0.008
        //  10000 × 0.0000008  = 0.008
        // 150000 × 0.00001    = 1.5
        //  50000 × 0.000016   = 0.8
        //    100 × 0.00003    = 0.003
        //               total = 2.319
        let result = Self.cost("anthropic", "c-rule", TokenUsage(
            inputTokens: 1000, outputTokens: 100, cacheCreationInputTokens: 200_000, cacheCreation1hInputTokens: 50_000,
            cacheReadInputTokens: 10_000))
        #expect(result.costUSD == dec("2.319"))
        #expect(Self.parts(result) == [
            "input 1000×0.000008", "cache_read 10000×0.0000008", "cache_write_5m 150000×0.00001",
            "cache_write_1h 50000×0.000016", "output 100×0.00003",
        ])
    }

    // MARK: - Service tiers

    static let tierUsage = TokenUsage(inputTokens: 10_000, outputTokens: 3000, cachedInputTokens: 2000)

    static func withTier(_ tier: String?) -> TokenUsage {
        var usage = tierUsage
        usage.serviceTier = tier
        return usage
    }

    @Test func flex() {
        // 8000 × 0.000001 + 2000 × 0.00000025 + 3000 × 0.000004 = 0.008 + 0.0005 + 0.012 = 0.0205.
        let result = Self.cost(Self.withTier("flex"))
        #expect(result.costUSD == dec("0.0205"))
        #expect(Self.parts(result) == ["input 8000×0.000001", "cache_read 2000×0.00000025", "output 3000×0.000004"])
        #expect(result.note == nil)
        // The tier name is case-insensitive.
        #expect(Self.cost(Self.withTier("FLEX")).costUSD == dec("0.0205"))
    }

    @Test func priority() {
        // priority names no cache_read: the standard 0.0000005 follows input's ratio,
        // 0.0000035 / 0.000002 = 1.75, so 0.0000005 × 1.75 = 0.000000875.
        // 8000 × 0.0000035 + 2000 × 0.000000875 + 3000 × 0.000014 = 0.028 + 0.00175 + 0.042 = 0.07175.
        let result = Self.cost(Self.withTier("priority"))
        #expect(result.costUSD == dec("0.07175"))
        #expect(Self.parts(result) == ["input 8000×0.0000035", "cache_read 2000×0.000000875", "output 3000×0.000014"])
        // Reasoning follows output's ratio (0.000014 / 0.000008 = 1.75): 0.00001 × 1.75 = 0.0000175.
        // 1000 × 0.0000035 + 100 × 0.000014 + 200 × 0.0000175 = 0.0035 + 0.0014 + 0.0035 = 0.0084.
        var usage = TokenUsage(inputTokens: 1000, outputTokens: 300, reasoningTokens: 200)
        usage.serviceTier = "priority"
        #expect(Self.cost(usage).costUSD == dec("0.0084"))
        #expect(result.note == nil)
    }

    @Test(arguments: [nil, "default", "auto", "standard", "Default"] as [String?])
    func standardTierNames(tier: String?) {
        // 8000 × 0.000002 + 2000 × 0.0000005 + 3000 × 0.000008 = 0.016 + 0.001 + 0.024 = 0.041.
        let result = Self.cost(Self.withTier(tier))
        #expect(result.costUSD == dec("0.041"))
        #expect(result.note == nil)
    }

    @Test func unknownTierIsStandardWithANote() {
        // Standard, as above: 0.041.
        let result = Self.cost(Self.withTier("scale"))
        #expect(result.costUSD == dec("0.041"))
        #expect(result.note == "no 'scale' service-tier prices for 'o-test'; standard prices charged")
        // A model without any service tiers: o-plain standard, 10000 × 0.000001 + 3000 × 0.000004 = 0.01 + 0.012 = 0.022.
        let plain = Self.cost("openai", "o-plain", TokenUsage(inputTokens: 10_000, outputTokens: 3000, serviceTier: "flex"))
        #expect(plain.costUSD == dec("0.022"))
        #expect(plain.note == "no 'flex' service-tier prices for 'o-plain'; standard prices charged")
    }

    @Test func aServiceTierAboveALongContextThresholdKeepsTheLongContextPrices() {
        // 130000 > 128000: tier 1 (input 0.000004, output 0.000016); flex's prices are for standard
        // context and are not applied: 130000 × 0.000004 + 1000 × 0.000016 = 0.52 + 0.016 = 0.536.
        var usage = TokenUsage(inputTokens: 130_000, outputTokens: 1000)
        usage.serviceTier = "flex"
        let result = Self.cost(usage)
        #expect(result.costUSD == dec("0.536"))
        #expect(result.note == "long-context prices: 130000 tokens of context is above 128000; no long-context 'flex' prices for 'o-test'; long-context prices charged")
    }

    /// A model whose long-context tier has its own batch and service-tier prices (as LiteLLM's
    /// `input_cost_per_token_above_272k_tokens_priority`, `…_batches` give them).
    static let tiered = CostCalculator(catalogue: try! CatalogueJSON.read(Array("""
        {"format": "ai-usage-pricing/1", "version": "tiered", "entries": [
          {"provider": "openai", "model": "t", "effective_from": "2026-01-01",
           "prices": {"input": "0.000002", "output": "0.00001", "cache_read": "0.0000002"},
           "batch": {"input": "0.000001", "output": "0.000005"},
           "service_tiers": {"priority": {"input": "0.000004", "output": "0.00002", "cache_read": "0.0000004"}},
           "tiers": [{"above_input_tokens": 1000, "prices": {"input": "0.000004", "output": "0.000015", "cache_read": "0.0000004"},
                      "batch": {"input": "0.0000015"},
                      "service_tiers": {"priority": {"input": "0.000008", "output": "0.00003", "cache_read": "0.0000008"}}}]}]}
        """.utf8), source: "test"))

    @Test func aLongContextTierWithItsOwnBatchAndServiceTierPrices() {
        // Priority above the threshold: the tier's priority prices.
        // 2000 input of which 500 cached, 100 output:
        // 1500 × 0.000008 + 500 × 0.0000008 + 100 × 0.00003 = 0.012 + 0.0004 + 0.003 = 0.0154.
        var usage = TokenUsage(inputTokens: 2000, outputTokens: 100, cachedInputTokens: 500)
        usage.serviceTier = "priority"
        let priority = Self.cost("openai", "t", usage, calculator: Self.tiered)
        #expect(priority.costUSD == dec("0.0154"))
        #expect(Self.parts(priority) == ["input 1500×0.000008", "cache_read 500×0.0000008", "output 100×0.00003"])
        #expect(priority.note == "long-context prices: 2000 tokens of context is above 1000")
        // Batch above the threshold: the tier's batch input (0.0000015), the rest the tier's halved
        // (cache read 0.0000004 / 2 = 0.0000002, output 0.000015 / 2 = 0.0000075):
        // 1500 × 0.0000015 + 500 × 0.0000002 + 100 × 0.0000075 = 0.00225 + 0.0001 + 0.00075 = 0.0031.
        let batch = Self.cost("openai", "t", TokenUsage(inputTokens: 2000, outputTokens: 100, cachedInputTokens: 500), batch: true, calculator: Self.tiered)
        #expect(batch.costUSD == dec("0.0031"))
        #expect(Self.parts(batch) == ["input 1500×0.0000015", "cache_read 500×0.0000002", "output 100×0.0000075"])
        // At the threshold, the standard-context priority prices: 1000 × 0.000004 + 100 × 0.00002 = 0.004 + 0.002 = 0.006.
        var small = TokenUsage(inputTokens: 1000, outputTokens: 100)
        small.serviceTier = "priority"
        #expect(Self.cost("openai", "t", small, calculator: Self.tiered).costUSD == dec("0.006"))
    }

    @Test func anInputOnlyModelWithAZeroOutputPriceTakesTheWholeTotalAsInput() {
        // LiteLLM gives embeddings output_cost_per_token 0. A total-only usage of 1000 tokens is all
        // input, exactly (not split and estimated): 1000 × 0.00000013 = 0.00013.
        let calculator = CostCalculator(catalogue: try! CatalogueJSON.read(Array("""
            {"format": "ai-usage-pricing/1", "version": "e", "entries": [
              {"provider": "openai", "model": "emb", "effective_from": "2026-01-01", "prices": {"input": "0.00000013", "output": "0"}}]}
            """.utf8), source: "test"))
        let result = Self.cost("openai", "emb", TokenUsage(totalTokens: 1000), calculator: calculator)
        #expect(result.costUSD == dec("0.00013"))
        #expect(!result.isEstimated)
        // Output tokens on a zero output price cost 0, and are not refused: 10 × 0.00000013 + 5 × 0 = 0.0000013.
        #expect(Self.cost("openai", "emb", TokenUsage(inputTokens: 10, outputTokens: 5), calculator: calculator).costUSD == dec("0.0000013"))
    }

    @Test func aFollowerWhoseRatioIsNotAnExactDecimalFallsBackToTheNewPrice() {
        // cache read 0.0000001 × 0.000007 / 0.000003 is not an exact decimal (7/3 × 10⁻⁷): it is dropped
        // and, OpenAI having no cache-read rule, cached tokens cost the tier input, with a note.
        // 900 × 0.000007 + 100 × 0.000007 = 0.0063 + 0.0007 = 0.007 (never the standard 0.0000001).
        let catalogue = try! CatalogueJSON.read(Array("""
            {"format": "ai-usage-pricing/1", "version": "ratio", "entries": [
              {"provider": "openai", "model": "r", "effective_from": "2026-01-01",
               "prices": {"input": "0.000003", "output": "0.00001", "cache_read": "0.0000001"},
               "tiers": [{"above_input_tokens": 100, "prices": {"input": "0.000007", "output": "0.00002"}}]}]}
            """.utf8), source: "test")
        let result = Self.cost("openai", "r", TokenUsage(inputTokens: 1000, outputTokens: 0, cachedInputTokens: 100), calculator: CostCalculator(catalogue: catalogue))
        #expect(result.costUSD == dec("0.007"))
        #expect(Self.parts(result) == ["input 900×0.000007", "cache_read 100×0.000007"])
        #expect(result.note == "long-context prices: 1000 tokens of context is above 100; no cached-input price for 'r'; cached tokens charged at the input price")
    }

    // MARK: - Per image, per call

    @Test func perImage() {
        // 3 × 0.04 = 0.12.
        let result = Self.cost("openai", "img-test", operation: "image", TokenUsage(images: 3))
        #expect(result.costUSD == dec("0.12"))
        #expect(Self.parts(result) == ["per_image 3×0.04"])
        #expect(result.pricedAs == "img-test")
        #expect(result.pricedWith == "cost-test-1")
        #expect(result.effectiveFrom == Self.january1)
        // 0 images cost 0, with an empty breakdown.
        let none = Self.cost("openai", "img-test", operation: "image", TokenUsage(images: 0))
        #expect(none.costUSD == dec("0"))
        #expect(none.breakdown.isEmpty)
        // No image count: unknown, not free.
        let missing = Self.cost("openai", "img-test", operation: "image", TokenUsage())
        #expect(missing.costUSD == nil)
        #expect(missing.note == "model 'img-test' is priced per image and the usage has no image count")
        // The Batch API halves images as it does tokens: 3 × (0.04 × 0.5 = 0.02) = 0.06.
        let batch = Self.cost("openai", "img-test", operation: "image", TokenUsage(images: 3), batch: true)
        #expect(batch.costUSD == dec("0.06"))
        #expect(Self.parts(batch) == ["per_image 3×0.02"])
    }

    @Test func perCall() {
        // 5 × 0.017 = 0.085; the operation is matched case-insensitively.
        let result = Self.cost("google_places", "places_api", operation: "Place_Details", TokenUsage(apiCalls: 5))
        #expect(result.costUSD == dec("0.085"))
        #expect(Self.parts(result) == ["per_call 5×0.017"])
        #expect(result.pricedAs == "place_details")
        #expect(result.pricedWith == "cost-test-1")
        #expect(result.effectiveFrom == Self.january1)
        #expect(result.note == nil)
        // 0 calls: 0, with an empty breakdown.
        let zero = Self.cost("google_places", "places_api", operation: "place_details", TokenUsage(apiCalls: 0))
        #expect(zero.costUSD == dec("0"))
        #expect(zero.breakdown.isEmpty)
        // Negative: unpriced.
        let negative = Self.cost("google_places", "places_api", operation: "place_details", TokenUsage(apiCalls: -1))
        #expect(negative.costUSD == nil)
        #expect(negative.note == "apiCalls is negative (-1)")
    }

    @Test func perCallBeforeItsFirstPriceIsUnpriced() {
        // place_photo takes effect 2026-06-01; a call in February has no price (never 0).
        let early = Self.cost("google_places", "places_api", operation: "place_photo", TokenUsage(apiCalls: 1))
        #expect(early.costUSD == nil)
        #expect(early.note == "no price for operation 'place_photo' in force at 2026-02-01T00:00:00.000000+00:00 (its first price takes effect 2026-06-01)")
        #expect(early.pricedWith == nil)
        // From 2026-06-01: 1 × 0.007.
        let later = Self.cost("google_places", "places_api", operation: "place_photo", TokenUsage(apiCalls: 1), at: UTCTimestamp(year: 2026, month: 6, day: 1))
        #expect(later.costUSD == dec("0.007"))
    }

    // MARK: - Breakdown

    @Test func theBreakdownIsInUnitOrderAndSumsToTheCost() {
        // c-rule with every unit: see anthropicCacheWritesAndReadsByTheRules (0.0183).
        let result = Self.cost("anthropic", "c-rule", TokenUsage(
            inputTokens: 200, outputTokens: 100, cacheCreationInputTokens: 2000, cacheCreation1hInputTokens: 500, cacheReadInputTokens: 10_000))
        #expect(result.breakdown.map(\.unit) == [.input, .cacheRead, .cacheWrite5m, .cacheWrite1h, .output])
        #expect(result.breakdown.map(\.quantity) == [200, 10_000, 1500, 500, 100])
        #expect(result.breakdown.map(\.cost) == [dec("0.0008"), dec("0.004"), dec("0.0075"), dec("0.004"), dec("0.002")])
        // 0.0008 + 0.004 + 0.0075 + 0.004 + 0.002 = 0.0183.
        #expect(Self.sum(result) == dec("0.0183"))
        #expect(result.costUSD == Self.sum(result))
    }

    @Test func theBreakdownSumsExactlyToTheCostInEveryMode() {
        let openAI = [
            TokenUsage(inputTokens: 123_457, outputTokens: 98_765, cachedInputTokens: 23_456, reasoningTokens: 12_345),
            TokenUsage(inputTokens: 128_001, outputTokens: 7, cachedInputTokens: 3, reasoningTokens: 7),
            TokenUsage(inputTokens: 250_000, outputTokens: 1, cachedInputTokens: 0, reasoningTokens: 0),
            TokenUsage(inputTokens: 1, outputTokens: 0),
        ]
        let anthropic = [
            TokenUsage(inputTokens: 3, outputTokens: 11, cacheCreationInputTokens: 7, cacheCreation1hInputTokens: 5, cacheReadInputTokens: 13),
            TokenUsage(inputTokens: 99_999, outputTokens: 1, cacheCreationInputTokens: 100_001, cacheCreation1hInputTokens: 1, cacheReadInputTokens: 1),
        ]
        var cases: [(String, String, TokenUsage)] = []
        for usage in openAI { for model in ["o-test", "o-plain"] { cases.append(("openai", model, usage)) } }
        for usage in anthropic { for model in ["c-explicit", "c-rule"] { cases.append(("anthropic", model, usage)) } }
        for (service, model, usage) in cases {
            for tier in [nil, "flex", "priority", "scale", "batch"] as [String?] {
                var tiered = usage
                tiered.serviceTier = tier
                for batch in [false, true] {
                    let result = Self.cost(service, model, tiered, batch: batch)
                    let label = "\(model) \(tier ?? "standard") batch \(batch) \(usage)"
                    #expect(result.costUSD != nil, "\(label)")
                    #expect(result.costUSD == Self.sum(result), "\(label)")
                    #expect(!result.breakdown.contains { $0.quantity == 0 }, "\(label)")
                    #expect(result.breakdown.allSatisfy { $0.cost == ExactDecimal($0.quantity) * $0.price }, "\(label)")
                }
            }
        }
    }

    // MARK: - Version and time

    @Test func pricedWithAndEffectiveFrom() {
        // d-test in February: the 2026-01-01 entry; 1000 × 0.000002 + 500 × 0.000008 = 0.006.
        let result = Self.cost("openai", "d-test", TokenUsage(inputTokens: 1000, outputTokens: 500))
        #expect(result.costUSD == dec("0.006"))
        #expect(result.pricedWith == "cost-test-1")
        #expect(result.effectiveFrom == Self.january1)
        // A dated name resolves to the family and is priced by the entry in force.
        let dated = Self.cost("openai", "d-test-2026-01-15", TokenUsage(inputTokens: 1000, outputTokens: 500), at: UTCTimestamp(year: 2026, month: 3, day: 2))
        #expect(dated.pricedAs == "d-test")
        #expect(dated.effectiveFrom == UTCTimestamp(year: 2026, month: 3, day: 1))
        // 1000 × 0.000001 + 500 × 0.000004 = 0.001 + 0.002 = 0.003.
        #expect(dated.costUSD == dec("0.003"))
    }

    @Test func theSameCallBeforeAndAfterAPriceChange() {
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 500)
        // One microsecond before 2026-03-01T00:00:00Z: 1000 × 0.000002 + 500 × 0.000008 = 0.006.
        let before = Self.cost("openai", "d-test", usage, at: UTCTimestamp(year: 2026, month: 2, day: 28, hour: 23, minute: 59, second: 59, microsecond: 999_999))
        #expect(before.costUSD == dec("0.006"))
        #expect(before.effectiveFrom == Self.january1)
        // At 2026-03-01T00:00:00Z exactly: 1000 × 0.000001 + 500 × 0.000004 = 0.001 + 0.002 = 0.003.
        let after = Self.cost("openai", "d-test", usage, at: UTCTimestamp(year: 2026, month: 3, day: 1))
        #expect(after.costUSD == dec("0.003"))
        #expect(after.effectiveFrom == UTCTimestamp(year: 2026, month: 3, day: 1))
        #expect(after.pricedWith == "cost-test-1")
    }

    @Test func aCallBeforeAnyEntryIsUnpricedNamingTheFirstDate() {
        let result = Self.cost("openai", "d-test", TokenUsage(inputTokens: 1000, outputTokens: 500),
                               at: UTCTimestamp(year: 2025, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(result.costUSD == nil)
        #expect(result.pricedAs == "d-test")
        #expect(result.breakdown.isEmpty)
        #expect(result.pricedWith == nil)
        #expect(result.note == "no price for 'd-test' in force at 2025-12-31T23:59:59.000000+00:00 (its first price takes effect 2026-01-01)")
    }

    @Test func layersAddLaterEntriesAndReplaceSameDatedOnes() throws {
        // The upper layer's 2026-03-01 (the same instant as the lower's 2026-03-01T00:00:00Z) replaces
        // the lower's; its 2026-06-01 adds to the history; the lower's 2026-01-01 stays.
        let upper = try CatalogueJSON.read(Array("""
            {"format": "ai-usage-pricing/1", "version": "upper-1", "entries": [
              {"provider": "openai", "model": "d-test", "effective_from": "2026-03-01", "prices": {"input": "0.0000015", "output": "0.000006"}},
              {"provider": "openai", "model": "d-test", "effective_from": "2026-06-01", "prices": {"input": "0.0000005", "output": "0.000002"}}
            ]}
            """.utf8), source: "upper")
        let layered = upper.layered(over: Self.catalogue)
        #expect(layered.version == "cost-test-1+upper-1")
        let history = layered.history(provider: "openai", model: "d-test")
        #expect(history.map(\.effectiveFrom) == [Self.january1, UTCTimestamp(year: 2026, month: 3, day: 1), UTCTimestamp(year: 2026, month: 6, day: 1)])
        #expect(history.map(\.catalogueVersion) == ["cost-test-1", "upper-1", "upper-1"])

        let calculator = CostCalculator(catalogue: layered)
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 500)
        // February, the lower layer's first entry: 0.002 + 0.004 = 0.006.
        let february = Self.cost("openai", "d-test", usage, calculator: calculator)
        #expect(february.costUSD == dec("0.006"))
        #expect(february.pricedWith == "cost-test-1")
        // April, the upper's replacement of the 03-01 entry: 1000 × 0.0000015 + 500 × 0.000006 = 0.0015 + 0.003 = 0.0045
        // (not the lower's 0.003).
        let april = Self.cost("openai", "d-test", usage, at: UTCTimestamp(year: 2026, month: 4, day: 1), calculator: calculator)
        #expect(april.costUSD == dec("0.0045"))
        #expect(april.pricedWith == "upper-1")
        #expect(april.effectiveFrom == UTCTimestamp(year: 2026, month: 3, day: 1))
        // July, the upper's added entry: 1000 × 0.0000005 + 500 × 0.000002 = 0.0005 + 0.001 = 0.0015.
        let july = Self.cost("openai", "d-test", usage, at: UTCTimestamp(year: 2026, month: 7, day: 1), calculator: calculator)
        #expect(july.costUSD == dec("0.0015"))
        #expect(july.pricedWith == "upper-1")
        #expect(july.effectiveFrom == UTCTimestamp(year: 2026, month: 6, day: 1))
        // Models only the lower layer has are untouched: o-test, 0.006 as in inputAndOutput, by its alias too.
        let lowerOnly = Self.cost("openai", "o-test-alias", usage, calculator: calculator)
        #expect(lowerOnly.costUSD == dec("0.006"))
        #expect(lowerOnly.pricedAs == "o-test")
        #expect(lowerOnly.pricedWith == "cost-test-1")
    }

    // MARK: - Estimates

    @Test func anEstimatedUsageGivesAnEstimatedCost() {
        // 10 × 0.000002 + 5 × 0.000008 = 0.00002 + 0.00004 = 0.00006.
        let result = Self.cost(TokenUsage(inputTokens: 10, outputTokens: 5, isEstimated: true))
        #expect(result.costUSD == dec("0.00006"))
        #expect(result.isEstimated)
        let anthropic = Self.cost("anthropic", "c-rule", TokenUsage(inputTokens: 10, outputTokens: 5, isEstimated: true))
        // 10 × 0.000004 + 5 × 0.00002 = 0.00004 + 0.0001 = 0.00014.
        #expect(anthropic.costUSD == dec("0.00014"))
        #expect(anthropic.isEstimated)
    }

    @Test func anEstimatedPerImageOrPerCallUsageGivesAnEstimatedCost() {
        // docs/pricing.md: "counts the tracker estimated (TokenUsage.isEstimated) | priced, marked estimated".
        // 2 × 0.04 = 0.08.
        let images = Self.cost("openai", "img-test", operation: "image", TokenUsage(images: 2, isEstimated: true))
        #expect(images.costUSD == dec("0.08"))
        // 2 × 0.017 = 0.034.
        let calls = Self.cost("google_places", "places_api", operation: "place_details", TokenUsage(apiCalls: 2, isEstimated: true))
        #expect(calls.costUSD == dec("0.034"))
        #expect(images.isEstimated)
        #expect(calls.isEstimated)
    }

    // MARK: - Inconsistent counts

    @Test(arguments: [
        (TokenUsage(inputTokens: -1, outputTokens: 5), "inputTokens is negative (-1)"),
        (TokenUsage(inputTokens: 1, outputTokens: -5), "outputTokens is negative (-5)"),
        (TokenUsage(inputTokens: 10, outputTokens: 5, cachedInputTokens: -2), "cachedInputTokens is negative (-2)"),
        (TokenUsage(inputTokens: 10, outputTokens: 5, reasoningTokens: -3), "reasoningTokens is negative (-3)"),
        (TokenUsage(inputTokens: 10, outputTokens: 5, cacheReadInputTokens: -4), "cacheReadInputTokens is negative (-4)"),
        (TokenUsage(inputTokens: 10, outputTokens: 5, images: -1), "images is negative (-1)"),
        (TokenUsage(inputTokens: 1, outputTokens: 5, reasoningTokens: 6), "reasoning tokens (6) exceed output tokens (5)"),
        (TokenUsage(inputTokens: 10, outputTokens: 5, cachedInputTokens: 11), "cached input tokens (11) exceed input tokens (10)"),
    ])
    func inconsistentCountsAreUnpriced(usage: TokenUsage, note: String) {
        let result = Self.cost(usage)
        #expect(result.costUSD == nil)
        #expect(result.note == note)
        #expect(result.pricedAs == "o-test")
        #expect(result.breakdown.isEmpty)
        // Nothing priced the call, so no catalogue version is recorded for it.
        #expect(result.pricedWith == nil)
        #expect(result.effectiveFrom == nil)
    }

    @Test func anthropicInconsistentCountsAreUnpriced() {
        let negative = Self.cost("anthropic", "c-rule", TokenUsage(inputTokens: 1, outputTokens: 1, cacheCreationInputTokens: -7))
        #expect(negative.costUSD == nil)
        #expect(negative.note == "cacheCreationInputTokens is negative (-7)")
        let tooMany1h = Self.cost("anthropic", "c-rule", TokenUsage(inputTokens: 1, outputTokens: 1, cacheCreationInputTokens: 200, cacheCreation1hInputTokens: 300))
        #expect(tooMany1h.costUSD == nil)
        #expect(tooMany1h.note == "1-hour cache-write tokens (300) exceed cache-write tokens (200)")
        let negativeImages = Self.cost("openai", "img-test", operation: "image", TokenUsage(images: -2))
        #expect(negativeImages.costUSD == nil)
        #expect(negativeImages.note == "images is negative (-2)")
    }
}

