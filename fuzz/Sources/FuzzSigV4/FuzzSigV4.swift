// Fuzz target 4: SigV4 canonicalisation and signing of arbitrary requests.
//
// The input is read as a loose HTTP request (as the official test suite's request.txt files are):
// a request line `METHOD target [HTTP/x]`, header lines `Name:value` (a line starting with white
// space continues the previous value), a blank line, the body. Signing must not crash and must be
// deterministic, and these properties of the SigV4 specification hold:
// - URI encoding writes only unreserved characters (A-Z a-z 0-9 - . _ ~), '%XX' with uppercase
//   hex, and '/' in paths; decoding it gives the text back;
// - the normalised path is absolute, has no empty, '.' or '..' segment, and is idempotent;
// - the canonical query is its parameters, each re-encoded, sorted by name then value (byte
//   order), one per non-empty '&'-separated input pair, and canonicalising it again changes nothing;
// - canonical headers: names lower-cased, each once, sorted; values trimmed with inner white
//   space runs collapsed; repeated headers joined with ',' in the order sent; the hop-by-hop
//   names excluded; the signed-headers list is their names joined with ';';
// - the canonical request is the six parts joined with '\n'; the string to sign is the
//   algorithm, the timestamp, the scope and the canonical request's SHA-256; the signature is the
//   HMAC chain of the specification (recomputed here with swift-crypto directly), 64 lowercase hex.
import Crypto
import FuzzSupport
import SigV4

public func fuzzSigV4(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let request = LooseRequest(bytes)
    checkURI(request.path)
    checkQuery(request.query)
    checkHeaders(request.headers)
    checkSigning(request, variant: bytes.reduce(0) { $0 &* 31 &+ Int($1) })
    return 0
}

struct LooseRequest {
    var method = ""
    var path = ""
    var query = ""
    var headers: [SigningHeader] = []
    var body: [UInt8] = []

    init(_ bytes: [UInt8]) {
        var lines: [[UInt8]] = []
        var start = 0
        var bodyStart = bytes.count
        var k = 0
        while k < bytes.count {
            if bytes[k] == UInt8(ascii: "\n") {
                var line = Array(bytes[start..<k])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                start = k + 1
                if line.isEmpty, !lines.isEmpty {
                    bodyStart = start
                    break
                }
                lines.append(line)
            }
            k += 1
        }
        if k == bytes.count, start < bytes.count { lines.append(Array(bytes[start...])) }
        body = bodyStart < bytes.count ? Array(bytes[bodyStart...]) : []
        guard let first = lines.first else { return }
        let requestLine = String(decoding: first, as: UTF8.self)
        var words = requestLine.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        method = words.removeFirst()
        var target = words.first ?? ""
        if let version = target.utf8.indices.last(where: { target.utf8[$0...].starts(with: " HTTP/".utf8) }) {
            target = String(target[..<version])
        }
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = target
        }
        for line in lines.dropFirst() {
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t"), !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + text
            } else if let colon = text.firstIndex(of: ":") {
                headers.append(SigningHeader(String(text[..<colon]), String(text[text.index(after: colon)...])))
            } else {
                headers.append(SigningHeader(text, ""))
            }
        }
    }
}

func isUnreserved(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
         UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
        true
    default:
        false
    }
}

/// Whether `text` is SigV4 URI-encoded: unreserved bytes, '%XX' (uppercase hex) and, for a
/// path, '/'.
func isEncoded(_ text: String, slash: Bool) -> Bool {
    let bytes = Array(text.utf8)
    var k = 0
    while k < bytes.count {
        let byte = bytes[k]
        if isUnreserved(byte) || (slash && byte == UInt8(ascii: "/")) {
            k += 1
        } else if byte == UInt8(ascii: "%"), k + 2 < bytes.count,
                  bytes[(k + 1)...(k + 2)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }) {
            k += 3
        } else {
            return false
        }
    }
    return true
}

func checkURI(_ path: String) {
    let raw = SigV4Signer.canonicalURI(path, normalize: false)
    require(isEncoded(raw, slash: true), "canonicalURI(\(path.debugDescription), normalize: false) = \(raw.debugDescription) is not URI-encoded")
    require(URIEncoding.decode(raw) == (path.isEmpty ? "/" : path), "decoding \(raw.debugDescription) does not give \(path.debugDescription) back")

    let normalised = SigV4Signer.normalizedPath(path.isEmpty ? "/" : path)
    require(normalised.hasPrefix("/"), "normalizedPath(\(path.debugDescription)) = \(normalised.debugDescription) is not absolute")
    let segments = normalised.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    for (index, segment) in segments.enumerated() {
        let isLast = index == segments.count - 1
        require(segment != "." && segment != ".." && (!segment.isEmpty || isLast),
                "normalizedPath(\(path.debugDescription)) = \(normalised.debugDescription) keeps an empty, '.' or '..' segment")
    }
    require(SigV4Signer.normalizedPath(normalised) == normalised, "normalizedPath is not idempotent on \(normalised.debugDescription)")
    let uri = SigV4Signer.canonicalURI(path)
    require(uri == URIEncoding.encode(normalised, keepSlash: true), "canonicalURI(\(path.debugDescription)) = \(uri.debugDescription)")
    require(isEncoded(uri, slash: true), "canonicalURI(\(path.debugDescription)) = \(uri.debugDescription) is not URI-encoded")
    // Encoding everything ('/' included) and decoding gives the text back.
    let all = URIEncoding.encode(path)
    require(isEncoded(all, slash: false) && URIEncoding.decode(all) == path, "URIEncoding round trip of \(path.debugDescription) via \(all.debugDescription)")
}

func checkQuery(_ query: String) {
    let canonical = SigV4Signer.canonicalQuery(query)
    let inputPairs = query.split(separator: "&", omittingEmptySubsequences: true)
    let pairs = canonical.isEmpty ? [] : canonical.split(separator: "&", omittingEmptySubsequences: false)
    require(pairs.count == inputPairs.count, "canonicalQuery(\(query.debugDescription)) = \(canonical.debugDescription): \(pairs.count) pairs for \(inputPairs.count)")
    var previous: (name: [UInt8], value: [UInt8])?
    var decoded: [String] = []
    for pair in pairs {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        require(parts.count == 2, "pair \(pair.debugDescription) of \(canonical.debugDescription) has no '='")
        require(isEncoded(String(parts[0]), slash: false) && isEncoded(String(parts[1]), slash: false),
                "pair \(pair.debugDescription) of \(canonical.debugDescription) is not URI-encoded")
        let current = (name: Array(parts[0].utf8), value: Array(parts[1].utf8))
        if let previous {
            let ordered = previous.name == current.name ? !current.value.lexicographicallyPrecedes(previous.value)
                : previous.name.lexicographicallyPrecedes(current.name)
            require(ordered, "canonicalQuery(\(query.debugDescription)) = \(canonical.debugDescription) is not sorted")
        }
        previous = current
        decoded.append(URIEncoding.decode(parts[0]) + "\u{0}" + URIEncoding.decode(parts[1]))
    }
    // The same parameters (decoded), as a multiset.
    let expected = inputPairs.map { item -> String in
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        return URIEncoding.decode(parts[0]) + "\u{0}" + (parts.count > 1 ? URIEncoding.decode(parts[1]) : "")
    }
    func sortedBytes(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) } }
    require(sortedBytes(decoded) == sortedBytes(expected), "canonicalQuery(\(query.debugDescription)) = \(canonical.debugDescription) lost or changed parameters")
    require(SigV4Signer.canonicalQuery(canonical) == canonical, "canonicalQuery is not idempotent on \(canonical.debugDescription)")
}

let whiteSpace: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")]

func checkHeaders(_ headers: [SigningHeader]) {
    let list = SigV4Signer.canonicalHeaderList(headers)
    var names = Set<String>()
    for (index, entry) in list.enumerated() {
        require(names.insert(entry.name).inserted, "header \(entry.name.debugDescription) listed twice")
        require(entry.name == entry.name.lowercased(), "header name \(entry.name.debugDescription) is not lower-case")
        require(!SigV4Signer.unsignedHeaderNames.contains(entry.name), "unsigned header \(entry.name) is signed")
        if index > 0 { require(list[index - 1].name < entry.name, "headers not sorted: \(list.map(\.name))") }
        // Byte-level white-space checks for ASCII values only: trimAll splits on Characters, so a
        // space that starts a grapheme cluster (a space followed by a combining mark) is kept.
        let value = Array(entry.value.utf8)
        guard value.allSatisfy({ $0 < 0x80 }) else { continue }
        // (A ',' inside one value is part of it: only the ends of the whole value are checked here;
        // the exact comparison below checks each repeated header's value.)
        if let first = value.first, let last = value.last {
            require(!whiteSpace.contains(first) && !whiteSpace.contains(last), "value \(entry.value.debugDescription) of \(entry.name) is not trimmed")
        }
        for k in value.indices.dropFirst() where whiteSpace.contains(value[k]) {
            require(value[k] == UInt8(ascii: " ") && value[k - 1] != UInt8(ascii: " "),
                    "value \(entry.value.debugDescription) of \(entry.name) keeps a white-space run")
        }
    }
    // With ASCII names and values (what HTTP carries), exactly: group by lower-cased name in byte order,
    // values trimmed and joined with ',' in the order sent.
    guard headers.allSatisfy({ $0.name.utf8.allSatisfy { $0 < 0x80 } && $0.value.utf8.allSatisfy { $0 < 0x80 } }) else { return }
    var grouped: [[UInt8]: [String]] = [:]
    for header in headers {
        let name = Array(header.name.utf8).map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        if SigV4Signer.unsignedHeaderNames.contains(String(decoding: name, as: UTF8.self)) { continue }
        grouped[name, default: []].append(collapse(header.value))
    }
    let expected = grouped.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { (String(decoding: $0, as: UTF8.self), grouped[$0]!.joined(separator: ",")) }
    require(list.map(\.name) == expected.map(\.0) && list.map(\.value) == expected.map(\.1),
            "canonicalHeaderList\n  gave     \(list)\n  expected \(expected)")
}

/// A header value trimmed, each inner run of spaces, tabs and line breaks one space (the
/// specification's Trimall), byte by byte.
func collapse(_ value: String) -> String {
    var out: [UInt8] = []
    var pendingSpace = false
    for byte in value.utf8 {
        if whiteSpace.contains(byte) {
            pendingSpace = !out.isEmpty
        } else {
            if pendingSpace { out.append(UInt8(ascii: " ")) }
            pendingSpace = false
            out.append(byte)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { byte in
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }.joined()
}

func checkSigning(_ loose: LooseRequest, variant: Int) {
    let seconds = Int64(variant.magnitude % 253_402_300_800)  // up to 9999-12-31T23:59:59Z
    let date = AMZDate(secondsSinceEpoch: variant & 1 == 0 ? 1_440_938_160 : seconds)
    let timestamp = date.timestamp
    require(timestamp.utf8.count == 16 && timestamp.dropLast().allSatisfy { $0.isNumber || $0 == "T" } && timestamp.hasSuffix("Z"),
            "timestamp \(timestamp) for \(date.secondsSinceEpoch)")
    require(AMZDate(iso8601: timestamp) == date, "AMZDate(iso8601: \(timestamp)) is not \(date.secondsSinceEpoch)")
    let token: String? = variant & 2 == 0 ? nil : "FQoGZXIvYXdzEXAMPLE//token+="
    let options = SigningOptions(normalizePath: variant & 4 == 0, omitSessionToken: variant & 8 != 0, signBodyHash: variant & 16 != 0)
    let credentials = Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token)
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service", options: options)
    let request = SigningRequest(method: loose.method, path: loose.path, query: loose.query, headers: loose.headers, body: loose.body)
    let signed = signer.sign(request, at: date)
    let again = signer.sign(request, at: date)
    require(signed.canonicalRequest == again.canonicalRequest && signed.signature == again.signature && signed.headers == again.headers,
            "signing is not deterministic")

    // The headers signing adds, in order, and what was signed.
    var sent = loose.headers + [SigningHeader("X-Amz-Date", timestamp)]
    if let token, !options.omitSessionToken { sent.append(SigningHeader("X-Amz-Security-Token", token)) }
    let payloadHash = hex(SHA256.hash(data: loose.body))
    if options.signBodyHash { sent.append(SigningHeader("x-amz-content-sha256", payloadHash)) }
    let canonicalHeaders = SigV4Signer.canonicalHeaderList(sent)
    let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
    let canonical = [
        loose.method.uppercased(),
        SigV4Signer.canonicalURI(loose.path, normalize: options.normalizePath),
        SigV4Signer.canonicalQuery(loose.query),
        canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
        signedHeaders,
        payloadHash,
    ].joined(separator: "\n")
    require(signed.canonicalRequest == canonical, "canonical request\n\(signed.canonicalRequest)\nexpected\n\(canonical)")
    let scope = "\(timestamp.prefix(8))/us-east-1/service/aws4_request"
    let stringToSign = "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n\(hex(SHA256.hash(data: Array(canonical.utf8))))"
    require(signed.stringToSign == stringToSign, "string to sign\n\(signed.stringToSign)\nexpected\n\(stringToSign)")
    var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
    for part in [String(timestamp.prefix(8)), "us-east-1", "service", "aws4_request"] {
        key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
    }
    let signature = hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    require(signed.signature == signature, "signature \(signed.signature), expected \(signature)")
    require(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)",
            "authorization \(signed.authorization)")
    var expectedHeaders = sent
    if let token, options.omitSessionToken { expectedHeaders.append(SigningHeader("X-Amz-Security-Token", token)) }
    expectedHeaders.append(SigningHeader("Authorization", signed.authorization))
    require(signed.headers == expectedHeaders, "signed headers \(signed.headers)\nexpected \(expectedHeaders)")
}
