import AIUsage
import AIUsageTracker
import ArgumentParser
import DynamoDB
import Foundation

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record one AI API call through the tracker and print the stored metric as one JSON line.",
        discussion: """
            The cost comes from the pricing table (AI_USAGE_PRICING_FILE may override it); a model \
            without a price is stored without cost_usd and says why in metadata.cost_note. Context \
            options fill the item's GSI3 key (job > user > batch > environment). If DynamoDB cannot \
            take the item it is spilled to AI_USAGE_SPILL_FILE and the command exits 1; \
            'ai-usage replay' writes it later.
            """
    )

    @OptionGroup var table: TableOptions
    @Option(help: "Provider: openai, anthropic, google_places, …") var service: String
    @Option(help: "Model, e.g. gpt-4o-2024-08-06 or claude-3-5-sonnet-20241022 (places_api for Google Places).") var model: String
    @Option(help: "Operation, e.g. completion, embedding, place_details.") var operation: String
    @Option(name: .customLong("input-tokens"), help: "Input (prompt) tokens.") var inputTokens: Int?
    @Option(name: .customLong("output-tokens"), help: "Output (completion) tokens.") var outputTokens: Int?
    @Option(name: .customLong("total-tokens"), help: "Total tokens, when input and output are not known separately.") var totalTokens: Int?
    @Option(name: .customLong("api-calls"), help: "Billable calls this record stands for.") var apiCalls: Int = 1
    @Option(name: .customLong("latency-ms"), help: "How long the call took.") var latencyMs: Int?
    @Option(name: .customLong("job-id")) var jobId: String?
    @Option(name: .customLong("batch-id")) var batchId: String?
    @Option(name: .customLong("user-id")) var userId: String?
    @Option(help: "Deployment environment (default: detected from ENVIRONMENT, CI variables, …).") var environment: String?
    @Option(name: .customLong("github-pr"), help: "GitHub pull request number.") var githubPR: Int?
    @Option(help: "The call's error, for a call that failed.") var error: String?
    @Flag(name: .customLong("batch-api"), help: "The call went through the OpenAI Batch API (half price).") var batchAPI = false

    func validate() throws {
        for (name, value) in [("--input-tokens", inputTokens), ("--output-tokens", outputTokens), ("--total-tokens", totalTokens), ("--latency-ms", latencyMs)] {
            if let value, value < 0 { throw ValidationError("\(name) must not be negative") }
        }
        if apiCalls < 1 { throw ValidationError("--api-calls must be at least 1") }
    }

    func run() async throws {
        try await reportingErrors {
            let tracker = try await table.tracker()
            let usage = TokenUsage(inputTokens: inputTokens, outputTokens: outputTokens, totalTokens: totalTokens, apiCalls: apiCalls)
            let metric = tracker.metric(service: service, model: model, operation: operation, usage: usage,
                                        isBatch: batchAPI, latency: latencyMs.map { .milliseconds($0) }, error: error)
            let stored = TrackingContext.$current.withValue(TrackingContext(jobId: jobId, batchId: batchId, userId: userId, environment: environment, githubPR: githubPR)) {
                tracker.record(metric)
            }
            await tracker.shutdown()
            guard let stored else { throw CLIError("the metric was refused (see the line above)") }
            let stats = tracker.stats()
            guard stats.written == 1 else {
                throw CLIError("DynamoDB did not take the metric; it was spilled to \(tracker.configuration.spillFile.path) (run 'ai-usage replay' later)")
            }
            print(stored.json.serialized())
        }
    }
}
