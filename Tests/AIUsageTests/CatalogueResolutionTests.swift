import AIUsage
import Testing

/// Model-name resolution (`PricingCatalogue.resolve`), as a table, against the built-in catalogue
/// and a test catalogue built in code: exact names, provider prefixes, dated and `-latest`
/// suffixes, aliases, case, near misses that must not match, and the explanation texts.
@Suite struct CatalogueResolutionTests {
    static let test = try! CatalogueJSON.read(Array("""
        {"format": "ai-usage-pricing/1", "version": "resolution-test", "entries": [
          {"provider": "openai", "model": "o-test", "effective_from": "2026-01-01",
           "prices": {"input": "0.000002", "output": "0.000008"}, "aliases": ["o-test-alias", "O-Test-Shout", "o-test-mini", "gpt-4o"]},
          {"provider": "openai", "model": "o-test-mini", "effective_from": "2026-01-01", "prices": {"input": "0.000001", "output": "0.000004"}},
          {"provider": "openai", "model": "o-test", "effective_from": "2026-03-01T00:00:00Z",
           "prices": {"input": "0.000001", "output": "0.000004"}, "aliases": ["o-test-later-alias"]},
          {"provider": "anthropic", "model": "c-test", "effective_from": "2026-01-01",
           "prices": {"input": "0.000003", "output": "0.000015"}, "aliases": ["c-nick"]},
          {"provider": "google", "model": "gemini-test", "effective_from": "2026-01-01", "prices": {"input": "0.000001", "output": "0.000004"}},
          {"provider": "google_places", "model": "place_details", "effective_from": "2026-01-01", "prices": {"per_call": "0.017"}}
        ]}
        """.utf8), source: "test")
    static let builtIn = PricingCatalogue.builtIn
    static let layered = test.layered(over: .builtIn)

    static func check(_ catalogue: PricingCatalogue, _ provider: String, _ name: String, _ model: String, _ rule: PricingCatalogue.MatchRule) throws {
        let resolution = try #require(catalogue.resolve(name, provider: provider), "\(provider) \(name)")
        #expect(resolution.model == model, "\(provider) \(name)")
        #expect(resolution.rule == rule, "\(provider) \(name)")
    }

    // MARK: - The built-in catalogue

    @Test(arguments: [
        // Exact names, including a dated model the catalogue lists on its own.
        ("openai", "gpt-4o", "gpt-4o", PricingCatalogue.MatchRule.exact),
        ("openai", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06", .exact),
        ("openai", "gpt-3.5-turbo-0125", "gpt-3.5-turbo-0125", .exact),
        ("anthropic", "claude-3-opus-20240229", "claude-3-opus-20240229", .exact),
        ("google_places", "place_details", "place_details", .exact),
        // Case-insensitive.
        ("openai", "GPT-4o", "gpt-4o", .exact),
        ("OpenAI", "gpt-4O-MINI", "gpt-4o-mini", .exact),
        ("anthropic", "Claude-3-Haiku-20240307", "claude-3-haiku-20240307", .exact),
        // Provider prefixes.
        ("openai", "openai/gpt-4o", "gpt-4o", .providerPrefix),
        ("openai", "OpenAI/GPT-4o", "gpt-4o", .providerPrefix),
        ("openai", "openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06", .providerPrefix),
        ("anthropic", "anthropic/claude-sonnet-4-5", "claude-sonnet-4-5", .providerPrefix),
        // Dated suffixes: -YYYY-MM-DD, -YYYYMMDD, -MMDD, and -latest; the longest family wins.
        ("openai", "gpt-4o-2024-05-13", "gpt-4o", .snapshotSuffix),
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", .snapshotSuffix),
        ("openai", "o3-2025-04-16", "o3", .snapshotSuffix),
        ("openai", "o3-mini-2025-01-31", "o3-mini", .snapshotSuffix),
        ("openai", "gpt-4-0613", "gpt-4", .snapshotSuffix),
        ("openai", "gpt-3.5-turbo-0613", "gpt-3.5-turbo", .snapshotSuffix),
        ("openai", "gpt-4o-latest", "gpt-4o", .snapshotSuffix),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5", .snapshotSuffix),
        ("anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4", .snapshotSuffix),
        ("anthropic", "claude-opus-4-1-20250805", "claude-opus-4-1", .snapshotSuffix),
        ("anthropic", "claude-3-5-sonnet-latest", "claude-3-5-sonnet", .snapshotSuffix),
        ("anthropic", "CLAUDE-3-5-HAIKU-20241022", "claude-3-5-haiku", .snapshotSuffix),
        // Prefix and suffix together: the rule is the last one applied.
        ("anthropic", "anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5", .snapshotSuffix),
        ("openai", "openai/gpt-4o-2024-05-13", "gpt-4o", .snapshotSuffix),
    ])
    func builtInResolves(provider: String, name: String, model: String, rule: PricingCatalogue.MatchRule) throws {
        try Self.check(Self.builtIn, provider, name, model, rule)
    }

    @Test(arguments: [
        ("openai", "o3-pro"), ("openai", "openai/o3-pro"), ("openai", "gpt-4o1"), ("openai", "gpt-5-pro"),
        ("openai", "o1-mini"), ("openai", "azure/gpt-4o"), ("openai", "openai/"), ("openai", "openai/openai/gpt-4o"),
        ("openai", "gpt-4o-2024-08"), ("openai", "gpt-4o-latest-latest"), ("openai", "gpt-4o-2024-13"),
        ("openai", "gpt-4o "), ("openai", ""), ("openai", "4o"), ("openai", "anthropic/gpt-4o"),
        ("anthropic", "claude-opus-4-8"), ("anthropic", "claude-3"), ("anthropic", "claude-sonnet-4-5-2025092"),
        ("anthropic", "claude-sonnet-4-5-preview"), ("anthropic", "openai/claude-3-opus"), ("anthropic", "sonnet"),
        ("google", "gemini/gemini-2.5-pro"), ("azure", "gpt-4o"), ("google_places", "place_details_v2"),
        // A name of another provider's model is not resolved within this one.
        ("anthropic", "gpt-4o"), ("openai", "claude-3-opus"),
    ])
    func builtInNearMissesDoNotResolve(provider: String, name: String) {
        #expect(Self.builtIn.resolve(name, provider: provider) == nil, "\(provider) \(name)")
    }

    // MARK: - The test catalogue

    @Test(arguments: [
        ("openai", "o-test", "o-test", PricingCatalogue.MatchRule.exact),
        ("openai", "O-TEST", "o-test", .exact),
        ("openai", "openai/o-test", "o-test", .providerPrefix),
        ("openai", "o-test-2026-01-15", "o-test", .snapshotSuffix),
        ("openai", "o-test-20260115", "o-test", .snapshotSuffix),
        ("openai", "o-test-0115", "o-test", .snapshotSuffix),
        ("openai", "o-test-latest", "o-test", .snapshotSuffix),
        ("openai", "o-test-mini-2026-01-15", "o-test-mini", .snapshotSuffix),
        ("openai", "openai/o-test-mini-latest", "o-test-mini", .snapshotSuffix),
        // Aliases (stored lower-case), with or without a provider prefix, any case.
        ("openai", "o-test-alias", "o-test", .alias),
        ("openai", "O-Test-Alias", "o-test", .alias),
        ("openai", "o-test-shout", "o-test", .alias),
        ("openai", "openai/o-test-alias", "o-test", .alias),
        // An alias given only by a later entry of the model.
        ("openai", "o-test-later-alias", "o-test", .alias),
        // An exact name beats another model's alias.
        ("openai", "o-test-mini", "o-test-mini", .exact),
        // Alone, the test catalogue has no gpt-4o: the alias applies, with or without the prefix.
        ("openai", "gpt-4o", "o-test", .alias),
        ("openai", "openai/gpt-4o", "o-test", .alias),
        ("anthropic", "c-nick", "c-test", .alias),
        ("anthropic", "anthropic/c-test-20260115", "c-test", .snapshotSuffix),
        ("google", "gemini-test", "gemini-test", .exact),
        ("google", "gemini/gemini-test", "gemini-test", .providerPrefix),
        ("google", "google/gemini-test", "gemini-test", .providerPrefix),
        ("google", "gemini/gemini-test-latest", "gemini-test", .snapshotSuffix),
    ])
    func testCatalogueResolves(provider: String, name: String, model: String, rule: PricingCatalogue.MatchRule) throws {
        try Self.check(Self.test, provider, name, model, rule)
    }

    @Test(arguments: [
        ("openai", "o-test-pro"), ("openai", "o-test1"), ("openai", "o-tes"), ("openai", "o-test-mini-pro"),
        ("openai", "o-test-2026-1-15"), ("openai", "o-test-202601"), ("openai", "o-test-12345"),
        ("openai", "azure/o-test"), ("openai", "openai/o-test-pro"), ("openai", "gemini/gemini-test"),
        ("openai", "o-test-alias-pro"), ("openai", "c-nick"),
        ("anthropic", "c-test-4"), ("anthropic", "c-nick-2"), ("anthropic", "openai/c-test"),
        ("google", "vertex/gemini-test"), ("google", "gemini-test-pro"), ("google", "gemini/gemini-test-exp"),
    ])
    func testCatalogueNearMissesDoNotResolve(provider: String, name: String) {
        #expect(Self.test.resolve(name, provider: provider) == nil, "\(provider) \(name)")
    }

    @Test func anExactNameInALowerLayerBeatsAnUpperLayersAlias() throws {
        // Layered over the built-in catalogue, gpt-4o is a model again: the test catalogue's alias
        // `gpt-4o` of o-test is dropped, and the test catalogue's own names and aliases still resolve.
        try Self.check(Self.layered, "openai", "gpt-4o", "gpt-4o", .exact)
        try Self.check(Self.layered, "openai", "openai/gpt-4o", "gpt-4o", .providerPrefix)
        try Self.check(Self.layered, "openai", "gpt-4o-2024-05-13", "gpt-4o", .snapshotSuffix)
        try Self.check(Self.layered, "openai", "o-test-alias", "o-test", .alias)
        try Self.check(Self.layered, "openai", "o-test-2026-01-15", "o-test", .snapshotSuffix)
        try Self.check(Self.layered, "anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5", .snapshotSuffix)
        #expect(Self.layered.resolve("o3-pro", provider: "openai") == nil)
    }

    // MARK: - Explanations

    @Test(arguments: [
        ("built-in", "openai", "gpt-4o", "gpt-4o: exact name"),
        ("built-in", "openai", "GPT-4o", "gpt-4o: exact name"),
        ("built-in", "openai", "openai/gpt-4o", "openai/gpt-4o → gpt-4o (provider prefix removed)"),
        ("built-in", "openai", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13 → gpt-4o (dated or -latest suffix removed)"),
        ("built-in", "openai", "gpt-4-0613", "gpt-4-0613 → gpt-4 (dated or -latest suffix removed)"),
        ("built-in", "anthropic", "anthropic/claude-sonnet-4-5-20250929",
         "anthropic/claude-sonnet-4-5-20250929 → claude-sonnet-4-5 (provider prefix removed, dated or -latest suffix removed)"),
        ("test", "openai", "o-test-latest", "o-test-latest → o-test (dated or -latest suffix removed)"),
        ("test", "openai", "o-test-alias", "o-test-alias → o-test (alias of o-test)"),
        ("test", "openai", "OpenAI/O-Test-Alias", "openai/o-test-alias → o-test (provider prefix removed, alias of o-test)"),
        ("test", "google", "gemini/gemini-test", "gemini/gemini-test → gemini-test (provider prefix removed)"),
    ])
    func explanation(catalogue: String, provider: String, name: String, text: String) throws {
        let resolution = try #require((catalogue == "test" ? Self.test : Self.builtIn).resolve(name, provider: provider), "\(name)")
        #expect(resolution.explanation == text)
    }

    // MARK: - Snapshot suffixes

    @Test(arguments: [
        ("-latest", true), ("-20250929", true), ("-2024-08-06", true), ("-0613", true),
        ("latest", false), ("-2024-0806", false), ("-202408", false), ("-061", false),
        ("-2024-08-6", false), ("-pro", false), ("-", false), ("", false), ("-06a3", false), ("-2024/08/06", false),
    ])
    func snapshotSuffixes(suffix: String, isSnapshot: Bool) {
        #expect(PricingCatalogue.isSnapshotSuffix(Substring(suffix)) == isSnapshot, "\(suffix)")
    }
}
