import Foundation
import Testing

/// The `ai-usage` executable, run as a user would, against the server `make test` started.
@Suite struct CLIIntegrationTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The CLI built next to the test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ai-usage")
    }

    func run(_ arguments: [String], environment changes: [String: String?] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in changes { environment[name] = value }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func tableCreateDescribeDelete() throws {
        _ = try IntegrationEnvironment.configuration()
        let name = "it-cli-\(UUID().uuidString.prefix(8).lowercased())"
        let created = try run(["table", "create", "--table", name])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("Created table \(name) (ACTIVE; indexes GSI1, GSI2, GSI3)"))

        let again = try run(["table", "create"], environment: ["DYNAMODB_TABLE_NAME": name])
        #expect(again.status == 0)
        #expect(again.stdout.contains("Table \(name) already exists"))

        let described = try run(["table", "describe", "--table", name])
        #expect(described.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [String: Any]
        #expect(summary?["tableName"] as? String == name)
        #expect(summary?["status"] as? String == "ACTIVE")
        #expect((summary?["indexes"] as? [String: Any])?.keys.sorted() == ["GSI1", "GSI2", "GSI3"])

        let deleted = try run(["table", "delete", "--table", name])
        #expect(deleted.status == 0)
        #expect(deleted.stdout.hasPrefix("Deleted table \(name)"))

        let missing = try run(["table", "describe", "--table", name])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("ai-usage: DynamoDB DescribeTable failed: ResourceNotFoundException"))
        #expect(missing.stderr.contains("ai-usage table create"))
    }

    @Test func errorsAreOneClearLine() throws {
        _ = try IntegrationEnvironment.configuration()
        let noTable = try run(["table", "describe"], environment: ["DYNAMODB_TABLE_NAME": nil])
        #expect(noTable.status == 1)
        #expect(noTable.stderr == "ai-usage: no table given: pass --table NAME or set DYNAMODB_TABLE_NAME\n")

        let noRegion = try run(["table", "describe", "--table", "x"], environment: ["AWS_REGION": nil, "AWS_DEFAULT_REGION": nil])
        #expect(noRegion.status == 1)
        #expect(noRegion.stderr.hasPrefix("ai-usage: AWS_REGION is not set"))

        let refused = try run(["table", "describe", "--table", "x"], environment: ["AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("TransportError"))
        #expect(refused.stderr.contains("Is the server at http://127.0.0.1:9 (AWS_ENDPOINT_URL_DYNAMODB) running?"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }

    @Test(.enabled(if: IntegrationEnvironment.verifiesSignatures, "needs a server that verifies signatures (moto)"))
    func wrongSecretSaysWhichVariablesToCheck() throws {
        let result = try run(["table", "describe", "--table", "x"], environment: ["AWS_SECRET_ACCESS_KEY": "wrong"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("SignatureDoesNotMatch"))
        #expect(result.stderr.contains("Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"))
    }
}
