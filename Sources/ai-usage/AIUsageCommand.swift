import ArgumentParser

@main
struct AIUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ai-usage",
        abstract: "Track and report what AI API calls cost, in one DynamoDB table.",
        discussion: """
            Configuration comes from the environment, as in AWS Lambda:
              DYNAMODB_TABLE_NAME          the table (or pass --table)
              AWS_REGION                   region (falls back to AWS_DEFAULT_REGION)
              AWS_ACCESS_KEY_ID            credentials
              AWS_SECRET_ACCESS_KEY
              AWS_SESSION_TOKEN            optional, for temporary credentials
              AWS_ENDPOINT_URL_DYNAMODB    endpoint override, e.g. http://127.0.0.1:8000
                                           (falls back to AWS_ENDPOINT_URL, then AWS itself)
              AI_USAGE_PRICING_FILE        a price catalogue layered over the built-in prices (docs/pricing.md)
              AI_USAGE_PRICING_FROM_TABLE=on  price with the catalogue published to the table
                                           ('pricing publish'), under AI_USAGE_PRICING_FILE
              AI_USAGE_SPILL_FILE          where unwritable metrics wait for 'replay'
                                           (default: ai-usage-spill.jsonl in TMPDIR or /tmp)
              TRACK_TO_FILE=true           also append every metric to AI_USAGE_LOG_FILE
                                           (default /tmp/ai_usage.jsonl)
              ENVIRONMENT, USER_ID         context defaults for recorded metrics
              AI_USAGE_INDEX_SHARDS        partitions of the date indexes (default 1: the
                                           original keys); set the same value everywhere
            """,
        subcommands: [TableCommand.self, RecordCommand.self, PricingCommand.self, RepriceCommand.self, SeedCommand.self, ReplayCommand.self, RollupCommand.self, ReportCommand.self, TrendsCommand.self, BudgetCommand.self, InvokeCommand.self, EmulateCommand.self, ServeCommand.self, CallCommand.self]
    )
}
