import Foundation
import TestSupport
import Testing

@testable import AIUsage

/// A response body from `Fixtures/` (hand-written from the providers' documented shapes).
private func fixture(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent(name)
    return [UInt8](try Data(contentsOf: url))
}

private func extract(_ service: String, _ operation: String = "completion", fixture name: String) throws -> TokenUsage {
    UsageExtractor.extract(service: service, operation: operation, responseBody: try fixture(name))
}

private func extract(_ service: String, _ operation: String = "completion", json: String) -> TokenUsage {
    UsageExtractor.extract(service: service, operation: operation, responseBody: Array(json.utf8))
}

@Suite("Usage extraction: provider shapes")
struct UsageShapeTests {
    @Test func openAIChatCompletionWithCachedTokens() throws {
        let usage = try extract("openai", fixture: "openai-chat-completion.json")
        #expect(usage == TokenUsage(
            inputTokens: 2006, outputTokens: 300, totalTokens: 2306, cachedInputTokens: 1920,
            reasoningTokens: 0, apiCalls: 1, serviceTier: "default", model: "gpt-4o-2024-08-06"
        ))
    }

    @Test func openAIChatCompletionWithReasoningTokens() throws {
        let usage = try extract("openai", fixture: "openai-chat-completion-reasoning.json")
        #expect(usage.model == "o4-mini-2025-04-16")
        #expect(usage.inputTokens == 1180)
        #expect(usage.outputTokens == 1860)
        #expect(usage.reasoningTokens == 1536)  // part of the output tokens, not added to them
        #expect(usage.totalTokens == 3040)
        #expect(usage.cachedInputTokens == 0)
        #expect(usage.extractionError == nil)
    }

    @Test func openAIChatCompletionWithoutDetails() throws {
        let usage = try extract("openai", fixture: "openai-chat-completion-legacy.json")
        #expect(usage == TokenUsage(inputTokens: 100, outputTokens: 50, totalTokens: 150, model: "gpt-3.5-turbo-0125"))
    }

    @Test func openAIResponsesAPI() throws {
        let usage = try extract("openai", "response", fixture: "openai-responses.json")
        #expect(usage == TokenUsage(
            inputTokens: 9216, outputTokens: 57, totalTokens: 9273, cachedInputTokens: 8960,
            reasoningTokens: 0, model: "gpt-4.1-2025-04-14"
        ))
    }

    @Test func openAIEmbeddings() throws {
        let usage = try extract("openai", "embedding", fixture: "openai-embeddings.json")
        #expect(usage == TokenUsage(inputTokens: 7, outputTokens: 0, totalTokens: 7, model: "text-embedding-3-small"))
    }

    @Test func anthropicMessage() throws {
        let usage = try extract("anthropic", fixture: "anthropic-message.json")
        #expect(usage == TokenUsage(
            inputTokens: 2095, outputTokens: 503, totalTokens: 2598,
            cacheCreationInputTokens: 0, cacheCreation1hInputTokens: nil, cacheReadInputTokens: 0,
            serviceTier: "standard", model: "claude-sonnet-4-20250514"
        ))
    }

    @Test func anthropicMessageWritingTheCache() throws {
        let usage = try extract("anthropic", fixture: "anthropic-message-cache.json")
        #expect(usage.inputTokens == 21)
        #expect(usage.cacheCreationInputTokens == 152_310)
        #expect(usage.cacheCreation1hInputTokens == 0)
        #expect(usage.cacheReadInputTokens == 0)
        #expect(usage.outputTokens == 393)
        // Total: every token the call processed, cache traffic included (Anthropic reports it apart from input).
        #expect(usage.totalTokens == 21 + 152_310 + 393)
        #expect(usage.extractionError == nil)
    }

    @Test func anthropicMessageReadingTheCache() throws {
        let usage = try extract("anthropic", fixture: "anthropic-message-cache-read.json")
        #expect(usage == TokenUsage(
            inputTokens: 50, outputTokens: 120, totalTokens: 50 + 1000 + 152_310 + 120,
            cacheCreationInputTokens: 1000, cacheCreation1hInputTokens: 400, cacheReadInputTokens: 152_310,
            model: "claude-3-5-sonnet-20240620"
        ))
    }

    @Test func googlePlacesIsOneCallWithoutTokens() throws {
        let usage = try extract("google_places", "place_details", fixture: "google-places-details.json")
        #expect(usage == TokenUsage(apiCalls: 1))
        // Whatever the body.
        #expect(extract("google_places", "place_details", json: "not json") == TokenUsage(apiCalls: 1))
    }

    @Test func shapeComesFromTheBodyNotTheServiceHint() throws {
        // An Anthropic body recorded under the wrong service is still read as Anthropic.
        let usage = try extract("openai", fixture: "anthropic-message.json")
        #expect(usage.inputTokens == 2095)
        #expect(usage.cacheReadInputTokens == 0)
        #expect(usage.totalTokens == 2598)
        let chat = try extract("anthropic", fixture: "openai-chat-completion.json")
        #expect(chat.cachedInputTokens == 1920)
    }

    @Test func serviceHintDecidesWhenTheBodyDoesNotSay() {
        let anthropic = extract("anthropic", json: #"{"usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100}}"#)
        #expect(anthropic.cacheReadInputTokens == 100)
        #expect(anthropic.totalTokens == 115)
        let responses = extract("openai", json: #"{"usage": {"input_tokens": 10, "output_tokens": 5, "input_tokens_details": {"cached_tokens": 4}}}"#)
        #expect(responses.cachedInputTokens == 4)
        #expect(responses.totalTokens == 15)  // derived: the body has no total
        let embedding = extract("openai", "embedding", json: #"{"usage": {"prompt_tokens": 9, "total_tokens": 9}}"#)
        #expect(embedding.outputTokens == 0)
        #expect(embedding.extractionError == nil)
    }

    @Test func extractedUsagePricesEndToEnd() throws {
        let calculator = CostCalculator()
        func price(_ service: String, _ name: String, _ operation: String = "completion") throws -> CostResult {
            let usage = try extract(service, operation, fixture: name)
            return calculator.cost(service: service, model: usage.model ?? "", operation: operation, usage: usage)
        }
        // gpt-4o-2024-08-06: 86 × $2.50 + 1920 × $1.25 + 300 × $10, per 1M.
        #expect(try price("openai", "openai-chat-completion.json").costUSD == dec("0.005615"))
        // o4-mini: 1180 × $1.10 + 1860 × $4.40, per 1M (reasoning tokens are already in the output).
        #expect(try price("openai", "openai-chat-completion-reasoning.json").costUSD == dec("0.009482"))
        // gpt-4.1: 256 × $2 + 8960 × $0.50 + 57 × $8, per 1M.
        #expect(try price("openai", "openai-responses.json", "response").costUSD == dec("0.005448"))
        #expect(try price("openai", "openai-embeddings.json", "embedding").costUSD == dec("0.00000014"))
        // claude-sonnet-4: 2095 × $3 + 503 × $15, per 1M.
        #expect(try price("anthropic", "anthropic-message.json").costUSD == dec("0.01383"))
        // claude-3-5-haiku: 21 × $0.80 + 152310 × $1 + 393 × $4, per 1M.
        #expect(try price("anthropic", "anthropic-message-cache.json").costUSD == dec("0.1538988"))
        // claude-3-5-sonnet: 50 × $3 + 600 × $3.75 + 400 × $6 + 152310 × $0.30 + 120 × $15, per 1M.
        #expect(try price("anthropic", "anthropic-message-cache-read.json").costUSD == dec("0.052293"))
    }
}

@Suite("Usage extraction: malformed and missing usage")
struct UsageErrorTests {
    @Test func truncatedBodyIsNotJSON() throws {
        let usage = try extract("openai", fixture: "truncated.json")
        #expect(usage.inputTokens == nil)
        #expect(usage.outputTokens == nil)
        #expect(usage.apiCalls == 1)
        #expect(usage.extractionError?.hasPrefix("response is not JSON: ") == true)
    }

    @Test func emptyAndNonObjectBodies() {
        #expect(extract("openai", json: "").extractionError?.hasPrefix("response is not JSON: ") == true)
        #expect(extract("openai", json: "[1, 2]").extractionError == "response is not a JSON object")
        #expect(extract("anthropic", json: "\"usage\"").extractionError == "response is not a JSON object")
    }

    @Test func missingUsageKeepsTheModel() throws {
        let usage = try extract("openai", fixture: "openai-no-usage.json")
        #expect(usage == TokenUsage(model: "gpt-4o-mini-2024-07-18", extractionError: "response has no usage object"))
    }

    @Test func errorResponsesSayWhat() throws {
        let openAI = try extract("openai", fixture: "openai-error.json")
        #expect(openAI.extractionError == "response is an error, with no usage object: Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29800, Requested 1200.")
        #expect(openAI.inputTokens == nil)
        let anthropic = try extract("anthropic", fixture: "anthropic-error.json")
        #expect(anthropic.extractionError == "response is an error, with no usage object: Overloaded")
    }

    @Test func usageThatIsNotAnObject() {
        #expect(extract("openai", json: #"{"object": "chat.completion", "usage": [1]}"#).extractionError == "usage is not an object")
        #expect(extract("openai", json: #"{"object": "chat.completion", "usage": null}"#).extractionError == "response has no usage object")
    }

    @Test func badCountsAreReportedAndOthersKept() throws {
        let usage = try extract("openai", fixture: "openai-bad-counts.json")
        #expect(usage.inputTokens == nil)
        #expect(usage.outputTokens == nil)
        #expect(usage.totalTokens == nil)
        #expect(usage.cachedInputTokens == 3)
        #expect(usage.model == "gpt-4o-mini-2024-07-18")
        #expect(usage.extractionError == [
            "usage.prompt_tokens is not a non-negative integer: -5",
            "usage.completion_tokens is not a non-negative integer: 12.5",
            "usage.total_tokens is not a non-negative integer: \"17\"",
        ].joined(separator: "; "))
    }

    @Test func missingRequiredCounts() {
        let usage = extract("openai", json: #"{"object": "chat.completion", "usage": {"prompt_tokens": 12}}"#)
        #expect(usage.inputTokens == 12)
        #expect(usage.outputTokens == nil)
        #expect(usage.totalTokens == nil)
        #expect(usage.extractionError == "usage.completion_tokens is missing")
        let anthropic = extract("anthropic", json: #"{"type": "message", "usage": {"output_tokens": 3}}"#)
        #expect(anthropic.outputTokens == 3)
        #expect(anthropic.totalTokens == nil)
        #expect(anthropic.extractionError == "usage.input_tokens is missing")
    }

    @Test func nullOptionalCountsAreAbsent() {
        let usage = extract("anthropic", json: #"{"type": "message", "model": "claude-3-haiku-20240307", "usage": {"input_tokens": 5, "output_tokens": 6, "cache_creation_input_tokens": null, "cache_read_input_tokens": null}}"#)
        #expect(usage == TokenUsage(inputTokens: 5, outputTokens: 6, totalTokens: 11, model: "claude-3-haiku-20240307"))
    }

    @Test func exponentAndFractionAreNotIntegers() {
        let usage = extract("openai", json: #"{"object": "chat.completion", "usage": {"prompt_tokens": 1e3, "completion_tokens": 1.0}}"#)
        #expect(usage.inputTokens == nil)
        #expect(usage.outputTokens == nil)
        #expect(usage.extractionError == "usage.prompt_tokens is not a non-negative integer: 1e3; usage.completion_tokens is not a non-negative integer: 1.0")
    }

    @Test func countTooLargeForInt() {
        let usage = extract("openai", json: #"{"object": "chat.completion", "usage": {"prompt_tokens": 99999999999999999999, "completion_tokens": 1}}"#)
        #expect(usage.inputTokens == nil)
        #expect(usage.extractionError == "usage.prompt_tokens is not a non-negative integer: 99999999999999999999")
    }

    @Test func inconsistentCacheCounts() {
        let openAI = extract("openai", json: #"{"object": "chat.completion", "usage": {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 11}}}"#)
        #expect(openAI.extractionError == "usage.prompt_tokens_details.cached_tokens (11) exceeds usage.prompt_tokens (10)")
        let anthropic = extract("anthropic", json: #"{"type": "message", "usage": {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 5, "cache_creation": {"ephemeral_1h_input_tokens": 6}}}"#)
        #expect(anthropic.extractionError == "usage.cache_creation.ephemeral_1h_input_tokens (6) exceeds usage.cache_creation_input_tokens (5)")
    }

    @Test func detailsThatAreNotObjectsAreIgnored() {
        let usage = extract("openai", json: #"{"object": "chat.completion", "usage": {"prompt_tokens": 4, "completion_tokens": 2, "prompt_tokens_details": 7}}"#)
        #expect(usage.cachedInputTokens == nil)
        #expect(usage.extractionError == nil)
    }
}
