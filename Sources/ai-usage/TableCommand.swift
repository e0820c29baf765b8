import AIUsage
import ArgumentParser
import DynamoDB
import Foundation

struct TableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Create, delete or describe the AI-usage table.",
        subcommands: [Create.self, Delete.self, Describe.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the table (PK/SK, GSI1-3 projecting all attributes, on-demand billing).",
            discussion: "Idempotent: an existing table is left as it is. Waits until the table is ACTIVE."
        )
        @OptionGroup var options: TableOptions

        func run() async throws {
            try await reportingErrors {
                let name = try options.tableName()
                let client = try options.client()
                let outcome = try await client.createTableIfMissing(AIUsageTable.createTableInput(name: name))
                let indexes = (outcome.table.globalSecondaryIndexes ?? []).map(\.indexName).sorted().joined(separator: ", ")
                let state = outcome.table.tableStatus ?? "unknown"
                if outcome.created {
                    print("Created table \(name) (\(state); indexes \(indexes)) at \(client.configuration.endpoint)")
                } else {
                    print("Table \(name) already exists (\(state); indexes \(indexes)) at \(client.configuration.endpoint); nothing to do")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the table and every item in it.",
            discussion: "Waits until the table is gone. Deleting a table that does not exist is not an error."
        )
        @OptionGroup var options: TableOptions

        func run() async throws {
            try await reportingErrors {
                let name = try options.tableName()
                let client = try options.client()
                if try await client.deleteTableAndWait(name) {
                    print("Deleted table \(name) at \(client.configuration.endpoint)")
                } else {
                    print("Table \(name) does not exist at \(client.configuration.endpoint); nothing to do")
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the table's status, keys, indexes and item count as JSON."
        )
        @OptionGroup var options: TableOptions

        func run() async throws {
            try await reportingErrors {
                let name = try options.tableName()
                let table = try await options.client().describeTable(name)
                print(TableSummary(table).json)
            }
        }
    }
}

/// The parts of a table description people look at, as stable, sorted JSON.
struct TableSummary: Encodable {
    var tableName: String
    var status: String?
    var itemCount: Int?
    var billingMode: String?
    var keySchema: [String: String]
    var indexes: [String: [String: String]]

    init(_ table: TableDescription) {
        tableName = table.tableName
        status = table.tableStatus
        itemCount = table.itemCount
        billingMode = table.billingModeSummary?.billingMode?.rawValue
        keySchema = Self.keys(table.keySchema ?? [])
        indexes = Dictionary(uniqueKeysWithValues: (table.globalSecondaryIndexes ?? []).map { ($0.indexName, Self.keys($0.keySchema)) })
    }

    static func keys(_ schema: [KeySchemaElement]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: schema.map { ($0.keyType.rawValue, $0.attributeName) })
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
