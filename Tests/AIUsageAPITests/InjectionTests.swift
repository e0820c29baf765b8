import AIUsage
import AIUsageAPI
import Foundation
import TestSupport
import Testing

/// Hostile filter values: none reaches DynamoDB as part of a key or an expression, and none
/// comes back unescaped. Every one is refused with a 400 whose body is valid JSON naming the
/// parameter; the echo is JSON-escaped, without control characters, and short.
@Suite struct InjectionTests {
    static let parameters = ["service", "model", "operation", "job_id", "batch_id", "user_id", "environment"]
    static let values = [
        "openai#gpt-4o",                        // a key separator: would address another partition
        "AI_USAGE#openai",                      // a whole partition key
        "x\" OR \"1\"=\"1",                     // quotes, an expression's shape
        "#n",                                   // an expression attribute name's name
        "<script>alert(1)</script>",            // markup
        "line\nbreak\r\nX-Injected: 1",         // header and log injection
        "nul\u{0}byte",
        "\u{202E}evil",                         // bidirectional override
        String(repeating: "a", count: 5000),    // too long
    ]

    @Test(arguments: parameters)
    func everyHostileValueIsRefusedWithoutTouchingTheTable(_ parameter: String) async throws {
        // A table endpoint that answers nothing: a request reaching it would fail the test's
        // status check (503), not pass it.
        let table = try FaultResponder { _, _ in .reset }
        defer { table.stop() }
        let handler = HandlerTests().handler(table)
        for value in Self.values {
            let event = JSONValue.object([.init(key: "queryStringParameters", value: .object([.init(key: parameter, value: .string(value))]))])
            let answer = try HandlerTests().answer(await handler.handle(event.serializedBytes()))
            let shown = value.prefix(20).debugDescription
            #expect(answer.status == 400, "\(parameter)=\(shown): \(answer.status)")
            let error = try #require(answer.json?["error"]?.stringValue, "\(parameter)=\(shown): the body is not a JSON error: \(answer.body.prefix(200))")
            #expect(error.hasPrefix("\(parameter) "), "\(error)")
            #expect(!error.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x202A...0x202E).contains($0.value) }, "\(parameter)=\(shown): \(error.debugDescription)")
            #expect(error.utf8.count < 300, "\(parameter)=\(shown): the echo is \(error.utf8.count) bytes")
            #expect(!answer.body.contains("X-Injected: 1\r\n"))
        }
        #expect(table.requests.isEmpty, "a hostile value reached the table (\(table.requests.count) requests)")
    }

    /// A value the pattern allows that looks like expression syntax (`:p`, `a:b`) reaches
    /// DynamoDB only as a bound value: in ExpressionAttributeValues, never in an expression.
    @Test(arguments: parameters.filter { $0 != "service" })
    func anExpressionLookingValueIsOnlyEverBound(_ parameter: String) async throws {
        let table = try FaultResponder { _, _ in .dynamoJSON(#"{"Items":[],"Count":0,"ScannedCount":0}"#) }
        defer { table.stop() }
        let handler = HandlerTests().handler(table)
        let event = JSONValue.object([.init(key: "queryStringParameters", value: .object([
            .init(key: parameter, value: .string(":p")), .init(key: "start_date", value: .string("2026-11-30")), .init(key: "end_date", value: .string("2026-11-30")),
        ]))])
        let answer = try HandlerTests().answer(await handler.handle(event.serializedBytes()))
        #expect(answer.status == 200, "\(answer.body.prefix(200))")
        #expect(!table.requests.isEmpty)
        for request in table.requests {
            let body = try JSONValue.parse(request.body)
            for expression in ["KeyConditionExpression", "FilterExpression", "ProjectionExpression"] {
                let text = body[expression]?.stringValue ?? ""
                #expect(!text.split(whereSeparator: { " (),=".contains($0) }).contains(":p"), "\(expression): \(text)")
            }
            let bound = body["ExpressionAttributeValues"]?.objectMembers?.compactMap { $0.value["S"]?.stringValue } ?? []
            #expect(bound.contains(":p"), "\(parameter) was not bound as a value")
        }
    }
}
