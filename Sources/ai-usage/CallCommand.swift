import ArgumentParser
import CurlHTTP
import DynamoDB
import Foundation
import SigV4

/// `ai-usage call URL`: a GET to the deployed API, signed the way its authorization expects.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "GET the deployed API with a SigV4-signed request (or a JWT), and print the answer.",
        discussion: """
            The stack protects its routes with IAM authorization by default (template.yaml, \
            ApiAuthorization): a request must be signed with SigV4 for the execute-api service by \
            a principal allowed execute-api:Invoke. This command signs one with the credentials \
            of the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and \
            prints the body on standard output. The region comes from an \
            <id>.execute-api.<region>.amazonaws.com URL, else --region, else AWS_REGION.

            With --auth jwt it sends 'Authorization: Bearer $AI_USAGE_API_TOKEN' instead (a token \
            on the command line would show in ps and the shell history); --auth none sends neither.

            Nothing secret is printed: not the credentials, the token or the signature. Exits 1 \
            when the answer is not a 2xx, after printing its body.

            Example: ai-usage call "https://abc123.execute-api.us-east-1.amazonaws.com/ai_usage?aggregation=service"
            """
    )

    @Argument(help: "The URL, with its query string (quote it in the shell).") var url: String
    @Option(help: "How to authorize: iam (SigV4, the default), jwt (a bearer token from $AI_USAGE_API_TOKEN) or none.") var auth: CallAuthorization = .iam
    @Option(help: "The region to sign for, when the URL does not name it (default: $AWS_REGION).") var region: String?
    @Option(help: "Seconds to wait for the whole answer.") var timeout: Double = 30
    @Flag(name: [.customShort("i"), .long], help: "Print the status line and the answer's headers before the body.") var include = false

    func validate() throws {
        guard timeout > 0, timeout <= 900 else { throw ValidationError("--timeout must be between 0 and 900 seconds") }
    }

    func run() async throws {
        try await reportingErrors {
            let target = try CallTarget(url)
            let environment = ProcessInfo.processInfo.environment
            var headers = HTTPHeaders([("Accept", "application/json")])
            switch auth {
            case .iam:
                for (name, value) in try signedHeaders(for: target, environment: environment) { headers.add(name, value) }
            case .jwt:
                guard let token = environment["AI_USAGE_API_TOKEN"], !token.isEmpty else {
                    throw CLIError("--auth jwt reads the token from AI_USAGE_API_TOKEN, which is not set: export AI_USAGE_API_TOKEN=<an ID or access token from the stack's JwtIssuer>")
                }
                headers.add("Authorization", "Bearer \(token)")
            case .none:
                break
            }
            let request = HTTPRequest(
                method: "GET", url: target.url, headers: headers,
                timeouts: HTTPTimeouts(connect: .seconds(10), total: .milliseconds(Int64(timeout * 1000)))
            )
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try await CurlHTTPClient(maxConnections: 1).send(request)
            } catch {
                throw CLIError("\(error.description): check the URL and the network")
            }
            if include {
                print("HTTP \(response.status)")
                for field in response.headers { print("\(field.name): \(field.value)") }
                print()
            }
            FileHandle.standardOutput.write(Data(response.body))
            if response.body.last != 10, !response.body.isEmpty { print() }
            guard (200..<300).contains(response.status) else {
                throw CLIError("HTTP \(response.status) from \(target.display)\(Self.hint(response.status, auth: auth))")
            }
        }
    }

    /// The SigV4 headers for a GET of `target`, signed now.
    func signedHeaders(for target: CallTarget, environment: [String: String]) throws -> [(String, String)] {
        guard let accessKeyId = environment["AWS_ACCESS_KEY_ID"], !accessKeyId.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw CLIError("signing needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials); or use --auth jwt / --auth none for a stack that is not on AWS_IAM")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        for (name, value) in [("AWS_ACCESS_KEY_ID", accessKeyId), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", token ?? "")] {
            if let problem = DynamoDBConfiguration.credentialProblem(value) { throw CLIError("\(name) \(problem)") }
        }
        let chosenRegion = target.region ?? region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
        guard let chosenRegion, !chosenRegion.isEmpty else {
            throw CLIError("cannot tell the region from \(target.display): pass --region or set AWS_REGION")
        }
        if let problem = DynamoDBConfiguration.regionProblem(chosenRegion) { throw CLIError("the region \(problem)") }
        let signer = SigV4Signer(
            credentials: Credentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token),
            region: chosenRegion, service: "execute-api"
        )
        let signed = signer.sign(
            SigningRequest(method: "GET", path: target.path, query: target.query, headers: [SigningHeader("Host", target.hostHeader)]),
            at: AMZDate(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        )
        return signed.headers.map { ($0.name, $0.value) }
    }

    static func hint(_ status: Int, auth: CallAuthorization) -> String {
        switch (status, auth) {
        case (403, .iam): ": the caller may lack execute-api:Invoke on this API, or the credentials or region are wrong"
        case (401, _), (403, _): ": the API refused the authorization; check --auth against the stack's ApiAuthorization"
        case (404, _): ": no such route (the API serves /ai_usage, /ai_usage/report, /ai_usage/trends and /ai_usage/budgets)"
        case (429, _): ": the stage's throttling limit was reached (ThrottlingRateLimit, ThrottlingBurstLimit); retry shortly"
        default: ""
        }
    }
}

/// How `ai-usage call` authorizes its request (the stack's `ApiAuthorization`).
enum CallAuthorization: String, ExpressibleByArgument, CaseIterable {
    case iam, jwt, none
}

/// The parts of a call's URL that signing needs.
struct CallTarget {
    var url: String
    var hostHeader: String
    var path: String
    var query: String
    /// The region an `<id>.execute-api.<region>.amazonaws.com` host names.
    var region: String?
    /// The URL without its query, for messages.
    var display: String

    init(_ url: String) throws {
        let scheme: String
        if url.hasPrefix("https://") { scheme = "https://" } else if url.hasPrefix("http://") { scheme = "http://" } else {
            throw CLIError("the URL must start with https:// (or http:// for a local server): \(url.prefix(80))")
        }
        guard !url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }), !url.contains("#") else {
            throw CLIError("the URL has a space, a control character or a fragment: quote it and leave out any '#…'")
        }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let afterAuthority = rest.dropFirst(authority.count)
        let host = authority.hasPrefix("[") ? authority.prefix { $0 != "]" } + "]" : authority.prefix { $0 != ":" }
        let portText = authority.dropFirst(host.count)
        guard URLHost.isValid(host), portText.isEmpty || (portText.hasPrefix(":") && portText.count <= 6 && Int(portText.dropFirst()).map { (1...65535).contains($0) } == true) else {
            throw CLIError("the URL's host is not valid: \(authority.prefix(80))")
        }
        let pathAndQuery = afterAuthority.isEmpty ? "/" : afterAuthority
        let path = pathAndQuery.prefix { $0 != "?" }
        self.url = url
        self.hostHeader = String(authority)
        self.path = path.isEmpty ? "/" : String(path)
        self.query = pathAndQuery.contains("?") ? String(pathAndQuery.drop { $0 != "?" }.dropFirst()) : ""
        self.display = scheme + authority + path
        let labels = host.lowercased().split(separator: ".")
        if labels.count >= 5, labels[1] == "execute-api", labels[3] == "amazonaws" {
            self.region = String(labels[2])
        } else {
            self.region = nil
        }
    }
}
