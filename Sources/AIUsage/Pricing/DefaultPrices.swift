/// The built-in prices: the one place they are written down. `docs/pricing.md` gives the source
/// of every entry and the date it was looked up.
///
/// Entries from the original system keep its prices and its unit (USD per 1,000 tokens) so they
/// can be checked line by line against it; entries added since use the vendors' unit (USD per
/// 1,000,000 tokens). Both are converted to USD per token when the table is built.
extension PricingTable {
    /// The built-in table.
    public static let builtIn = PricingTable(services: [
        "openai": ServicePricing(
            models: BuiltInPrices.openAI,
            batchMultiplier: PriceUnit.half,
            totalOnlySplit: .half
        ),
        "anthropic": ServicePricing(
            models: BuiltInPrices.anthropic,
            batchMultiplier: PriceUnit.half,
            totalOnlySplit: .thirtySeventy
        ),
        "google_places": ServicePricing(operations: BuiltInPrices.googlePlaces),
    ])
}

enum BuiltInPrices {
    static let openAI: [String: TokenPrice] = entries([
        // The original system (USD per 1K tokens).
        ("gpt-3.5-turbo", thousand("0.0005", "0.0015")),
        ("gpt-3.5-turbo-16k", thousand("0.0005", "0.0015")),
        ("gpt-3.5-turbo-0125", thousand("0.0005", "0.0015")),
        ("gpt-3.5-turbo-1106", thousand("0.0010", "0.0020")),
        ("gpt-4", thousand("0.03", "0.06")),
        ("gpt-4-32k", thousand("0.06", "0.12")),
        ("gpt-4-turbo", thousand("0.01", "0.03")),
        ("gpt-4-turbo-preview", thousand("0.01", "0.03")),
        ("gpt-4-1106-preview", thousand("0.01", "0.03")),
        // The original's gpt-4o price is that of the first snapshot (gpt-4o-2024-05-13); later
        // snapshots have their own entries below.
        ("gpt-4o", thousand("0.005", "0.015")),
        ("gpt-4o-mini", million(input: "0.15", cachedInput: "0.075", output: "0.60")),
        ("text-embedding-3-small", thousand("0.00002", nil)),
        ("text-embedding-3-large", thousand("0.00013", nil)),
        ("text-embedding-ada-002", thousand("0.0001", nil)),
        ("text-davinci-003", thousand("0.02", "0.02")),

        // Added (USD per 1M tokens: input, cached input, output).
        ("gpt-4o-2024-08-06", million(input: "2.50", cachedInput: "1.25", output: "10.00")),
        ("gpt-4o-2024-11-20", million(input: "2.50", cachedInput: "1.25", output: "10.00")),
        ("gpt-4.1", million(input: "2.00", cachedInput: "0.50", output: "8.00")),
        ("gpt-4.1-mini", million(input: "0.40", cachedInput: "0.10", output: "1.60")),
        ("gpt-4.1-nano", million(input: "0.10", cachedInput: "0.025", output: "0.40")),
        ("o1", million(input: "15.00", cachedInput: "7.50", output: "60.00")),
        ("o3", million(input: "2.00", cachedInput: "0.50", output: "8.00")),
        ("o3-mini", million(input: "1.10", cachedInput: "0.55", output: "4.40")),
        ("o4-mini", million(input: "1.10", cachedInput: "0.275", output: "4.40")),
        ("gpt-5", million(input: "1.25", cachedInput: "0.125", output: "10.00")),
        ("gpt-5-mini", million(input: "0.25", cachedInput: "0.025", output: "2.00")),
        ("gpt-5-nano", million(input: "0.05", cachedInput: nil, output: "0.40")),
    ])

    static let anthropic: [String: TokenPrice] = entries([
        // The original system (USD per 1K tokens).
        ("claude-3-opus-20240229", thousand("0.015", "0.075")),
        ("claude-3-opus", thousand("0.015", "0.075")),
        ("claude-opus-4", thousand("0.015", "0.075")),
        ("claude-3.5-sonnet", thousand("0.003", "0.015")),
        ("claude-3-5-sonnet-20241022", thousand("0.003", "0.015")),
        ("claude-3-sonnet-20240229", thousand("0.003", "0.015")),
        ("claude-3-sonnet", thousand("0.003", "0.015")),
        // Claude Haiku 3 is the one model whose published cache prices are not 1.25× / 0.1× input.
        ("claude-3-haiku-20240307", haiku3),
        ("claude-3-haiku", haiku3),
        ("claude-2.1", thousand("0.008", "0.024")),
        ("claude-2.0", thousand("0.008", "0.024")),
        ("claude-instant-1.2", thousand("0.0008", "0.0024")),

        // Added (USD per 1M tokens: input, 5-minute cache write, cache read, output). Where no
        // cache price is given, the published rule applies: write 1.25×, 1-hour write 2×, read 0.1× input.
        ("claude-3-5-sonnet", million(input: "3", output: "15")),
        ("claude-3-5-haiku", million(input: "0.80", cacheWrite: "1", cacheRead: "0.08", output: "4")),
        ("claude-3-7-sonnet", million(input: "3", output: "15")),
        ("claude-sonnet-4", million(input: "3", output: "15")),
        ("claude-opus-4-1", million(input: "15", output: "75")),
        ("claude-sonnet-4-5", million(input: "3", output: "15")),
        ("claude-haiku-4-5", million(input: "1", output: "5")),
        ("claude-opus-4-5", million(input: "5", cacheWrite: "6.25", cacheRead: "0.50", output: "25")),
        ("claude-opus-4-6", million(input: "5", cacheWrite: "6.25", cacheRead: "0.50", output: "25")),
        ("claude-opus-4-7", million(input: "5", cacheWrite: "6.25", cacheRead: "0.50", output: "25")),
        ("claude-sonnet-5", million(input: "2", cacheWrite: "2.50", cacheRead: "0.20", output: "10")),
    ])

    /// USD per call.
    static let googlePlaces: [String: ExactDecimal] = [
        "place_details": PriceUnit.decimal("0.017"),
        "place_search": PriceUnit.decimal("0.032"),
        "place_autocomplete": PriceUnit.decimal("0.00283"),
        "place_photo": PriceUnit.decimal("0.007"),
        "geocoding": PriceUnit.decimal("0.005"),
    ]

    /// Claude Haiku 3: the original's 0.00025 / 0.00125 per 1K, with the published cache prices
    /// ($0.30 write, $0.50 1-hour write, $0.03 read per 1M).
    private static let haiku3: TokenPrice = {
        var price = thousand("0.00025", "0.00125")
        price.cacheWritePerToken = PriceUnit.decimal("0.30") * PriceUnit.perMillion
        price.cacheWrite1hPerToken = PriceUnit.decimal("0.50") * PriceUnit.perMillion
        price.cacheReadPerToken = PriceUnit.decimal("0.03") * PriceUnit.perMillion
        return price
    }()

    private static func thousand(_ input: String, _ output: String?) -> TokenPrice {
        guard let price = TokenPrice.perThousand(input: input, output: output) else {
            preconditionFailure("invalid built-in price \(input) / \(output ?? "-")")
        }
        return price
    }

    private static func million(
        input: String,
        cachedInput: String? = nil,
        cacheWrite: String? = nil,
        cacheRead: String? = nil,
        output: String
    ) -> TokenPrice {
        guard let price = TokenPrice.perMillion(
            input: input, output: output, cachedInput: cachedInput, cacheWrite: cacheWrite, cacheRead: cacheRead
        ) else {
            preconditionFailure("invalid built-in price \(input) / \(output)")
        }
        return price
    }

    private static func entries(_ list: [(String, TokenPrice)]) -> [String: TokenPrice] {
        Dictionary(list, uniquingKeysWith: { first, _ in
            preconditionFailure("duplicate built-in price entry (\(first))")
        })
    }
}
