import Foundation
import TestSupport
import Testing

/// The documented price-update workflow, as a user runs it against the server `make test`
/// started (moto, signatures checked): a call to a model without a price is recorded without a
/// cost; a catalogue adds the price; `ai-usage reprice` prices it in place, once; a published
/// catalogue does the same for the next one.
@Suite struct RepriceCLITests {
    let cli = CLIIntegrationTests()

    static func temporaryFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reprice-cli-\(UUID().uuidString).json").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func anUnpricedCallIsRepricedOnceAfterThePriceIsAdded() async throws {
        _ = try IntegrationEnvironment.configuration()
        // acme-x: $1 / $2 per 1M, so 1000 in + 500 out = 1000 × 0.000001 + 500 × 0.000002 = 0.002.
        let catalogue = try Self.temporaryFile("""
            {"format": "ai-usage-pricing/1", "version": "acme-1", "entries": [
              {"provider": "openai", "model": "acme-x", "effective_from": "2020-01-01", "prices": {"input": "0.000001", "output": "0.000002"}}
            ]}
            """)
        defer { try? FileManager.default.removeItem(atPath: catalogue) }
        try await cli.withTable { table in
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            let recorded = try await cli.run(["record", "--table", table, "--service", "openai", "--model", "acme-x", "--operation", "completion",
                                              "--input-tokens", "1000", "--output-tokens", "500"], environment: ["AI_USAGE_PRICING_FILE": nil])
            #expect(recorded.status == 0, "\(recorded.stderr)")
            #expect(!recorded.stdout.contains("\"cost_usd\""))
            #expect(recorded.stderr.contains("no price for openai/acme-x"))

            let dry = try await cli.run(["reprice", "--table", table, "--from", today, "--to", today, "--dry-run"], environment: ["AI_USAGE_PRICING_FILE": catalogue])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("1 items read, 1 would change, 0 unchanged"), "\(dry.stdout)")

            let repriced = try await cli.run(["reprice", "--table", table, "--from", today, "--to", today], environment: ["AI_USAGE_PRICING_FILE": catalogue])
            #expect(repriced.status == 0, "\(repriced.stderr)")
            #expect(repriced.stdout.contains("openai/acme-x"))
            #expect(repriced.stdout.contains(": unpriced → 0.002"))
            #expect(repriced.stdout.contains("1 items read, 1 changed, 0 unchanged, 0 left as recorded"), "\(repriced.stdout)")
            #expect(repriced.stdout.contains("Total of the changed items: 0 → 0.002 (difference +0.002 USD)"))

            let again = try await cli.run(["reprice", "--table", table, "--from", today, "--to", today], environment: ["AI_USAGE_PRICING_FILE": catalogue])
            #expect(again.stdout.contains("1 items read, 0 changed, 1 unchanged"), "\(again.stdout)")

            // Published to the table: a second unpriced call is priced by the table's catalogue.
            let published = try await cli.run(["pricing", "publish", "--table", table, catalogue])
            #expect(published.status == 0, "\(published.stderr)")
            #expect(published.stdout.hasPrefix("Published catalogue acme-1 (1 entries)"))
            let second = try await cli.run(["record", "--table", table, "--service", "openai", "--model", "acme-x-2026-01-01", "--operation", "completion",
                                            "--input-tokens", "2000", "--output-tokens", "0"],
                                           environment: ["AI_USAGE_PRICING_FILE": nil, "AI_USAGE_PRICING_FROM_TABLE": "on"])
            #expect(second.status == 0, "\(second.stderr)")
            // 2000 × 0.000001 = 0.002, priced at write time by the published catalogue.
            #expect(second.stdout.contains("\"cost_usd\":0.002"), "\(second.stdout)")
            #expect(second.stdout.contains("\"priced_with\":\"acme-1\""), "\(second.stdout)")

            let hostile = try await cli.run(["reprice", "--table", table, "--from", today, "--to", today], environment: ["AI_USAGE_PRICING_FROM_TABLE": "maybe"])
            #expect(hostile.status == 1)
            #expect(hostile.stderr.contains("AI_USAGE_PRICING_FROM_TABLE must be on or off, got 'maybe'"), "\(hostile.stderr)")
        }
    }
}
