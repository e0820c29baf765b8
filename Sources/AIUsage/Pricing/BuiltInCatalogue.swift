extension PricingCatalogue {
    /// The built-in prices: `pricing/catalogue.json`, embedded at build time by the
    /// EmbedPricingCatalogue plugin. `docs/pricing.md` gives the source of every entry.
    ///
    /// The file is checked by the tests; should it ever be malformed, the first use stops the
    /// process with the reason rather than price anything from a partial list.
    public static let builtIn: PricingCatalogue = {
        do {
            return try CatalogueJSON.read(Array(BuiltInCatalogueData.json.utf8), source: "built-in catalogue (pricing/catalogue.json)")
        } catch {
            preconditionFailure("\(error)")
        }
    }()
}
