import Foundation
import TestSupport
import Testing

@testable import AIUsage

private let calculator = CostCalculator()

private func cost(
    _ service: String, _ model: String, operation: String = "completion",
    input: Int? = nil, output: Int? = nil, total: Int? = nil, cached: Int? = nil,
    cacheWrites: Int? = nil, cacheWrites1h: Int? = nil, cacheReads: Int? = nil,
    calls: Int = 1, batch: Bool = false
) -> CostResult {
    calculator.cost(
        service: service, model: model, operation: operation,
        usage: TokenUsage(
            inputTokens: input, outputTokens: output, totalTokens: total, cachedInputTokens: cached,
            cacheCreationInputTokens: cacheWrites, cacheCreation1hInputTokens: cacheWrites1h,
            cacheReadInputTokens: cacheReads, apiCalls: calls
        ),
        isBatch: batch
    )
}

@Suite("Cost calculator: the original system's check values")
struct OriginalCheckValueTests {
    @Test func gpt4o1000In500Out() {
        let result = cost("openai", "gpt-4o", input: 1000, output: 500)
        #expect(result.costUSD == dec("0.0125"))
        #expect(result.pricedAs == "gpt-4o")
        #expect(!result.isEstimated)
        #expect(result.note == nil)
    }

    @Test func gpt4oBatchIsHalfPrice() {
        #expect(cost("openai", "gpt-4o", input: 1000, output: 500, batch: true).costUSD == dec("0.00625"))
    }

    @Test func gpt4oMiniOneAndOneIsExactAndRoundsToTheOriginalsValue() throws {
        let exact = try #require(cost("openai", "gpt-4o-mini", input: 1, output: 1).costUSD)
        #expect(exact == dec("0.00000075"))
        // The original rounded to 6 places inside the calculator; rounding half-even at output gives its value.
        #expect(exact.rounded(scale: 6) == dec("0.000001"))
    }

    @Test func embeddingTotalOfSevenIsNotZero() {
        let result = cost("openai", "text-embedding-3-small", operation: "embedding", total: 7)
        #expect(result.costUSD == dec("0.00000014"))  // the original: 0.0 (rounded away)
        #expect(!result.isEstimated)  // input-only model: the whole total is input, exactly
    }

    @Test func claude35SonnetTotalOnlyIsSplit30To70AndEstimated() {
        let result = cost("anthropic", "claude-3.5-sonnet", total: 1000)
        #expect(result.costUSD == dec("0.0114"))
        #expect(result.isEstimated)
        #expect(result.note?.contains("estimated") == true)
    }

    @Test func gpt4oTotalOnlyIsSplitInHalfAndEstimated() {
        let result = cost("openai", "gpt-4o", total: 1000)
        #expect(result.costUSD == dec("0.01"))
        #expect(result.isEstimated)
    }

    @Test func gpt4oInputWithZeroOutputStillCostsItsInput() {
        let result = cost("openai", "gpt-4o", input: 1000, output: 0)
        #expect(result.costUSD == dec("0.005"))  // the original: 0.0
        #expect(result.note == nil)
    }

    @Test func googlePlaceDetailsOneCall() {
        let result = cost("google_places", "places_api", operation: "place_details")
        #expect(result.costUSD == dec("0.017"))
        #expect(result.pricedAs == "place_details")
    }

    @Test func googlePlacesUnknownOperationIsUnpriced() {
        let result = cost("google_places", "places_api", operation: "place_lookup")
        #expect(result.costUSD == nil)
        #expect(result.note == "no price for operation 'place_lookup' of service 'google_places'")
    }

    @Test func githubClaudeReviewEstimate() {
        // The original's track_github_claude_review: in = int(0.7 × 5000), out = the rest, claude-3-opus → $0.165.
        #expect(cost("anthropic", "claude-3-opus", input: 3500, output: 1500).costUSD == dec("0.165"))
    }

    @Test func originalIntegrationTestValues() {
        #expect(cost("openai", "gpt-3.5-turbo", input: 100, output: 50).costUSD == dec("0.000125"))
        #expect(cost("openai", "gpt-3.5-turbo", input: 1000, output: 500, batch: true).costUSD == dec("0.000625"))
        #expect(cost("anthropic", "claude-3-opus-20240229", input: 150, output: 75).costUSD == dec("0.007875"))
    }
}

@Suite("Cost calculator: the original's defects, fixed")
struct FixedDefectTests {
    @Test func datedNamesResolveToTheirFamilyInsteadOfNoCost() {
        // The original matched OpenAI models exactly, so the tracker's response.model gave no cost.
        let mini = cost("openai", "gpt-4o-mini-2024-07-18", input: 1000, output: 1000)
        #expect(mini.pricedAs == "gpt-4o-mini")
        #expect(mini.costUSD == dec("0.00075"))
        let first = cost("openai", "gpt-4o-2024-05-13", input: 1000, output: 500)
        #expect(first.pricedAs == "gpt-4o")
        #expect(first.costUSD == dec("0.0125"))
    }

    @Test func substringMatchingIsGone() {
        // The original priced "claude-3" as claude-3-opus (`key in model or model in key`).
        let result = cost("anthropic", "claude-3", input: 1000, output: 1000)
        #expect(result.costUSD == nil)
        #expect(result.pricedAs == nil)
        #expect(result.note == "no price for model 'claude-3' of service 'anthropic'")
        #expect(cost("anthropic", "sonnet", input: 1, output: 1).costUSD == nil)
        #expect(cost("openai", "4o", input: 1, output: 1).costUSD == nil)
    }

    @Test func unknownModelIsNilWithAReasonNeverZero() {
        let result = cost("openai", "foo", input: 10, output: 10)
        #expect(result.costUSD == nil)
        #expect(result.note == "no price for model 'foo' of service 'openai'")
        let service = cost("mistral", "mistral-large", input: 10, output: 10)
        #expect(service.costUSD == nil)
        #expect(service.note == "no prices for service 'mistral'")
    }

    @Test func noRoundingInsideTheCalculator() {
        // 1 token of gpt-4.1-nano input: $0.10 / 1M = 0.0000001, which round(…, 6) made 0.
        #expect(cost("openai", "gpt-4.1-nano", input: 1, output: 0).costUSD == dec("0.0000001"))
        #expect(cost("anthropic", "claude-3-haiku", input: 3, output: 7).costUSD == dec("0.0000095"))
    }

    @Test func batchDiscountAppliesToEmbeddingsAndAnthropic() {
        #expect(cost("openai", "text-embedding-3-large", operation: "embedding", input: 1000, output: 0, batch: true).costUSD == dec("0.000065"))
        // Anthropic's Message Batches API is half price too (the original never discounted it).
        #expect(cost("anthropic", "claude-sonnet-4", input: 1000, output: 1000, batch: true).costUSD == dec("0.009"))
    }

    @Test func batchHasNoMeaningForPlaces() {
        let result = cost("google_places", "places_api", operation: "geocoding", batch: true)
        #expect(result.costUSD == dec("0.005"))
        #expect(result.note == "service 'google_places' has no batch discount; standard price charged")
    }

    @Test func placesArePricedPerCallTimesCalls() {
        #expect(cost("google_places", "places_api", operation: "place_search", calls: 3).costUSD == dec("0.096"))
        #expect(cost("google_places", "places_api", operation: "place_autocomplete", calls: 10).costUSD == dec("0.0283"))
        #expect(cost("google_places", "places_api", operation: "PLACE_PHOTO", calls: 2).costUSD == dec("0.014"))
        #expect(cost("google_places", "places_api", operation: "place_details", calls: 0).costUSD == .zero)
    }

    @Test func nothingToPriceIsNilNotZero() {
        let result = cost("openai", "gpt-4o")
        #expect(result.costUSD == nil)
        #expect(result.note == "usage has no token counts")
        #expect(result.pricedAs == "gpt-4o")
    }

    @Test func zeroTokensCostZero() {
        #expect(cost("openai", "gpt-4o", input: 0, output: 0).costUSD == .zero)
        #expect(cost("openai", "gpt-4o", total: 0).costUSD == .zero)
    }
}

@Suite("Model name resolution")
struct ModelResolutionTests {
    private func pricedAs(_ service: String, _ model: String) -> String? {
        PricingCatalogue.builtIn.resolve(model, provider: service)?.model
    }

    @Test(arguments: [
        ("openai", "gpt-4o-2024-05-13", "gpt-4o"),
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai", "gpt-4-0613", "gpt-4"),
        ("openai", "gpt-4-turbo-2024-04-09", "gpt-4-turbo"),
        ("openai", "gpt-4.1-2025-04-14", "gpt-4.1"),
        ("openai", "gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("openai", "gpt-3.5-turbo-16k-0613", "gpt-3.5-turbo-16k"),
        ("openai", "o3-mini-2025-01-31", "o3-mini"),
        ("openai", "o4-mini-2025-04-16", "o4-mini"),
        ("openai", "gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("openai", "gpt-4o-latest", "gpt-4o"),
        ("anthropic", "claude-3-5-sonnet-20240620", "claude-3-5-sonnet"),
        ("anthropic", "claude-3-5-haiku-20241022", "claude-3-5-haiku"),
        ("anthropic", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet"),
        ("anthropic", "claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("anthropic", "claude-opus-4-20250514", "claude-opus-4"),
        ("anthropic", "claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic", "claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("anthropic", "claude-opus-4-5-20251101", "claude-opus-4-5"),
    ])
    func datedSnapshotResolvesToLongestFamily(service: String, model: String, family: String) {
        #expect(pricedAs(service, model) == family)
    }

    @Test func exactNameBeatsAPrefix() throws {
        // Both "claude-3-opus" and "claude-3-opus-20240229" are entries: the exact one wins.
        let match = try #require(PricingCatalogue.builtIn.resolve("claude-3-opus-20240229", provider: "anthropic"))
        #expect(match.model == "claude-3-opus-20240229")
        #expect(match.rule == .exact)
        // gpt-4o-2024-08-06 has its own (current) price, not the original gpt-4o price.
        let snapshot = cost("openai", "gpt-4o-2024-08-06", input: 1000, output: 500)
        #expect(snapshot.pricedAs == "gpt-4o-2024-08-06")
        #expect(snapshot.costUSD == dec("0.0075"))
        #expect(pricedAs("openai", "gpt-4o-mini") == "gpt-4o-mini")
    }

    @Test func familyMatchIsMarkedInexact() throws {
        let match = try #require(PricingCatalogue.builtIn.resolve("gpt-4o-2024-05-13", provider: "openai"))
        #expect(match.rule == .snapshotSuffix)
        #expect(match.explanation == "gpt-4o-2024-05-13 → gpt-4o (dated or -latest suffix removed)")
    }

    @Test(arguments: [
        ("openai", "gpt-4o1"),  // no "-" boundary after gpt-4o
        ("openai", "gpt-4oo-2024-05-13"),
        ("openai", "gpt-4.5-preview"),  // "gpt-4" is followed by "."
        ("openai", "o3-pro"),  // a different model, not a snapshot of o3
        ("openai", "o1-mini"),
        ("openai", "gpt-5-pro-2025-10-06"),
        ("openai", "gpt-4o-audio-preview"),
        ("openai", "gpt-4-0613x"),
        ("openai", "gpt-4-06"),
        ("openai", "gpt-4o-"),
        ("anthropic", "claude-3"),
        ("anthropic", "claude-opus-4-8"),  // not claude-opus-4 (a different price tier)
        ("anthropic", "claude-sonnet-4-6-20260101"),
        ("anthropic", "claude"),
    ])
    func variantsAndFragmentsDoNotMatch(service: String, model: String) {
        #expect(pricedAs(service, model) == nil)
    }

    @Test func matchingIgnoresCase() {
        #expect(pricedAs("OpenAI", "GPT-4o-2024-05-13") == "gpt-4o")
        #expect(cost("OPENAI", "GPT-4O", input: 1000, output: 500).costUSD == dec("0.0125"))
    }

    @Test func snapshotSuffixes() {
        for suffix in ["-20241022", "-2024-08-06", "-0613", "-latest"] {
            #expect(PricingCatalogue.isSnapshotSuffix(Substring(suffix)), "\(suffix)")
        }
        for suffix in ["", "-", "20241022", "-mini", "-5", "-4-5", "-2024-08", "-2024-8-06", "-123456789", "-latest-2", "-v2"] {
            #expect(!PricingCatalogue.isSnapshotSuffix(Substring(suffix)), "\(suffix)")
        }
    }
}

@Suite("Cached and cache-write tokens")
struct CacheTokenTests {
    @Test func openAICachedTokensAreASubsetOfInput() {
        // gpt-4.1: 600 uncached × $2 + 400 cached × $0.50 + 100 out × $8, per 1M.
        #expect(cost("openai", "gpt-4.1", input: 1000, output: 100, cached: 400).costUSD == dec("0.0022"))
        // All cached.
        #expect(cost("openai", "gpt-4o-2024-08-06", input: 2006, output: 300, cached: 1920).costUSD == dec("0.0056150"))
    }

    @Test func cachedTokensWithoutACachedPriceAreChargedAtInputWithANote() {
        let result = cost("openai", "gpt-4o", input: 1000, output: 0, cached: 500)
        #expect(result.costUSD == dec("0.005"))
        #expect(result.note == "no cached-input price for 'gpt-4o'; cached tokens charged at the input price")
    }

    @Test func cachedMoreThanInputIsUnpriced() {
        let result = cost("openai", "gpt-4.1", input: 10, output: 1, cached: 11)
        #expect(result.costUSD == nil)
        #expect(result.note == "cached input tokens (11) exceed input tokens (10)")
    }

    @Test func anthropicCacheTokensAreInAdditionToInput() {
        // claude-sonnet-4: 100 in × $3 + 1000 writes × $3.75 + 2000 reads × $0.30 + 50 out × $15, per 1M.
        let result = cost("anthropic", "claude-sonnet-4-20250514", input: 100, output: 50, cacheWrites: 1000, cacheReads: 2000)
        #expect(result.costUSD == dec("0.0054"))
        #expect(result.note == nil)
    }

    @Test func oneHourCacheWritesCostTwiceInput() {
        // 600 five-minute writes × $3.75 + 400 one-hour writes × $6, per 1M.
        #expect(cost("anthropic", "claude-sonnet-4", input: 0, output: 0, cacheWrites: 1000, cacheWrites1h: 400).costUSD == dec("0.00465"))
        #expect(cost("anthropic", "claude-sonnet-4", input: 0, output: 0, cacheWrites: 1, cacheWrites1h: 2).costUSD == nil)
    }

    @Test func explicitCachePricesWinOverTheRule() {
        // Claude Haiku 3 publishes $0.30 writes and $0.03 reads per 1M (the rule would give 0.3125 and 0.025).
        #expect(cost("anthropic", "claude-3-haiku-20240307", input: 0, output: 0, cacheWrites: 1_000_000).costUSD == dec("0.30"))
        #expect(cost("anthropic", "claude-3-haiku-20240307", input: 0, output: 0, cacheReads: 1_000_000).costUSD == dec("0.03"))
        // Claude Haiku 3.5: $1 writes, $0.08 reads.
        #expect(cost("anthropic", "claude-3-5-haiku-20241022", input: 0, output: 0, cacheWrites: 1_000_000, cacheReads: 1_000_000).costUSD == dec("1.08"))
    }

    @Test func ruleDerivedCachePrices() {
        // claude-3-opus: $15 input → writes 18.75, reads 1.50 per 1M.
        #expect(cost("anthropic", "claude-3-opus", input: 0, output: 0, cacheWrites: 1_000_000, cacheReads: 1_000_000).costUSD == dec("20.25"))
    }

    @Test func batchHalvesCacheTokensToo() {
        #expect(cost("openai", "gpt-4.1", input: 1000, output: 100, cached: 400, batch: true).costUSD == dec("0.0011"))
    }
}

@Suite("Partial usage")
struct PartialUsageTests {
    @Test func missingOutputIsDerivedFromTheTotal() {
        let result = cost("openai", "gpt-4o", input: 1000, total: 1500)
        #expect(result.costUSD == dec("0.0125"))
        #expect(!result.isEstimated)
        #expect(result.note == "output tokens derived from total tokens")
    }

    @Test func missingInputIsDerivedFromTheTotal() {
        let result = cost("openai", "gpt-4o", output: 500, total: 1500)
        #expect(result.costUSD == dec("0.0125"))
        #expect(result.note == "input tokens derived from total tokens")
    }

    @Test func anthropicTotalIncludesCacheTokensWhenDeriving() {
        // total 2150 = 100 input + 1000 writes + 1000 reads + 50 output.
        let result = cost("anthropic", "claude-sonnet-4", input: 100, total: 2150, cacheWrites: 1000, cacheReads: 1000)
        #expect(result.costUSD == dec("0.0051"))
    }

    @Test func missingOutputWithoutTotalCountsAsZeroWithANote() {
        let result = cost("openai", "gpt-4o", input: 1000)
        #expect(result.costUSD == dec("0.005"))
        #expect(result.note == "output token count missing; counted as 0")
    }

    @Test func oddTotalSplitsWithTheRemainderToOutput() {
        // 1001 → 500 in, 501 out (the original's total // 2).
        #expect(cost("openai", "gpt-4o", total: 1001).costUSD == dec("0.010015"))
        // 1001 → int(0.3 × 1001) = 300 in, 701 out.
        #expect(cost("anthropic", "claude-3-5-sonnet", total: 1001).costUSD == dec("0.011415"))
    }

    @Test func splitNeverOverflows() {
        let split = TotalTokenSplit.thirtySeventy.split(Int.max)
        #expect(split.input == Int.max / 10 * 3 + Int.max % 10 * 3 / 10)
        #expect(split.input + split.output == Int.max)
    }

    @Test func embeddingsCannotPriceOutput() {
        let result = cost("openai", "text-embedding-ada-002", input: 10, output: 5)
        #expect(result.costUSD == nil)
        #expect(result.note == "model 'text-embedding-ada-002' has no output price but the usage has 5 output tokens")
    }

    @Test func negativeCountsAreUnpriced() {
        let result = cost("openai", "gpt-4o", input: -1, output: 5)
        #expect(result.costUSD == nil)
        #expect(result.note == "inputTokens is negative (-1)")
        #expect(cost("google_places", "places_api", operation: "geocoding", calls: -1).costUSD == nil)
    }

    @Test func hugeCountsStayExact() {
        #expect(cost("openai", "gpt-4", input: 1_000_000_000_000, output: 0).costUSD == dec("30000000"))
    }
}

@Suite("Built-in table")
struct BuiltInTableTests {
    private func price(_ service: String, _ model: String) -> PriceSet? {
        PricingCatalogue.builtIn.entry(provider: service, model: model, at: .now())?.prices
    }

    @Test func everyOriginalModelKeepsItsPricePerThousand() throws {
        let openAI: [(String, String, String?)] = [
            ("gpt-3.5-turbo", "0.0005", "0.0015"), ("gpt-3.5-turbo-16k", "0.0005", "0.0015"),
            ("gpt-3.5-turbo-0125", "0.0005", "0.0015"), ("gpt-3.5-turbo-1106", "0.0010", "0.0020"),
            ("gpt-4", "0.03", "0.06"), ("gpt-4-32k", "0.06", "0.12"), ("gpt-4-turbo", "0.01", "0.03"),
            ("gpt-4-turbo-preview", "0.01", "0.03"), ("gpt-4-1106-preview", "0.01", "0.03"),
            ("gpt-4o", "0.005", "0.015"), ("gpt-4o-mini", "0.00015", "0.0006"),
            ("text-embedding-3-small", "0.00002", nil), ("text-embedding-3-large", "0.00013", nil),
            ("text-embedding-ada-002", "0.0001", nil), ("text-davinci-003", "0.02", "0.02"),
        ]
        let anthropic: [(String, String, String?)] = [
            ("claude-3-opus-20240229", "0.015", "0.075"), ("claude-3-opus", "0.015", "0.075"),
            ("claude-opus-4", "0.015", "0.075"), ("claude-3.5-sonnet", "0.003", "0.015"),
            ("claude-3-5-sonnet-20241022", "0.003", "0.015"), ("claude-3-sonnet-20240229", "0.003", "0.015"),
            ("claude-3-sonnet", "0.003", "0.015"), ("claude-3-haiku-20240307", "0.00025", "0.00125"),
            ("claude-3-haiku", "0.00025", "0.00125"), ("claude-2.1", "0.008", "0.024"),
            ("claude-2.0", "0.008", "0.024"), ("claude-instant-1.2", "0.0008", "0.0024"),
        ]
        for (service, rows) in [("openai", openAI), ("anthropic", anthropic)] {
            for (model, input, output) in rows {
                let entry = try #require(price(service, model), "\(model)")
                #expect(entry[.input].map { $0 * 1000 } == dec(input), "\(model)")
                #expect(entry[.output].map { $0 * 1000 } == output.map { dec($0) }, "\(model)")
            }
        }
        let places = PricingCatalogue.builtIn.entries.filter { $0.provider == "google_places" }
        #expect(Dictionary(uniqueKeysWithValues: places.map { ($0.model, $0.prices) }) == [
            "place_details": PriceSet([.perCall: dec("0.017")]), "place_search": PriceSet([.perCall: dec("0.032")]),
            "place_autocomplete": PriceSet([.perCall: dec("0.00283")]), "place_photo": PriceSet([.perCall: dec("0.007")]),
            "geocoding": PriceSet([.perCall: dec("0.005")]),
        ])
    }

    @Test func addedModelsPerMillion() throws {
        let rows: [(String, String, String, String?, String?)] = [
            ("openai", "gpt-4.1", "2.00", "0.50", "8.00"),
            ("openai", "gpt-4.1-mini", "0.40", "0.10", "1.60"),
            ("openai", "gpt-4.1-nano", "0.10", "0.025", "0.40"),
            ("openai", "gpt-4o-2024-08-06", "2.50", "1.25", "10.00"),
            ("openai", "gpt-4o-2024-11-20", "2.50", "1.25", "10.00"),
            ("openai", "gpt-4o-mini", "0.15", "0.075", "0.60"),
            ("openai", "o1", "15", "7.50", "60"),
            ("openai", "o3", "2", "0.50", "8"),
            ("openai", "o3-mini", "1.10", "0.55", "4.40"),
            ("openai", "o4-mini", "1.10", "0.275", "4.40"),
            ("openai", "gpt-5", "1.25", "0.125", "10"),
            ("openai", "gpt-5-mini", "0.25", "0.025", "2"),
            ("openai", "gpt-5-nano", "0.05", nil, "0.40"),
            ("anthropic", "claude-3-5-sonnet", "3", nil, "15"),
            ("anthropic", "claude-3-5-haiku", "0.80", nil, "4"),
            ("anthropic", "claude-3-7-sonnet", "3", nil, "15"),
            ("anthropic", "claude-sonnet-4", "3", nil, "15"),
            ("anthropic", "claude-sonnet-4-5", "3", nil, "15"),
            ("anthropic", "claude-opus-4-1", "15", nil, "75"),
            ("anthropic", "claude-opus-4-5", "5", nil, "25"),
            ("anthropic", "claude-opus-4-6", "5", nil, "25"),
            ("anthropic", "claude-opus-4-7", "5", nil, "25"),
            ("anthropic", "claude-haiku-4-5", "1", nil, "5"),
            ("anthropic", "claude-sonnet-5", "2", nil, "10"),
        ]
        let million = dec("1000000")
        for (service, model, input, cached, output) in rows {
            let entry = try #require(price(service, model), "\(model)")
            #expect(entry[.input].map { $0 * million } == dec(input), "\(model)")
            #expect(service == "anthropic" || entry[.cacheRead].map { $0 * million } == cached.map { dec($0) }, "\(model)")
            #expect(entry[.output].map { $0 * million } == output.map { dec($0) }, "\(model)")
        }
        // Anthropic cache prices, explicit or by rule, per 1M: (5m write, 1h write, read).
        let cache: [(String, String, String, String)] = [
            ("claude-opus-4-1", "18.75", "30", "1.50"), ("claude-sonnet-4", "3.75", "6", "0.30"),
            ("claude-3-7-sonnet", "3.75", "6", "0.30"), ("claude-3-5-haiku", "1", "1.6", "0.08"),
            ("claude-3-haiku", "0.30", "0.50", "0.03"), ("claude-opus-4-5", "6.25", "10", "0.50"),
            ("claude-haiku-4-5", "1.25", "2", "0.10"), ("claude-sonnet-5", "2.50", "4", "0.20"),
        ]
        for (model, write, write1h, read) in cache {
            // What 100,000 tokens of each kind cost, through the calculator, × 10 (a million would
            // cross the 200K long-context threshold of the models that have one).
            #expect(cost("anthropic", model, input: 0, output: 0, cacheWrites: 100_000).costUSD.map { $0 * 10 } == dec(write), "\(model)")
            #expect(cost("anthropic", model, input: 0, output: 0, cacheWrites: 100_000, cacheWrites1h: 100_000).costUSD.map { $0 * 10 } == dec(write1h), "\(model)")
            #expect(cost("anthropic", model, input: 0, output: 0, cacheReads: 100_000).costUSD.map { $0 * 10 } == dec(read), "\(model)")
        }
    }

    @Test func serviceRules() throws {
        #expect(ServiceRules.of("openai").batchMultiplier == dec("0.5"))
        #expect(ServiceRules.of("openai").totalOnlySplit == .half)
        #expect(ServiceRules.of("anthropic").batchMultiplier == dec("0.5"))
        #expect(ServiceRules.of("anthropic").totalOnlySplit == .thirtySeventy)
        #expect(ServiceRules.of("google_places").batchMultiplier == nil)
    }

    @Test func theBuiltInCatalogueIsTheDataFile() throws {
        // The embedded copy (BuiltInCatalogueData, made at build time) is pricing/catalogue.json.
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pricing/catalogue.json").standardized
        let fromFile = try PricingCatalogue.read(file: file.path)
        #expect(fromFile == PricingCatalogue.builtIn)
        #expect(PricingCatalogue.builtIn.version == "builtin-2026-12-05")
        #expect(PricingCatalogue.builtIn.entries.allSatisfy { $0.catalogueVersion == "builtin-2026-12-05" })
    }

    @Test func o3HasItsLaunchPriceAndItsCut() {
        // 1M in + 1M out: $10 + $40 at launch (2025-04-16), $2 + $8 from the cut of 2025-06-10.
        let usage = TokenUsage(inputTokens: 1_000_000, outputTokens: 1_000_000)
        func o3(_ y: Int, _ m: Int, _ d: Int) -> ExactDecimal? {
            calculator.cost(service: "openai", model: "o3", operation: "completion", usage: usage, at: UTCTimestamp(year: y, month: m, day: d)).costUSD
        }
        #expect(o3(2025, 5, 1) == dec("50"))
        #expect(o3(2025, 6, 9) == dec("50"))
        #expect(o3(2025, 6, 10) == dec("10"))
        #expect(o3(2025, 4, 15) == nil)
    }
}

@Suite("Pricing override file")
struct PricingFileTests {
    /// A file in a fresh temporary directory, removed at the end of the test.
    private func withFile<T>(_ contents: String, _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pricing-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("prices.json")
        try Data(contents.utf8).write(to: file)
        return try body(file.path)
    }

    private let example = """
        {
          "openai": {
            "gpt-4o": {"input_per_million": "2.50", "output_per_million": "10.00", "cached_input_per_million": "1.25"},
            "ft:gpt-4o-mini:acme": {"input_per_million": 0.30, "output_per_million": 1.20},
            "gpt-3.5-turbo": null
          },
          "anthropic": {
            "claude-sonnet-4": {"input_per_million": 3, "output_per_million": 15, "cache_write_per_million": "3.75",
                                "cache_write_1h_per_million": "6", "cache_read_per_million": "0.30"}
          },
          "google_places": {"place_details": {"per_call": "0.02"}, "text_search": {"per_call": 0.032}},
          "mistral": {"mistral-large": {"input_per_million": "2", "output_per_million": "6"}}
        }
        """

    @Test func environmentVariableNamesTheFile() throws {
        let table = try withFile(example) { path in
            try PricingCatalogue.load(environment: ["AI_USAGE_PRICING_FILE": path])
        }
        let calculator = CostCalculator(catalogue: table)
        func price(_ service: String, _ model: String, _ operation: String, _ usage: TokenUsage) -> ExactDecimal? {
            calculator.cost(service: service, model: model, operation: operation, usage: usage).costUSD
        }
        // Overridden.
        #expect(price("openai", "gpt-4o", "completion", TokenUsage(inputTokens: 1000, outputTokens: 500)) == dec("0.0075"))
        #expect(price("openai", "gpt-4o-2024-05-13", "completion", TokenUsage(inputTokens: 1000, outputTokens: 500, cachedInputTokens: 1000)) == dec("0.00625"))
        #expect(price("google_places", "places_api", "place_details", TokenUsage()) == dec("0.02"))
        // Extended, numbers read exactly.
        #expect(price("openai", "ft:gpt-4o-mini:acme", "completion", TokenUsage(inputTokens: 1_000_000, outputTokens: 1_000_000)) == dec("1.50"))
        #expect(price("google_places", "places_api", "text_search", TokenUsage(apiCalls: 2)) == dec("0.064"))
        #expect(price("mistral", "mistral-large-2411", "completion", TokenUsage(inputTokens: 1_000_000, outputTokens: 0)) == dec("2"))
        #expect(price("mistral", "mistral-large-latest-x", "completion", TokenUsage(inputTokens: 1, outputTokens: 0)) == nil)
        #expect(price("mistral", "mistral-large", "completion", TokenUsage(inputTokens: 1_000_000, outputTokens: 0)) == dec("2"))
        // Removed.
        #expect(price("openai", "gpt-3.5-turbo", "completion", TokenUsage(inputTokens: 1, outputTokens: 1)) == nil)
        // Untouched.
        #expect(price("openai", "gpt-4o-mini", "completion", TokenUsage(inputTokens: 1, outputTokens: 1)) == dec("0.00000075"))
        let sonnet = try #require(table.entry(provider: "anthropic", model: "claude-sonnet-4", at: .now()))
        #expect(sonnet.prices[.cacheWrite1h] == dec("0.000006"))
        // The legacy entry replaced the model's whole history, long-context tier included.
        #expect(sonnet.tiers.isEmpty)
        #expect(table.history(provider: "anthropic", model: "claude-sonnet-4").count == 1)
        // A new service keeps the defaults of a service: 50/50 split, no batch discount.
        #expect(ServiceRules.of("mistral").totalOnlySplit == .half)
        #expect(ServiceRules.of("mistral").batchMultiplier == nil)
    }

    @Test func noVariableOrEmptyMeansTheBuiltInTable() throws {
        #expect(try PricingCatalogue.load(environment: [:]) == .builtIn)
        #expect(try PricingCatalogue.load(environment: ["AI_USAGE_PRICING_FILE": ""]) == .builtIn)
    }

    @Test func missingFileIsAnErrorNamingIt() {
        let path = "/nonexistent-\(UUID().uuidString)/prices.json"
        do throws(PricingFileError) {
            _ = try PricingCatalogue.load(environment: ["AI_USAGE_PRICING_FILE": path])
            Issue.record("expected an error for a missing file")
        } catch {
            #expect(error.path == path)
            #expect(error.description == "AI_USAGE_PRICING_FILE: pricing file '\(path)': cannot be read: No such file or directory")
        }
    }

    @Test func directoryIsAnErrorNamingIt() {
        let path = FileManager.default.temporaryDirectory.path
        do throws(PricingFileError) {
            _ = try PricingCatalogue.load(file: path)
            Issue.record("expected an error for a directory")
        } catch {
            #expect(error.description == "pricing file '\(path)': cannot be read: Is a directory")
        }
    }

    @Test(arguments: [
        ("{\"openai\": {\"gpt-4o\": {\"input_per_million\": \"2.50\",}}}", "is not valid JSON"),
        ("[1, 2]", "the top level must be a JSON object"),
        ("{\"openai\": [1]}", "'openai' must be an object of models or operations"),
        ("{\"openai\": {\"gpt-4o\": 2.5}}", "openai.gpt-4o must be an object of prices (or null to remove it)"),
        ("{\"openai\": {\"gpt-4o\": {\"input_per_milion\": 2.5}}}", "openai.gpt-4o: unknown field 'input_per_milion'"),
        ("{\"openai\": {\"gpt-4o\": {\"input_per_million\": \"2,50\"}}}", "openai.gpt-4o.input_per_million: \"2,50\" is not a decimal number"),
        ("{\"openai\": {\"gpt-4o\": {\"input_per_million\": true}}}", "openai.gpt-4o.input_per_million must be a number or a decimal string, not true"),
        ("{\"openai\": {\"gpt-4o\": {\"input_per_million\": -1}}}", "openai.gpt-4o.input_per_million: a price cannot be negative (-1)"),
        ("{\"openai\": {\"gpt-4o\": {\"output_per_million\": 10}}}", "openai.gpt-4o needs input_per_million (token-priced) or per_call (priced per call)"),
        ("{\"google_places\": {\"geocoding\": {\"per_call\": 0.005, \"input_per_million\": 1}}}", "google_places.geocoding: per_call cannot be combined with token prices"),
        ("{\"openai\": {\"gpt-4o\": {\"input_per_million\": 1}, \"GPT-4O\": null}}", "'openai.GPT-4O' appears twice"),
        ("{\"openai\": {}, \"OpenAI\": {}}", "service 'openai' appears twice"),
    ])
    func malformedFileIsAClearError(contents: String, problem: String) throws {
        try withFile(contents) { path in
            do throws(PricingFileError) {
                _ = try PricingCatalogue.load(file: path)
                Issue.record("expected an error for \(contents)")
            } catch {
                #expect(error.path == path)
                #expect(error.problem.hasPrefix(problem), "\(error.problem)")
                #expect(error.description.hasPrefix("pricing file '\(path)': \(problem)"))
            }
        }
    }

    @Test func appliesOnTopOfAGivenBase() throws {
        let base = PricingCatalogue(version: "base", entries: [
            CatalogueEntry(provider: "openai", model: "m", effectiveFrom: UTCTimestamp(microsecondsSinceEpoch: 0), prices: PriceSet([.input: 1, .output: 1])),
        ])
        let layer = try CatalogueJSON.read(Array("{\"openai\": {\"n\": {\"input_per_million\": 1000000}}}".utf8), source: "inline")
        let table = layer.layered(over: base)
        #expect(table.entries.map(\.model) == ["m", "n"])
        #expect(table.entry(provider: "openai", model: "n", at: .now())?.prices[.input] == 1)
        #expect(table.version.hasPrefix("base+file-"))
    }
}
