/// The prices of one token-priced model, in **USD per token**, exact.
///
/// Vendors publish prices per million tokens (the original system used per thousand); the table
/// converts once, when it is built, so the calculator only ever multiplies a count by a price.
/// Build one from published figures with ``perMillion(input:output:cachedInput:cacheWrite:cacheWrite1h:cacheRead:)``.
public struct TokenPrice: Sendable, Hashable {
    /// One uncached input token.
    public var inputPerToken: ExactDecimal
    /// One output token; `nil` for input-only models (embeddings), which then cannot price output.
    public var outputPerToken: ExactDecimal?
    /// One OpenAI cached input token; `nil` means no discount (the input price).
    public var cachedInputPerToken: ExactDecimal?
    /// One Anthropic 5-minute cache-write token; `nil` means 1.25 × input.
    public var cacheWritePerToken: ExactDecimal?
    /// One Anthropic 1-hour cache-write token; `nil` means 2 × input.
    public var cacheWrite1hPerToken: ExactDecimal?
    /// One Anthropic cache-read token; `nil` means 0.1 × input.
    public var cacheReadPerToken: ExactDecimal?

    public init(
        inputPerToken: ExactDecimal,
        outputPerToken: ExactDecimal?,
        cachedInputPerToken: ExactDecimal? = nil,
        cacheWritePerToken: ExactDecimal? = nil,
        cacheWrite1hPerToken: ExactDecimal? = nil,
        cacheReadPerToken: ExactDecimal? = nil
    ) {
        self.inputPerToken = inputPerToken
        self.outputPerToken = outputPerToken
        self.cachedInputPerToken = cachedInputPerToken
        self.cacheWritePerToken = cacheWritePerToken
        self.cacheWrite1hPerToken = cacheWrite1hPerToken
        self.cacheReadPerToken = cacheReadPerToken
    }

    /// Prices given per million tokens as decimal text ("2.50"), as vendors publish them.
    /// `nil` if any text is not a non-negative decimal number.
    public static func perMillion(
        input: String,
        output: String?,
        cachedInput: String? = nil,
        cacheWrite: String? = nil,
        cacheWrite1h: String? = nil,
        cacheRead: String? = nil
    ) -> TokenPrice? {
        scaled(by: PriceUnit.perMillion, input, output, cachedInput, cacheWrite, cacheWrite1h, cacheRead)
    }

    /// Prices given per thousand tokens, the unit of the original system's tables.
    public static func perThousand(input: String, output: String?) -> TokenPrice? {
        scaled(by: PriceUnit.perThousand, input, output, nil, nil, nil, nil)
    }

    private static func scaled(
        by unit: ExactDecimal,
        _ texts: String?...
    ) -> TokenPrice? {
        var values: [ExactDecimal?] = []
        for text in texts {
            guard let text else {
                values.append(nil)
                continue
            }
            guard let value = ExactDecimal(text), value >= .zero else { return nil }
            values.append(value * unit)
        }
        guard let input = values[0] else { return nil }
        return TokenPrice(
            inputPerToken: input,
            outputPerToken: values[1],
            cachedInputPerToken: values[2],
            cacheWritePerToken: values[3],
            cacheWrite1hPerToken: values[4],
            cacheReadPerToken: values[5]
        )
    }

    /// The price charged for an OpenAI cached input token.
    public var effectiveCachedInputPerToken: ExactDecimal { cachedInputPerToken ?? inputPerToken }
    /// The price charged for an Anthropic 5-minute cache-write token.
    public var effectiveCacheWritePerToken: ExactDecimal {
        cacheWritePerToken ?? inputPerToken * PriceUnit.cacheWriteMultiplier
    }
    /// The price charged for an Anthropic 1-hour cache-write token.
    public var effectiveCacheWrite1hPerToken: ExactDecimal {
        cacheWrite1hPerToken ?? inputPerToken * PriceUnit.cacheWrite1hMultiplier
    }
    /// The price charged for an Anthropic cache-read token.
    public var effectiveCacheReadPerToken: ExactDecimal {
        cacheReadPerToken ?? inputPerToken * PriceUnit.cacheReadMultiplier
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

/// The prices of one service (a provider): token-priced models and per-call operations.
public struct ServicePricing: Sendable, Hashable {
    /// Token-priced models by lower-case name or family key (e.g. `gpt-4o`, `claude-3-5-sonnet`).
    public var models: [String: TokenPrice]
    /// Per-call prices in USD by lower-case operation name (Google Places).
    public var operations: [String: ExactDecimal]
    /// What a Batch API call pays relative to the standard price (0.5 = half); `nil` when the
    /// service has no batch discount.
    public var batchMultiplier: ExactDecimal?
    /// How a total-only usage is split into input and output.
    public var totalOnlySplit: TotalTokenSplit

    public init(
        models: [String: TokenPrice] = [:],
        operations: [String: ExactDecimal] = [:],
        batchMultiplier: ExactDecimal? = nil,
        totalOnlySplit: TotalTokenSplit = .half
    ) {
        self.models = models
        self.operations = operations
        self.batchMultiplier = batchMultiplier
        self.totalOnlySplit = totalOnlySplit
    }
}

/// A model name resolved to the table entry that prices it.
public struct ModelMatch: Sendable, Hashable {
    /// The table key that matched: the name itself, or the family it is a snapshot of.
    public var key: String
    public var price: TokenPrice
    /// `true` when `key` is the name itself, `false` for a family match.
    public var isExact: Bool
}

/// Every price the system knows, by service. The built-in table is ``builtIn``
/// (`DefaultPrices.swift`); a JSON file can override and extend it at run time
/// (``load(environment:base:)``).
public struct PricingTable: Sendable, Hashable {
    /// Services by lower-case name (`openai`, `anthropic`, `google_places`).
    public var services: [String: ServicePricing]

    public init(services: [String: ServicePricing]) {
        var normalized: [String: ServicePricing] = [:]
        for (name, pricing) in services {
            normalized[name.lowercased()] = ServicePricing(
                models: Dictionary(pricing.models.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last }),
                operations: Dictionary(pricing.operations.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last }),
                batchMultiplier: pricing.batchMultiplier,
                totalOnlySplit: pricing.totalOnlySplit
            )
        }
        self.services = normalized
    }

    /// The prices of a service (case-insensitive), if the table has any.
    public func pricing(forService service: String) -> ServicePricing? {
        services[service.lowercased()]
    }

    /// Resolves a model name to the entry that prices it (case-insensitive):
    /// 1. an entry with exactly that name wins;
    /// 2. otherwise the **longest** entry that the name starts with, provided that what follows is
    ///    a snapshot suffix (see ``isSnapshotSuffix(_:)``): `gpt-4o-2024-08-06` → `gpt-4o`,
    ///    `claude-3-5-sonnet-20240620` → `claude-3-5-sonnet`;
    /// 3. otherwise `nil`. Substrings never match (`claude-3` is not `claude-3-opus`), and neither
    ///    do variants (`o3-pro` is not `o3`, `claude-opus-4-6` is not `claude-opus-4`).
    public func resolveModel(_ model: String, service: String) -> ModelMatch? {
        guard let pricing = pricing(forService: service) else { return nil }
        return Self.resolve(model.lowercased(), in: pricing.models)
    }

    static func resolve(_ name: String, in models: [String: TokenPrice]) -> ModelMatch? {
        if let price = models[name] {
            return ModelMatch(key: name, price: price, isExact: true)
        }
        var best: (key: String, price: TokenPrice)?
        for (key, price) in models where key.count < name.count && name.hasPrefix(key) {
            guard isSnapshotSuffix(name.dropFirst(key.count)) else { continue }
            if best.map({ key.count > $0.key.count }) ?? true {
                best = (key, price)
            }
        }
        return best.map { ModelMatch(key: $0.key, price: $0.price, isExact: false) }
    }

    /// Whether `suffix` names a dated snapshot (or alias) of a model rather than a different
    /// model: a `-` and then `YYYYMMDD` (Anthropic), `YYYY-MM-DD` (OpenAI), `MMDD` (older OpenAI
    /// names such as `gpt-4-0613`) or `latest`.
    public static func isSnapshotSuffix(_ suffix: Substring) -> Bool {
        guard suffix.first == "-" else { return false }
        let body = suffix.dropFirst()
        if body == "latest" { return true }
        let groups = body.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigitCharacter) }) else { return false }
        switch groups.map(\.count) {
        case [8], [4], [4, 2, 2]: return true
        default: return false
        }
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}

/// Unit conversions and multipliers, exact.
enum PriceUnit {
    static let perMillion = decimal("0.000001")
    static let perThousand = decimal("0.001")
    static let cacheWriteMultiplier = decimal("1.25")
    static let cacheWrite1hMultiplier = decimal("2")
    static let cacheReadMultiplier = decimal("0.1")
    static let half = decimal("0.5")

    /// A decimal literal known to be valid (checked by the tests of the built-in table).
    static func decimal(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(text) else { preconditionFailure("invalid decimal literal \(text)") }
        return value
    }
}
