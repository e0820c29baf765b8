import Foundation
import TestSupport
import Testing

/// `ai-usage pricing import/diff/show` as a child process, beyond PricingCommandTests: a monthly
/// re-import that re-prices a model into an existing catalogue (the file is replaced, not lost),
/// `--dry-run`, the default target from AI_USAGE_PRICING_FILE, `--catalogue-version`, refusals
/// that leave every file as it was, the JSON forms, and the help. No DynamoDB server is needed.
@Suite struct PricingCLITests {
    let cli = CLIIntegrationTests()

    static var fixture: String { PricingCommandTests.fixture }

    /// The fixture with gpt-3.5-turbo-instruct's input price changed, as next month's map.
    static func repriced(in directory: URL) throws -> String {
        let map = try String(contentsOfFile: fixture, encoding: .utf8)
            .replacingOccurrences(of: "\"input_cost_per_token\": 1.5e-06", with: "\"input_cost_per_token\": 1.25e-06")
        let path = directory.appendingPathComponent("next-month.json").path
        try map.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = try PricingCommandTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// Everything in `directory` but the files named: no temporary file may be left behind.
    static func others(in directory: URL, than names: Set<String>) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !names.contains($0) }.sorted()
    }

    @Test func aMonthlyReimportReplacesTheCatalogueAndKeepsTheHistory() async throws {
        try await withDirectory { directory in
            let catalogue = directory.appendingPathComponent("prices.json").path
            let environment: [String: String?] = ["AI_USAGE_PRICING_FILE": catalogue, "AI_USAGE_PRICING_FROM_TABLE": nil]

            // No --into: the file AI_USAGE_PRICING_FILE names, created.
            let first = try await cli.run(["pricing", "import", Self.fixture, "--effective-from", "2026-11-01"], environment: environment)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("5 new, 0 changed, 0 unchanged"), "\(first.stdout)")

            let next = try Self.repriced(in: directory)
            let second = try await cli.run(["pricing", "import", next, "--effective-from", "2026-12-01", "--catalogue-version", "prices-2026-12"], environment: environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("openai/gpt-3.5-turbo-instruct: input 0.0000015 → 0.00000125"), "\(second.stdout)")
            #expect(second.stdout.contains("0 new, 1 changed, 4 unchanged"))
            #expect(second.stdout.contains("Wrote \(catalogue): catalogue prices-2026-12, 0 models added, 1 re-priced from 2026-12-01"))

            // The file was replaced, whole: both dates of the re-priced model, one version.
            let written = try #require(Self.bytes(catalogue), "the catalogue file is gone after a re-import that changed a price")
            let text = String(decoding: written, as: UTF8.self)
            #expect(text.contains("\"version\": \"prices-2026-12\""))
            #expect(text.components(separatedBy: "\"model\": \"gpt-3.5-turbo-instruct\"").count == 3, "\(text)")
            #expect(try Self.others(in: directory, than: ["prices.json", "next-month.json"]).isEmpty)

            // Priced with the file: the old price before the date, the new one from it.
            let before = try await cli.run(["pricing", "show", "gpt-3.5-turbo-instruct", "--service", "openai", "--at", "2026-11-30T23:59:59Z"], environment: environment)
            #expect(before.status == 0, "\(before.stderr)")
            #expect(before.stdout.contains("input           0.0000015  (1.5 per 1M)"), "\(before.stdout)")
            let after = try await cli.run(["pricing", "show", "gpt-3.5-turbo-instruct", "--service", "openai", "--at", "2026-12-01"], environment: environment)
            #expect(after.stdout.contains("input           0.00000125  (1.25 per 1M)"), "\(after.stdout)")
            #expect(after.stdout.contains("catalogue prices-2026-12"))
            #expect(after.stdout.contains("    2026-11-01  input 0.0000015, output 0.000002  (prices-2026-12)"))
            #expect(after.stdout.contains("    2026-12-01  input 0.00000125, output 0.000002  (prices-2026-12)"))

            // The same map again: nothing added, not a byte changed.
            let again = try await cli.run(["pricing", "import", next, "--effective-from", "2026-12-01"], environment: environment)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("0 new, 0 changed, 5 unchanged"), "\(again.stdout)")
            #expect(Self.bytes(catalogue) == written)
        }
    }

    @Test func aDryRunWritesNothing() async throws {
        try await withDirectory { directory in
            let catalogue = directory.appendingPathComponent("prices.json").path
            let dry = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue, "--effective-from", "2026-11-01", "--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("openai/gpt-9: new (input 0.0000025"), "\(dry.stdout)")
            #expect(dry.stdout.contains("5 new, 0 changed, 0 unchanged"))
            #expect(!FileManager.default.fileExists(atPath: catalogue))

            _ = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue, "--effective-from", "2026-11-01"])
            let written = try #require(Self.bytes(catalogue))
            let next = try Self.repriced(in: directory)
            let dryChange = try await cli.run(["pricing", "import", next, "--into", catalogue, "--effective-from", "2026-12-01", "--dry-run"])
            #expect(dryChange.status == 0)
            #expect(dryChange.stdout.contains("0 new, 1 changed, 4 unchanged"), "\(dryChange.stdout)")
            #expect(Self.bytes(catalogue) == written)
            #expect(try Self.others(in: directory, than: ["prices.json", "next-month.json"]).isEmpty)
        }
    }

    @Test func refusalsLeaveEveryFileAsItWas() async throws {
        try await withDirectory { directory in
            let catalogue = directory.appendingPathComponent("prices.json").path
            let bad = directory.appendingPathComponent("bad.json").path
            try #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06}, "o3": {"litellm_provider": "openai", "output_cost_per_token": [1]}}"#
                .write(toFile: bad, atomically: true, encoding: .utf8)

            // A malformed map: the catalogue it was to go into is not even created.
            let refused = try await cli.run(["pricing", "import", bad, "--into", catalogue])
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("ai-usage: "), "\(refused.stderr)")
            #expect(refused.stderr.contains("\"o3\""))
            #expect(refused.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: catalogue))

            // A catalogue file that does not read is refused, not overwritten.
            try Data("{\"format\": \"ai-usage-pricing/1\", \"version\": \"v\", \"entries\": [{}]}".utf8).write(to: URL(fileURLWithPath: catalogue))
            let broken = try #require(Self.bytes(catalogue))
            let intoBroken = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue])
            #expect(intoBroken.status == 1)
            #expect(intoBroken.stderr.contains("pricing file '\(catalogue)': entries[0]"), "\(intoBroken.stderr)")
            #expect(Self.bytes(catalogue) == broken)
            let diffBroken = try await cli.run(["pricing", "diff", Self.fixture, "--against", catalogue])
            #expect(diffBroken.status == 1)

            // A date that is not one.
            let badDate = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue, "--effective-from", "2026-02-30"])
            #expect(badDate.status != 0)
            #expect(badDate.stderr.contains("--effective-from must be a real date as YYYY-MM-DD"))
            #expect(Self.bytes(catalogue) == broken)
            #expect(try Self.others(in: directory, than: ["prices.json", "bad.json"]).isEmpty)
        }
    }

    @Test func diffAndShowAsJSON() async throws {
        try await withDirectory { directory in
            let catalogue = directory.appendingPathComponent("prices.json").path
            _ = try await cli.run(["pricing", "import", Self.fixture, "--into", catalogue, "--effective-from", "2026-11-01"])
            let next = try Self.repriced(in: directory)
            let diff = try await cli.run(["pricing", "diff", next, "--against", catalogue, "--effective-from", "2026-12-01", "--json"])
            #expect(diff.status == 0, "\(diff.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
            #expect(object["effective_from"] as? String == "2026-12-01")
            #expect(object["changed"] as? Int == 1)
            #expect(object["added"] as? Int == 0)
            #expect(object["unchanged"] as? Int == 4)
            let change = try #require((object["changes"] as? [[String: Any]])?.first)
            #expect(change["model"] as? String == "gpt-3.5-turbo-instruct")
            // Prices stay decimal strings: exact, never a binary float.
            #expect(((change["old"] as? [String: Any])?["prices"] as? [String: Any])?["input"] as? String == "0.0000015")
            #expect(((change["new"] as? [String: Any])?["prices"] as? [String: Any])?["input"] as? String == "0.00000125")

            // No change: still exit status 0.
            let none = try await cli.run(["pricing", "diff", Self.fixture, "--against", catalogue, "--effective-from", "2026-11-01"])
            #expect(none.status == 0)
            #expect(none.stdout.hasPrefix("0 new, 0 changed, 5 unchanged"), "\(none.stdout)")

            let shown = try await cli.run(["pricing", "show", "openai/gpt-9", "--at", "2026-11-02", "--json"], environment: ["AI_USAGE_PRICING_FILE": catalogue, "AI_USAGE_PRICING_FROM_TABLE": nil])
            #expect(shown.status == 0, "\(shown.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
            let match = try #require((report["matches"] as? [[String: Any]])?.first)
            #expect(match["model"] as? String == "gpt-9")
            #expect(match["rule"] as? String == "provider prefix removed")
            #expect(match["catalogue_version"] as? String == "litellm-2026-11-01")
            #expect(((match["entry"] as? [String: Any])?["prices"] as? [String: Any])?["input"] as? String == "0.0000025")

            let miss = try await cli.run(["pricing", "show", "gpt-9", "--service", "anthropic"], environment: ["AI_USAGE_PRICING_FILE": catalogue, "AI_USAGE_PRICING_FROM_TABLE": nil])
            #expect(miss.status == 1)
            #expect(miss.stdout.hasPrefix("no price for 'gpt-9' in service 'anthropic'\n"), "\(miss.stdout)")
        }
    }

    @Test func everyCommandHasCompleteHelp() async throws {
        let expected: [String: [String]] = [
            "import": ["USAGE: ai-usage pricing import <file>", "--into", "--effective-from", "--catalogue-version", "--dry-run", "AI_USAGE_PRICING_FILE", "today, UTC"],
            "diff": ["USAGE: ai-usage pricing diff <file>", "--against", "--effective-from", "--json", "Exit status 0"],
            "show": ["USAGE: ai-usage pricing show", "<model>", "--service", "--at", "--json", "per million tokens", "Exit status 1"],
        ]
        for (command, parts) in expected {
            let help = try await cli.run(["pricing", command, "--help"])
            #expect(help.status == 0)
            // Wrapped to the terminal's width: compare with the words on one line.
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for part in parts {
                #expect(text.contains(part), "pricing \(command) --help lacks \(part)")
            }
        }
    }
}
