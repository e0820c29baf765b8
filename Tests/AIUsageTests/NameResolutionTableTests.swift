import AIUsage
import Testing

/// The resolution order with provider prefixes and aliases (dated names and near misses of the
/// built-in catalogue are in PricingTests' "Model name resolution").
@Suite struct NameResolutionTableTests {
    static let catalogue = try! CatalogueJSON.read(Array("""
        {"format": "ai-usage-pricing/1", "version": "t", "entries": [
          {"provider": "openai", "model": "gpt-4o", "effective_from": "2026-01-01", "prices": {"input": "0.0000025"}, "aliases": ["chatgpt-4o-latest", "gpt-4o-mini"]},
          {"provider": "openai", "model": "gpt-4o-mini", "effective_from": "2026-01-01", "prices": {"input": "0.00000015"}},
          {"provider": "google", "model": "gemini-2.5-pro", "effective_from": "2026-01-01", "prices": {"input": "0.00000125"}},
          {"provider": "anthropic", "model": "claude-sonnet-4-5", "effective_from": "2026-01-01", "prices": {"input": "0.000003"}, "aliases": ["sonnet"]}
        ]}
        """.utf8), source: "test").layered(over: .builtIn)

    @Test(arguments: [
        // (provider, name, catalogue model, rule)
        ("openai", "gpt-4o", "gpt-4o", "exact name"),
        ("openai", "GPT-4o", "gpt-4o", "exact name"),
        ("openai", "openai/gpt-4o", "gpt-4o", "provider prefix removed"),
        ("openai", "openai/gpt-4o-2024-05-13", "gpt-4o", "dated or -latest suffix removed"),
        ("openai", "gpt-4o-mini", "gpt-4o-mini", "exact name"),  // an exact name beats another model's alias
        ("openai", "chatgpt-4o-latest", "gpt-4o", "alias"),
        ("openai", "openai/chatgpt-4o-latest", "gpt-4o", "alias"),
        ("google", "gemini/gemini-2.5-pro", "gemini-2.5-pro", "provider prefix removed"),
        ("google", "google/gemini-2.5-pro", "gemini-2.5-pro", "provider prefix removed"),
        ("anthropic", "anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "dated or -latest suffix removed"),
        ("anthropic", "claude-sonnet-4-5-latest", "claude-sonnet-4-5", "dated or -latest suffix removed"),
        ("anthropic", "sonnet", "claude-sonnet-4-5", "alias"),
    ])
    func resolves(provider: String, name: String, model: String, rule: String) throws {
        let resolution = try #require(Self.catalogue.resolve(name, provider: provider), "\(name)")
        #expect(resolution.model == model)
        #expect(resolution.rule.rawValue == rule)
    }

    @Test(arguments: [
        ("openai", "o3-pro"), ("openai", "openai/o3-pro"), ("openai", "azure/gpt-4o"), ("openai", "gpt-4o1"),
        ("openai", "gpt-5-pro"), ("openai", "openai/"), ("anthropic", "claude-opus-4-8"), ("anthropic", "claude-3"),
        ("anthropic", "openai/claude-sonnet-4-5"), ("google", "gemini/gemini-2.5-pro-exp"), ("openai", "gemini/gemini-2.5-pro"),
    ])
    func nearMissesDoNotResolve(provider: String, name: String) {
        #expect(Self.catalogue.resolve(name, provider: provider) == nil, "\(name)")
    }

    @Test func explanations() throws {
        #expect(try #require(Self.catalogue.resolve("openai/gpt-4o-2024-05-13", provider: "openai")).explanation
            == "openai/gpt-4o-2024-05-13 → gpt-4o (provider prefix removed, dated or -latest suffix removed)")
        #expect(try #require(Self.catalogue.resolve("sonnet", provider: "anthropic")).explanation == "sonnet → claude-sonnet-4-5 (alias of claude-sonnet-4-5)")
        #expect(try #require(Self.catalogue.resolve("gpt-4o", provider: "openai")).explanation == "gpt-4o: exact name")
    }
}
