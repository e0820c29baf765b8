import AIUsage
import DynamoDB

/// Whether, and how, the provider billed a call: what a metric's cost is made of when the call
/// failed or was cut off (`docs/tracker.md`, "Failed and interrupted calls").
///
/// The tracked clients decide it:
///
/// | what happened | billing |
/// |---|---|
/// | the provider reported usage (an error body with `usage`, a stream that got its usage event) | `.priced(note: nil)`: priced from it, normally |
/// | the provider answered an HTTP error status (429, 400, 500, 529 …) with no usage | `.notBilled`: cost exactly 0, `not billed: openai answered HTTP 429` |
/// | the request was sent, then the transfer failed (timeout, reset, cancelled) or the stream was cut, with no usage | `.priced(note:)`: the estimate priced, `cost_estimated: true` |
/// | nothing was sent (connection refused, DNS, TLS) | `.notBilled`: cost 0, `not billed: nothing was sent (…)` |
/// | a 2xx answer that cannot be read, or a transport failure of no known kind | `.unknown`: no cost |
public enum CallBilling: Sendable, Hashable {
    /// The provider billed the call: its usage is priced with the calculator. `note` (why an
    /// estimate was priced, say) goes first into `metadata.cost_note`; an estimated usage
    /// (``TokenUsage/isEstimated``) marks the cost `cost_estimated`.
    case priced(note: String?)
    /// The provider did not bill the call: `cost_usd` is exactly 0, `reason` goes to
    /// `metadata.cost_note`.
    case notBilled(reason: String)
    /// Whether the provider billed the call cannot be told: no `cost_usd` (unknown, never 0),
    /// `reason` in `metadata.cost_note`.
    case unknown(reason: String)
}

/// What a failed call's metric records: its usage, whether the provider reported it, and how the
/// call is billed. ``Tracker/track(service:model:operation:isBatch:metadata:usage:failureUsage:_:)``
/// asks for one when the call throws.
public struct CallUsage: Sendable, Hashable {
    /// The counts: the provider's, or the tracker's estimate (``TokenUsage/isEstimated``).
    public var usage: TokenUsage
    /// Whether the provider reported (some of) the counts: `metadata.usage_reported`.
    public var isReported: Bool
    public var billing: CallBilling

    public init(usage: TokenUsage, isReported: Bool, billing: CallBilling) {
        self.usage = usage
        self.isReported = isReported
        self.billing = billing
    }
}

/// Wrapping a provider call so that it is always recorded.
extension Tracker {
    /// Runs `call`, timing it, and records exactly one metric whether it succeeds or fails;
    /// returns its result or rethrows its error unchanged.
    ///
    /// On success the tokens come from `usage(response)` and the cost from `calculator`,
    /// priced by the response's own model name when it gives one. On failure the metric
    /// carries `error` and `latency_ms`, and what `failureUsage(error)` says: the usage (the
    /// provider's, or an estimate from the request), `usage_reported` / `usage_estimated`, and the
    /// ``CallBilling`` (priced, not billed: cost 0, or unknown); when it says nothing (`nil`, the
    /// default) no tokens and no cost. A cost that cannot be priced is left out and the reason put
    /// in `metadata.cost_note`, never recorded as 0.
    public nonisolated func track<Response>(
        service: String,
        model: String,
        operation: String,
        isBatch: Bool = false,
        metadata: [String: AttributeValue] = [:],
        usage: (Response) -> TokenUsage,
        failureUsage: (any Error) -> CallUsage? = { _ in nil },
        _ call: () async throws -> Response
    ) async rethrows -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await call()
        } catch {
            record(failureMetric(service: service, model: model, operation: operation, isBatch: isBatch, metadata: metadata,
                                 latency: ContinuousClock.now - started, error: error, recorded: failureUsage(error)))
            throw error
        }
        record(metric(service: service, model: model, operation: operation, usage: usage(response), isBatch: isBatch,
                      latency: ContinuousClock.now - started, error: nil, metadata: metadata))
        return response
    }

    /// `track` for the tracked clients: typed errors, and a success that may carry
    /// `usage_reported` and a billing note (a stream).
    nonisolated func trackCall<Response, Failure: Error>(
        service: String,
        model: String,
        operation: String,
        isBatch: Bool,
        metadata: [String: AttributeValue],
        success: (Response) -> (usage: TokenUsage, reported: Bool?, billing: CallBilling?),
        failure: (Failure) -> CallUsage?,
        _ call: () async throws(Failure) -> Response
    ) async throws(Failure) -> Response {
        let started = ContinuousClock.now
        let response: Response
        do throws(Failure) {
            response = try await call()
        } catch {
            record(failureMetric(service: service, model: model, operation: operation, isBatch: isBatch, metadata: metadata,
                                 latency: ContinuousClock.now - started, error: error, recorded: failure(error)))
            throw error
        }
        let recorded = success(response)
        record(metric(service: service, model: model, operation: operation, usage: recorded.usage, isBatch: isBatch,
                      latency: ContinuousClock.now - started, error: nil, billing: recorded.billing,
                      usageReported: recorded.reported, metadata: metadata))
        return response
    }

    private nonisolated func failureMetric(
        service: String, model: String, operation: String, isBatch: Bool, metadata: [String: AttributeValue],
        latency: Duration, error: any Error, recorded: CallUsage?
    ) -> AIUsageMetric {
        metric(service: service, model: model, operation: operation, usage: recorded?.usage, isBatch: isBatch, latency: latency,
               error: String(describing: error), billing: recorded?.billing, usageReported: recorded?.isReported, metadata: metadata)
    }

    /// The metric for one call: tokens from `usage`, cost from `calculator`, notes in metadata.
    ///
    /// - Parameters:
    ///   - error: the call failed: recorded as `error`.
    ///   - billing: how the call is billed. `nil`: a call without `error` is priced, one with an
    ///     `error` gets no cost.
    ///   - usageReported: whether the provider reported `usage`: written, with
    ///     `usage_estimated`, into the metadata (`nil`: neither is written, unless the usage is an
    ///     estimate, which always writes `usage_estimated: true`).
    public nonisolated func metric(
        service: String,
        model: String,
        operation: String,
        usage: TokenUsage?,
        isBatch: Bool = false,
        latency: Duration? = nil,
        error: String? = nil,
        billing: CallBilling? = nil,
        usageReported: Bool? = nil,
        metadata: [String: AttributeValue] = [:]
    ) -> AIUsageMetric {
        var metadata = metadata
        let pricedModel = usage?.model ?? model
        let timestamp = UTCTimestamp.now()
        if let usage { Self.describe(usage, reported: usageReported, into: &metadata) }

        // The cost, and what is to be said about it.
        var cost: ExactDecimal?
        var pricedWith: String?
        var notes: [String] = []
        switch billing ?? (error == nil ? .priced(note: nil) : nil) {
        case .priced(let note)?:
            if let note { notes.append(note) }
            if let usage {
                let result = calculator.cost(service: service, model: pricedModel, operation: operation, usage: usage, isBatch: isBatch, at: timestamp)
                cost = result.costUSD
                pricedWith = result.pricedWith
                if let breakdown = CostBreakdown.attribute(result.breakdown) { metadata["cost_breakdown"] = breakdown }
                if let note = result.note { notes.append(note) }
                if cost == nil, error == nil { noteUnpriced(service: service.lowercased(), model: pricedModel, reason: result.note ?? "no price") }
                if result.isEstimated || (usage.isEstimated && cost != nil) { metadata["cost_estimated"] = .bool(true) }
            }
        case .notBilled(let reason)?:
            cost = .zero
            notes.append(reason)
        case .unknown(let reason)?:
            notes.append(reason)
        case nil:
            break
        }
        if !notes.isEmpty { metadata["cost_note"] = .s(notes.joined(separator: "; ")) }

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
            timestamp: timestamp,
            apiCalls: max(1, usage?.apiCalls ?? 1),
            inputTokens: usage?.inputTokens,
            outputTokens: usage?.outputTokens,
            totalTokens: usage?.totalTokens,
            costUSD: cost,
            latencyMs: milliseconds,
            error: error,
            metadata: metadata,
            pricedWith: pricedWith
        )
    }

    /// What the usage says beyond the three counts: extraction problems, cache and reasoning
    /// tokens, and whether it was reported or estimated.
    private static func describe(_ usage: TokenUsage, reported: Bool?, into metadata: inout [String: AttributeValue]) {
        if let extractionError = usage.extractionError { metadata["usage_error"] = .s(extractionError) }
        if let cached = usage.cachedInputTokens { metadata["cached_input_tokens"] = .number(cached) }
        if let created = usage.cacheCreationInputTokens { metadata["cache_creation_input_tokens"] = .number(created) }
        if let hour = usage.cacheCreation1hInputTokens { metadata["cache_creation_1h_input_tokens"] = .number(hour) }
        if let read = usage.cacheReadInputTokens { metadata["cache_read_input_tokens"] = .number(read) }
        if let images = usage.images { metadata["images"] = .number(images) }
        if let tier = usage.serviceTier, !tier.isEmpty { metadata["service_tier"] = .s(tier) }
        if let reasoning = usage.reasoningTokens { metadata["reasoning_tokens"] = .number(reasoning) }
        if let reported {
            metadata["usage_reported"] = .bool(reported)
            metadata["usage_estimated"] = .bool(usage.isEstimated)
        } else if usage.isEstimated {
            metadata["usage_estimated"] = .bool(true)
        }
    }
}
