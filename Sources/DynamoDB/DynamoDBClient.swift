import CurlHTTP
import ExactJSON
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif
import SigV4

#if canImport(Glibc)
import Glibc
#endif

/// A DynamoDB client speaking the JSON 1.0 protocol, signed with SigV4, over any `HTTPTransport`.
///
/// Every attempt is signed afresh (new `X-Amz-Date`), responses with an `x-amz-crc32` header are
/// verified, and failures are retried in the AWS "standard" mode (see `RetryPolicy`). The client
/// is `Sendable`: share one per process.
public final class DynamoDBClient: Sendable {
    public static let targetPrefix = "DynamoDB_20120810"
    public static let contentType = "application/x-amz-json-1.0"

    public let configuration: DynamoDBConfiguration
    private let transport: any HTTPTransport
    private let signer: SigV4Signer
    private let quota = RetryQuota()
    private let now: @Sendable () -> AMZDate
    private let sleep: @Sendable (Duration) async -> Void
    private let random: @Sendable () -> Double

    /// - Parameters:
    ///   - transport: defaults to a pooled libcurl client.
    ///   - now: the signing clock (tests inject one).
    ///   - sleep: how backoff waits (tests record instead of sleeping).
    ///   - random: the jitter source, uniform in [0, 1).
    public init(
        configuration: DynamoDBConfiguration,
        transport: (any HTTPTransport)? = nil,
        now: @escaping @Sendable () -> AMZDate = { AMZDate(secondsSinceEpoch: Int64(time(nil))) },
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.configuration = configuration
        self.transport = transport ?? CurlHTTPClient()
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "dynamodb")
        self.now = now
        self.sleep = sleep
        self.random = random
    }

    /// A client configured from the environment (see `DynamoDBConfiguration.fromEnvironment`).
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(DynamoDBError) {
        self.init(configuration: try DynamoDBConfiguration.fromEnvironment(environment))
    }

    /// Tokens left in the standard-mode retry quota.
    public var retryQuotaAvailable: Int { quota.available }

    // MARK: - Operations

    public func createTable(_ input: CreateTableInput) async throws(DynamoDBError) -> TableDescription {
        let output: TableDescriptionOutput = try await call("CreateTable", input)
        return try description(output, "CreateTable")
    }

    public func describeTable(_ tableName: String) async throws(DynamoDBError) -> TableDescription {
        let output: TableDescriptionOutput = try await call("DescribeTable", TableNameInput(tableName: tableName))
        return try description(output, "DescribeTable")
    }

    public func deleteTable(_ tableName: String) async throws(DynamoDBError) -> TableDescription {
        let output: TableDescriptionOutput = try await call("DeleteTable", TableNameInput(tableName: tableName))
        return try description(output, "DeleteTable")
    }

    public func putItem(_ input: PutItemInput) async throws(DynamoDBError) {
        let _: EmptyOutput = try await call("PutItem", input)
    }

    /// One Query call: a single page, every item as a dictionary (read by `QueryPageDecoder`).
    /// Reports use `queryPage(_:received:item:)` instead, which builds no dictionaries.
    public func queryPage(_ input: QueryInput) async throws(DynamoDBError) -> QueryPage {
        var items: [Item] = []
        let summary = try await queryPage(input) { (reader: inout WireItem) throws(WireDecodingError) in
            var item: Item = [:]
            try reader.decodeRest(into: &item)
            items.append(item)
        }
        return QueryPage(items: items, count: summary.count, scannedCount: summary.scannedCount, lastEvaluatedKey: summary.lastEvaluatedKey)
    }

    /// Every page of a Query, fetched one at a time as the sequence is iterated, following
    /// `LastEvaluatedKey` until DynamoDB has no more.
    public func query(_ input: QueryInput) -> QueryPages {
        QueryPages(client: self, input: input)
    }

    /// Writes `requests` in chunks of 25. Items DynamoDB leaves unprocessed are resent with
    /// backoff, up to `maxBatchWriteRounds` sends per chunk. Whatever is still unwritten comes
    /// back in the result; a chunk that fails outright (after retries) returns its requests
    /// there too, with the error.
    public func batchWriteItem(tableName: String, requests: [WriteRequest]) async -> BatchWriteResult {
        var result = BatchWriteResult(written: 0, unprocessed: [], errors: [])
        var start = 0
        while start < requests.count {
            let chunk = Array(requests[start..<min(start + 25, requests.count)])
            start += chunk.count
            var pending = chunk
            var round = 1
            while !pending.isEmpty {
                do throws(DynamoDBError) {
                    let output: BatchWriteItemOutput = try await call(
                        "BatchWriteItem", BatchWriteItemInput(requestItems: [tableName: pending])
                    )
                    let left = output.unprocessedItems?[tableName] ?? []
                    result.written += pending.count - left.count
                    pending = left
                } catch {
                    result.errors.append(error)
                    break
                }
                guard !pending.isEmpty else { break }
                guard round < configuration.maxBatchWriteRounds else { break }
                let backoff = configuration.retryPolicy.backoff(retry: round, random: random())
                guard Self.attemptFits(after: backoff) else { break }
                await sleep(backoff)
                round += 1
            }
            result.unprocessed.append(contentsOf: pending)
        }
        return result
    }

    // MARK: - The protocol

    private func description(_ output: TableDescriptionOutput, _ operation: String) throws(DynamoDBError) -> TableDescription {
        guard let table = output.tableDescription ?? output.table else {
            throw DynamoDBError(kind: .invalidResponse, code: "InvalidResponse", message: "the response has no table description", operation: operation)
        }
        return table
    }

    /// Encodes, signs, sends and decodes one operation, retrying as the policy allows.
    func call<Input: WireEncodable, Output: WireDecodable>(
        _ operation: String,
        _ input: Input
    ) async throws(DynamoDBError) -> Output {
        let response = try await send(operation, input)
        do {
            return try Output(wire: JSONValue.parse(response.body))
        } catch {
            throw DynamoDBError(
                kind: .invalidResponse, code: "InvalidResponse",
                message: "cannot decode the \(operation) response: \(error)",
                httpStatus: response.status, requestId: Self.requestId(response),
                operation: operation
            )
        }
    }

    /// Encodes, signs and sends one operation, retrying as the policy allows; the successful
    /// (2xx, checksum-verified) response.
    func send<Input: WireEncodable>(
        _ operation: String,
        _ input: Input
    ) async throws(DynamoDBError) -> HTTPResponse {
        let body = input.wire.serializedBytes()
        let policy = configuration.retryPolicy
        var retryCost = 0
        var attempt = 1
        while true {
            guard Self.attemptFits(after: .zero) else {
                throw Self.deadlineExceeded(operation, attempts: attempt - 1)
            }
            let outcome = await attemptOnce(operation, body: body)
            switch outcome {
            case .success(let response):
                quota.release(retryCost: retryCost)
                return response
            case .failure(var error):
                error.attempts = attempt
                guard attempt < policy.maxAttempts, RetryPolicy.isRetryable(error) else { throw error }
                let backoff = policy.backoff(retry: attempt, random: random())
                // Under a deadline, a retry is worth its backoff only if an attempt still fits after it.
                guard Self.attemptFits(after: backoff) else { throw error }
                guard let cost = quota.acquire(after: error) else { throw error }
                retryCost += cost
                await sleep(backoff)
                attempt += 1
            }
        }
    }

    /// Under a `RequestDeadline`, no attempt starts with less than this left: it could not finish.
    public static let minimumAttemptTime: Duration = .milliseconds(50)

    /// Whether an attempt still fits before the current `RequestDeadline` after waiting `wait`
    /// (always, when none is bound).
    static func attemptFits(after wait: Duration) -> Bool {
        guard let remaining = RequestDeadline.remaining() else { return true }
        return wait + minimumAttemptTime <= remaining
    }

    /// The failure of an operation that the deadline left no time for.
    static func deadlineExceeded(_ operation: String, attempts: Int) -> DynamoDBError {
        var error = DynamoDBError(
            kind: .transport, code: "DeadlineExceeded",
            message: "\(operation): no time left before the deadline for another attempt (\(attempts) made)",
            operation: operation,
            transportError: HTTPError(kind: .timedOut, message: "the request deadline has passed", url: "")
        )
        error.attempts = attempts
        return error
    }

    /// One signed request and its classification; never throws. A failure's text is masked
    /// (`SecretMasking`) before anything else sees it: AWS may echo the signed request.
    private func attemptOnce(_ operation: String, body: [UInt8]) async -> Result<HTTPResponse, DynamoDBError> {
        let outcome = await attemptUnmasked(operation, body: body)
        guard case .failure(var error) = outcome else { return outcome }
        let credentials = configuration.credentials
        let secrets = [credentials.secretAccessKey, credentials.sessionToken ?? "", credentials.accessKeyId]
        error.message = SecretMasking.mask(error.message, secrets: secrets)
        error.code = SecretMasking.mask(error.code, secrets: secrets)
        return .failure(error)
    }

    private func attemptUnmasked(_ operation: String, body: [UInt8]) async -> Result<HTTPResponse, DynamoDBError> {
        let endpoint = configuration.endpoint
        let headers = [
            SigningHeader("Host", endpoint.hostHeader),
            SigningHeader("Content-Type", Self.contentType),
            SigningHeader("X-Amz-Target", "\(Self.targetPrefix).\(operation)"),
        ]
        let signed = signer.sign(SigningRequest(method: "POST", path: endpoint.path, headers: headers, body: body), at: now())
        var httpHeaders = HTTPHeaders(signed.headers.map { ($0.name, $0.value) })
        httpHeaders.add("User-Agent", "ai-usage/1 (libcurl)")
        let request = HTTPRequest(method: "POST", url: endpoint.url, headers: httpHeaders, body: body, timeouts: configuration.timeouts.clampedToDeadline())

        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            return .failure(DynamoDBError(kind: .transport, code: "TransportError", message: error.description, operation: operation, transportError: error))
        }
        let requestId = Self.requestId(response)
        if let expected = response.headers["x-amz-crc32"] {
            let actual = CRC32.checksum(response.body)
            if UInt32(expected.trimmingSpaces()) != actual {
                return .failure(DynamoDBError(
                    kind: .checksumMismatch, code: "CRC32Mismatch",
                    message: "x-amz-crc32 says \(expected), the body's CRC32 is \(actual)",
                    httpStatus: response.status, requestId: requestId, operation: operation
                ))
            }
        }
        guard (200..<300).contains(response.status) else {
            return .failure(ErrorResponse.parse(response, operation: operation, requestId: requestId))
        }
        return .success(response)
    }

    static func requestId(_ response: HTTPResponse) -> String? {
        (response.headers["x-amzn-RequestId"] ?? response.headers["x-amz-request-id"]).map(ErrorResponse.safeToken)
    }
}

/// Turns an error response into a `DynamoDBError`: the JSON `__type`/`message` form DynamoDB
/// uses, the XML form some servers use for authentication errors, or the bare status.
enum ErrorResponse {
    /// The members the JSON form may have.
    private struct JSONBody {
        var type: String?
        var code: String?
        var lowerMessage: String?
        var upperMessage: String?

        /// `nil` unless the body is a JSON object whose `__type`, `code`, `message` and `Message`
        /// are each a string, `null` or absent (the first member of a name counts).
        init?(_ body: [UInt8]) {
            guard case .object(let members)? = try? JSONValue.parse(body) else { return nil }
            func text(_ key: String) -> String?? {
                switch members.first(where: { $0.key == key })?.value {
                case nil, .null?: .some(nil)
                case .string(let text)?: .some(text)
                default: nil
                }
            }
            guard let type = text("__type"), let code = text("code"),
                  let lowerMessage = text("message"), let upperMessage = text("Message") else { return nil }
            self.type = type
            self.code = code
            self.lowerMessage = lowerMessage
            self.upperMessage = upperMessage
        }
    }

    static func parse(_ response: HTTPResponse, operation: String, requestId: String?) -> DynamoDBError {
        var code: String?
        var message: String?
        var requestId = requestId
        if let body = JSONBody(response.body) {
            code = (response.headers["x-amzn-ErrorType"] ?? body.type ?? body.code).map(sanitize)
            message = body.lowerMessage ?? body.upperMessage
        } else {
            let text = response.bodyText
            code = xmlElement("Code", in: text).map(safeToken)
            message = xmlElement("Message", in: text)
            requestId = requestId ?? xmlElement("RequestId", in: text)
        }
        let fallbackCode = response.status >= 500 ? "InternalServerError" : "HTTP\(response.status)"
        let fallbackMessage = response.body.isEmpty ? "no error body" : String(response.bodyText.prefix(200))
        return DynamoDBError(
            kind: .service,
            code: code.flatMap { $0.isEmpty ? nil : $0 } ?? fallbackCode,
            message: message ?? fallbackMessage,
            httpStatus: response.status,
            requestId: requestId.map(safeToken),
            operation: operation
        )
    }

    /// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` → `ResourceNotFoundException`;
    /// `Code:http://…` → `Code`.
    static func sanitize(_ type: String) -> String {
        var code = Substring(type)
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        return safeToken(code)
    }

    /// A code or request id as it may be shown and logged: letters, digits, `.`, `_` and `-`,
    /// at most 128 of them (anything else a server sends is dropped).
    static func safeToken(_ text: some StringProtocol) -> String {
        String(text.unicodeScalars.filter { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".-_".unicodeScalars.contains(scalar))
        }.prefix(128).map(Character.init))
    }

    static func xmlElement(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>"),
              let close = text[open.upperBound...].firstRange(of: "</\(name)>") else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }
}
