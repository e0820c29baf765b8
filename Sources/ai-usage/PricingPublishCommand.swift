import AIUsage
import ArgumentParser
import DynamoDB
import Foundation

struct PricingPublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a catalogue file to the table, for every tracker that reads it.",
        discussion: """
            Writes the catalogue's entries to the usage table (items PRICING#VERSION#<version>), \
            then points PRICING#CATALOGUE/CURRENT at that version, so a reader sees the old \
            catalogue or the new one whole. Trackers and CLIs with AI_USAGE_PRICING_FROM_TABLE=on \
            price with it, layered over the built-in prices (AI_USAGE_PRICING_FILE still goes on \
            top); running trackers re-read it every AI_USAGE_PRICING_REFRESH_SECONDS (default 300). \
            Publishing the same version again rewrites it. Run 'ai-usage reprice' afterwards to \
            re-price calls already recorded.
            """
    )

    @OptionGroup var table: TableOptions
    @Argument(help: "The catalogue file (default: $AI_USAGE_PRICING_FILE).") var file: String?

    func run() async throws {
        try await reportingErrors {
            guard let path = file ?? ProcessInfo.processInfo.environment[PricingCatalogue.fileEnvironmentVariable], !path.isEmpty else {
                throw CLIError("name the catalogue file to publish (ai-usage pricing publish FILE), or set AI_USAGE_PRICING_FILE")
            }
            let catalogue: PricingCatalogue
            do throws(PricingFileError) {
                catalogue = try PricingCatalogue.read(file: path)
            } catch {
                throw CLIError("\(error.description): fix the file, then publish it again")
            }
            let store = PublishedCatalogue(client: try table.client(), tableName: try table.tableName())
            let count = try await store.publish(catalogue)
            print("Published catalogue \(catalogue.version) (\(count) entries) to \(try table.tableName()); trackers with AI_USAGE_PRICING_FROM_TABLE=on use it from their next refresh")
        }
    }
}
