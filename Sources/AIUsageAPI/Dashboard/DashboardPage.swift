import AIUsage
import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `GET /ai_usage/dashboard`: one self-contained HTML page (inline style and script, no build
/// step, nothing from another origin) that draws the API's answers for people (docs/dashboard.md).
///
/// The page asks the API next to it, on the same origin and stage, for the JSON report and its
/// CSV cells, and for the budgets; it runs behind a Content-Security-Policy that allows only its
/// own inline style and script (by hash) and requests to its own origin.
enum DashboardPage {
    /// The whole document.
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>AI usage</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body)
        <script>\(script)</script>
        </body>
        </html>

        """

    /// `'sha256-…'` of an inline block's exact text, as CSP Level 2 compares it.
    static func hashSource(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Array(text.utf8))).base64EncodedString() + "'"
    }

    /// Nothing but the page's own style and script, requests to its own origin, and no framing.
    static let contentSecurityPolicy = [
        "default-src 'none'",
        "script-src \(hashSource(script))",
        "style-src \(hashSource(style))",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// The 200 answer: the page, its policy, and a short cache (the page has no data in it).
    static let response = ProxyResponse(
        status: 200,
        headers: [
            .init("Content-Type", "text/html; charset=utf-8"),
            .init("Cache-Control", "public, max-age=300"),
            .init("Content-Security-Policy", contentSecurityPolicy),
            .init("X-Content-Type-Options", "nosniff"),
            .init("Referrer-Policy", "no-referrer"),
        ],
        body: html
    )
}
