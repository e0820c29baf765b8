import AIUsage
import Testing
import TestSupport

/// What `ai-usage pricing show` says (``ModelPriceReport``), beyond CatalogueMergeTests: each way
/// a name resolves, the price in force on each side of o3's cut, every kind of price, the JSON
/// form, and misses.
@Suite struct CatalogueExplanationTests {
    static func at(_ text: String) -> UTCTimestamp { CatalogueJSON.parseDate(text)! }
    /// The built-in entries' catalogue version (`builtin-<date>`), so these tests outlive a data update.
    static let builtIn = PricingCatalogue.builtIn.version

    /// A model with every kind of price, an alias, two dates, and the same name in two services.
    static let catalogue = try! CatalogueJSON.read(Array("""
        {"format": "ai-usage-pricing/1", "version": "test-1", "entries": [
          {"provider": "openai", "model": "gpt-9", "effective_from": "2026-01-01", "prices": {"input": "0.000003", "output": "0.000012"}},
          {"provider": "openai", "model": "gpt-9", "effective_from": "2026-12-01",
           "prices": {"input": "0.0000025", "output": "0.00001", "cache_read": "0.00000025"},
           "batch": {"input": "0.00000125", "output": "0.000005"},
           "service_tiers": {"priority": {"input": "0.000005"}, "flex": {"input": "0.00000125"}},
           "tiers": [{"above_input_tokens": 272000, "prices": {"input": "0.000005", "output": "0.000015"}}],
           "aliases": ["nine"], "source": "litellm"},
          {"provider": "anthropic", "model": "shared", "effective_from": "2026-01-01", "prices": {"input": "0.000001"}},
          {"provider": "google", "model": "shared", "effective_from": "2026-01-01", "prices": {"input": "0.000002"}},
          {"provider": "google_places", "model": "place_lookup", "effective_from": "2026-01-01", "prices": {"per_call": "0.017"}}
        ]}
        """.utf8), source: "test").layered(over: .builtIn)

    @Test func anExactNameAfterO3sCut() {
        let report = ModelPriceReport(name: "o3", service: nil, catalogue: .builtIn, at: Self.at("2025-06-10"))
        #expect(report.matches.map(\.provider) == ["openai"])
        #expect(report.lines == [
            "openai: o3: exact name",
            "  in force at 2025-06-10T00:00:00.000000+00:00: effective 2025-06-10, catalogue \(Self.builtIn), source openai.com/api/pricing (after the 80% cut of 2025-06-10)",
            "  prices (USD per unit; per 1M tokens):",
            "    input           0.000002  (2 per 1M)",
            "    output          0.000008  (8 per 1M)",
            "    cache_read      0.0000005  (0.5 per 1M)",
            "  history:",
            "    2025-04-16  input 0.00001, output 0.00004, cache_read 0.0000025  (\(Self.builtIn))",
            "    2025-06-10  input 0.000002, output 0.000008, cache_read 0.0000005  (\(Self.builtIn))",
        ])
    }

    @Test func theLastMomentBeforeTheCutHasTheLaunchPrice() throws {
        let report = ModelPriceReport(name: "o3", service: "openai", catalogue: .builtIn, at: Self.at("2025-06-09T23:59:59.999999Z"))
        let entry = try #require(report.matches.first?.entry)
        #expect(CatalogueJSON.dateText(entry.effectiveFrom) == "2025-04-16")
        #expect(report.lines.contains("    input           0.00001  (10 per 1M)"))
        #expect(report.lines.contains("    output          0.00004  (40 per 1M)"))
    }

    @Test func aDatedName() {
        let report = ModelPriceReport(name: "gpt-4o-2024-05-13", service: nil, catalogue: .builtIn, at: Self.at("2026-01-01"))
        #expect(report.lines.first == "openai: gpt-4o-2024-05-13 → gpt-4o (dated or -latest suffix removed)")
        #expect(report.matches.first?.resolution.model == "gpt-4o")
        // A snapshot with its own entry is its own model.
        let own = ModelPriceReport(name: "gpt-4o-2024-08-06", service: nil, catalogue: .builtIn, at: Self.at("2026-01-01"))
        #expect(own.lines.first == "openai: gpt-4o-2024-08-06: exact name")
    }

    @Test func aProviderPrefixedName() {
        let report = ModelPriceReport(name: "OpenAI/GPT-4o", service: nil, catalogue: .builtIn, at: Self.at("2026-01-01"))
        #expect(report.matches.map(\.provider) == ["openai"])
        #expect(report.lines.first == "openai: openai/gpt-4o → gpt-4o (provider prefix removed)")
    }

    @Test func anAliasWithEveryKindOfPrice() {
        let report = ModelPriceReport(name: "nine", service: "openai", catalogue: Self.catalogue, at: Self.at("2026-12-05"))
        #expect(report.lines == [
            "openai: nine → gpt-9 (alias of gpt-9)",
            "  in force at 2026-12-05T00:00:00.000000+00:00: effective 2026-12-01, catalogue test-1, source litellm",
            "  prices (USD per unit; per 1M tokens):",
            "    input           0.0000025  (2.5 per 1M)",
            "    output          0.00001  (10 per 1M)",
            "    cache_read      0.00000025  (0.25 per 1M)",
            "  batch:",
            "    input           0.00000125  (1.25 per 1M)",
            "    output          0.000005  (5 per 1M)",
            "  service tier flex:",
            "    input           0.00000125  (1.25 per 1M)",
            "  service tier priority:",
            "    input           0.000005  (5 per 1M)",
            "  above 272000 tokens of context (the whole request):",
            "    input           0.000005  (5 per 1M)",
            "    output          0.000015  (15 per 1M)",
            "  aliases: nine",
            "  history:",
            "    2026-01-01  input 0.000003, output 0.000012  (test-1)",
            "    2026-12-01  input 0.0000025, output 0.00001, cache_read 0.00000025  (test-1)",
        ])
        // Before the second date, the first price is in force.
        let earlier = ModelPriceReport(name: "gpt-9", service: "OPENAI", catalogue: Self.catalogue, at: Self.at("2026-11-30T23:59:59Z"))
        #expect(earlier.lines.contains("    input           0.000003  (3 per 1M)"))
        #expect(!earlier.lines.contains("  batch:"))
    }

    @Test func aPerCallPriceHasNoPerMillionFigure() {
        let report = ModelPriceReport(name: "place_lookup", service: nil, catalogue: Self.catalogue, at: Self.at("2026-12-05"))
        #expect(report.lines.contains("    per_call        0.017"))
    }

    @Test func everyServiceThatPricesTheNameIsShown() {
        let report = ModelPriceReport(name: "shared", service: nil, catalogue: Self.catalogue, at: Self.at("2026-12-05"))
        #expect(report.matches.map(\.provider) == ["anthropic", "google"])
        #expect(report.lines.filter { !$0.hasPrefix(" ") } == ["anthropic: shared: exact name", "google: shared: exact name"])
        let one = ModelPriceReport(name: "shared", service: "google", catalogue: Self.catalogue, at: Self.at("2026-12-05"))
        #expect(one.matches.map(\.provider) == ["google"])
    }

    @Test func nearMissesNameNearModelsAndHowToAddAPrice() {
        let report = ModelPriceReport(name: "o3-pro", service: nil, catalogue: .builtIn, at: Self.at("2026-01-01"))
        #expect(report.lines == [
            "no price for 'o3-pro' in any service",
            "near names: openai/o3-mini",
            "add a price: ai-usage pricing import (LiteLLM's map), or an entry in the AI_USAGE_PRICING_FILE catalogue (docs/pricing.md)",
        ])
        // Near names share the longest start, at most 5, only from the service asked about.
        let claude = ModelPriceReport(name: "claude-opus-9", service: "anthropic", catalogue: .builtIn, at: Self.at("2026-01-01"))
        #expect(claude.lines.first == "no price for 'claude-opus-9' in service 'anthropic'")
        #expect(claude.nearNames == ["anthropic/claude-opus-4", "anthropic/claude-opus-4-1", "anthropic/claude-opus-4-5", "anthropic/claude-opus-4-6", "anthropic/claude-opus-4-7"])
        let elsewhere = ModelPriceReport(name: "o3-pro", service: "anthropic", catalogue: .builtIn, at: Self.at("2026-01-01"))
        #expect(elsewhere.nearNames.isEmpty)
        #expect(elsewhere.lines.count == 2)
    }

    @Test func theJSONForm() throws {
        let report = ModelPriceReport(name: "openai/o3-2025-04-16", service: nil, catalogue: .builtIn, at: Self.at("2025-05-01"))
        let json = report.json
        #expect(json["name"]?.stringValue == "openai/o3-2025-04-16")
        #expect(json["at"]?.stringValue == "2025-05-01T00:00:00.000000+00:00")
        guard case .array(let matches)? = json["matches"], let match = matches.first else {
            Issue.record("no matches in \(json.serialized())")
            return
        }
        #expect(matches.count == 1)
        #expect(match["provider"]?.stringValue == "openai")
        #expect(match["model"]?.stringValue == "o3")
        #expect(match["rule"]?.stringValue == "dated or -latest suffix removed")
        #expect(match["catalogue_version"]?.stringValue == "\(Self.builtIn)")
        #expect(match["entry"]?["effective_from"]?.stringValue == "2025-04-16")
        #expect(match["entry"]?["prices"]?["input"]?.stringValue == "0.00001")
        guard case .array(let history)? = match["history"] else {
            Issue.record("no history")
            return
        }
        #expect(history.compactMap { $0["effective_from"]?.stringValue } == ["2025-04-16", "2025-06-10"])

        let miss = ModelPriceReport(name: "o3-pro", service: nil, catalogue: .builtIn, at: Self.at("2025-05-01")).json
        #expect(miss["matches"] == .array([]))
        #expect(miss["near_names"] == .array([.string("openai/o3-mini")]))
    }
}
