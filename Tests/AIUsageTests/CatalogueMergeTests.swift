import AIUsage
import Testing
import TestSupport

/// What an import adds to a catalogue file, and what `pricing show` says.
@Suite struct CatalogueMergeTests {
    static func catalogue(_ version: String, _ entries: String) throws -> PricingCatalogue {
        try CatalogueJSON.read(Array("{\"format\": \"ai-usage-pricing/1\", \"version\": \"\(version)\", \"entries\": [\(entries)]}".utf8), source: "test")
    }

    static let base = try! catalogue("base", """
        {"provider": "openai", "model": "a", "effective_from": "2026-01-01", "prices": {"input": "0.000001", "output": "0.000002"}},
        {"provider": "openai", "model": "b", "effective_from": "2026-01-01", "prices": {"input": "0.000003", "output": "0.000004"}},
        {"provider": "openai", "model": "kept", "effective_from": "2026-01-01", "prices": {"input": "0.000009"}}
        """)
    static let imported = try! catalogue("litellm-2026-12-05", """
        {"provider": "openai", "model": "a", "effective_from": "2026-12-05", "prices": {"input": "0.000001", "output": "0.000002"}},
        {"provider": "openai", "model": "b", "effective_from": "2026-12-05", "prices": {"input": "0.0000025", "output": "0.000004"}},
        {"provider": "openai", "model": "c", "effective_from": "2026-12-05", "prices": {"input": "0.000005"}}
        """)
    static let day = UTCTimestamp(year: 2026, month: 12, day: 5)

    @Test func equalPricesAddNothingChangedAndNewModelsAreAddedDated() throws {
        let merge = CatalogueMerge(imported: Self.imported, effective: Self.base, effectiveFrom: Self.day)
        #expect(merge.unchanged == 1)
        #expect(merge.added == 1)
        #expect(merge.changed == 1)
        #expect(merge.notInImport == 1)
        #expect(merge.lines == [
            "openai/b: input 0.000003 → 0.0000025",
            "openai/c: new (input 0.000005)",
            "1 new, 1 changed, 1 unchanged; kept, not in the file: 1",
        ])
        // Merged into the base's own entries, b keeps its old price before 2026-12-05.
        let merged = PricingCatalogue(version: "v", entries: merge.merged(into: Self.base.entries))
        #expect(merged.history(provider: "openai", model: "b").map { CatalogueJSON.dateText($0.effectiveFrom) } == ["2026-01-01", "2026-12-05"])
        #expect(merged.entry(provider: "openai", model: "b", at: UTCTimestamp(year: 2026, month: 12, day: 4))?.prices[.input] == ExactDecimal("0.000003"))
        #expect(merged.entry(provider: "openai", model: "b", at: Self.day)?.prices[.input] == ExactDecimal("0.0000025"))
        #expect(merged.history(provider: "openai", model: "a").count == 1)

        // Importing the merged result again changes nothing: the import is idempotent.
        let again = CatalogueMerge(imported: Self.imported, effective: merged, effectiveFrom: Self.day)
        #expect(again.changes.isEmpty)
        #expect(again.unchanged == 3)
    }

    @Test func aSameDatedEntryIsReplaced() throws {
        let first = CatalogueMerge(imported: Self.imported, effective: Self.base, effectiveFrom: Self.day)
        let file = first.merged(into: Self.base.entries)
        let corrected = try Self.catalogue("fix", """
            {"provider": "openai", "model": "b", "effective_from": "2026-12-05", "prices": {"input": "0.000002", "output": "0.000004"}}
            """)
        let effective = PricingCatalogue(version: "file", entries: file)
        let second = CatalogueMerge(imported: corrected, effective: effective, effectiveFrom: Self.day)
        #expect(second.lines.first == "openai/b: input 0.0000025 → 0.000002")
        let entries = second.merged(into: file).filter { $0.model == "b" }
        #expect(entries.map { $0.prices[.input] } == [ExactDecimal("0.000003"), ExactDecimal("0.000002")])
    }

    @Test func showExplainsTheResolutionAndTheHistory() {
        let report = ModelPriceReport(name: "openai/o3-2025-04-16", service: "openai", catalogue: .builtIn, at: UTCTimestamp(year: 2025, month: 5, day: 1))
        #expect(report.lines.first == "openai: openai/o3-2025-04-16 → o3 (provider prefix removed, dated or -latest suffix removed)")
        #expect(report.lines.contains("  in force at 2025-05-01T00:00:00.000000+00:00: effective 2025-04-16, catalogue builtin-2026-12-05, source openai.com/api/pricing (launch price)"))
        #expect(report.lines.contains("    input           0.00001  (10 per 1M)"))
        #expect(report.lines.suffix(2) == [
            "    2025-04-16  input 0.00001, output 0.00004, cache_read 0.0000025  (builtin-2026-12-05)",
            "    2025-06-10  input 0.000002, output 0.000008, cache_read 0.0000005  (builtin-2026-12-05)",
        ])
        let before = ModelPriceReport(name: "o3", service: nil, catalogue: .builtIn, at: UTCTimestamp(year: 2025, month: 1, day: 1))
        #expect(before.lines[1] == "  no price in force at 2025-01-01T00:00:00.000000+00:00: its first price takes effect 2025-04-16")
    }

    @Test func showOfANearMissNamesNearModels() {
        let report = ModelPriceReport(name: "o3-pro", service: nil, catalogue: .builtIn, at: .now())
        #expect(report.matches.isEmpty)
        #expect(report.nearNames == ["openai/o3-mini"])
        #expect(report.lines.first == "no price for 'o3-pro' in any service")
    }
}
