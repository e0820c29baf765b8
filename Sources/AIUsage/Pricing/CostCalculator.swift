/// The cost of one call, or why there is none.
public struct CostResult: Sendable, Hashable {
    /// Exact USD cost, **not rounded** (rounding happens once, at output). `nil` means unknown,
    /// never "free": `note` then says why.
    public var costUSD: ExactDecimal?
    /// The table key that priced the call: a model, a model family (`gpt-4o` for
    /// `gpt-4o-2024-05-13`) or a per-call operation (`place_details`).
    public var pricedAs: String?
    /// `true` when the cost rests on an assumed input/output split of a total-only usage.
    public var isEstimated: Bool
    /// Why the cost is unknown, or what was assumed or adjusted to compute it.
    public var note: String?

    public init(costUSD: ExactDecimal?, pricedAs: String?, isEstimated: Bool = false, note: String? = nil) {
        self.costUSD = costUSD
        self.pricedAs = pricedAs
        self.isEstimated = isEstimated
        self.note = note
    }

    static func unpriced(_ reason: String, pricedAs: String? = nil) -> CostResult {
        CostResult(costUSD: nil, pricedAs: pricedAs, note: reason)
    }
}

/// Prices calls from a ``PricingTable``. All arithmetic is exact; nothing is rounded.
///
/// Rules (`docs/pricing.md` has the full account):
/// - the service's per-call operations are looked up first (exact operation name): cost =
///   price × `apiCalls`;
/// - otherwise the model is resolved by ``PricingTable/resolveModel(_:service:)`` (exact name,
///   else longest family prefix followed by a snapshot suffix);
/// - token cost = (input − cached) × input price + cached × cached-input price
///   + cache writes × write price + cache reads × read price + output × output price;
/// - a missing input or output count is derived from the total when the total allows it; with
///   only a total, the service's split is assumed and the result is marked estimated; an
///   input-only model (embeddings) takes the whole total as input, exactly;
/// - a Batch API call is multiplied by the service's batch multiplier (0.5 for OpenAI and
///   Anthropic), on every part of the cost.
public struct CostCalculator: Sendable {
    public let table: PricingTable

    public init(table: PricingTable = .builtIn) {
        self.table = table
    }

    /// The cost of one call. `model` is the name to price: pass the response's own model name
    /// (``TokenUsage/model``) when there is one, as it is the most specific.
    public func cost(
        service: String,
        model: String,
        operation: String,
        usage: TokenUsage,
        isBatch: Bool = false
    ) -> CostResult {
        let serviceName = service.lowercased()
        guard let pricing = table.pricing(forService: serviceName) else {
            return .unpriced("no prices for service '\(service)'")
        }
        var result: CostResult
        if let perCall = pricing.operations[operation.lowercased()] {
            result = callCost(perCall, operation: operation.lowercased(), usage: usage)
        } else if pricing.models.isEmpty {
            return .unpriced("no price for operation '\(operation)' of service '\(serviceName)'")
        } else if let match = PricingTable.resolve(model.lowercased(), in: pricing.models) {
            result = tokenCost(match, usage: usage, split: pricing.totalOnlySplit, model: model)
        } else if pricing.operations.isEmpty {
            return .unpriced("no price for model '\(model)' of service '\(serviceName)'")
        } else {
            return .unpriced("no price for model '\(model)' or operation '\(operation)' of service '\(serviceName)'")
        }
        guard isBatch, let cost = result.costUSD else { return result }
        if let multiplier = pricing.batchMultiplier {
            result.costUSD = cost * multiplier
        } else {
            result.appendNote("service '\(serviceName)' has no batch discount; standard price charged")
        }
        return result
    }

    private func callCost(_ perCall: ExactDecimal, operation: String, usage: TokenUsage) -> CostResult {
        guard usage.apiCalls >= 0 else {
            return .unpriced("apiCalls is negative (\(usage.apiCalls))", pricedAs: operation)
        }
        return CostResult(costUSD: perCall * ExactDecimal(usage.apiCalls), pricedAs: operation)
    }

    private func tokenCost(_ match: ModelMatch, usage: TokenUsage, split: TotalTokenSplit, model: String) -> CostResult {
        let key = match.key
        let price = match.price
        let counts: [(String, Int?)] = [
            ("inputTokens", usage.inputTokens), ("outputTokens", usage.outputTokens),
            ("totalTokens", usage.totalTokens), ("cachedInputTokens", usage.cachedInputTokens),
            ("cacheCreationInputTokens", usage.cacheCreationInputTokens),
            ("cacheCreation1hInputTokens", usage.cacheCreation1hInputTokens),
            ("cacheReadInputTokens", usage.cacheReadInputTokens),
        ]
        for (name, value) in counts {
            if let value, value < 0 {
                return .unpriced("\(name) is negative (\(value))", pricedAs: key)
            }
        }

        let cacheWrites = usage.cacheCreationInputTokens ?? 0
        let cacheWrites1h = usage.cacheCreation1hInputTokens ?? 0
        let cacheReads = usage.cacheReadInputTokens ?? 0
        let cached = usage.cachedInputTokens ?? 0
        // Tokens in the total that are neither input nor output (Anthropic cache traffic).
        let (extra, extraOverflow) = cacheWrites.addingReportingOverflow(cacheReads)
        guard !extraOverflow else { return .unpriced("cache token counts overflow", pricedAs: key) }
        let inputOnly = price.outputPerToken == nil

        var notes: [String] = []
        var isEstimated = false
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
                (input, output) = split.split(tokens)
                isEstimated = true
                notes.append("only total tokens known; input/output split estimated as \(split.inputParts)/\(split.parts - split.inputParts) of \(split.parts)")
            }
        case (nil, nil, nil):
            return .unpriced("usage has no token counts", pricedAs: key)
        }

        if inputOnly && output > 0 {
            return .unpriced("model '\(key)' has no output price but the usage has \(output) output tokens", pricedAs: key)
        }
        guard cached <= input else {
            return .unpriced("cached input tokens (\(cached)) exceed input tokens (\(input))", pricedAs: key)
        }
        guard cacheWrites1h <= cacheWrites else {
            return .unpriced("1-hour cache-write tokens (\(cacheWrites1h)) exceed cache-write tokens (\(cacheWrites))", pricedAs: key)
        }

        var cost = ExactDecimal(input - cached) * price.inputPerToken
        cost = cost + ExactDecimal(cached) * price.effectiveCachedInputPerToken
        cost = cost + ExactDecimal(cacheWrites - cacheWrites1h) * price.effectiveCacheWritePerToken
        cost = cost + ExactDecimal(cacheWrites1h) * price.effectiveCacheWrite1hPerToken
        cost = cost + ExactDecimal(cacheReads) * price.effectiveCacheReadPerToken
        if let outputPrice = price.outputPerToken {
            cost = cost + ExactDecimal(output) * outputPrice
        }
        if cached > 0 && price.cachedInputPerToken == nil {
            notes.append("no cached-input price for '\(key)'; cached tokens charged at the input price")
        }
        return CostResult(
            costUSD: cost,
            pricedAs: key,
            isEstimated: isEstimated,
            note: notes.isEmpty ? nil : notes.joined(separator: "; ")
        )
    }
}

extension CostResult {
    fileprivate mutating func appendNote(_ text: String) {
        note = note.map { "\($0); \(text)" } ?? text
    }
}
