import AIUsage
import Testing
import TestSupport

/// The import plan (``CatalogueMerge``) beyond CatalogueMergeTests: the comparison is with the
/// entry in force on the import's date (not the latest), the change text for every kind of
/// price, the written file (version, order, read back), and what "kept, not in the file" counts.
@Suite struct CatalogueImportPlanTests {
    static func catalogue(_ version: String, _ entries: String) throws -> PricingCatalogue {
        try CatalogueJSON.read(Array("{\"format\": \"ai-usage-pricing/1\", \"version\": \"\(version)\", \"entries\": [\(entries)]}".utf8), source: "test")
    }

    static func day(_ text: String) -> UTCTimestamp { CatalogueJSON.parseDate(text)! }

    /// o3 at its post-cut prices, as LiteLLM lists it now.
    static let o3AfterTheCut = try! catalogue("litellm", """
        {"provider": "openai", "model": "o3", "effective_from": "2025-06-20", "prices": {"input": "0.000002", "output": "0.000008", "cache_read": "0.0000005"}}
        """)

    @Test func comparesWithTheEntryInForceOnTheImportDateNotTheLatest() throws {
        // After the built-in 2025-06-10 cut the same prices are unchanged…
        let after = CatalogueMerge(imported: Self.o3AfterTheCut, effective: .builtIn, effectiveFrom: Self.day("2025-06-20"))
        #expect(after.changes.isEmpty)
        #expect(after.unchanged == 1)
        // …but dated before it, they re-price o3 from that date, against the launch price.
        let before = CatalogueMerge(imported: Self.o3AfterTheCut, effective: .builtIn, effectiveFrom: Self.day("2025-05-01"))
        #expect(before.lines.first == "openai/o3: input 0.00001 → 0.000002, output 0.00004 → 0.000008, cache_read 0.0000025 → 0.0000005")
        #expect(before.changed == 1)
        // Before o3's first price there is nothing in force: a new model.
        let early = CatalogueMerge(imported: Self.o3AfterTheCut, effective: .builtIn, effectiveFrom: Self.day("2025-01-01"))
        #expect(early.added == 1)
        #expect(early.lines.first == "openai/o3: new (input 0.000002, output 0.000008, cache_read 0.0000005)")
    }

    @Test func theChangeTextCoversEveryKindOfPrice() throws {
        // Output re-priced, cache_read dropped, reasoning added; batch, tier and service tiers changed.
        let new = try Self.catalogue("litellm", """
            {"provider": "openai", "model": "m", "effective_from": "2026-12-01",
             "prices": {"input": "0.000002", "output": "0.000006", "reasoning": "0.00001"},
             "batch": {"input": "0.0000009"}, "service_tiers": {"flex": {"input": "0.000001"}, "priority": {"input": "0.000004"}},
             "tiers": [{"above_input_tokens": 272000, "prices": {"input": "0.000004"}}]},
            {"provider": "openai", "model": "only-tiers", "effective_from": "2026-12-01", "prices": {"input": "0.000001"},
             "tiers": [{"above_input_tokens": 128000, "prices": {"input": "0.000002"}}]},
            {"provider": "openai", "model": "image", "effective_from": "2026-12-01", "prices": {"per_image": "0.04"}}
            """)
        let base = try Self.catalogue("file", """
            {"provider": "openai", "model": "m", "effective_from": "2026-01-01",
             "prices": {"input": "0.000002", "output": "0.000008", "cache_read": "0.0000005"},
             "batch": {"input": "0.000001"}, "service_tiers": {"flex": {"input": "0.000001"}},
             "tiers": [{"above_input_tokens": 200000, "prices": {"input": "0.000004"}}]},
            {"provider": "openai", "model": "only-tiers", "effective_from": "2026-01-01", "prices": {"input": "0.000001"}}
            """)
        let merge = CatalogueMerge(imported: new, effective: base, effectiveFrom: Self.day("2026-12-01"))
        #expect(merge.lines == [
            "openai/image: new (per_image 0.04)",
            "openai/m: output 0.000008 → 0.000006, cache_read 0.0000005 → none, reasoning none → 0.00001, batch prices changed, service-tier prices changed, long-context tiers changed",
            "openai/only-tiers: long-context tiers changed",
            "1 new, 2 changed, 0 unchanged; kept, not in the file: 0",
        ])
    }

    @Test func keptNotInTheFileCountsOnlyTheImportedProviders() throws {
        let imported = try Self.catalogue("litellm", """
            {"provider": "anthropic", "model": "claude-sonnet-4-5", "effective_from": "2026-12-01", "prices": {"input": "0.000003"}}
            """)
        let base = try Self.catalogue("file", """
            {"provider": "anthropic", "model": "claude-sonnet-4-5", "effective_from": "2026-01-01", "prices": {"input": "0.000003"}},
            {"provider": "anthropic", "model": "claude-haiku-4-5", "effective_from": "2026-01-01", "prices": {"input": "0.000001"}},
            {"provider": "anthropic", "model": "claude-haiku-4-5", "effective_from": "2026-06-01", "prices": {"input": "0.0000008"}},
            {"provider": "google_places", "model": "place_details", "effective_from": "2026-01-01", "prices": {"per_call": "0.017"}},
            {"provider": "openai", "model": "gpt-4o", "effective_from": "2026-01-01", "prices": {"input": "0.0000025"}}
            """)
        let merge = CatalogueMerge(imported: imported, effective: base, effectiveFrom: Self.day("2026-12-01"))
        // claude-haiku-4-5 once (two dates, one model); google_places and openai are not in the import.
        #expect(merge.notInImport == 1)
        #expect(merge.unchanged == 1)
    }

    @Test func theWrittenFileHasTheNewVersionEveryOldEntryAndReadsBack() throws {
        let file = try Self.catalogue("litellm-2026-11-01", """
            {"provider": "openai", "model": "b", "effective_from": "2026-11-01", "prices": {"input": "0.000003"}},
            {"provider": "anthropic", "model": "z", "effective_from": "2026-11-01", "prices": {"input": "0.000001"}, "source": "by hand"}
            """)
        let imported = try Self.catalogue("litellm-2026-12-01", """
            {"provider": "openai", "model": "b", "effective_from": "2026-12-01", "prices": {"input": "0.0000025"}},
            {"provider": "openai", "model": "a", "effective_from": "2026-12-01", "prices": {"input": "0.000001"}}
            """)
        let merge = CatalogueMerge(imported: imported, effective: file.layered(over: .builtIn), effectiveFrom: Self.day("2026-12-01"))
        let entries = merge.merged(into: file.entries)
        #expect(entries.map { "\($0.provider)/\($0.model)@\(CatalogueJSON.dateText($0.effectiveFrom))" } == [
            "anthropic/z@2026-11-01", "openai/a@2026-12-01", "openai/b@2026-11-01", "openai/b@2026-12-01",
        ])
        // As `pricing import` writes it: pretty JSON, one version, and it reads back whole.
        let bytes = CatalogueJSON.json(version: "litellm-2026-12-01", entries: entries).serializedBytes(pretty: true)
        let written = try CatalogueJSON.read(bytes, source: "written")
        #expect(written.version == "litellm-2026-12-01")
        #expect(Set(written.entries.map(\.catalogueVersion)) == ["litellm-2026-12-01"])
        #expect(written.entries.count == 4)
        #expect(written.history(provider: "anthropic", model: "z").first?.source == "by hand")
        #expect(written.entry(provider: "openai", model: "b", at: Self.day("2026-11-15"))?.prices[.input] == dec("0.000003"))
        #expect(written.entry(provider: "openai", model: "b", at: Self.day("2026-12-01"))?.prices[.input] == dec("0.0000025"))

        // Importing the same map over the written file: nothing to add.
        let again = CatalogueMerge(imported: imported, effective: written.layered(over: .builtIn), effectiveFrom: Self.day("2026-12-01"))
        #expect(again.changes.isEmpty)
        // Kept: every built-in OpenAI model (the import has only OpenAI's a and b).
        let builtInOpenAI = Set(PricingCatalogue.builtIn.entries.filter { $0.provider == "openai" }.map(\.model)).count
        #expect(again.lines.last == "0 new, 0 changed, 2 unchanged; kept, not in the file: \(builtInOpenAI)")
    }
}
