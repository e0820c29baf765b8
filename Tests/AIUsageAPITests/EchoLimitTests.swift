import AIUsage
import AIUsageAPI
import Testing

/// No input makes an error answer large, and none puts a control character in one: every
/// echo is a short, escaped prefix (`InputEcho`).
@Suite struct EchoLimitTests {
    let handler = AIUsageHandler(environment: [:], log: { _ in })

    func body(_ event: JSONValue) async throws -> (status: Int?, body: String) {
        let proxy = try JSONValue.parse(await handler.handle(Array(event.serialized().utf8)))
        return (proxy["statusCode"]?.intValue, proxy["body"]?.stringValue ?? "")
    }

    func httpV2(path: String, method: String = "GET", headers: [JSONValue.Member] = []) -> JSONValue {
        .object([
            .init(key: "version", value: .string("2.0")),
            .init(key: "rawPath", value: .string(path)),
            .init(key: "rawQueryString", value: .string("")),
            .init(key: "headers", value: .object(headers)),
            .init(key: "requestContext", value: .object([.init(key: "http", value: .object([
                .init(key: "method", value: .string(method)), .init(key: "path", value: .string(path)),
            ]))])),
        ])
    }

    @Test func aOneMegabytePathIsQuotedByItsFirst80Characters() async throws {
        let path = "/" + String(repeating: "a", count: 1_048_576)
        let answer = try await body(httpV2(path: path))
        #expect(answer.status == 404)
        // 80 characters of the path: "/" and 79 "a", then the ellipsis.
        let expected = #"{"error":"no route for /"# + String(repeating: "a", count: 79) + #"…: the API answers GET /ai_usage, /ai_usage/report, /ai_usage/trends, /ai_usage/budgets and /ai_usage/dashboard","statusCode":404}"#
        #expect(answer.body == expected)
    }

    @Test func aLongMethodWithControlCharactersIsQuotedShortAndClean() async throws {
        let method = "DELETE\u{1b}[2J" + String(repeating: "X", count: 100_000)
        let answer = try await body(httpV2(path: "/ai_usage", method: method))
        #expect(answer.status == 405)
        #expect(answer.body.count < 300)
        #expect(answer.body.hasPrefix(#"{"error":"method DELETE?[2JXXX"#))
        #expect(!answer.body.contains("\u{1b}") && !answer.body.contains("\\u001b"))
    }

    @Test func aHugeHeaderNameInAnInvalidFieldIsQuotedShort() async throws {
        let name = String(repeating: "h", count: 500_000)
        let answer = try await body(httpV2(path: "/ai_usage", headers: [.init(key: name, value: .number("1"))]))
        #expect(answer.status == 400)
        #expect(answer.body.count < 400)
        #expect(answer.body.contains("headers.hhhh"))
        #expect(answer.body.contains("…"))
    }

    @Test func shortInputIsEchoedWhole() {
        #expect(InputEcho.short("/ai_usage_export") == "/ai_usage_export")
        #expect(InputEcho.short(String(repeating: "x", count: 80)) == String(repeating: "x", count: 80))
        #expect(InputEcho.short(String(repeating: "x", count: 81)) == String(repeating: "x", count: 80) + "…")
        #expect(InputEcho.short("a\u{0}b\u{7f}c\u{85}d\u{2028}e") == "a?b?c?d?e")
        // Bidirectional controls would reorder the message around them (a "Trojan Source" echo).
        #expect(InputEcho.short("x\u{202E}cba\u{202C}\u{2066}y\u{2069}\u{200F}z") == "x?cba??y??z")
        #expect(InputEcho.short("é中🙂") == "é中🙂")
    }
}
