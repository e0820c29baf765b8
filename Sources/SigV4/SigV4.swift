import Crypto

/// One header field as the signer sees it: name as sent, value as sent.
public struct SigningHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The request to sign, as it will go on the wire.
public struct SigningRequest: Sendable {
    public var method: String
    /// The path as sent, e.g. `/` (already percent-encoded once if it is a wire path).
    public var path: String
    /// The raw query string without `?`, or empty.
    public var query: String
    /// Every header that will be sent and signed, `Host` included (with its port when not the scheme default).
    public var headers: [SigningHeader]
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [SigningHeader], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// Signing choices the official test suite varies.
public struct SigningOptions: Sendable, Hashable {
    /// Remove `.`/`..` segments and collapse `//` in the path (every service but S3).
    public var normalizePath: Bool
    /// Add `X-Amz-Security-Token` after signing, unsigned (a few services want that); DynamoDB signs it.
    public var omitSessionToken: Bool
    /// Add and sign `x-amz-content-sha256` (S3 needs it; DynamoDB does not).
    public var signBodyHash: Bool

    public init(normalizePath: Bool = true, omitSessionToken: Bool = false, signBodyHash: Bool = false) {
        self.normalizePath = normalizePath
        self.omitSessionToken = omitSessionToken
        self.signBodyHash = signBodyHash
    }
}

/// Everything a signature was made from, so tests and debugging can see each step.
public struct SignedRequest: Sendable {
    /// The original headers plus the ones signing adds (`X-Amz-Date`, the token, the body hash, `Authorization`).
    public var headers: [SigningHeader]
    public var canonicalRequest: String
    public var stringToSign: String
    /// 64 lowercase hex digits.
    public var signature: String
    public var authorization: String
}

/// AWS Signature Version 4 (header signing). Pure functions: no I/O, no clock.
///
/// Re-sign every attempt of a request with a fresh `AMZDate`: a signature is valid for
/// five minutes, and a retried request must not reuse a stale one.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public var credentials: Credentials
    public var region: String
    public var service: String
    public var options: SigningOptions

    public init(credentials: Credentials, region: String, service: String, options: SigningOptions = SigningOptions()) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options
    }

    /// Signs `request` as of `date`.
    public func sign(_ request: SigningRequest, at date: AMZDate) -> SignedRequest {
        var headers = request.headers
        headers.append(SigningHeader("X-Amz-Date", date.timestamp))
        if let token = credentials.sessionToken, !options.omitSessionToken {
            headers.append(SigningHeader("X-Amz-Security-Token", token))
        }
        let payloadHash = Self.hexSHA256(request.body)
        if options.signBodyHash {
            headers.append(SigningHeader("x-amz-content-sha256", payloadHash))
        }

        let canonical = Self.canonicalRequest(
            method: request.method,
            path: request.path,
            query: request.query,
            headers: headers,
            payloadHash: payloadHash,
            normalizePath: options.normalizePath
        )
        let scope = credentialScope(date)
        let toSign = Self.stringToSign(date: date, scope: scope, canonicalRequest: canonical.text)
        let key = Self.signingKey(secretAccessKey: credentials.secretAccessKey, dateStamp: date.dateStamp, region: region, service: service)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
        let authorization = Self.authorizationHeader(
            accessKeyId: credentials.accessKeyId,
            scope: scope,
            signedHeaders: canonical.signedHeaders,
            signature: signature
        )
        if let token = credentials.sessionToken, options.omitSessionToken {
            headers.append(SigningHeader("X-Amz-Security-Token", token))
        }
        headers.append(SigningHeader("Authorization", authorization))
        return SignedRequest(
            headers: headers,
            canonicalRequest: canonical.text,
            stringToSign: toSign,
            signature: signature,
            authorization: authorization
        )
    }

    /// `<yyyymmdd>/<region>/<service>/aws4_request`
    public func credentialScope(_ date: AMZDate) -> String {
        "\(date.dateStamp)/\(region)/\(service)/aws4_request"
    }

    // MARK: - The steps, each visible to tests

    /// Header names never signed: they are hop-by-hop, added by proxies, or the signature itself.
    public static let unsignedHeaderNames: Set<String> = [
        "authorization", "connection", "expect", "user-agent", "x-amzn-trace-id", "transfer-encoding",
    ]

    /// The canonical request and the `SignedHeaders` list it commits to.
    public static func canonicalRequest(
        method: String,
        path: String,
        query: String,
        headers: [SigningHeader],
        payloadHash: String,
        normalizePath: Bool = true
    ) -> (text: String, signedHeaders: String) {
        let canonicalHeaders = canonicalHeaderList(headers)
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let headerLines = canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined()
        let text = [
            method.uppercased(),
            canonicalURI(path, normalize: normalizePath),
            canonicalQuery(query),
            headerLines,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// The path, normalized (unless told not to), with every segment URI-encoded once more.
    public static func canonicalURI(_ path: String, normalize: Bool = true) -> String {
        var path = path.isEmpty ? "/" : path
        if normalize { path = normalizedPath(path) }
        return URIEncoding.encode(path, keepSlash: true)
    }

    /// RFC 3986 dot-segment removal plus collapsing of empty segments (`//`).
    public static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        guard !segments.isEmpty else { return "/" }
        let trailingSlash = path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..")
        return "/" + segments.joined(separator: "/") + (trailingSlash ? "/" : "")
    }

    /// Parameters decoded, re-encoded, sorted by name then value (byte order), joined with `&`.
    public static func canonicalQuery(_ query: String) -> String {
        let pairs: [(String, String)] = query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = URIEncoding.encode(URIEncoding.decode(parts[0]))
            let value = parts.count > 1 ? URIEncoding.encode(URIEncoding.decode(parts[1])) : ""
            return (name, value)
        }
        return pairs
            .sorted { $0.0 == $1.0 ? Array($0.1.utf8).lexicographicallyPrecedes($1.1.utf8) : Array($0.0.utf8).lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// One entry per distinct lower-cased name, sorted; repeated headers joined with `,` in the order sent.
    public static func canonicalHeaderList(_ headers: [SigningHeader]) -> [(name: String, value: String)] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if unsignedHeaderNames.contains(name) { continue }
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(trimAll(header.value))
        }
        return order.sorted().map { ($0, values[$0]!.joined(separator: ",")) }
    }

    /// Trims the ends and collapses every internal run of whitespace (folded lines included) to one space.
    public static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            .joined(separator: " ")
    }

    public static func stringToSign(date: AMZDate, scope: String, canonicalRequest: String) -> String {
        [algorithm, date.timestamp, scope, hexSHA256(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// kDate → kRegion → kService → kSigning, each an HMAC-SHA256.
    public static func signingKey(secretAccessKey: String, dateStamp: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    public static func authorizationHeader(accessKeyId: String, scope: String, signedHeaders: String, signature: String) -> String {
        "\(algorithm) Credential=\(accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
