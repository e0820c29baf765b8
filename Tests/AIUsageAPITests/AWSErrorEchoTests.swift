import AIUsage
import AIUsageAPI
import CurlHTTP
import DynamoDB
import Foundation
import SigV4
import Synchronization
import TestSupport
import Testing

/// A fake DynamoDB that answers the way AWS does when it refuses a request, quoting what it was
/// sent, and the proof that none of it reaches an API caller and no secret reaches a log line.
@Suite struct AWSErrorEchoTests {
    static let accessKeyId = "ASIAQEXAMPLE7KEY1234"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    static let sessionToken = "IQoJb3JpZ2luX2VjEXAMPLEtokenFQoGZXIvYXdzEBYaDHhBTEXAMPLE+/=="

    /// AWS's `InvalidSignatureException`: the canonical request and string to sign it expected,
    /// built from the request it got, so it quotes the real `x-amz-security-token`, date and scope.
    static func invalidSignature(_ request: RecordedRequest) -> FaultAction {
        let authorization = request.header("Authorization") ?? ""
        let credential = authorization.components(separatedBy: "Credential=").last?.components(separatedBy: ",").first ?? ""
        let scope = credential.split(separator: "/").dropFirst().joined(separator: "/")
        let signature = authorization.components(separatedBy: "Signature=").last ?? ""
        let message = """
            The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.

            The Canonical String for this request should have been
            'POST
            /

            content-type:application/x-amz-json-1.0
            host:\(request.header("Host") ?? "")
            x-amz-date:\(request.header("X-Amz-Date") ?? "")
            x-amz-security-token:\(request.header("X-Amz-Security-Token") ?? "")
            x-amz-target:\(request.header("X-Amz-Target") ?? "")

            content-type;host;x-amz-date;x-amz-security-token;x-amz-target
            4e9f0a1ab6fdc4c2b1a7d1b7c5a0c11f8e2a2f1e1d3c4b5a69788796a5b4c3d2'

            The String-to-Sign should have been
            'AWS4-HMAC-SHA256
            \(request.header("X-Amz-Date") ?? "")
            \(scope)
            2a9e7c0f1b1c3d6e8f00112233445566778899aabbccddeeff00112233445566'
            (you sent Credential=\(credential), Signature=\(signature))
            """
        return errorBody(code: "com.amazon.coral.service#InvalidSignatureException", message: message)
    }

    /// AWS's `AccessDeniedException`, quoting the role and table ARNs.
    static let accessDenied = errorBody(
        code: "com.amazon.coral.service#AccessDeniedException",
        message: "User: arn:aws:sts::123456789012:assumed-role/ai-usage-role/ai-usage-fn is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Usage/index/GSI2 because no identity-based policy allows the dynamodb:Query action"
    )

    static func errorBody(code: String, message: String) -> FaultAction {
        let body = JSONValue.object([.init(key: "__type", value: .string(code)), .init(key: "message", value: .string(message))]).serialized()
        var headers = ["Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "7TPA0FS0RQF1EXAMPLE"]
        headers["x-amz-crc32"] = nil
        return .respond(status: 400, headers: headers, body: Array(body.utf8))
    }

    func handler(_ server: FaultResponder, log: LogLines) -> AIUsageHandler {
        AIUsageHandler(
            environment: [
                "DYNAMODB_TABLE_NAME": "Usage", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": Self.accessKeyId,
                "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": Self.sessionToken,
                "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint, "AI_USAGE_QUERY_CONCURRENCY": "1",
            ],
            today: { CivilDate(year: 2026, month: 12, day: 1) },
            log: { log.append($0) }
        )
    }

    static let direct = Array(#"{"queryStringParameters":{"start_date":"2026-11-01","end_date":"2026-11-02"}}"#.utf8)

    @Test func anInvalidSignatureQuotingTheSessionTokenReachesNobody() async throws {
        let sentSignatures = Mutex<[String]>([])
        let server = try FaultResponder { request, _ in
            sentSignatures.withLock { $0.append(String((request.header("Authorization") ?? "").split(separator: "=").last ?? "")) }
            return Self.invalidSignature(request)
        }
        let log = LogLines()
        let bytes = await handler(server, log: log).handle(Self.direct, requestId: "lambda-req-7")
        let response = try JSONValue.parse(bytes)
        let body = response["body"]?.stringValue ?? ""

        // The fake really did quote the token and the signature (else this test proves nothing).
        #expect(server.requests.count == 1)  // an authentication failure is not retried
        #expect(server.requests.first?.header("X-Amz-Security-Token") == Self.sessionToken)

        #expect(response["statusCode"]?.intValue == 502)
        #expect(body == #"{"error":"the usage table refused the function's credentials or permissions","code":"InvalidSignatureException","request_id":"lambda-req-7","statusCode":502}"#)

        // The log has the detail, masked.
        let logged = log.all.joined(separator: "\n")
        #expect(logged.contains("InvalidSignatureException: The request signature we calculated does not match"))
        #expect(logged.contains("x-amz-security-token:****"))
        #expect(logged.contains("(request lambda-req-7)"))
        let signatures = sentSignatures.withLock { $0 }
        #expect(!signatures.isEmpty && signatures.allSatisfy { $0.count == 64 })
        for text in [body, logged] {
            #expect(!text.contains(Self.sessionToken))
            #expect(!text.contains("IQoJb3JpZ2lu"))
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(Self.accessKeyId))
            #expect(!text.contains("/us-east-1/dynamodb/aws4_request"))
            for signature in signatures { #expect(!text.contains(signature)) }
        }
    }

    @Test func anAccessDeniedQuotingARNsGivesTheCallerNoARN() async throws {
        let server = try FaultResponder { _, _ in Self.accessDenied }
        let log = LogLines()
        let bytes = await handler(server, log: log).handle(Self.direct, requestId: "lambda-req-8")
        let response = try JSONValue.parse(bytes)
        let body = response["body"]?.stringValue ?? ""
        #expect(response["statusCode"]?.intValue == 502)
        #expect(body == #"{"error":"the usage table refused the function's credentials or permissions","code":"AccessDeniedException","request_id":"lambda-req-8","statusCode":502}"#)
        #expect(!body.contains("arn:") && !body.contains("123456789012") && !body.contains("ai-usage-role"))
        // The operator still learns which role and which resource.
        let logged = log.all.joined(separator: "\n")
        #expect(logged.contains("AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ai-usage-role/ai-usage-fn is not authorized"))
        #expect(logged.contains("7TPA0FS0RQF1EXAMPLE"))
        #expect(!logged.contains(Self.sessionToken) && !logged.contains(Self.secret) && !logged.contains(Self.accessKeyId))
    }

    /// The CLI shows its own user the detail, with the same secrets masked.
    @Test func theCLIShowsTheDetailMasked() async throws {
        let server = try FaultResponder { request, _ in Self.invalidSignature(request) }
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": Self.accessKeyId, "AWS_SECRET_ACCESS_KEY": Self.secret,
            "AWS_SESSION_TOKEN": Self.sessionToken, "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint,
        ]) { $1 }
        let cli = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ai-usage").path
        let result = try await ChildProcessRunner.runOffPool(cli, ["table", "describe", "--table", "Usage"], environment: environment)
        #expect(result.status == 1)
        #expect(server.requests.first?.header("X-Amz-Security-Token") == Self.sessionToken)
        #expect(result.stderr.hasPrefix("ai-usage: DynamoDB DescribeTable failed: InvalidSignatureException: The request signature we calculated does not match"))
        #expect(result.stderr.contains("x-amz-security-token:****"))
        #expect(result.stderr.contains("Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"))
        for secret in [Self.sessionToken, "IQoJb3JpZ2lu", Self.secret, Self.accessKeyId, "/us-east-1/dynamodb/aws4_request"] {
            #expect(!result.stderr.contains(secret), "\(secret)")
        }
    }

    /// Whatever a server puts in `__type` and the request id header, only a safe token is shown.
    @Test func aHostileCodeAndRequestIdAreReducedToSafeTokens() async throws {
        let server = try FaultResponder { _, _ in
            let body = #"{"__type":"x#Evil<script>alert(1)</script>\u001b[31m","message":"m"}"#
            return .respond(status: 400, headers: ["x-amzn-RequestId": "id\u{1b}[2J<b>"], body: Array(body.utf8))
        }
        let log = LogLines()
        let bytes = await handler(server, log: log).handle(Self.direct, requestId: "r")
        let body = try JSONValue.parse(bytes)["body"]?.stringValue ?? ""
        #expect(body == #"{"error":"the usage table refused the request","code":"Evilscriptalert1script31m","request_id":"r","statusCode":502}"#)
        #expect(!log.all.joined().contains("\u{1b}"))
    }
}
