import AIUsage
import DynamoDB

/// Wrapping a provider call so that it is always recorded.
extension Tracker {
    /// Runs `call`, timing it, and records exactly one metric whether it succeeds or fails;
    /// returns its result or rethrows its error unchanged.
    ///
    /// On success the tokens come from `usage(response)` and the cost from `calculator`,
    /// priced by the response's own model name when it gives one. On failure the metric
    /// carries `error` and `latency_ms` and no cost. A cost that cannot be priced is left
    /// out and the reason put in `metadata.cost_note`, never recorded as 0.
    public nonisolated func track<Response>(
        service: String,
        model: String,
        operation: String,
        isBatch: Bool = false,
        metadata: [String: AttributeValue] = [:],
        usage: (Response) -> TokenUsage,
        _ call: () async throws -> Response
    ) async rethrows -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await call()
        } catch {
            record(metric(service: service, model: model, operation: operation, usage: nil, isBatch: isBatch,
                          latency: ContinuousClock.now - started, error: String(describing: error), metadata: metadata))
            throw error
        }
        record(metric(service: service, model: model, operation: operation, usage: usage(response), isBatch: isBatch,
                      latency: ContinuousClock.now - started, error: nil, metadata: metadata))
        return response
    }

    /// The metric for one call: tokens from `usage`, cost from `calculator`, notes in metadata.
    public nonisolated func metric(
        service: String,
        model: String,
        operation: String,
        usage: TokenUsage?,
        isBatch: Bool = false,
        latency: Duration? = nil,
        error: String? = nil,
        metadata: [String: AttributeValue] = [:]
    ) -> AIUsageMetric {
        var metadata = metadata
        let pricedModel = usage?.model ?? model
        var cost: ExactDecimal?
        if let usage, error == nil {
            let result = calculator.cost(service: service, model: pricedModel, operation: operation, usage: usage, isBatch: isBatch)
            cost = result.costUSD
            if let note = result.note { metadata["cost_note"] = .s(note) }
            if result.isEstimated { metadata["cost_estimated"] = .bool(true) }
            if let extractionError = usage.extractionError { metadata["usage_error"] = .s(extractionError) }
            if let cached = usage.cachedInputTokens { metadata["cached_input_tokens"] = .number(cached) }
            if let created = usage.cacheCreationInputTokens { metadata["cache_creation_input_tokens"] = .number(created) }
            if let read = usage.cacheReadInputTokens { metadata["cache_read_input_tokens"] = .number(read) }
            if let reasoning = usage.reasoningTokens { metadata["reasoning_tokens"] = .number(reasoning) }
        }
        if isBatch { metadata["is_batch"] = .bool(true) }
        if pricedModel != model { metadata["requested_model"] = .s(model) }
        let milliseconds = latency.map { duration -> Int in
            let (seconds, attoseconds) = duration.components
            return Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        }
        return AIUsageMetric(
            service: service,
            model: pricedModel,
            operation: operation,
            apiCalls: max(1, usage?.apiCalls ?? 1),
            inputTokens: usage?.inputTokens,
            outputTokens: usage?.outputTokens,
            totalTokens: usage?.totalTokens,
            costUSD: cost,
            latencyMs: milliseconds,
            error: error,
            metadata: metadata
        )
    }
}
