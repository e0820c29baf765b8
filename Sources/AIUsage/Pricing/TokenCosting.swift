/// The cost of one token-priced call under one catalogue entry (``CostCalculator`` resolves the
/// entry; this applies it).
struct TokenCosting {
    let entry: CatalogueEntry
    let rules: ServiceRules
    let usage: TokenUsage
    let isBatch: Bool

    private var notes: [String] = []

    init(entry: CatalogueEntry, rules: ServiceRules, usage: TokenUsage, isBatch: Bool) {
        self.entry = entry
        self.rules = rules
        self.usage = usage
        self.isBatch = isBatch
    }

    /// Service tiers that mean the standard prices.
    static let standardTiers: Set<String> = ["default", "auto", "standard", ""]
    // (`batch`, Anthropic's name for a Message Batches call, means the batch prices.)

    mutating func result() -> CostResult {
        let key = entry.model
        func unpriced(_ reason: String) -> CostResult { .unpriced(reason, pricedAs: key) }
        let counts: [(String, Int?)] = [
            ("inputTokens", usage.inputTokens), ("outputTokens", usage.outputTokens),
            ("totalTokens", usage.totalTokens), ("cachedInputTokens", usage.cachedInputTokens),
            ("cacheCreationInputTokens", usage.cacheCreationInputTokens),
            ("cacheCreation1hInputTokens", usage.cacheCreation1hInputTokens),
            ("cacheReadInputTokens", usage.cacheReadInputTokens), ("reasoningTokens", usage.reasoningTokens),
            ("images", usage.images),
        ]
        for (name, value) in counts {
            if let value, value < 0 { return unpriced("\(name) is negative (\(value))") }
        }

        // An entry priced only per image (an image model).
        if entry.prices[.input] == nil {
            guard let perImage = entry.prices[.perImage] else { return unpriced("model '\(key)' has no input price") }
            guard let images = usage.images else { return unpriced("model '\(key)' is priced per image and the usage has no image count") }
            // The batch discount and a service tier apply to images as to tokens.
            let price = priceSet(context: 0)[.perImage] ?? perImage
            return finish([CostPart(unit: .perImage, quantity: images, price: price)], isEstimated: usage.isEstimated)
        }

        let cacheWrites = usage.cacheCreationInputTokens ?? 0
        let cacheWrites1h = usage.cacheCreation1hInputTokens ?? 0
        let cacheReads = usage.cacheReadInputTokens ?? 0
        let cached = usage.cachedInputTokens ?? 0
        // Tokens in the total that are neither input nor output (Anthropic cache traffic).
        let (extra, extraOverflow) = cacheWrites.addingReportingOverflow(cacheReads)
        guard !extraOverflow else { return unpriced("cache token counts overflow") }
        // An input-only model (embeddings): no output price, or LiteLLM's output price 0.
        let inputOnly = entry.prices[.output]?.isZero ?? true

        var isEstimated = usage.isEstimated
        let input: Int
        let output: Int
        switch (usage.inputTokens, usage.outputTokens, usage.totalTokens) {
        case let (i?, o?, _):
            (input, output) = (i, o)
        case let (i?, nil, total):
            if inputOnly {
                (input, output) = (i, 0)
            } else if let total, total >= extra, total - extra >= i {
                (input, output) = (i, total - extra - i)
                notes.append("output tokens derived from total tokens")
            } else {
                (input, output) = (i, 0)
                notes.append("output token count missing; counted as 0")
            }
        case let (nil, o?, total):
            if let total, total >= extra, total - extra >= o {
                (input, output) = (total - extra - o, o)
                notes.append("input tokens derived from total tokens")
            } else {
                (input, output) = (0, o)
                notes.append("input token count missing; counted as 0")
            }
        case let (nil, nil, total?):
            let tokens = max(total - extra, 0)
            if inputOnly {
                (input, output) = (tokens, 0)
            } else {
                let split = rules.totalOnlySplit
                (input, output) = split.split(tokens)
                isEstimated = true
                notes.append("only total tokens known; input/output split estimated as \(split.inputParts)/\(split.parts - split.inputParts) of \(split.parts)")
            }
        case (nil, nil, nil):
            return unpriced("usage has no token counts")
        }

        if entry.prices[.output] == nil && output > 0 {
            return unpriced("model '\(key)' has no output price but the usage has \(output) output tokens")
        }
        guard cached <= input else {
            return unpriced("cached input tokens (\(cached)) exceed input tokens (\(input))")
        }
        guard cacheWrites1h <= cacheWrites else {
            return unpriced("1-hour cache-write tokens (\(cacheWrites1h)) exceed cache-write tokens (\(cacheWrites))")
        }
        let reasoning = usage.reasoningTokens ?? 0
        guard reasoning <= output else {
            return unpriced("reasoning tokens (\(reasoning)) exceed output tokens (\(output))")
        }
        let (context, contextOverflow) = input.addingReportingOverflow(extra)
        guard !contextOverflow else { return unpriced("token counts overflow") }

        let prices = priceSet(context: context)
        guard let inputPrice = prices[.input] else { return unpriced("model '\(key)' has no input price") }
        let cacheReadPrice: ExactDecimal
        if let price = prices[.cacheRead] {
            cacheReadPrice = price
        } else if let multiplier = rules.cacheReadMultiplier {
            cacheReadPrice = inputPrice * multiplier
        } else {
            cacheReadPrice = inputPrice
            if cached + cacheReads > 0 { notes.append("no cached-input price for '\(key)'; cached tokens charged at the input price") }
        }
        let outputPrice = prices[.output] ?? .zero
        var parts = [
            CostPart(unit: .input, quantity: input - cached, price: inputPrice),
            CostPart(unit: .cacheRead, quantity: cached + cacheReads, price: cacheReadPrice),
            CostPart(unit: .cacheWrite5m, quantity: cacheWrites - cacheWrites1h, price: prices[.cacheWrite5m] ?? inputPrice * rules.cacheWrite5mMultiplier),
            CostPart(unit: .cacheWrite1h, quantity: cacheWrites1h, price: prices[.cacheWrite1h] ?? inputPrice * rules.cacheWrite1hMultiplier),
            CostPart(unit: .output, quantity: output - reasoning, price: outputPrice),
            CostPart(unit: .reasoning, quantity: reasoning, price: prices[.reasoning] ?? outputPrice),
        ]
        if let images = usage.images, images > 0 {
            guard let perImage = prices[.perImage] else { return unpriced("model '\(key)' has no per-image price but the usage has \(images) images") }
            parts.append(CostPart(unit: .perImage, quantity: images, price: perImage))
        }
        return finish(parts, isEstimated: isEstimated)
    }

    /// The prices that apply: standard, or the long-context tier's above its threshold; then the
    /// Batch API's (its own prices over the discounted ones) or the service tier's. A tier or a
    /// service tier re-prices the units that follow the ones it names (``layered(_:under:)``).
    /// Above a long-context threshold, the tier's own batch and service-tier prices apply; the
    /// standard-context ones do not (a service tier without long-context prices is charged the
    /// long-context prices, with a note).
    private mutating func priceSet(context: Int) -> PriceSet {
        var prices = entry.prices
        let longContext = entry.tiers.last(where: { context > $0.aboveInputTokens })
        if let tier = longContext {
            prices = Self.layered(prices, under: tier.prices)
            notes.append("long-context prices: \(context) tokens of context is above \(tier.aboveInputTokens)")
        }
        if isBatch || usage.serviceTier?.lowercased() == "batch" {
            // Above a threshold, only the tier's own batch prices; the standard-context ones do not apply.
            let explicit = longContext.map(\.batch) ?? entry.batch
            if let multiplier = rules.batchMultiplier {
                return prices.scaled(by: multiplier).overlaid(by: explicit)
            }
            if let explicit { return prices.overlaid(by: explicit) }
            notes.append("service '\(entry.provider)' has no batch discount; standard price charged")
            return prices
        }
        if let tier = usage.serviceTier?.lowercased(), !Self.standardTiers.contains(tier) {
            let name = InputEcho.short(tier, limit: 20)
            if let longContext {
                if let tierPrices = longContext.serviceTiers[tier] { return Self.layered(prices, under: tierPrices) }
                if entry.serviceTiers[tier] != nil {
                    notes.append("no long-context '\(name)' prices for '\(entry.model)'; long-context prices charged")
                    return prices
                }
            } else if let tierPrices = entry.serviceTiers[tier] {
                return Self.layered(prices, under: tierPrices)
            }
            notes.append("no '\(name)' service-tier prices for '\(entry.model)'; standard prices charged")
        }
        return prices
    }

    /// The prices each dependent unit follows: cache prices follow input, reasoning follows output.
    static let dependents: [(base: PriceKey, dependent: PriceKey)] = [
        (.input, .cacheRead), (.input, .cacheWrite5m), (.input, .cacheWrite1h), (.output, .reasoning),
    ]

    /// `base` with `overlay`'s prices over it. Where `overlay` re-prices a unit (input, output)
    /// but not a unit that follows it (a cache price, reasoning), the follower keeps its ratio to
    /// the unit (a tier that doubles input doubles an explicit cache-read price) when that ratio
    /// is an exact decimal, and is otherwise dropped so that it falls back to the new price (by
    /// the service's rule, or at the unit's price with a note). A standard price never survives
    /// unchanged under a re-priced unit.
    static func layered(_ base: PriceSet, under overlay: PriceSet) -> PriceSet {
        var prices = base.overlaid(by: overlay)
        for (unit, follower) in dependents where overlay[follower] == nil {
            guard let old = base[unit], let new = overlay[unit], old != new, let price = base[follower] else { continue }
            prices[follower] = price.multiplied(by: new).flatMap { exactQuotient($0, old) }
        }
        return prices
    }

    /// `numerator / denominator` when it is an exact decimal (within ``ExactDecimal/maximumScale``), else `nil`.
    private static func exactQuotient(_ numerator: ExactDecimal, _ denominator: ExactDecimal) -> ExactDecimal? {
        guard let quotient = numerator.divided(by: denominator, scale: ExactDecimal.maximumScale),
              quotient.multiplied(by: denominator) == numerator else { return nil }
        return quotient
    }

    private func finish(_ parts: [CostPart], isEstimated: Bool) -> CostResult {
        let billed = parts.filter { $0.quantity > 0 }
        var total = ExactDecimal.zero
        for part in billed { total += part.cost }
        return CostResult(
            costUSD: total,
            pricedAs: entry.model,
            isEstimated: isEstimated,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "),
            breakdown: billed,
            pricedWith: entry.catalogueVersion,
            effectiveFrom: entry.effectiveFrom
        )
    }
}
