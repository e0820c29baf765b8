/// The cost of one call, or why there is none.
public struct CostResult: Sendable, Hashable {
    /// Exact USD cost, **not rounded** (rounding happens once, at output). `nil` means unknown,
    /// never "free": `note` then says why.
    public var costUSD: ExactDecimal?
    /// The catalogue model that priced the call: a model, a model family (`gpt-4o` for
    /// `gpt-4o-2024-05-13`) or a per-call operation (`place_details`).
    public var pricedAs: String?
    /// `true` when the cost rests on an assumed input/output split of a total-only usage.
    public var isEstimated: Bool
    /// Why the cost is unknown, or what was assumed or adjusted to compute it.
    public var note: String?

    /// Where the money went: one part per billed unit, in catalogue order; their costs add up
    /// to ``costUSD`` exactly.
    public var breakdown: [CostPart]
    /// The version of the catalogue whose entry priced the call (an item's `priced_with`).
    public var pricedWith: String?
    /// When the entry that priced the call took effect.
    public var effectiveFrom: UTCTimestamp?

    public init(
        costUSD: ExactDecimal?, pricedAs: String?, isEstimated: Bool = false, note: String? = nil,
        breakdown: [CostPart] = [], pricedWith: String? = nil, effectiveFrom: UTCTimestamp? = nil
    ) {
        self.costUSD = costUSD
        self.pricedAs = pricedAs
        self.isEstimated = isEstimated
        self.note = note
        self.breakdown = breakdown
        self.pricedWith = pricedWith
        self.effectiveFrom = effectiveFrom
    }

    static func unpriced(_ reason: String, pricedAs: String? = nil) -> CostResult {
        CostResult(costUSD: nil, pricedAs: pricedAs, note: reason)
    }
}

/// One billed unit of a call's cost: `quantity × price = cost`, exactly.
public struct CostPart: Sendable, Hashable {
    public var unit: PriceKey
    public var quantity: Int
    public var price: ExactDecimal
    public var cost: ExactDecimal { ExactDecimal(quantity) * price }
}

/// Prices calls from a ``PricingCatalogue``. All arithmetic is exact; nothing is rounded.
///
/// `docs/pricing.md` has the full account:
/// - a per-call operation of the service (exact operation name) is looked up first:
///   cost = price × `apiCalls`;
/// - otherwise the model is resolved (``PricingCatalogue/resolve(_:provider:)``) and the entry in
///   force at the call's timestamp prices it;
/// - the price set is the standard one, or above a long-context threshold the tier's (for the
///   whole request), then the Batch API's (its own prices, else × the service's multiplier) or
///   a service tier's (`flex`, `priority`);
/// - cost = (input − cached) × input + (cached + cache reads) × cache read
///   + 5-minute writes × cache write 5m + 1-hour writes × cache write 1h
///   + (output − reasoning) × output + reasoning × reasoning + images × per image;
/// - a missing input or output count is derived from the total when the total allows it; with
///   only a total, the service's split is assumed and the result is marked estimated; an
///   input-only model (embeddings) takes the whole total as input, exactly.
public struct CostCalculator: Sendable {
    public let catalogue: PricingCatalogue

    public init(catalogue: PricingCatalogue = .builtIn) {
        self.catalogue = catalogue
    }

    /// The cost of one call made at `timestamp`. `model` is the name to price: pass the
    /// response's own model name (``TokenUsage/model``) when there is one, as it is the most specific.
    public func cost(
        service: String,
        model: String,
        operation: String,
        usage: TokenUsage,
        isBatch: Bool = false,
        at timestamp: UTCTimestamp = .now()
    ) -> CostResult {
        let provider = service.lowercased()
        guard catalogue.hasProvider(provider) else {
            return .unpriced("no prices for service '\(service)'")
        }
        let operationName = operation.lowercased()
        if let perCall = catalogue.entry(provider: provider, model: operationName, at: timestamp), perCall.isPerCall {
            return callCost(perCall, operation: operationName, usage: usage, isBatch: isBatch, provider: provider)
        }
        if let first = catalogue.history(provider: provider, model: operationName).first, first.isPerCall, first.effectiveFrom > timestamp {
            return .unpriced(
                "no price for operation '\(operationName)' in force at \(timestamp.iso8601) (its first price takes effect \(CatalogueJSON.dateText(first.effectiveFrom)))",
                pricedAs: operationName
            )
        }
        guard let resolution = catalogue.resolve(model, provider: provider) else {
            let histories = catalogue.entries.filter { $0.provider == provider }
            let hasModels = histories.contains { !$0.isPerCall }
            let hasOperations = histories.contains(where: \.isPerCall)
            if !hasModels {
                return .unpriced("no price for operation '\(operation)' of service '\(provider)'")
            }
            if hasOperations {
                return .unpriced("no price for model '\(model)' or operation '\(operation)' of service '\(provider)'")
            }
            return .unpriced("no price for model '\(model)' of service '\(provider)'")
        }
        guard let entry = catalogue.entry(provider: provider, model: resolution.model, at: timestamp) else {
            let first = catalogue.history(provider: provider, model: resolution.model).first.map { CatalogueJSON.dateText($0.effectiveFrom) } ?? "?"
            return .unpriced("no price for '\(resolution.model)' in force at \(timestamp.iso8601) (its first price takes effect \(first))", pricedAs: resolution.model)
        }
        if entry.isPerCall {
            return callCost(entry, operation: resolution.model, usage: usage, isBatch: isBatch, provider: provider)
        }
        var costing = TokenCosting(entry: entry, rules: ServiceRules.of(provider), usage: usage, isBatch: isBatch)
        var result = costing.result()
        result.pricedAs = resolution.model
        return result
    }

    private func callCost(_ entry: CatalogueEntry, operation: String, usage: TokenUsage, isBatch: Bool, provider: String) -> CostResult {
        guard usage.apiCalls >= 0 else {
            return .unpriced("apiCalls is negative (\(usage.apiCalls))", pricedAs: operation)
        }
        var price = entry.prices[.perCall] ?? .zero
        var note: String?
        if isBatch {
            if let multiplier = ServiceRules.of(provider).batchMultiplier {
                price = price * multiplier
            } else {
                note = "service '\(provider)' has no batch discount; standard price charged"
            }
        }
        let part = CostPart(unit: .perCall, quantity: usage.apiCalls, price: price)
        return CostResult(
            costUSD: part.cost, pricedAs: operation, isEstimated: usage.isEstimated, note: note, breakdown: part.quantity > 0 ? [part] : [],
            pricedWith: entry.catalogueVersion, effectiveFrom: entry.effectiveFrom
        )
    }
}

extension CostResult {
    mutating func appendNote(_ text: String) {
        note = note.map { "\($0); \(text)" } ?? text
    }
}
