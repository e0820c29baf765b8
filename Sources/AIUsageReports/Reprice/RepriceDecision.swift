import AIUsage
import DynamoDB

/// What re-pricing does to one stored item: the pure part of `ai-usage reprice`.
///
/// The usage is read back from the item (`input_tokens`, `output_tokens`, `total_tokens`,
/// `api_calls`, and from `metadata`: `cached_input_tokens`, `cache_creation_input_tokens`,
/// `cache_creation_1h_input_tokens`, `cache_read_input_tokens`, `reasoning_tokens`, `images`,
/// `service_tier`, `is_batch`, `usage_estimated`) and priced with the calculator's catalogue at
/// the item's own timestamp. Only a different cost rewrites the item.
public enum RepriceDecision: Sendable, Hashable {
    /// The current catalogue gives the same cost.
    case unchanged
    /// The cost changes: `item` is the rewritten item (same keys), with `previous_cost_usd`.
    case changed(item: Item, from: ExactDecimal?, to: ExactDecimal)
    /// Left as recorded, and why (a failed call, no price now, not a readable metric).
    case leftAlone(reason: String)

    /// The decision for `item`, repriced at `now` with `calculator`.
    public static func decide(_ item: Item, calculator: CostCalculator, now: UTCTimestamp) -> RepriceDecision {
        let metric: AIUsageMetric
        do {
            metric = try MetricItemCodec.metric(from: item)
        } catch {
            return .leftAlone(reason: "not a readable metric: \(error.message)")
        }
        if metric.error != nil {
            return .leftAlone(reason: "a failed call (its cost follows the failure policy, not the price list)")
        }
        let metadata = metric.metadata
        func count(_ name: String) -> Int? {
            guard let text = metadata[name]?.numberText, let value = Int(text), value >= 0 else { return nil }
            return value
        }
        let usage = TokenUsage(
            inputTokens: metric.inputTokens,
            outputTokens: metric.outputTokens,
            totalTokens: metric.totalTokens,
            cachedInputTokens: count("cached_input_tokens"),
            cacheCreationInputTokens: count("cache_creation_input_tokens"),
            cacheCreation1hInputTokens: count("cache_creation_1h_input_tokens"),
            cacheReadInputTokens: count("cache_read_input_tokens"),
            reasoningTokens: count("reasoning_tokens"),
            apiCalls: metric.apiCalls,
            images: count("images"),
            serviceTier: metadata["service_tier"]?.string,
            isEstimated: metadata["usage_estimated"] == .bool(true)
        )
        let result = calculator.cost(
            service: metric.service, model: metric.model, operation: metric.operation, usage: usage,
            isBatch: metadata["is_batch"] == .bool(true), at: metric.timestamp
        )
        guard let newCost = result.costUSD else {
            return .leftAlone(reason: "no price now: \(result.note ?? "unknown")")
        }
        if let old = metric.costUSD, old == newCost { return .unchanged }

        var rewritten = item
        rewritten["costUSD"] = nil
        rewritten["cost_usd"] = .n(newCost.description)
        if let old = metric.costUSD {
            rewritten["previous_cost_usd"] = .n(old.description)
        } else {
            rewritten["previous_cost_usd"] = nil
            rewritten["previously_unpriced"] = .bool(true)
        }
        if let previous = metric.pricedWith { rewritten["previous_priced_with"] = .s(previous) }
        if let version = result.pricedWith { rewritten["priced_with"] = .s(version) }
        rewritten["repriced_at"] = .s(now.iso8601)
        var newMetadata = metadata
        newMetadata["cost_note"] = result.note.map(AttributeValue.s)
        newMetadata["cost_estimated"] = result.isEstimated ? .bool(true) : nil
        newMetadata["cost_breakdown"] = CostBreakdown.attribute(result.breakdown)
        rewritten["metadata"] = .m(newMetadata)
        return .changed(item: rewritten, from: metric.costUSD, to: newCost)
    }
}
