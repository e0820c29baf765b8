import ExactJSON
import Foundation
import Testing
import TestSupport

@testable import AIUsage

/// `Fixtures/litellm-prices.json`: hand-written in the format of LiteLLM's price map.
private func litellmFixture() throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent("litellm-prices.json")
    return [UInt8](try Data(contentsOf: url))
}

private func convert(_ json: String, source: String = "x.json") throws(LiteLLMImportError) -> LiteLLMImport {
    try LiteLLMImport.convert(Array(json.utf8), effectiveFrom: "2026-12-05", version: "v-test", source: source)
}

private func convertFixture() throws -> LiteLLMImport {
    try LiteLLMImport.convert(try litellmFixture(), effectiveFrom: "2026-12-05", version: "2026-12-05.1", source: "litellm")
}

private func entries(_ result: LiteLLMImport) -> [JSONValue] {
    result.catalogue["entries"]?.arrayValue ?? []
}

private func entry(_ result: LiteLLMImport, _ provider: String, _ model: String) -> JSONValue? {
    entries(result).first { $0["provider"] == .string(provider) && $0["model"] == .string(model) }
}

/// The error `convert` throws for `json`, or `nil` when it converts.
private func refusal(_ json: String) -> LiteLLMImportError? {
    do {
        _ = try convert(json)
        return nil
    } catch {
        return error
    }
}

@Suite("LiteLLM import: the fixture")
struct LiteLLMImportFixtureTests {
    @Test func catalogueHeader() throws {
        let result = try convertFixture()
        #expect(result.catalogue["format"] == "ai-usage-pricing/1")
        #expect(result.catalogue["version"] == "2026-12-05.1")
        #expect(result.catalogue.objectMembers?.map(\.key) == ["format", "version", "entries"])
    }

    @Test func theOpenAIModelWithEveryMappedField() throws {
        let result = try convertFixture()
        let expected = try JSONValue.parse(#"""
            {
              "provider": "openai",
              "model": "gpt-9",
              "effective_from": "2026-12-05",
              "prices": {"input": "0.0000025", "output": "0.00001", "cache_read": "0.00000030000000000000004", "reasoning": "0.000012"},
              "batch": {"input": "0.00000125", "output": "0.000005"},
              "service_tiers": {
                "flex": {"input": "0.00000125", "output": "0.000005", "cache_read": "0.00000015"},
                "priority": {"input": "0.000005", "output": "0.00002", "cache_read": "0.0000006000000000000001"}
              },
              "tiers": [
                {"above_input_tokens": 128000, "prices": {"input": "0.000005", "output": "0.00002", "cache_read": "0.0000006"}},
                {"above_input_tokens": 200000, "prices": {"input": "0.000008", "output": "0.00003", "cache_read": "0.0000008", "cache_write_5m": "0.00001", "cache_write_1h": "0.000016"},
                 "service_tiers": {"priority": {"input": "0.000016"}}}
              ],
              "source": "litellm"
            }
            """#)
        #expect(entry(result, "openai", "gpt-9") == expected)
    }

    @Test func theAnthropicModelWithCacheWritesAndATier() throws {
        let result = try convertFixture()
        let expected = try JSONValue.parse(#"""
            {
              "provider": "anthropic",
              "model": "claude-sonnet-9-20991231",
              "effective_from": "2026-12-05",
              "prices": {"input": "0.000003", "output": "0.000015", "cache_read": "0.0000003", "cache_write_5m": "0.00000375", "cache_write_1h": "0.000006"},
              "tiers": [
                {"above_input_tokens": 200000, "prices": {"input": "0.000006", "output": "0.0000225", "cache_read": "0.0000006", "cache_write_5m": "0.0000075", "cache_write_1h": "0.000012"}}
              ],
              "source": "litellm"
            }
            """#)
        #expect(entry(result, "anthropic", "claude-sonnet-9-20991231") == expected)
    }

    @Test func theGeminiModelLosesItsPrefixAndBothSpellingsAgree() throws {
        let result = try convertFixture()
        let gemini = try #require(entry(result, "google", "gemini-2.5-pro"))
        #expect(gemini["prices"] == ["input": "0.00000125", "output": "0.00001", "cache_read": "0.000000125"])
        // 0.0000025 here and 2.5e-06 in gpt-9's input are the same price, written the same way.
        #expect(gemini["tiers"] == [["above_input_tokens": 200000, "prices": ["input": "0.0000025", "output": "0.000015", "cache_read": "0.00000025"]]])
        #expect(entry(result, "openai", "gpt-9")?["prices"]?["input"] == "0.0000025")
        #expect(gemini["batch"] == nil)
        #expect(gemini["service_tiers"] == nil)
    }

    @Test func theImageModelIsPricedPerImage() throws {
        let result = try convertFixture()
        let image = try #require(entry(result, "openai", "dall-e-3"))
        #expect(image["prices"] == ["per_image": "0.04"])  // 0.040000000000000001 is the double 0.04
        #expect(image.objectMembers?.map(\.key) == ["provider", "model", "effective_from", "prices", "source"])
    }

    @Test func textCompletionOpenAIIsOpenAI() throws {
        let result = try convertFixture()
        #expect(entry(result, "openai", "gpt-3.5-turbo-instruct")?["prices"] == ["input": "0.0000015", "output": "0.000002"])
    }

    @Test func entriesAreSortedByProviderThenModel() throws {
        let result = try convertFixture()
        let names = entries(result).map { "\($0["provider"]?.stringValue ?? "?")/\($0["model"]?.stringValue ?? "?")" }
        #expect(names == [
            "anthropic/claude-sonnet-9-20991231",
            "google/gemini-2.5-pro",
            "openai/dall-e-3",
            "openai/gpt-3.5-turbo-instruct",
            "openai/gpt-9",
        ])
    }

    @Test func summaryCounts() throws {
        let summary = try convertFixture().summary
        #expect(summary.entriesRead == 9)
        #expect(summary.keptByProvider == ["openai": 3, "anthropic": 1, "google": 1])
        #expect(summary.kept == 5)
        #expect(summary.skippedOtherProvider == 3)  // sample_spec, azure, bedrock
        #expect(summary.skippedNoPrice == 1)  // the per-pixel dall-e-2
    }

    @Test func unknownFieldsAreCountedPerNameSortedAndOnlyForOurProviders() throws {
        let summary = try convertFixture().summary
        #expect(summary.unknownFields == [
            .init(name: "input_cost_per_audio_token", entries: 1),
            .init(name: "input_cost_per_pixel", entries: 1),
            .init(name: "output_cost_per_pixel", entries: 1),
            .init(name: "search_context_cost_per_query", entries: 1),
            .init(name: "some_new_cost_field", entries: 2),
        ])
    }

    @Test func summaryText() throws {
        let summary = try convertFixture().summary
        #expect(summary.lines == [
            "read 9 entries",
            "kept 5: anthropic 1, google 1, openai 3",
            "skipped 3 of other providers, 1 without an input or per-image price",
            "unknown fields, ignored: input_cost_per_audio_token (1), input_cost_per_pixel (1), "
                + "output_cost_per_pixel (1), search_context_cost_per_query (1), some_new_cost_field (2)",
        ])
        #expect(summary.description == summary.lines.joined(separator: "\n"))
    }

    @Test func pricesAreWrittenAsPlainDecimalStrings() throws {
        let result = try convertFixture()
        func strings(_ value: JSONValue, under key: String?) -> [String] {
            switch value {
            case .object(let members): members.flatMap { strings($0.value, under: $0.key) }
            case .array(let elements): elements.flatMap { strings($0, under: key) }
            case .number: key == "above_input_tokens" ? [] : ["number under \(key ?? "?")"]
            case .string(let text): ["provider", "model", "effective_from", "source"].contains(key) ? [] : [text]
            default: []
            }
        }
        let prices = strings(result.catalogue["entries"] ?? .null, under: nil)
        #expect(!prices.isEmpty)
        for price in prices {
            #expect(!price.contains("e") && ExactDecimal(price)?.description == price, "\(price)")
        }
    }
}

@Suite("LiteLLM import: rules")
struct LiteLLMImportRuleTests {
    @Test func shortestRoundTripDecimal() throws {
        let result = try convert(#"""
            {"m": {"litellm_provider": "openai", "input_cost_per_token": 0.10000000000000001,
                   "output_cost_per_token": 3.0000000000000004e-07, "cache_read_input_token_cost": 1E-5,
                   "output_cost_per_reasoning_token": 0, "output_cost_per_image": 1e+16}}
            """#)
        #expect(entry(result, "openai", "m")?["prices"] == [
            "input": "0.1", "output": "0.00000030000000000000004", "cache_read": "0.00001",
            "reasoning": "0", "per_image": "10000000000000000",
        ])
    }

    @Test func aNumericStringIsReadLikeANumberAndNullIsAbsent() throws {
        let result = try convert(#"""
            {"m": {"litellm_provider": "anthropic", "input_cost_per_token": "2.5e-06", "output_cost_per_token": null,
                   "cache_creation_input_token_cost": "0.0000037500"}}
            """#)
        #expect(entry(result, "anthropic", "m")?["prices"] == ["input": "0.0000025", "cache_write_5m": "0.00000375"])
    }

    @Test func onlyNullPricesMeanNoPrice() throws {
        let result = try convert(#"{"m": {"litellm_provider": "openai", "input_cost_per_token": null, "mode": "chat"}}"#)
        #expect(entries(result).isEmpty)
        #expect(result.summary.skippedNoPrice == 1)
        #expect(result.summary.unknownFields.isEmpty)
        #expect(result.summary.lines.last == "no unknown fields")
    }

    @Test func aTierWithOnlySomePrices() throws {
        let result = try convert(#"""
            {"m": {"litellm_provider": "gemini", "input_cost_per_token": 1e-06, "output_cost_per_token_above_1000k_tokens": 1e-05}}
            """#)
        #expect(entry(result, "google", "m") == [
            "provider": "google", "model": "m", "effective_from": "2026-12-05", "prices": ["input": "0.000001"],
            "tiers": [["above_input_tokens": 1000000, "prices": ["output": "0.00001"]]],
            "source": "x.json",
        ])
    }

    @Test func withoutAnInputOrPerImagePriceAnEntryIsSkipped() throws {
        // The catalogue reader needs prices.input or prices.per_image: output, batch, service-tier
        // or long-context prices alone cannot make an entry.
        let result = try convert(#"""
            {"a": {"litellm_provider": "openai", "output_cost_per_token": 1e-06},
             "b": {"litellm_provider": "openai", "input_cost_per_token_batches": 1e-06, "input_cost_per_token_flex": 1e-06},
             "c": {"litellm_provider": "anthropic", "input_cost_per_token_above_200k_tokens": 1e-06},
             "d": {"litellm_provider": "openai", "output_cost_per_image": 0.04}}
            """#)
        #expect(entries(result).map { $0["model"] } == ["d"])
        #expect(result.summary.skippedNoPrice == 3)
        #expect(result.summary.kept == 1)
    }

    @Test func modelNamesAreLowerCasedWithoutTheirProvidersPrefix() throws {
        let result = try convert(#"""
            {"OpenAI/GPT-X": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
             "anthropic/Claude-Y": {"litellm_provider": "anthropic", "input_cost_per_token": 1e-06},
             "gemini/gemini-z": {"litellm_provider": "gemini", "input_cost_per_token": 1e-06},
             "gemini/other": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}}
            """#)
        let names = entries(result).map { "\($0["provider"]?.stringValue ?? "?")/\($0["model"]?.stringValue ?? "?")" }
        #expect(names == ["anthropic/claude-y", "google/gemini-z", "openai/gemini/other", "openai/gpt-x"])
    }

    @Test func otherProvidersAreSkippedWithoutLookingAtTheirFields() throws {
        let result = try convert(#"""
            {"b": {"litellm_provider": "bedrock", "input_cost_per_token": "abc", "odd_field": 1},
             "v": {"litellm_provider": "vertex_ai-language-models", "input_cost_per_token": -1},
             "none": {"input_cost_per_token": 1e-06},
             "number": {"litellm_provider": 7, "input_cost_per_token": 1e-06}}
            """#)
        #expect(entries(result).isEmpty)
        #expect(result.summary.entriesRead == 4)
        #expect(result.summary.skippedOtherProvider == 4)
        #expect(result.summary.unknownFields.isEmpty)
    }

    @Test func tierFieldNames() {
        #expect(LiteLLMImport.slot(for: "input_cost_per_token_above_128k_tokens") == .tier(128_000, "input"))
        #expect(LiteLLMImport.slot(for: "cache_creation_input_token_cost_above_1hr_above_272k_tokens") == .tier(272_000, "cache_write_1h"))
        #expect(LiteLLMImport.slot(for: "cache_creation_input_token_cost_above_272k_tokens") == .tier(272_000, "cache_write_5m"))
        #expect(LiteLLMImport.slot(for: "input_cost_per_token_above_272k_tokens_priority") == .tierServiceTier(272_000, "priority", "input"))
        #expect(LiteLLMImport.slot(for: "cache_read_input_token_cost_above_200k_tokens_flex") == .tierServiceTier(200_000, "flex", "cache_read"))
        #expect(LiteLLMImport.slot(for: "output_cost_per_token_above_272k_tokens_batches") == .tierBatch(272_000, "output"))
        #expect(LiteLLMImport.slot(for: "cache_read_input_token_cost_batches") == .batch("cache_read"))
        #expect(LiteLLMImport.slot(for: "cache_creation_input_token_cost_priority") == .serviceTier("priority", "cache_write_5m"))
        // Tiers LiteLLM has and we do not map stay unknown fields.
        #expect(LiteLLMImport.slot(for: "input_cost_per_token_above_272k_tokens_ultrafast") == nil)
        #expect(LiteLLMImport.slot(for: "cache_creation_input_token_cost_above_12hr") == nil)
        #expect(LiteLLMImport.slot(for: "cache_creation_input_token_cost_above_1hr") == .standard("cache_write_1h"))
        for unknown in [
            "input_cost_per_token_above_0k_tokens", "input_cost_per_token_above_0128k_tokens",
            "input_cost_per_token_above_k_tokens", "input_cost_per_token_above_128_tokens",
            "input_cost_per_token_above_128k_tokens_ultrafast", "input_cost_per_character_above_128k_tokens",
            "input_cost_per_token_above_99999999999999999999k_tokens", "input_cost_per_image",
        ] {
            #expect(LiteLLMImport.slot(for: unknown) == nil, "\(unknown)")
        }
    }

    @Test func knownNonPriceFieldsAreSilent() throws {
        let result = try convert(#"""
            {"m": {"litellm_provider": "openai", "mode": "chat", "max_tokens": 1, "max_input_tokens": 1,
                   "max_output_tokens": 1, "supports_vision": true, "supported_regions": ["global"],
                   "deprecation_date": "2099-01-01", "source": "https://example.com", "metadata": {"notes": "n"},
                   "tool_use_system_prompt_tokens": 1, "input_cost_per_token": 1e-06}}
            """#)
        #expect(result.summary.unknownFields.isEmpty)
        #expect(result.summary.kept == 1)
    }
}

@Suite("LiteLLM import: refusals")
struct LiteLLMImportRefusalTests {
    @Test func anEntryThatIsNotAnObject() {
        let error = refusal(#"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}, "weird": [1, 2]}"#)
        #expect(error == LiteLLMImportError(source: "x.json", entry: "weird", problem: "is not a JSON object: [1,2]"))
        #expect(error?.description == #"litellm file 'x.json': entry "weird": is not a JSON object: [1,2]"#)
    }

    @Test func anEntryOfAnotherProviderThatIsNotAnObject() {
        #expect(refusal(#"{"azure/x": "price 1"}"#)?.description == #"litellm file 'x.json': entry "azure/x": is not a JSON object: "price 1""#)
    }

    @Test func aPriceThatIsNotANumber() {
        let error = refusal(#"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": "abc"}}"#)
        #expect(error?.entry == "gpt-4o")
        #expect(error?.field == "input_cost_per_token")
        #expect(error?.description == #"litellm file 'x.json': entry "gpt-4o": input_cost_per_token: "abc" is not a number"#)
    }

    @Test func aNegativePrice() {
        let error = refusal(#"{"claude-x": {"litellm_provider": "anthropic", "cache_read_input_token_cost": -3e-07}}"#)
        #expect(error?.description == #"litellm file 'x.json': entry "claude-x": cache_read_input_token_cost: -3e-07 is negative"#)
    }

    @Test func aBooleanPrice() {
        let error = refusal(#"{"gemini/g": {"litellm_provider": "gemini", "output_cost_per_token_batches": true}}"#)
        #expect(error?.description == #"litellm file 'x.json': entry "gemini/g": output_cost_per_token_batches: true is not a number"#)
    }

    @Test func otherBadPrices() {
        let cases: [(value: String, problem: String)] = [
            (#"{"a": 1}"#, #"{"a":1} is not a number"#),
            ("[1]", "[1] is not a number"),
            (#""NaN""#, #""NaN" is not a number"#),
            (#""inf""#, #""inf" is not a number"#),
            (#""0x1p-3""#, #""0x1p-3" is not a number"#),
            (#"" 1e-06""#, #"" 1e-06" is not a number"#),
            ("\"\"", "\"\" is not a number"),
            ("1e999", "1e999 is not a finite number"),
            (#""-1e999""#, #""-1e999" is not a finite number"#),
            ("1e-400", "1e-400 is too small to be told from zero"),
            ("5e-324", "5e-324 is outside the range of an exact decimal"),
            ("1e300", "1e300 is outside the range of an exact decimal"),
            (#""-2.5e-06""#, #""-2.5e-06" is negative"#),
        ]
        for (value, problem) in cases {
            let error = refusal(#"{"m": {"litellm_provider": "openai", "output_cost_per_image": \#(value)}}"#)
            #expect(error?.description == #"litellm file 'x.json': entry "m": output_cost_per_image: \#(problem)"#)
        }
    }

    @Test func negativeZeroIsZero() throws {
        let result = try convert(#"{"m": {"litellm_provider": "openai", "input_cost_per_token": -0.0}}"#)
        #expect(entry(result, "openai", "m")?["prices"] == ["input": "0"])
    }

    @Test func aBadPriceInATierOrServiceTier() {
        #expect(refusal(#"{"m": {"litellm_provider": "openai", "input_cost_per_token_above_200k_tokens": "x"}}"#)?.field
            == "input_cost_per_token_above_200k_tokens")
        #expect(refusal(#"{"m": {"litellm_provider": "openai", "cache_read_input_token_cost_priority": false}}"#)?.field
            == "cache_read_input_token_cost_priority")
    }

    @Test func longContextBatchAndServiceTierPricesGoIntoTheirTier() throws {
        let result = try convert(#"""
            {"gpt-x": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1.5e-05,
                       "input_cost_per_token_above_272k_tokens": 5e-06, "output_cost_per_token_above_272k_tokens": 2.25e-05,
                       "input_cost_per_token_above_272k_tokens_priority": 1e-05, "output_cost_per_token_above_272k_tokens_priority": 4.5e-05,
                       "input_cost_per_token_above_272k_tokens_batches": 2.5e-06,
                       "cache_read_input_token_cost_batches": 1.25e-07}}
            """#)
        let tiers = entry(result, "openai", "gpt-x")?["tiers"]
        #expect(tiers?.serialized() == #"[{"above_input_tokens":272000,"prices":{"input":"0.000005","output":"0.0000225"},"batch":{"input":"0.0000025"},"service_tiers":{"priority":{"input":"0.00001","output":"0.000045"}}}]"#)
        #expect(entry(result, "openai", "gpt-x")?["batch"] == ["cache_read": "0.000000125"])
        // The catalogue reads it back, and a priority call above 272000 tokens pays the tier's priority prices:
        // 300000 × 0.00001 + 1000 × 0.000045 = 3 + 0.045 = 3.045.
        let catalogue = try CatalogueJSON.read(result.catalogue.serializedBytes(), source: "x")
        var usage = TokenUsage(inputTokens: 300_000, outputTokens: 1000)
        usage.serviceTier = "priority"
        let cost = CostCalculator(catalogue: catalogue).cost(service: "openai", model: "gpt-x", operation: "chat", usage: usage, at: UTCTimestamp(year: 2026, month: 12, day: 6))
        #expect(cost.costUSD == dec("3.045"))
    }

    @Test func twoKeysForTheSameModel() throws {
        // The same prices under both keys (as LiteLLM lists sora-2 and openai/sora-2): kept once.
        let same = try convert(#"""
            {"sora-2": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
             "openai/sora-2": {"litellm_provider": "openai", "input_cost_per_token": 0.000001}}
            """#)
        #expect(same.summary.kept == 1)
        #expect(entry(same, "openai", "sora-2")?["prices"] == ["input": "0.000001"])
        #expect(same.summary.lines.contains("1 models listed twice with the same prices (with and without the provider prefix), kept once"))
        // Different prices: the prefixed key wins, whichever comes first, and the summary says so.
        for json in [
            #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}, "OpenAI/GPT-4o": {"litellm_provider": "openai", "input_cost_per_token": 2e-06}}"#,
            #"{"OpenAI/GPT-4o": {"litellm_provider": "openai", "input_cost_per_token": 2e-06}, "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}}"#,
        ] {
            let result = try convert(json)
            #expect(result.summary.kept == 1)
            #expect(entry(result, "openai", "gpt-4o")?["prices"] == ["input": "0.000002"])
            #expect(result.summary.lines.last == #"model 'gpt-4o' is listed twice with different prices: kept "OpenAI/GPT-4o", not "gpt-4o""#)
        }
        // Two keys without a prefix (case only) and different prices: nothing tells which is right.
        let error = refusal(#"""
            {"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
             "GPT-4o": {"litellm_provider": "openai", "input_cost_per_token": 2e-06}}
            """#)
        #expect(error?.description
            == #"litellm file 'x.json': entry "GPT-4o": names the same openai model 'gpt-4o' as entry "gpt-4o", with other prices"#)
    }

    @Test func theSameModelUnderDifferentProvidersIsFine() throws {
        let result = try convert(#"""
            {"x": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
             "anthropic/x": {"litellm_provider": "anthropic", "input_cost_per_token": 1e-06}}
            """#)
        #expect(result.summary.kept == 2)
    }

    @Test func aPriceFieldTwice() {
        let error = refusal(#"{"m": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "input_cost_per_token": 2e-06}}"#)
        #expect(error?.description == #"litellm file 'x.json': entry "m": input_cost_per_token: appears twice"#)
    }

    @Test func anEmptyModelName() {
        let error = refusal(#"{"openai/": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}}"#)
        #expect(error?.description == #"litellm file 'x.json': entry "openai/": the model name is empty"#)
    }

    @Test func aModelNameWithAControlCharacter() {
        let error = refusal(#"{"gpt\u0000x": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}}"#)
        #expect(error?.description.hasSuffix(": the model name has a control character") == true)
        #expect(error?.entry?.hasPrefix("gpt") == true)
    }

    @Test func notJSONOrNotAnObject() {
        #expect(refusal("{\"a\": ")?.description.hasPrefix("litellm file 'x.json': is not valid JSON: ") == true)
        #expect(refusal("[]")?.description
            == #"litellm file 'x.json': the top level must be a JSON object of models, e.g. {"gpt-4o": {…}}"#)
    }

    @Test func theSourceIsNamedShortened() {
        let long = String(repeating: "d/", count: 100) + "prices.json"
        #expect(throws: LiteLLMImportError.self) { try convert("[]", source: long) }
        do {
            _ = try convert("[]", source: long)
        } catch {
            #expect(error.description.hasPrefix("litellm file '\(long.prefix(120))…': "))
        }
    }
}
