import AIUsage
import AIUsageReports
import Testing

@Suite struct UsageQueryTests {
    let today = CivilDate(year: 2026, month: 12, day: 1)

    func parse(_ parameters: [(String, [String])]) throws(UsageQuery.Invalid) -> UsageQuery {
        try UsageQuery.parse(parameters.map { (name: $0.0, values: $0.1) }, today: today)
    }

    func refusal(_ parameters: [(String, [String])]) -> String? {
        do {
            _ = try parse(parameters)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func defaultsAreTheLastThirtyDaysByDay() throws {
        let query = try parse([])
        #expect(query.start == CivilDate(year: 2026, month: 11, day: 1))
        #expect(query.end == today)
        #expect(query.aggregation == [.day])
        #expect(query.service == nil)
        #expect(query.echo.serialized() == #"{"service":null,"operation":null,"model":null,"job_id":null,"batch_id":null,"user_id":null,"environment":null,"start_date":"2026-11-01","end_date":"2026-12-01","aggregation":["day"]}"#)
        // start defaults relative to a given end.
        #expect(try parse([("end_date", ["2026-03-01"])]).start == CivilDate(year: 2026, month: 1, day: 30))
    }

    @Test func everyParameterIsRead() throws {
        let query = try parse([
            ("start_date", ["2026-11-02"]), ("end_date", ["2026-11-03"]), ("service", ["OpenAI"]), ("operation", ["completion"]),
            ("model", ["gpt-4o-2024-08-06"]), ("job_id", ["job-1"]), ("batch_id", ["b.1"]), ("user_id", ["u:1"]),
            ("environment", ["production"]), ("aggregation", [" hour , model,day,model "]),
        ])
        #expect(query == UsageQuery(
            start: CivilDate(year: 2026, month: 11, day: 2), end: CivilDate(year: 2026, month: 11, day: 3),
            service: "openai", operation: "completion", model: "gpt-4o-2024-08-06", jobId: "job-1", batchId: "b.1",
            userId: "u:1", environment: "production", aggregation: [.hour, .model, .day]
        ))
    }

    @Test func repeatedAggregationValuesJoinAndEmptyValuesAreIgnored() throws {
        let query = try parse([("aggregation", ["service", "day,,"]), ("service", [""]), ("start_date", [""])])
        #expect(query.aggregation == [.service, .day])
        #expect(query.service == nil)
        #expect(query.start == CivilDate(year: 2026, month: 11, day: 1))
    }

    @Test func rangeLimitIsInclusive() throws {
        #expect(try parse([("start_date", ["2025-12-01"]), ("end_date", ["2026-12-01"])]).start == CivilDate(year: 2025, month: 12, day: 1))  // 366 days
        #expect(refusal([("start_date", ["2025-11-30"]), ("end_date", ["2026-12-01"])]) == "the range 2025-11-30..2026-12-01 is 367 days; at most 366 are allowed")
        #expect(try parse([("start_date", ["2026-12-01"]), ("end_date", ["2026-12-01"])]).start == today)
    }

    @Test(arguments: [
        ([("start_date", ["yesterday"])], "start_date must be a real date as YYYY-MM-DD, got 'yesterday'"),
        ([("end_date", ["2026-02-30"])], "end_date must be a real date as YYYY-MM-DD, got '2026-02-30'"),
        ([("end_date", ["2026-2-3"])], "end_date must be a real date as YYYY-MM-DD, got '2026-2-3'"),
        ([("start_date", ["2026-11-30"]), ("end_date", ["2026-11-01"])], "start_date 2026-11-30 is after end_date 2026-11-01"),
        ([("start_date", ["2025-01-01"]), ("end_date", ["2026-06-01"])], "the range 2025-01-01..2026-06-01 is 517 days; at most 366 are allowed"),
        ([("aggregation", ["day,week"])], "unknown aggregation 'week'; valid: day, service, model, operation, hour, user, job"),
        ([("service", ["openai#x"])], "service must match [a-z0-9_.:-]{1,64}, got 'openai#x'"),
        ([("job_id", ["Job 42"])], "job_id must match [a-z0-9_.:-]{1,64}, got 'Job 42'"),
        ([("model", [String(repeating: "a", count: 65)])], "model must match [a-z0-9_.:-]{1,64}, got '\(String(repeating: "a", count: 65))'"),
        ([("operation", ["a\u{1}b"])], "operation must match [a-z0-9_.:-]{1,64}, got 'a?b'"),
        ([("servce", ["openai"])], "unknown parameter 'servce'; valid: start_date, end_date, service, operation, model, job_id, batch_id, user_id, environment, aggregation, format"),
        ([("service", ["openai", "anthropic"])], "service is given 2 times; give it once"),
        ([("service", ["openai"]), ("service", ["anthropic"])], "service is given 2 times; give it once"),
    ] as [([(String, [String])], String)])
    func refusalsArePrecise(_ parameters: [(String, [String])], _ message: String) {
        #expect(refusal(parameters) == message)
    }

    @Test func serviceIsLowerCasedBeforeItIsChecked() throws {
        #expect(try parse([("service", ["Google_Places"])]).service == "google_places")
        #expect(refusal([("service", ["OPENAI#X"])]) == "service must match [a-z0-9_.:-]{1,64}, got 'openai#x'")
    }
}
