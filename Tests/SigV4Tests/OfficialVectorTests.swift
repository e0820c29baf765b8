import Foundation
import Testing
@testable import SigV4

/// Runs every case of the official AWS SigV4 test suite (aws-c-auth layout, copied into
/// `Fixtures/sigv4` with its README, LICENSE and NOTICE) and compares byte for byte.
@Suite struct OfficialVectorTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sigv4")

    static let caseNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: fixtures.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }()

    @Test func suiteHasAll38Cases() {
        #expect(Self.caseNames.count == 38)
    }

    @Test(arguments: caseNames)
    func vector(_ name: String) throws {
        let vector = try Vector(directory: Self.fixtures.appendingPathComponent(name))
        let signer = SigV4Signer(
            credentials: vector.credentials,
            region: vector.region,
            service: vector.service,
            options: SigningOptions(
                normalizePath: vector.normalize,
                omitSessionToken: vector.omitSessionToken,
                signBodyHash: vector.signBody
            )
        )
        let signed = signer.sign(vector.request, at: vector.date)
        #expect(signed.canonicalRequest == vector.expectedCanonicalRequest, "canonical request, \(name)")
        #expect(signed.stringToSign == vector.expectedStringToSign, "string to sign, \(name)")
        #expect(signed.signature == vector.expectedSignature, "signature, \(name)")
        #expect(signed.authorization == vector.expectedAuthorization, "Authorization, \(name)")
        if vector.credentials.sessionToken != nil {
            #expect(signed.headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == vector.credentials.sessionToken })
        }
    }
}

/// One case folder: `request.txt`, `context.json` and the expected `header-*.txt` outputs.
struct Vector {
    var request: SigningRequest
    var credentials: Credentials
    var region: String
    var service: String
    var date: AMZDate
    var normalize: Bool
    var omitSessionToken: Bool
    var signBody: Bool
    var expectedCanonicalRequest: String
    var expectedStringToSign: String
    var expectedSignature: String
    var expectedAuthorization: String

    init(directory: URL) throws {
        func read(_ file: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        }
        let contextData = try Data(contentsOf: directory.appendingPathComponent("context.json"))
        let context = try JSONDecoder().decode(Context.self, from: contextData)
        credentials = Credentials(
            accessKeyId: context.credentials.access_key_id,
            secretAccessKey: context.credentials.secret_access_key,
            sessionToken: context.credentials.token
        )
        region = context.region
        service = context.service
        date = try #require(AMZDate(iso8601: context.timestamp))
        normalize = context.normalize
        omitSessionToken = context.omit_session_token ?? false
        signBody = context.sign_body
        request = try Self.parseRequest(try read("request.txt"))
        expectedCanonicalRequest = try read("header-canonical-request.txt")
        expectedStringToSign = try read("header-string-to-sign.txt")
        expectedSignature = try read("header-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let signed = try read("header-signed-request.txt")
        let authorizationLine = try #require(signed.split(separator: "\n").first { $0.hasPrefix("Authorization:") })
        expectedAuthorization = String(authorizationLine.dropFirst("Authorization:".count))
    }

    struct Context: Decodable {
        struct Creds: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Creds
        var region: String
        var service: String
        var timestamp: String
        var normalize: Bool
        var sign_body: Bool
        var omit_session_token: Bool?
    }

    /// Request line, header lines (a line starting with whitespace continues the previous header),
    /// then an optional blank line and the body.
    static func parseRequest(_ text: String) throws -> SigningRequest {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines[0]
        let method = String(requestLine.prefix { $0 != " " })
        let target = String(requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count))
        let pathAndQuery = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers: [SigningHeader] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.first == " " || line.first == "\t" {
                headers[headers.count - 1].value += " " + line
            } else {
                let colon = try #require(line.firstIndex(of: ":"))
                headers.append(SigningHeader(String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
            index += 1
        }
        let body = index + 1 < lines.count ? lines[(index + 1)...].joined(separator: "\n") : ""
        return SigningRequest(
            method: method,
            path: String(pathAndQuery[0]),
            query: pathAndQuery.count > 1 ? String(pathAndQuery[1]) : "",
            headers: headers,
            body: Array(body.utf8)
        )
    }
}
