/// The prices of one model (or per-call operation) of one provider, from a date on.
///
/// A model has one entry per price change; the entry in force at a call's timestamp is the one
/// with the latest ``effectiveFrom`` not after it.
public struct CatalogueEntry: Sendable, Hashable {
    /// The service that bills it: `openai`, `anthropic`, `google`, `google_places`; lower-case.
    public var provider: String
    /// The model name (or, for a per-call price, the operation), lower-case.
    public var model: String
    /// When these prices start to apply (UTC).
    public var effectiveFrom: UTCTimestamp
    /// The standard prices.
    public var prices: PriceSet
    /// Batch API prices; a unit without one pays the standard price × the service's batch
    /// multiplier (half, for OpenAI and Anthropic).
    public var batch: PriceSet?
    /// Service-tier prices by tier name (`flex`, `priority`): they replace the standard prices they have.
    public var serviceTiers: [String: PriceSet]
    /// Long-context tiers, lowest threshold first.
    public var tiers: [PriceTier]
    /// Other names of the model (e.g. `chatgpt-4o-latest`), lower-case.
    public var aliases: [String]
    /// Where the prices come from (`litellm`, `openai.com/api/pricing`, …); informational.
    public var source: String?
    /// The version of the catalogue this entry came from: what an item's `priced_with` records.
    public var catalogueVersion: String
    /// From a legacy override file: it replaces every entry of the model in lower layers, whatever their dates.
    public var replacesHistory: Bool
    /// From a legacy override file's `null`: the model is removed from the layers below.
    public var isRemoval: Bool

    public init(
        provider: String,
        model: String,
        effectiveFrom: UTCTimestamp,
        prices: PriceSet,
        batch: PriceSet? = nil,
        serviceTiers: [String: PriceSet] = [:],
        tiers: [PriceTier] = [],
        aliases: [String] = [],
        source: String? = nil,
        catalogueVersion: String = "",
        replacesHistory: Bool = false,
        isRemoval: Bool = false
    ) {
        self.provider = provider.lowercased()
        self.model = model.lowercased()
        self.effectiveFrom = effectiveFrom
        self.prices = prices
        self.batch = batch
        self.serviceTiers = serviceTiers
        self.tiers = tiers.sorted { $0.aboveInputTokens < $1.aboveInputTokens }
        self.aliases = aliases.map { $0.lowercased() }
        self.source = source
        self.catalogueVersion = catalogueVersion
        self.replacesHistory = replacesHistory
        self.isRemoval = isRemoval
    }

    /// Whether it is priced per call (an operation) rather than per token.
    public var isPerCall: Bool { prices[.perCall] != nil }

    /// The same prices as `other`: what an import compares to decide whether anything changed.
    public func hasSamePrices(as other: CatalogueEntry) -> Bool {
        prices == other.prices && batch == other.batch && serviceTiers == other.serviceTiers && tiers == other.tiers
    }
}
