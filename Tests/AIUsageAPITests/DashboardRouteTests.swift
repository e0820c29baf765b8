import AIUsage
import AIUsageAPI
import Foundation
import SigV4
import Testing

/// `GET /ai_usage/dashboard`: the page, its headers, and a policy that allows exactly its own
/// inline script and style. (What the page does is tested in a browser: tests/browser.)
struct DashboardRouteTests {
    let handler = AIUsageHandler(environment: ["AWS_REGION": "us-east-1"], log: { _ in })

    func answer(_ method: String, _ path: String) async throws -> JSONValue {
        let event = #"{"rawPath":"\#(path)","rawQueryString":"","requestContext":{"http":{"method":"\#(method)","path":"\#(path)"}},"version":"2.0","routeKey":"$default"}"#
        return try JSONValue.parse(await handler.handle(Array(event.utf8)))
    }

    /// `'sha256-…'` computed here from the hex digest SigV4 already trusts.
    static func hashSource(_ text: Substring) -> String {
        let hex = Array(SigV4Signer.hexSHA256(Array(text.utf8)).utf8)
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        let bytes = stride(from: 0, to: hex.count, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
        return "'sha256-" + Data(bytes).base64EncodedString() + "'"
    }

    static func between(_ text: String, _ open: String, _ close: String) throws -> Substring {
        let start = try #require(text.range(of: open)).upperBound
        let end = try #require(text.range(of: close, range: start..<text.endIndex)).lowerBound
        return text[start..<end]
    }

    @Test(arguments: ["/ai_usage/dashboard", "/prod/ai_usage/dashboard", "/ai_usage/dashboard/"])
    func thePageIsHTMLWithAPolicyThatAllowsOnlyItsOwnScriptAndStyle(_ path: String) async throws {
        let answer = try await answer("GET", path)
        #expect(answer["statusCode"]?.intValue == 200)
        let headers = try #require(answer["headers"])
        #expect(headers["Content-Type"]?.stringValue == "text/html; charset=utf-8")
        #expect(headers["Cache-Control"]?.stringValue == "public, max-age=300")
        #expect(headers["X-Content-Type-Options"]?.stringValue == "nosniff")
        let policy = try #require(headers["Content-Security-Policy"]?.stringValue)
        let html = try #require(answer["body"]?.stringValue)
        #expect(html.hasPrefix("<!doctype html>"))
        // One inline script and one inline style, each allowed by its hash and nothing else.
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(html.components(separatedBy: "<style").count == 2)
        let script = try Self.between(html, "<script>", "</script>")
        let style = try Self.between(html, "<style>", "</style>")
        #expect(policy == [
            "default-src 'none'", "script-src \(Self.hashSource(script))", "style-src \(Self.hashSource(style))",
            "connect-src 'self'", "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
        ].joined(separator: "; "))
        #expect(!policy.contains("unsafe"))
        // Nothing from another origin: no absolute URL in any src or href, no inline handler.
        #expect(html.firstMatch(of: /(src|href)\s*=\s*["']?(https?:)?\/\//) == nil)
        #expect(html.firstMatch(of: /\son[a-z]+\s*=/) == nil)
        #expect(html.firstMatch(of: /\sstyle\s*=/) == nil)
    }

    @Test func otherMethodsAreAnsweredAsOnEveryRoute() async throws {
        #expect(try await answer("OPTIONS", "/ai_usage/dashboard")["statusCode"]?.intValue == 204)
        let post = try await answer("POST", "/ai_usage/dashboard")
        #expect(post["statusCode"]?.intValue == 405)
        #expect(try await answer("GET", "/ai_usage/dashboards")["statusCode"]?.intValue == 404)
    }
}
