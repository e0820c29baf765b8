import Foundation
import SigV4
import TestSupport
import Testing

/// `ai-usage call URL` against a local server that records what arrived: the request is signed
/// for execute-api exactly as it went on the wire, and no secret reaches the output.
@Suite struct CallCLITests {
    static let secret = "call-cli-secret-0123456789abcdefSECRET"
    static let token = "call-cli-session-token-TOKEN-0123456789"
    static let bearer = "eyJhbGciOiJSUzI1NiJ9.call-cli-bearer.BEARER"

    func run(_ arguments: [String], _ environment: [String: String]) async throws -> ChildProcessOutput {
        try await ChildProcessRunner.runOffPool(CLIIntegrationTests.executable.path, arguments, environment: environment)
    }

    static let credentials = [
        "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIDCALLTEST", "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": token, "AWS_REGION": "eu-west-3",
    ]

    @Test func aCallIsSignedForExecuteAPIAsSent() async throws {
        let server = try FaultResponder { _, _ in .respond(status: 200, headers: ["Content-Type": "application/json"], body: Array(#"{"summary":{}}"#.utf8)) }
        let query = "aggregation=service,model&start_date=2026-11-01&service=open%20ai"
        let output = try await run(["call", "\(server.endpoint)/ai_usage?\(query)"], Self.credentials)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == #"{"summary":{}}"# + "\n")

        let request = try #require(server.requests.first)
        #expect(request.method == "GET")
        #expect(request.path == "/ai_usage?\(query)")
        let authorization = try #require(request.header("Authorization"))
        let date = try #require(request.header("X-Amz-Date").flatMap(AMZDate.init(iso8601:)))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDCALLTEST/\(date.dateStamp)/eu-west-3/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="))
        #expect(request.header("X-Amz-Security-Token") == Self.token)

        // Signing what arrived (the Host field with its port, the path and the query as sent)
        // with the same key gives the same signature: the CLI signed exactly what it sent.
        let resigned = SigV4Signer(
            credentials: Credentials(accessKeyId: "AKIDCALLTEST", secretAccessKey: Self.secret, sessionToken: Self.token),
            region: "eu-west-3", service: "execute-api"
        ).sign(SigningRequest(method: "GET", path: "/ai_usage", query: query, headers: [SigningHeader("Host", try #require(request.header("Host")))]), at: date)
        #expect(authorization == resigned.authorization)

        for text in [output.stdout, output.stderr] {
            #expect(!text.contains(Self.secret) && !text.contains(Self.token) && !text.contains(resigned.signature))
        }
    }

    @Test func aJWTIsSentAsABearerTokenFromTheEnvironment() async throws {
        let server = try FaultResponder { _, _ in .respond(status: 401, headers: [:], body: Array(#"{"message":"Unauthorized"}"#.utf8)) }
        var environment = Self.credentials
        environment["AI_USAGE_API_TOKEN"] = Self.bearer
        let output = try await run(["call", "--auth", "jwt", "\(server.endpoint)/ai_usage"], environment)
        #expect(output.status == 1)
        #expect(server.requests.first?.header("Authorization") == "Bearer \(Self.bearer)")
        #expect(output.stdout == #"{"message":"Unauthorized"}"# + "\n")
        #expect(output.stderr.hasPrefix("ai-usage: HTTP 401 from \(server.endpoint)/ai_usage: the API refused the authorization"))
        #expect(!output.stdout.contains(Self.bearer) && !output.stderr.contains(Self.bearer))
    }

    @Test(arguments: [
        (["call", "ftp://example.com/ai_usage"], "the URL must start with https://"),
        (["call", "https://user:pw@example.com/ai_usage"], "the URL's host is not valid"),
        (["call", "https://example.com/ai_usage\r\nX-Injected: 1"], "the URL has a space, a control character or a fragment"),
        (["call", "--auth", "jwt", "https://example.com/ai_usage"], "--auth jwt reads the token from AI_USAGE_API_TOKEN"),
        (["call", "--region", "EU WEST", "http://127.0.0.1:9/ai_usage"], "the region is not a region name"),
    ])
    func badInputIsOneClearLine(_ arguments: [String], _ message: String) async throws {
        var environment = Self.credentials
        environment["AWS_REGION"] = nil
        let output = try await run(arguments, environment)
        #expect(output.status != 0)
        #expect(output.stderr.contains(message), "\(output.stderr)")
        #expect(!output.stderr.contains(Self.secret))
    }
}
