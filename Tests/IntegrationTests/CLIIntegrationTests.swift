import Foundation
import TestSupport
import Testing

/// The `ai-usage` executable, run as a user would, against the server `make test` started.
@Suite struct CLIIntegrationTests {
    /// The CLI built next to the test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ai-usage")
    }

    /// Runs the CLI to completion, off the cooperative pool (it blocks until the process exits),
    /// with the test runner's environment changed by `changes` (`nil` removes a variable).
    func run(_ arguments: [String], environment changes: [String: String?] = [:]) async throws -> ChildProcessOutput {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in changes { environment[name] = value }
        return try await ChildProcessRunner.runOffPool(Self.executable.path, arguments, environment: environment)
    }

    @Test func tableCreateDescribeDelete() async throws {
        _ = try IntegrationEnvironment.configuration()
        let name = "it-cli-\(UUID().uuidString.prefix(8).lowercased())"
        let created = try await run(["table", "create", "--table", name])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("Created table \(name) (ACTIVE; indexes GSI1, GSI2, GSI3)"))

        let again = try await run(["table", "create"], environment: ["DYNAMODB_TABLE_NAME": name])
        #expect(again.status == 0)
        #expect(again.stdout.contains("Table \(name) already exists"))

        let described = try await run(["table", "describe", "--table", name])
        #expect(described.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [String: Any]
        #expect(summary?["tableName"] as? String == name)
        #expect(summary?["status"] as? String == "ACTIVE")
        #expect((summary?["indexes"] as? [String: Any])?.keys.sorted() == ["GSI1", "GSI2", "GSI3"])

        let deleted = try await run(["table", "delete", "--table", name])
        #expect(deleted.status == 0)
        #expect(deleted.stdout.hasPrefix("Deleted table \(name)"))

        let missing = try await run(["table", "describe", "--table", name])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("ai-usage: DynamoDB DescribeTable failed: ResourceNotFoundException"))
        #expect(missing.stderr.contains("ai-usage table create"))
    }

    @Test func errorsAreOneClearLine() async throws {
        _ = try IntegrationEnvironment.configuration()
        let noTable = try await run(["table", "describe"], environment: ["DYNAMODB_TABLE_NAME": nil])
        #expect(noTable.status == 1)
        #expect(noTable.stderr == "ai-usage: no table given: pass --table NAME or set DYNAMODB_TABLE_NAME\n")

        let noRegion = try await run(["table", "describe", "--table", "no-such-table"], environment: ["AWS_REGION": nil, "AWS_DEFAULT_REGION": nil])
        #expect(noRegion.status == 1)
        #expect(noRegion.stderr.hasPrefix("ai-usage: AWS_REGION is not set"))

        let refused = try await run(["table", "describe", "--table", "no-such-table"], environment: ["AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("TransportError"))
        #expect(refused.stderr.contains("Is the server at http://127.0.0.1:9 (AWS_ENDPOINT_URL_DYNAMODB) running?"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }

    @Test(.enabled(if: IntegrationEnvironment.verifiesSignatures, "needs a server that verifies signatures (moto)"))
    func wrongSecretSaysWhichVariablesToCheck() async throws {
        let result = try await run(["table", "describe", "--table", "no-such-table"], environment: ["AWS_SECRET_ACCESS_KEY": "wrong"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("SignatureDoesNotMatch"))
        #expect(result.stderr.contains("Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"))
    }

    /// A fresh table for one test, deleted afterwards.
    func withTable(_ body: (String) async throws -> Void) async throws {
        let name = "it-cli-\(UUID().uuidString.prefix(8).lowercased())"
        let created = try await run(["table", "create", "--table", name])
        #expect(created.status == 0, "\(created.stderr)")
        do {
            try await body(name)
        } catch {
            _ = try? await run(["table", "delete", "--table", name])
            throw error
        }
        _ = try await run(["table", "delete", "--table", name])
    }

    func itemCount(_ table: String) async throws -> Int? {
        let described = try await run(["table", "describe", "--table", table])
        let summary = try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [String: Any]
        return summary?["itemCount"] as? Int
    }

    @Test func recordPrintsTheStoredMetric() async throws {
        _ = try IntegrationEnvironment.configuration()
        try await withTable { table in
            let result = try await run(["record", "--table", table, "--service", "OpenAI", "--model", "gpt-4o", "--operation", "completion",
                                  "--input-tokens", "1000", "--output-tokens", "500", "--job-id", "job-7", "--batch-id", "b-1", "--environment", "staging"])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            let json = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
            #expect(json?["service"] as? String == "openai")
            #expect(json?["total_tokens"] as? Int == 1500)
            #expect(json?["job_id"] as? String == "job-7")
            #expect(json?["environment"] as? String == "staging")
            #expect(lines[0].contains(#""cost_usd":0.0125"#))
            #expect(try await itemCount(table) == 1)

            let batch = try await run(["record", "--table", table, "--service", "openai", "--model", "gpt-4o", "--operation", "completion",
                                 "--input-tokens", "1000", "--output-tokens", "500", "--batch-api"])
            #expect(batch.stdout.contains(#""cost_usd":0.00625"#))

            let bad = try await run(["record", "--table", table, "--service", "openai", "--model", "gpt-4o", "--operation", "completion", "--input-tokens=-5"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("--input-tokens must not be negative"))
        }
    }

    @Test func seedIsDeterministicAndIdempotent() async throws {
        _ = try IntegrationEnvironment.configuration()
        try await withTable { table in
            let first = try await run(["seed", "--table", table, "--start", "2026-11-01", "--days", "3", "--per-day", "40", "--seed", "7"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.hasPrefix("Seeded 120 metrics over 3 days from 2026-11-01 into \(table)"))
            #expect(first.stderr.isEmpty)  // no progress bar in a pipe
            // The seeded days are closed, so seed compacts them: per day one dirty marker (left by
            // the writes) and one manifest, plus one item per group and per summary group.
            let rollupLine = try #require(first.stdout.split(separator: "\n").first { $0.hasPrefix("Rollups ") })
            #expect(rollupLine.contains("2026-11-01..2026-11-03 in \(table): 3 days written, 0 unchanged, 0 still open (120 raw items read, "))
            let counts = rollupLine.split(separator: "raw items read, ").last?.split(separator: " ") ?? []
            let groups = try #require(counts.count >= 4 ? Int(counts[0]) : nil)
            let summaries = try #require(counts.count >= 4 ? Int(counts[2]) : nil)
            // Summary groups merge fine ones (no environment or user), so there are fewer, and at
            // least one a day.
            #expect(summaries >= 3 && summaries < groups)
            let afterFirst = 120 + groups + summaries + 3 + 3
            #expect(try await itemCount(table) == afterFirst)
            let again = try await run(["seed", "--table", table, "--start", "2026-11-01", "--days", "3", "--per-day", "40", "--seed", "7"])
            #expect(again.status == 0)
            // The same items again: each day's marker has a new token, so its manifest is rewritten
            // to record it, over the very same groups.
            #expect(again.stdout.contains(": 3 days written, 0 unchanged, 0 still open (120 raw items read, \(groups) groups, \(summaries) summary groups)"))
            #expect(try await itemCount(table) == afterFirst)
            // Without compaction the day's marker (already there) is rewritten, so only the 10 metrics are new.
            let other = try await run(["seed", "--table", table, "--start", "2026-11-01", "--days", "1", "--per-day", "10", "--seed", "8", "--no-rollup"])
            #expect(other.status == 0)
            #expect(!other.stdout.contains("Rollups "))
            #expect(try await itemCount(table) == afterFirst + 10)

            let badDate = try await run(["seed", "--table", table, "--start", "2026-02-30"])
            #expect(badDate.status != 0)
            #expect(badDate.stderr.contains("--start must be a real date as YYYY-MM-DD"))
        }
    }

    @Test func recordSpillsDuringAnOutageAndReplayWritesItOnce() async throws {
        let configuration = try IntegrationEnvironment.configuration()
        let spill = FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-cli-spill-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: spill) }
        try await withTable { table in
            let down = try await run(["record", "--table", table, "--service", "anthropic", "--model", "claude-3-haiku-20240307", "--operation", "completion",
                                "--input-tokens", "10", "--output-tokens", "10"],
                               environment: ["AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AI_USAGE_SPILL_FILE": spill])
            #expect(down.status == 1)
            #expect(down.stderr.contains("spilled to \(spill)"))
            #expect(down.stderr.contains("ai-usage replay"))
            #expect(try String(contentsOfFile: spill, encoding: .utf8).split(separator: "\n").count == 1)

            let replayed = try await run(["replay", "--table", table, spill], environment: ["AWS_ENDPOINT_URL_DYNAMODB": configuration.endpoint.url])
            #expect(replayed.status == 0, "\(replayed.stderr)")
            #expect(replayed.stdout.hasPrefix("Replayed 1 metrics from \(spill) into \(table); 0 remain"))
            let twice = try await run(["replay", "--table", table], environment: ["AI_USAGE_SPILL_FILE": spill])
            #expect(twice.stdout.hasPrefix("Replayed 0 metrics"))
            #expect(try await itemCount(table) == 1)
        }
    }

    @Test func helpNamesEveryCommand() async throws {
        let help = try await run(["--help"])
        #expect(help.status == 0)
        for command in ["table", "record", "seed", "replay"] { #expect(help.stdout.contains(command)) }
        for variable in ["DYNAMODB_TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB", "AI_USAGE_SPILL_FILE", "AI_USAGE_PRICING_FILE", "TRACK_TO_FILE"] {
            #expect(help.stdout.contains(variable), "--help mentions \(variable)")
        }
    }
}
