import CurlHTTP
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif
import SigV4

/// Where and as whom the client talks to DynamoDB.
public struct DynamoDBConfiguration: Sendable {
    public var region: String
    public var credentials: Credentials
    /// The endpoint, e.g. `https://dynamodb.us-east-1.amazonaws.com` or `http://127.0.0.1:8000`.
    public var endpoint: Endpoint
    public var retryPolicy: RetryPolicy
    public var timeouts: HTTPTimeouts
    /// How many times `batchWriteItem` sends a chunk while DynamoDB leaves items unprocessed.
    public var maxBatchWriteRounds: Int

    /// - Throws: a `.configuration` error when no endpoint is given and `region` is not a region
    ///   name (the AWS endpoint is built from it).
    public init(
        region: String,
        credentials: Credentials,
        endpoint: Endpoint? = nil,
        retryPolicy: RetryPolicy = .standard,
        timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(3), total: .seconds(30)),
        maxBatchWriteRounds: Int = 5
    ) throws(DynamoDBError) {
        guard let endpoint = endpoint ?? Endpoint.aws(region: region) else {
            throw .configuration("the region \(ConfigurationCheck.quoted(region)) is not a region name: \(ConfigurationCheck.regionShape)")
        }
        self.region = region
        self.credentials = credentials
        self.endpoint = endpoint
        self.retryPolicy = retryPolicy
        self.timeouts = timeouts
        self.maxBatchWriteRounds = max(1, maxBatchWriteRounds)
    }

    /// Reads the configuration the way Lambda and the AWS CLI do:
    /// - region: `AWS_REGION`, else `AWS_DEFAULT_REGION`;
    /// - credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`;
    /// - endpoint: `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`, else the region's AWS endpoint.
    ///
    /// A missing or malformed value is a `.configuration` error that names the variable.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DynamoDBError) -> DynamoDBConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingSpaces(), !text.isEmpty else { return nil }
            return text
        }
        let regionVariable = value("AWS_REGION") != nil ? "AWS_REGION" : "AWS_DEFAULT_REGION"
        guard let region = value(regionVariable) else {
            throw .configuration("AWS_REGION is not set (nor AWS_DEFAULT_REGION): export AWS_REGION=<the table's region>, e.g. us-east-1")
        }
        guard let endpointForRegion = Endpoint.aws(region: region) else {
            throw .configuration("\(regionVariable) is not a region name: \(ConfigurationCheck.quoted(region)) (\(ConfigurationCheck.regionShape))")
        }
        guard let accessKeyId = value("AWS_ACCESS_KEY_ID") else {
            throw .configuration("AWS_ACCESS_KEY_ID is not set: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)")
        }
        guard let secretAccessKey = value("AWS_SECRET_ACCESS_KEY") else {
            throw .configuration("AWS_SECRET_ACCESS_KEY is not set: export it together with AWS_ACCESS_KEY_ID")
        }
        let sessionToken = value("AWS_SESSION_TOKEN")
        // They go into signed headers: a space, a control character or a non-ASCII one would
        // break the request (or add a header). The values themselves are never quoted.
        for (name, secret) in [("AWS_ACCESS_KEY_ID", accessKeyId), ("AWS_SECRET_ACCESS_KEY", secretAccessKey),
                               ("AWS_SESSION_TOKEN", sessionToken ?? "")] {
            if let problem = ConfigurationCheck.credentialProblem(secret) {
                throw .configuration("\(name) \(problem): copy it again from its source")
            }
        }
        let credentials = Credentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
        var endpoint = endpointForRegion
        for name in ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"] {
            guard let text = value(name) else { continue }
            guard let parsed = Endpoint(text) else {
                throw .configuration("\(name) is not an http(s) URL: \(ConfigurationCheck.quoted(ConfigurationCheck.withoutUserInfo(text))) (expected e.g. http://127.0.0.1:8000, without user or password)")
            }
            endpoint = parsed
            break
        }
        // The CA bundle libcurl will be pointed at (CABundle.defaultPath): one that cannot be read
        // would fail every HTTPS request with a TLS error that names no variable.
        if endpoint.scheme == "https", let name = ["CURL_CA_BUNDLE", "SSL_CERT_FILE"].first(where: { value($0) != nil }),
           let path = value(name), !FileManager.default.isReadableFile(atPath: path) {
            throw .configuration("\(name) names \(ConfigurationCheck.quoted(path)), which is not a readable file: point it at a CA bundle or unset it")
        }
        return try DynamoDBConfiguration(region: region, credentials: credentials, endpoint: endpoint)
    }
}

/// An HTTP(S) endpoint: scheme, host, optional port and base path.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    /// The host name or address (IPv6 in brackets).
    public var host: String
    public var port: Int?
    /// The request path, `/` unless the URL names another.
    public var path: String

    /// Parses `http(s)://host[:port][/path]`; `nil` for anything else.
    public init?(_ text: String) {
        let lowered = text.lowercased()
        guard let schemeEnd = lowered.firstRange(of: "://") else { return nil }
        let scheme = String(lowered[..<schemeEnd.lowerBound])
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[schemeEnd.upperBound...]
        let isAuthorityEnd: (Character) -> Bool = { $0 == "/" || $0 == "?" || $0 == "#" }
        let authorityEnd: Substring.Index = rest.firstIndex(where: isAuthorityEnd) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
        }
        guard URLHost.isValid(host) else { return nil }
        var path = String(rest[authorityEnd...].prefix { $0 != "?" && $0 != "#" })
        if path.isEmpty { path = "/" }
        // The path goes into the request line and the signature: visible ASCII only.
        guard path.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else { return nil }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.path = path
    }

    /// DynamoDB's endpoint in `region`; `nil` when `region` is not a region name (lowercase
    /// letters, digits and `-`, like `us-east-1`).
    public static func aws(region: String) -> Endpoint? {
        guard ConfigurationCheck.isRegion(region) else { return nil }
        return Endpoint("https://dynamodb.\(region).amazonaws.com")
    }

    /// The `Host` header: the host, plus `:port` when the port is not the scheme's default
    /// (exactly what libcurl would send, so it is what gets signed).
    public var hostHeader: String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    public var url: String { "\(scheme)://\(hostHeader)\(path)" }
    public var description: String { url }
}

extension String {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
