/// How a provider bills, beyond its price list: the defaults a catalogue entry may leave out.
///
/// | provider | batch (no batch price) | cache read (no price) | cache writes (no price) | total-only split | name prefixes |
/// |---|---|---|---|---|---|
/// | `openai` | × 0.5 | the input price, with a note | — | 50/50 | `openai/` |
/// | `anthropic` | × 0.5 | 0.1 × input | 5 min 1.25 × input, 1 h 2 × input | 30/70 | `anthropic/` |
/// | `google` | × 0.5 | the input price, with a note | — | 50/50 | `gemini/`, `google/` |
/// | others (`google_places`, …) | no discount, with a note | the input price, with a note | 1.25 × / 2 × input | 50/50 | — |
public struct ServiceRules: Sendable, Hashable {
    /// What a Batch API unit without a batch price pays relative to the standard price.
    public var batchMultiplier: ExactDecimal?
    /// A cache read without a price costs this × input; `nil`: the input price (and a note).
    public var cacheReadMultiplier: ExactDecimal?
    public var cacheWrite5mMultiplier: ExactDecimal
    public var cacheWrite1hMultiplier: ExactDecimal
    /// How a total-only usage is split into input and output.
    public var totalOnlySplit: TotalTokenSplit
    /// Prefixes a model name may carry (`openai/gpt-4o`), removed when resolving it.
    public var providerPrefixes: [String]

    /// The rules of `provider` (lower-case).
    public static func of(_ provider: String) -> ServiceRules {
        switch provider {
        case "openai":
            ServiceRules(batchMultiplier: PriceUnit.half, cacheReadMultiplier: nil, totalOnlySplit: .half, providerPrefixes: ["openai/"])
        case "anthropic":
            ServiceRules(batchMultiplier: PriceUnit.half, cacheReadMultiplier: PriceUnit.decimal("0.1"), totalOnlySplit: .thirtySeventy, providerPrefixes: ["anthropic/"])
        case "google":
            ServiceRules(batchMultiplier: PriceUnit.half, cacheReadMultiplier: nil, totalOnlySplit: .half, providerPrefixes: ["gemini/", "google/"])
        default:
            ServiceRules(batchMultiplier: nil, cacheReadMultiplier: nil, totalOnlySplit: .half, providerPrefixes: [])
        }
    }

    init(batchMultiplier: ExactDecimal?, cacheReadMultiplier: ExactDecimal?, totalOnlySplit: TotalTokenSplit, providerPrefixes: [String]) {
        self.batchMultiplier = batchMultiplier
        self.cacheReadMultiplier = cacheReadMultiplier
        self.cacheWrite5mMultiplier = PriceUnit.decimal("1.25")
        self.cacheWrite1hMultiplier = PriceUnit.decimal("2")
        self.totalOnlySplit = totalOnlySplit
        self.providerPrefixes = providerPrefixes
    }

    /// `name` without its provider prefix, or `nil` when it has none.
    func removingProviderPrefix(_ name: String) -> String? {
        for prefix in providerPrefixes where name.hasPrefix(prefix) && name.count > prefix.count {
            return String(name.dropFirst(prefix.count))
        }
        return nil
    }
}

/// How a total-only usage (no input/output split) is divided for pricing: `input = ⌊total ×
/// inputParts / parts⌋`, output gets the rest. The original system used 1/2 for OpenAI and 3/10
/// for Anthropic; a cost computed this way is marked estimated.
public struct TotalTokenSplit: Sendable, Hashable {
    public var inputParts: Int
    public var parts: Int

    public init(inputParts: Int, parts: Int) {
        precondition(parts > 0 && inputParts >= 0 && inputParts <= parts, "invalid token split \(inputParts)/\(parts)")
        self.inputParts = inputParts
        self.parts = parts
    }

    /// 50/50: the original OpenAI rule (`input = total // 2`).
    public static let half = TotalTokenSplit(inputParts: 1, parts: 2)
    /// 30/70: the original Anthropic rule (`input = int(0.3 × total)`).
    public static let thirtySeventy = TotalTokenSplit(inputParts: 3, parts: 10)

    /// Splits a non-negative total without overflowing.
    public func split(_ total: Int) -> (input: Int, output: Int) {
        let input = total / parts * inputParts + total % parts * inputParts / parts
        return (input, total - input)
    }
}

/// Unit conversions and multipliers, exact.
enum PriceUnit {
    static let perMillion = decimal("0.000001")
    static let half = decimal("0.5")

    /// A decimal literal known to be valid.
    static func decimal(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(text) else { preconditionFailure("invalid decimal literal \(text)") }
        return value
    }
}
