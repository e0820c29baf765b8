import Foundation
import TestSupport
import Testing

/// `ai-usage pricing import/diff/show`, run as a user would: LiteLLM's map into a catalogue file,
/// then priced with it.
@Suite struct PricingCommandTests {
    let cli = CLIIntegrationTests()

    static var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../AIUsageTests/Fixtures/litellm-prices.json").standardized.path
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pricing-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func importThenShowThenImportAgain() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalogue = directory.appendingPathComponent("prices.json").path

        let imported = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue, "--effective-from", "2026-12-01"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("kept 5: anthropic 1, google 1, openai 3"), "\(imported.stdout)")
        #expect(imported.stdout.contains("some_new_cost_field (2)"))
        #expect(imported.stdout.contains("Wrote \(catalogue): catalogue litellm-2026-12-01, 5 models added, 0 re-priced from 2026-12-01"))

        // The imported model, priced through the file: 2.5e-06 in the map is exactly 0.0000025.
        let shown = try await cli.run(["pricing", "show", "openai/gpt-9-2026-11-01", "--at", "2026-12-02"], environment: ["AI_USAGE_PRICING_FILE": catalogue])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("openai: openai/gpt-9-2026-11-01 → gpt-9 (provider prefix removed, dated or -latest suffix removed)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("input           0.0000025  (2.5 per 1M)"))
        #expect(shown.stdout.contains("catalogue litellm-2026-12-01"))
        // Before its effective date it has no price.
        let early = try await cli.run(["pricing", "show", "gpt-9", "--at", "2026-11-30"], environment: ["AI_USAGE_PRICING_FILE": catalogue])
        #expect(early.stdout.contains("no price in force at 2026-11-30T00:00:00.000000+00:00: its first price takes effect 2026-12-01"))

        // A second import of the same map adds nothing and leaves the file as it was.
        let before = try Data(contentsOf: URL(fileURLWithPath: catalogue))
        let again = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue, "--effective-from", "2026-12-01"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("0 new, 0 changed, 5 unchanged"), "\(again.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: catalogue)) == before)

        // diff against a changed map: one re-priced model.
        var map = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        map = map.replacingOccurrences(of: "\"input_cost_per_token\": 1.5e-06", with: "\"input_cost_per_token\": 1.25e-06")
        let changedMap = directory.appendingPathComponent("changed.json").path
        try map.write(toFile: changedMap, atomically: true, encoding: .utf8)
        let diff = try await cli.run(["pricing", "diff", changedMap, "--against", catalogue, "--effective-from", "2026-12-10"])
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("openai/gpt-3.5-turbo-instruct: input 0.0000015 → 0.00000125"), "\(diff.stdout)")
        #expect(diff.stdout.contains("0 new, 1 changed, 4 unchanged"))
    }

    @Test func aMalformedMapLeavesTheCatalogueUntouched() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalogue = directory.appendingPathComponent("prices.json").path
        _ = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue])
        let before = try Data(contentsOf: URL(fileURLWithPath: catalogue))
        let bad = directory.appendingPathComponent("bad.json").path
        try #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": "abc"}}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await cli.run(["pricing", "import", bad, "--into", catalogue])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("entry \"gpt-4o\""), "\(refused.stderr)")
        #expect(refused.stderr.contains("input_cost_per_token"))
        #expect(refused.stderr.contains("nothing was imported"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: catalogue)) == before)

        let noTarget = try await cli.run(["pricing", "import", Self.fixture], environment: ["AI_USAGE_PRICING_FILE": nil])
        #expect(noTarget.status == 1)
        #expect(noTarget.stderr == "ai-usage: name the catalogue file to merge into: pass --into FILE, or set AI_USAGE_PRICING_FILE\n")

        let unknown = try await cli.run(["pricing", "show", "o3-pro"], environment: ["AI_USAGE_PRICING_FILE": nil])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.hasPrefix("no price for 'o3-pro' in any service\nnear names: openai/o3-mini\n"))
    }
}
