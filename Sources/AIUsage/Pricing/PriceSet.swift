/// A billable unit of a call, and its key in the catalogue's JSON (`docs/pricing.md`).
public enum PriceKey: String, CaseIterable, Sendable, Hashable, Comparable {
    /// One uncached input token.
    case input
    /// One output token (reasoning tokens included, unless ``reasoning`` prices them apart).
    case output
    /// One input token read from the prompt cache (OpenAI cached input; Anthropic cache read).
    case cacheRead = "cache_read"
    /// One token written to the prompt cache with a 5-minute lifetime (Anthropic's default).
    case cacheWrite5m = "cache_write_5m"
    /// One token written to the prompt cache with a 1-hour lifetime.
    case cacheWrite1h = "cache_write_1h"
    /// One reasoning output token, where its price differs from ``output``.
    case reasoning
    /// One call, for services priced per request (Google Places).
    case perCall = "per_call"
    /// One generated image.
    case perImage = "per_image"

    public static func < (lhs: PriceKey, rhs: PriceKey) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Prices by unit, exact, in USD per unit (per token, per call or per image).
public struct PriceSet: Sendable, Hashable {
    public var prices: [PriceKey: ExactDecimal]

    public init(_ prices: [PriceKey: ExactDecimal] = [:]) {
        self.prices = prices
    }

    public subscript(key: PriceKey) -> ExactDecimal? {
        get { prices[key] }
        set { prices[key] = newValue }
    }

    public var isEmpty: Bool { prices.isEmpty }

    /// These prices, with `other`'s replacing those it has.
    public func overlaid(by other: PriceSet?) -> PriceSet {
        guard let other else { return self }
        return PriceSet(prices.merging(other.prices) { _, new in new })
    }

    /// Every price multiplied by `factor` (the batch discount).
    public func scaled(by factor: ExactDecimal) -> PriceSet {
        PriceSet(prices.mapValues { $0 * factor })
    }

    /// `key=price` pairs in key order, for display.
    public var text: String {
        prices.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
    }
}

/// A long-context tier: above `aboveInputTokens` tokens of context (input, cache writes and cache
/// reads together), the **whole** request is priced with `prices`, as the providers bill it.
public struct PriceTier: Sendable, Hashable {
    public var aboveInputTokens: Int
    /// Replaces the standard prices it has (and re-prices the units that follow them).
    public var prices: PriceSet
    /// The Batch API's prices above the threshold, over the tier's prices × the batch multiplier.
    public var batch: PriceSet?
    /// Service-tier prices above the threshold (`flex`, `priority`), over the tier's prices.
    public var serviceTiers: [String: PriceSet]

    public init(aboveInputTokens: Int, prices: PriceSet, batch: PriceSet? = nil, serviceTiers: [String: PriceSet] = [:]) {
        self.aboveInputTokens = aboveInputTokens
        self.prices = prices
        self.batch = batch
        self.serviceTiers = serviceTiers
    }
}
