import PackagePlugin

/// Embeds `pricing/catalogue.json` (the built-in prices, a data file) in the AIUsage module at
/// build time, as `BuiltInCatalogueData.json`: the binary carries its prices, with no resource
/// bundle (and so no Foundation) to find at run time.
@main
struct EmbedPricingCatalogue: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "pricing/catalogue.json")
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltInCatalogueData.swift")
        return [
            .buildCommand(
                displayName: "Embedding the built-in price catalogue (pricing/catalogue.json)",
                executable: try context.tool(named: "embed-pricing-catalogue").url,
                arguments: [input.path(percentEncoded: false), output.path(percentEncoded: false)],
                inputFiles: [input],
                outputFiles: [output]
            ),
        ]
    }
}
