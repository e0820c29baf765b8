/// What one AI API call consumed, as its provider reported it.
///
/// Every count is optional: `nil` means "the response did not say", which is not the same as 0.
/// The providers count differently, and the fields keep their meanings apart:
///
/// | field | OpenAI | Anthropic |
/// |---|---|---|
/// | `inputTokens` | `prompt_tokens` / `input_tokens`, **including** cached tokens | `input_tokens`, **excluding** cache writes and reads |
/// | `outputTokens` | `completion_tokens` / `output_tokens`, including reasoning tokens | `output_tokens` |
/// | `totalTokens` | `total_tokens` (input + output) | input + cache writes + cache reads + output (derived) |
/// | `cachedInputTokens` | `…_tokens_details.cached_tokens`: a **subset** of `inputTokens` | — |
/// | `cacheCreationInputTokens` | — | `cache_creation_input_tokens`: **in addition** to `inputTokens` |
/// | `cacheCreation1hInputTokens` | — | `cache_creation.ephemeral_1h_input_tokens`: the part of the cache writes with a 1-hour lifetime |
/// | `cacheReadInputTokens` | — | `cache_read_input_tokens`: **in addition** to `inputTokens` |
/// | `reasoningTokens` | `…_tokens_details.reasoning_tokens`: a subset of `outputTokens` | — |
///
/// Google Places calls carry no tokens: `apiCalls` is what they are priced by.
public struct TokenUsage: Sendable, Hashable {
    public var inputTokens: Int?
    public var outputTokens: Int?
    public var totalTokens: Int?
    /// OpenAI prompt-cache hits. Part of `inputTokens`, billed at the cached-input price.
    public var cachedInputTokens: Int?
    /// Anthropic prompt-cache writes (all lifetimes). Not part of `inputTokens`.
    public var cacheCreationInputTokens: Int?
    /// The part of `cacheCreationInputTokens` written with a 1-hour lifetime (billed at 2× input
    /// instead of 1.25×). `nil` when the response has no breakdown: every write is then a
    /// 5-minute write, Anthropic's default.
    public var cacheCreation1hInputTokens: Int?
    /// Anthropic prompt-cache reads. Not part of `inputTokens`.
    public var cacheReadInputTokens: Int?
    /// OpenAI reasoning tokens. Part of `outputTokens` and billed with them; informational.
    public var reasoningTokens: Int?
    /// Billable calls this usage stands for; 1 for a single request.
    public var apiCalls: Int
    /// Images generated, for a model priced per image.
    public var images: Int?
    /// The service tier the provider says it served the call with (OpenAI `service_tier`:
    /// `default`, `flex`, `priority`, …); `nil` or `default` means the standard prices.
    public var serviceTier: String?
    /// `true` when the counts are an estimate made by the tracker (from the request's size)
    /// because the provider reported no usage: a failed or cut-off call.
    public var isEstimated: Bool
    /// The model the response names (e.g. `gpt-4o-2024-08-06`), which may be more specific than
    /// the model that was requested.
    public var model: String?
    /// Why the counts are missing or incomplete, when the response could not be read fully.
    public var extractionError: String?

    public init(
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        totalTokens: Int? = nil,
        cachedInputTokens: Int? = nil,
        cacheCreationInputTokens: Int? = nil,
        cacheCreation1hInputTokens: Int? = nil,
        cacheReadInputTokens: Int? = nil,
        reasoningTokens: Int? = nil,
        apiCalls: Int = 1,
        images: Int? = nil,
        serviceTier: String? = nil,
        isEstimated: Bool = false,
        model: String? = nil,
        extractionError: String? = nil
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.cacheCreation1hInputTokens = cacheCreation1hInputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.reasoningTokens = reasoningTokens
        self.apiCalls = apiCalls
        self.images = images
        self.serviceTier = serviceTier
        self.isEstimated = isEstimated
        self.model = model
        self.extractionError = extractionError
    }
}
