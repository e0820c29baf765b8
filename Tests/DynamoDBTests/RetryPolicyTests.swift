import CurlHTTP
@testable import DynamoDB
import Foundation
import Testing
import TestSupport

@Suite struct RetryPolicyTests {
    let put = PutItemInput(tableName: "t", item: ["PK": .s("a"), "SK": .s("b")])

    @Test(arguments: ["ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "TooManyRequestsException"])
    func throttlingIsRetriedThenSucceeds(_ code: String) async throws {
        let transport = FakeTransport([FakeTransport.error(400, code), FakeTransport.error(400, code), FakeTransport.ok])
        let sleeper = SleepRecorder()
        try await makeClient(transport, sleeper: sleeper).putItem(put)
        #expect(transport.requests.count == 3)
        // random = 1.0 exposes the caps: 1 s, then 2 s.
        #expect(sleeper.recorded == [.seconds(1), .seconds(2)])
    }

    @Test(arguments: [500, 502, 503, 504])
    func serverErrorsAreRetried(_ status: Int) async throws {
        let transport = FakeTransport([.response(FakeTransport.json(status, "")), FakeTransport.ok])
        try await makeClient(transport).putItem(put)
        #expect(transport.requests.count == 2)
    }

    @Test func retriesStopAfterThreeAttempts() async throws {
        let transport = FakeTransport(Array(repeating: FakeTransport.error(500, "InternalServerError", "boom"), count: 5))
        let sleeper = SleepRecorder()
        let error = await #expect(throws: DynamoDBError.self) { try await makeClient(transport, sleeper: sleeper).putItem(put) }
        #expect(transport.requests.count == 3)
        #expect(error?.attempts == 3)
        #expect(error?.code == "InternalServerError")
        #expect(error?.httpStatus == 500)
        #expect(sleeper.recorded.count == 2)
    }

    @Test(arguments: [
        (400, "ValidationException"), (400, "ConditionalCheckFailedException"), (400, "ResourceNotFoundException"),
        (400, "ResourceInUseException"), (400, "InvalidSignatureException"), (400, "UnrecognizedClientException"),
        (403, "SignatureDoesNotMatch"), (404, "NotFound"), (413, "RequestEntityTooLarge"),
    ])
    func clientErrorsAreNeverRetried(_ status: Int, _ code: String) async throws {
        let transport = FakeTransport([FakeTransport.error(status, code), FakeTransport.ok])
        let error = await #expect(throws: DynamoDBError.self) { try await makeClient(transport).putItem(put) }
        #expect(transport.requests.count == 1)
        #expect(error?.code == code)
        #expect(error?.attempts == 1)
    }

    @Test(arguments: [HTTPError.Kind.connectionRefused, .connectionReset, .timedOut, .dnsFailure, .other])
    func transportFailuresAreRetried(_ kind: HTTPError.Kind) async throws {
        let transport = FakeTransport([.failure(kind), FakeTransport.ok])
        try await makeClient(transport).putItem(put)
        #expect(transport.requests.count == 2)
    }

    @Test(arguments: [HTTPError.Kind.tls, .invalidRequest, .cancelled])
    func hopelessTransportFailuresAreNotRetried(_ kind: HTTPError.Kind) async throws {
        let transport = FakeTransport([.failure(kind), FakeTransport.ok])
        let error = await #expect(throws: DynamoDBError.self) { try await makeClient(transport).putItem(put) }
        #expect(error?.kind == .transport)
        #expect(error?.transportError?.kind == kind)
        #expect(transport.requests.count == 1)
    }

    @Test func checksumMismatchIsRetried() async throws {
        let transport = FakeTransport([.response(FakeTransport.json(200, "{}", crc: 12345)), FakeTransport.ok])
        try await makeClient(transport).putItem(put)
        #expect(transport.requests.count == 2)
    }

    @Test func checksumMismatchOnEveryAttemptIsReported() async throws {
        let bad = FakeTransport.Outcome.response(FakeTransport.json(200, "{}", crc: 1))
        let transport = FakeTransport([bad, bad, bad])
        let error = await #expect(throws: DynamoDBError.self) { try await makeClient(transport).putItem(put) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.code == "CRC32Mismatch")
        #expect(error?.requestId == "req-1")
    }

    @Test func everyAttemptIsSignedAfresh() async throws {
        let transport = FakeTransport([FakeTransport.error(500, "InternalServerError"), FakeTransport.error(400, "ThrottlingException"), FakeTransport.ok])
        try await makeClient(transport, sessionToken: "token123").putItem(put)
        let dates = transport.requests.map { $0.headers["X-Amz-Date"] }
        let signatures = transport.requests.map { $0.headers["Authorization"] }
        #expect(Set(dates).count == 3)
        #expect(Set(signatures).count == 3)
        for request in transport.requests {
            #expect(request.headers["X-Amz-Security-Token"] == "token123")
            #expect(request.headers["Authorization"]?.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,") == true)
            #expect(request.headers["Host"] == "127.0.0.1:8000")
            #expect(request.headers["X-Amz-Target"] == "DynamoDB_20120810.PutItem")
            #expect(request.headers["Content-Type"] == "application/x-amz-json-1.0")
        }
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(1), maxBackoff: .seconds(20))
        #expect((1...7).map { policy.backoff(retry: $0, random: 1.0) } == [1, 2, 4, 8, 16, 20, 20].map { Duration.seconds($0) })
        #expect(policy.backoff(retry: 3, random: 0.5) == .seconds(2))
        #expect(policy.backoff(retry: 3, random: 0) == .zero)
    }

    @Test func jitterIsUsed() async throws {
        let transport = FakeTransport([FakeTransport.error(400, "ThrottlingException"), FakeTransport.error(400, "ThrottlingException"), FakeTransport.ok])
        let sleeper = SleepRecorder()
        try await makeClient(transport, sleeper: sleeper, random: 0.25).putItem(put)
        #expect(sleeper.recorded == [.milliseconds(250), .milliseconds(500)])
    }

    @Test func retryQuotaRunsDryAndRefills() async throws {
        let quota = RetryQuota()
        let throttled = DynamoDBError(kind: .service, code: "ThrottlingException", message: "", httpStatus: 400)
        var taken = 0
        while quota.acquire(after: throttled) != nil { taken += 1 }
        #expect(taken == RetryQuota.capacity / RetryQuota.retryCost)
        #expect(quota.available == 0)
        quota.release(retryCost: 5)
        #expect(quota.available == 5)
        quota.release(retryCost: 0)
        #expect(quota.available == 6)
    }
}

@Suite struct ErrorMappingTests {
    func parse(_ status: Int, _ body: String, headers: HTTPHeaders = ["x-amzn-RequestId": "RID"]) -> DynamoDBError {
        ErrorResponse.parse(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)), operation: "Query", requestId: DynamoDBClient.requestId(HTTPResponse(status: status, headers: headers)))
    }

    @Test func jsonErrorWithLowercaseMessage() {
        let error = parse(400, #"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#)
        #expect(error.kind == .service)
        #expect(error.code == "ResourceNotFoundException")
        #expect(error.message == "Requested resource not found")
        #expect(error.httpStatus == 400)
        #expect(error.requestId == "RID")
        #expect(error.operation == "Query")
        #expect(error.description == "DynamoDB Query failed: ResourceNotFoundException: Requested resource not found (HTTP 400, request id RID)")
    }

    @Test func jsonErrorWithCapitalMessageAndCoralNamespace() {
        let error = parse(400, #"{"__type":"com.amazon.coral.service#InvalidSignatureException","Message":"The request signature we calculated does not match"}"#)
        #expect(error.code == "InvalidSignatureException")
        #expect(error.message == "The request signature we calculated does not match")
        #expect(error.isAuthenticationFailure)
    }

    @Test func validationNamespace() {
        let error = parse(400, #"{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error"}"#)
        #expect(error.code == "ValidationException")
        #expect(!RetryPolicy.isRetryable(error))
    }

    @Test func xmlErrorAsMotoSendsForBadSignatures() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error><RequestId>XRID</RequestId></ErrorResponse>"
        let error = parse(403, body, headers: [:])
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.message.hasPrefix("The request signature we calculated"))
        #expect(error.requestId == "XRID")
        #expect(error.isAuthenticationFailure)
    }

    @Test func bareStatusWithoutBody() {
        #expect(parse(503, "").code == "InternalServerError")
        #expect(parse(503, "").message == "no error body")
        #expect(parse(418, "teapot").code == "HTTP418")
        #expect(parse(418, "teapot").message == "teapot")
    }

    @Test func typeSanitizing() {
        #expect(ErrorResponse.sanitize("com.amazonaws.dynamodb.v20120810#ThrottlingException") == "ThrottlingException")
        #expect(ErrorResponse.sanitize("ThrottlingException:http://internal.amazon.com/coral/") == "ThrottlingException")
        #expect(ErrorResponse.sanitize("ValidationException") == "ValidationException")
    }
}

@Suite struct CRC32Tests {
    @Test func knownValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("{}".utf8)) == 2_745_614_147)
    }

    /// The sliced loop (eight bytes a step, then the tail) against the bitwise definition, for
    /// every length 0 … 300 (every tail length, many whole steps) and from unaligned starts; a
    /// non-contiguous sequence takes the byte loop and agrees too.
    @Test func slicedEqualsBitwiseAtEveryLengthAndOffset() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes: [UInt8] = (0..<310).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for offset in 0..<8 {
            for length in 0...300 {
                let slice = Array(bytes[offset..<(offset + length)])
                #expect(CRC32.checksum(slice) == IndependentCRC32.of(slice), "offset \(offset), length \(length)")
                #expect(CRC32.checksum(bytes[offset..<(offset + length)]) == IndependentCRC32.of(slice))
            }
        }
        let lazy = bytes.lazy.map { $0 }.filter { _ in true }
        #expect(CRC32.checksum(lazy) == IndependentCRC32.of(bytes))
    }
}
