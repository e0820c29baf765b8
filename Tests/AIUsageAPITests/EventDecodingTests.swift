import AIUsage
import AIUsageAPI
import Foundation
import Testing

// MARK: - Helpers

/// `Fixtures/events-public/`: public sample events (see the README there for sources and licences).
private let samplesFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
    .appendingPathComponent("events-public")

private func sample(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: samplesFolder.appendingPathComponent(path)))
}

/// Every `.json` file under `Fixtures/events-public/`, as paths relative to it, sorted.
private func allSamplePaths() -> [String] {
    let root = samplesFolder.standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
    return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted()
}

private func decode(_ json: String) throws(EventDecodingError) -> HTTPEvent {
    try EventDecoder.decode(Array(json.utf8))
}

/// The error decoding `bytes` gives; `nil` when they decode.
private func decodingError(_ bytes: [UInt8]) -> EventDecodingError? {
    do {
        _ = try EventDecoder.decode(bytes)
        return nil
    } catch {
        return error
    }
}

private func decodingError(_ json: String) -> EventDecodingError? {
    decodingError(Array(json.utf8))
}

private func parameter(_ name: String, _ values: String...) -> QueryParameter {
    QueryParameter(name: name, values: values)
}

private func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// What a sample file holds, written out by hand from the file.
struct SampleExpectation: Sendable, CustomTestStringConvertible {
    var file: String
    var format: EventFormat
    var method: String
    var path: String
    var query: [QueryParameter]
    var requestId: String?
    var sourceIP: String?
    var headerCount: Int
    /// One header (lower-cased name) and its value.
    var someHeader: (name: String, value: String)?
    var body: [UInt8]?

    var testDescription: String { file }
}

/// The body `{\r\n\t"a": 1\r\n}` that several samples carry.
private let crlfBody = bytes("{\r\n\t\"a\": 1\r\n}")

private let httpSamples: [SampleExpectation] = [
    SampleExpectation(
        file: "aws-lambda-go/apigw-request.json", format: .restV1, method: "POST", path: "/hello/world",
        query: [parameter("name", "me")], requestId: "deef4878-7910-11e6-8f14-25afc3e9ae33",
        sourceIP: "192.168.196.186", headerCount: 19, someHeader: ("content-type", "application/json"), body: crlfBody),
    SampleExpectation(
        file: "aws-lambda-go/apigw-v2-request-no-authorizer.json", format: .httpV2, method: "GET", path: "/",
        query: [], requestId: "LV7fzho-PHcEJPw=", sourceIP: "1.2.3.4", headerCount: 8,
        someHeader: ("user-agent", "curl/7.58.0"), body: nil),
    SampleExpectation(
        file: "aws-lambda-go/apigw-v2-request-jwt-authorizer.json", format: .httpV2, method: "GET", path: "/my/path",
        query: [parameter("parameter1", "value1", "value2"), parameter("parameter2", "value")], requestId: "id",
        sourceIP: "IP", headerCount: 2, someHeader: ("header1", "value1"), body: crlfBody),
    SampleExpectation(
        file: "aws-lambda-go/apigw-v2-request-lambda-authorizer.json", format: .httpV2, method: "GET", path: "/my/path",
        query: [parameter("parameter1", "value1", "value2"), parameter("parameter2", "value")], requestId: "id",
        sourceIP: "IP", headerCount: 2, someHeader: ("header2", "value2"), body: crlfBody),
    SampleExpectation(
        file: "aws-lambda-go/lambda-urls-request.json", format: .functionURL, method: "POST", path: "/my/path",
        query: [parameter("parameter1", "value1", "value2"), parameter("parameter2", "value")], requestId: "id",
        sourceIP: "123.123.123.123", headerCount: 2, someHeader: ("header2", "value1,value2"),
        body: bytes("Hello from client!")),
    SampleExpectation(
        file: "aws-lambda-rust-runtime/example-apigw-console-test-request.json", format: .restV1, method: "POST",
        path: "/myPath", query: [], requestId: "e5488776-afe4-4e5e-92b1-37bd23f234d6",
        sourceIP: "test-invoke-source-ip", headerCount: 0, someHeader: nil, body: crlfBody),
    SampleExpectation(
        file: "aws-lambda-rust-runtime/example-apigw-sam-rest-request.json", format: .restV1, method: "GET",
        path: "/test", query: [], requestId: "ea86b9eb-c688-4bbb-8309-a1671442bea9", sourceIP: "127.0.0.1",
        headerCount: 17, someHeader: ("host", "127.0.0.1:3000"), body: nil),
    SampleExpectation(
        file: "aws-lambda-rust-runtime/example-apigw-sam-http-request.json", format: .httpV2, method: "GET",
        path: "/dump", query: [parameter("foo", "bar")], requestId: "b3ea2f1a-9f2a-48a4-8791-0db24e5d40e5",
        sourceIP: "127.0.0.1", headerCount: 18, someHeader: ("pragma", "no-cache"), body: []),
    SampleExpectation(
        file: "aws-lambda-rust-runtime/example-apigw-v2-request-multi-value-parameters.json", format: .httpV2,
        method: "GET", path: "/my/path", query: [parameter("Parameter1", "value1", "value2")], requestId: "id",
        sourceIP: "IP", headerCount: 1, someHeader: ("header2", "value1,value2"), body: crlfBody),
    SampleExpectation(
        file: "aws-sam-cli/generated/apigateway-aws-proxy.json", format: .restV1, method: "POST",
        path: "/path/to/resource", query: [parameter("foo", "bar")],
        requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", sourceIP: "127.0.0.1", headerCount: 18,
        // `headers` says 1234567890, `multiValueHeaders` 0123456789: `headers` wins.
        someHeader: ("host", "1234567890.execute-api.us-east-1.amazonaws.com"), body: bytes("{\"test\":\"body\"}")),
    SampleExpectation(
        file: "aws-sam-cli/generated/apigateway-http-api-proxy.json", format: .httpV2, method: "POST",
        path: "/path/to/resource", query: [parameter("parameter1", "value1", "value2"), parameter("parameter2", "value")],
        requestId: "id", sourceIP: "192.168.0.1/32", headerCount: 2, someHeader: ("header2", "value1,value2"),
        body: bytes("{\"test\":\"body\"}")),
    SampleExpectation(
        file: "swift-aws-lambda-runtime/Examples-Testing-event.json", format: .httpV2, method: "GET", path: "/",
        query: [], requestId: "e72KxgsRoAMEMSA=", sourceIP: "81.0.0.43", headerCount: 8,
        someHeader: ("x-amzn-trace-id", "Root=1-66fb03de-07533930192eaf5f540db0cb"),
        // Base64 text, but `isBase64Encoded` is false: the body is that text.
        body: bytes("aGVsbG8gd29ybGQgb2YgU1dJRlQgTEFNQkRBIQ==")),
]

/// The samples that are no HTTP request, and the message each one gets.
private let refusedSamples: [(file: String, kind: EventDecodingError.Kind, message: String)] = [
    ("aws-lambda-go/s3-event.json", .notAnHTTPEvent, "the event is not an HTTP event (it looks like an S3 notification)"),
    ("aws-lambda-go/sqs-event.json", .notAnHTTPEvent, "the event is not an HTTP event (it looks like an SQS message batch)"),
    ("aws-lambda-go/sns-event.json", .notAnHTTPEvent, "the event is not an HTTP event (it looks like an SNS notification)"),
    ("aws-sam-cli/generated/cloudwatch-scheduled-event.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it looks like an EventBridge schedule)"),
    ("aws-sam-cli/templates/cloudwatch-ScheduledEvent.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it looks like an EventBridge schedule)"),
    ("aws-lambda-rust-runtime/example-eventbridge-schedule.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it looks like an EventBridge schedule)"),
    ("aws-lambda-go/apigw-response.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it looks like a Lambda proxy response, not a request)"),
    ("aws-lambda-go/lambda-urls-response.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it looks like a Lambda proxy response, not a request)"),
    ("aws-lambda-go/alb-lambda-target-response.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it looks like a Lambda proxy response, not a request)"),
    ("aws-sam-cli/templates/event-mapping.json", .notAnHTTPEvent,
     "the event is not an HTTP event (it has none of httpMethod, requestContext.http and queryStringParameters)"),
    ("aws-lambda-go/alb-lambda-target-request-headers-only.json", .unsupportedHTTPEvent,
     "the event is an Application Load Balancer request (requestContext.elb), which this API does not serve; "
        + "invoke it through API Gateway, a Function URL or directly"),
    // SAM's mustache templates say `isBase64Encoded: true` over a `{{{body}}}` placeholder.
    ("aws-sam-cli/templates/apigateway-AwsProxy.json", .invalidBase64Body, "isBase64Encoded body is not valid base64"),
    ("aws-sam-cli/templates/apigateway-HttpApi.json", .invalidBase64Body, "isBase64Encoded body is not valid base64"),
]

// MARK: - Tests

@Suite("Event decoding")
struct EventDecodingTests {
    // MARK: Public samples

    @Test("every public HTTP sample decodes to what the file holds", arguments: httpSamples)
    func publicHTTPSample(_ expected: SampleExpectation) throws {
        let event = try EventDecoder.decode(try sample(expected.file))
        #expect(event.format == expected.format)
        #expect(event.method == expected.method)
        #expect(event.path == expected.path)
        #expect(event.queryParameters == expected.query)
        #expect(event.requestId == expected.requestId)
        #expect(event.sourceIP == expected.sourceIP)
        #expect(event.headers.count == expected.headerCount)
        if let header = expected.someHeader {
            #expect(event.headers[header.name] == header.value)
        }
        #expect(event.headers.keys.allSatisfy { $0 == $0.lowercased() })
        #expect(event.body == expected.body)
    }

    @Test("every non-HTTP public sample gets its precise error", arguments: refusedSamples.indices)
    func publicRefusedSample(_ index: Int) throws {
        let expected = refusedSamples[index]
        let error = decodingError(try sample(expected.file))
        #expect(error == EventDecodingError(kind: expected.kind, message: expected.message), "\(expected.file)")
    }

    @Test func everySampleFileIsCovered() {
        let covered = Set(httpSamples.map(\.file) + refusedSamples.map(\.file))
        let files = allSamplePaths()
        #expect(files.count == 25)
        #expect(Set(files) == covered)
    }

    @Test func restV1SampleReadsHeadersCaseInsensitively() throws {
        let event = try EventDecoder.decode(try sample("aws-lambda-go/apigw-request.json"))
        #expect(event.header("Content-Type") == "application/json")
        #expect(event.header("CACHE-CONTROL") == "no-cache")
        #expect(event.header("X-Forwarded-For") == "54.240.196.186, 54.182.214.83")
        #expect(event.header("cookie") == nil)
    }

    // MARK: Formats

    @Test func functionURLIsTheLambdaURLDomain() throws {
        let url = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":"",
             "requestContext":{"domainName":"abc.lambda-url.eu-west-1.on.aws","http":{"method":"GET"}}}
            """)
        #expect(url.format == .functionURL)
        let api = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":"",
             "requestContext":{"domainName":"lambda-url.example.com","http":{"method":"GET"}}}
            """)
        #expect(api.format == .httpV2)
    }

    @Test func payload2IsRecognisedByRequestContextHTTPWithoutVersion() throws {
        let event = try decode(#"{"rawPath":"/ai_usage","requestContext":{"http":{"method":"get","path":"/x"}}}"#)
        #expect(event.format == .httpV2)
        #expect(event.method == "GET")
        #expect(event.path == "/ai_usage")
    }

    @Test func payload2WithoutRawPathUsesTheHTTPPath() throws {
        let event = try decode(#"{"version":"2.0","requestContext":{"http":{"method":"GET","path":"/prod/ai_usage"}}}"#)
        #expect(event.path == "/prod/ai_usage")
        #expect(event.queryParameters == [])
        #expect(event.requestId == nil)
    }

    @Test func methodIsUpperCased() throws {
        #expect(try decode(#"{"httpMethod":"options","path":"/ai_usage"}"#).method == "OPTIONS")
        #expect(try decode(#"{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"Get"}}}"#).method == "GET")
    }

    @Test func restV1ReadsPathNotTheStagePath() throws {
        let event = try decode("""
            {"httpMethod":"GET","path":"/ai_usage","resource":"/ai_usage",
             "requestContext":{"path":"/prod/ai_usage","stage":"prod","requestId":"r-1","identity":{"sourceIp":"203.0.113.7"}}}
            """)
        #expect(event.format == .restV1)
        #expect(event.path == "/ai_usage")
        #expect(event.requestId == "r-1")
        #expect(event.sourceIP == "203.0.113.7")
    }

    @Test func restV1HeadersWinOverMultiValueHeadersWhichFillTheRest() throws {
        let event = try decode("""
            {"httpMethod":"GET","path":"/ai_usage",
             "headers":{"Accept":"application/json","X-Dup":"first","x-dup":"second"},
             "multiValueHeaders":{"Accept":["text/html"],"X-Multi":["a","b"],"X-Empty":[],"X-Null":null}}
            """)
        #expect(event.headers == ["accept": "application/json", "x-dup": "second", "x-multi": "a,b"])
    }

    // MARK: Query parameters

    @Test func restV1MultiValueWinsOverSingle() throws {
        let event = try decode("""
            {"httpMethod":"GET","path":"/prod/ai_usage",
             "queryStringParameters":{"service":"anthropic","model":"gpt-4"},
             "multiValueQueryStringParameters":{"service":["openai","anthropic"],"aggregation":["day"]}}
            """)
        #expect(event.queryParameters == [parameter("service", "openai", "anthropic"), parameter("aggregation", "day")])
        #expect(event.values("service") == ["openai", "anthropic"])
        #expect(event.values("model") == [])
    }

    @Test func restV1NullMultiValueFallsBackToSingle() throws {
        let event = try decode("""
            {"httpMethod":"GET","path":"/ai_usage","queryStringParameters":{"service":"openai","aggregation":"day,model"},
             "multiValueQueryStringParameters":null}
            """)
        #expect(event.queryParameters == [parameter("service", "openai"), parameter("aggregation", "day,model")])
    }

    @Test func restV1NullOrMissingParametersAreNone() throws {
        let nulls = try decode(#"{"httpMethod":"GET","path":"/ai_usage","queryStringParameters":null,"multiValueQueryStringParameters":null}"#)
        #expect(nulls.queryParameters == [])
        let missing = try decode(#"{"httpMethod":"GET","path":"/ai_usage"}"#)
        #expect(missing.queryParameters == [])
        #expect(missing.headers == [:])
        #expect(missing.body == nil)
        #expect(missing.requestId == nil)
    }

    @Test func restV1MultiValueSkipsNullAndEmptyLists() throws {
        let event = try decode("""
            {"httpMethod":"GET","path":"/ai_usage","multiValueQueryStringParameters":{"a":null,"b":[],"c":["1"]}}
            """)
        #expect(event.queryParameters == [parameter("c", "1")])
    }

    @Test func payload2RawQueryStringKeepsRepeats() throws {
        let event = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":"aggregation=day&aggregation=model&service=openai",
             "queryStringParameters":{"aggregation":"day,model","service":"openai"},
             "requestContext":{"http":{"method":"GET"}}}
            """)
        #expect(event.queryParameters == [parameter("aggregation", "day", "model"), parameter("service", "openai")])
        #expect(event.values("aggregation") == ["day", "model"])
    }

    @Test func payload2WithoutRawQueryStringFallsBackToCommaJoinedParameters() throws {
        let missing = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","queryStringParameters":{"aggregation":"day,model"},
             "requestContext":{"http":{"method":"GET"}}}
            """)
        #expect(missing.queryParameters == [parameter("aggregation", "day,model")])
        let null = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":null,"queryStringParameters":{"service":"open ai"},
             "requestContext":{"http":{"method":"GET"}}}
            """)
        #expect(null.queryParameters == [parameter("service", "open ai")])
    }

    @Test func payload2EmptyRawQueryStringMeansNoParameters() throws {
        let event = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":"","queryStringParameters":{"ignored":"x"},
             "requestContext":{"http":{"method":"GET"}}}
            """)
        #expect(event.queryParameters == [])
    }

    @Test func rawQueryStringIsPercentDecoded() throws {
        let raw = "service=open%20ai&model=gpt+4o&euro=%E2%82%ac&bad=%zz%4&empty=&flag&&a%3Db=c%26d%2Be&=anonymous&x=1=2"
        let event = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":"\(raw)","requestContext":{"http":{"method":"GET"}}}
            """)
        #expect(event.queryParameters == [
            parameter("service", "open ai"),
            parameter("model", "gpt 4o"),
            parameter("euro", "€"),
            parameter("bad", "%zz%4"),
            parameter("empty", ""),
            parameter("flag", ""),
            parameter("a=b", "c&d+e"),
            parameter("", "anonymous"),
            parameter("x", "1=2"),
        ])
    }

    @Test func percentDecodedBytesThatAreNotUTF8BecomeReplacementCharacters() throws {
        let event = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","rawQueryString":"service=%FFai","requestContext":{"http":{"method":"GET"}}}
            """)
        #expect(event.values("service") == ["\u{FFFD}ai"])
    }

    @Test func repeatedJSONKeysAreMergedInOrder() throws {
        let event = try decode(#"{"queryStringParameters":{"service":"openai","model":"m","service":"anthropic"}}"#)
        #expect(event.queryParameters == [parameter("service", "openai", "anthropic"), parameter("model", "m")])
    }

    // MARK: Direct invocation

    @Test func directInvocation() throws {
        let event = try decode(#"{"queryStringParameters":{"aggregation":"service,operation","service":"OpenAI"}}"#)
        #expect(event.format == .direct)
        #expect(event.method == "GET")
        #expect(event.path == "/ai_usage")
        #expect(event.queryParameters == [parameter("aggregation", "service,operation"), parameter("service", "OpenAI")])
        #expect(event.headers == [:])
        #expect(event.body == nil)
        #expect(event.requestId == nil)
        #expect(event.sourceIP == nil)
    }

    @Test func directInvocationWithNullParameters() throws {
        let event = try decode(#"{"queryStringParameters":null}"#)
        #expect(event.format == .direct)
        #expect(event.queryParameters == [])
    }

    @Test func directInvocationWithoutParametersIsNoHTTPEvent() {
        #expect(decodingError(#"{"foo":"bar"}"#) == EventDecodingError(
            kind: .notAnHTTPEvent,
            message: "the event is not an HTTP event (it has none of httpMethod, requestContext.http and queryStringParameters)"))
    }

    @Test func directInvocationTakesNumbersAsTheirText() throws {
        let event = try decode(#"{"queryStringParameters":{"start_date":"2026-01-01","days":30,"ratio":1.5e2,"neg":-0,"gone":null}}"#)
        #expect(event.queryParameters == [
            parameter("start_date", "2026-01-01"), parameter("days", "30"), parameter("ratio", "1.5e2"), parameter("neg", "-0"),
        ])
    }

    @Test func directInvocationRefusesBooleansArraysAndObjects() {
        #expect(decodingError(#"{"queryStringParameters":{"flag":true}}"#) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters.flag must be a string or a number, got a boolean"))
        #expect(decodingError(#"{"queryStringParameters":{"aggregation":["day","model"]}}"#) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters.aggregation must be a string or a number, got an array"))
        #expect(decodingError(#"{"queryStringParameters":{"o":{}}}"#) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters.o must be a string or a number, got an object"))
    }

    // MARK: Field errors

    @Test func queryStringParametersMustBeAnObject() {
        #expect(decodingError(#"{"queryStringParameters":"service=openai"}"#) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters must be an object or null, got a string"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/ai_usage","queryStringParameters":[]}"#) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters must be an object or null, got an array"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/ai_usage","queryStringParameters":{"service":1}}"#) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters.service must be a string, got a number"))
    }

    @Test func multiValueParametersMustBeListsOfStrings() {
        #expect(decodingError(#"{"httpMethod":"GET","path":"/","multiValueQueryStringParameters":true}"#) == EventDecodingError(
            kind: .invalidField, message: "multiValueQueryStringParameters must be an object or null, got a boolean"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/","multiValueQueryStringParameters":{"s":"x"}}"#) == EventDecodingError(
            kind: .invalidField, message: "multiValueQueryStringParameters.s must be an array of strings or null, got a string"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/","multiValueQueryStringParameters":{"s":["a",2]}}"#) == EventDecodingError(
            kind: .invalidField, message: "multiValueQueryStringParameters.s[1] must be a string, got a number"))
    }

    @Test func requiredFieldsAndTheirTypes() {
        #expect(decodingError(#"{"httpMethod":"GET"}"#) == EventDecodingError(
            kind: .invalidField, message: "path must be a string, but it is missing"))
        #expect(decodingError(#"{"httpMethod":"GET","path":null}"#) == EventDecodingError(
            kind: .invalidField, message: "path must be a string, got null"))
        #expect(decodingError(#"{"httpMethod":7,"path":"/ai_usage"}"#) == EventDecodingError(
            kind: .invalidField, message: "httpMethod must be a string, got a number"))
        #expect(decodingError(#"{"httpMethod":"","path":"/ai_usage"}"#) == EventDecodingError(
            kind: .invalidField, message: "httpMethod must not be empty"))
        #expect(decodingError(#"{"version":"2.0","rawPath":"/ai_usage"}"#) == EventDecodingError(
            kind: .invalidField, message: "requestContext.http.method must be a string, but it is missing"))
        #expect(decodingError(#"{"version":"2.0","requestContext":{"http":{"method":"GET"}}}"#) == EventDecodingError(
            kind: .invalidField, message: "rawPath must be a string, but it is missing"))
        #expect(decodingError(#"{"version":"2.0","rawPath":["/"],"requestContext":{"http":{"method":"GET"}}}"#) == EventDecodingError(
            kind: .invalidField, message: "rawPath must be a string, got an array"))
        #expect(decodingError(#"{"version":"2.0","rawPath":"/","rawQueryString":1,"requestContext":{"http":{"method":"GET"}}}"#)
            == EventDecodingError(kind: .invalidField, message: "rawQueryString must be a string or null, got a number"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/","headers":"Accept: */*"}"#) == EventDecodingError(
            kind: .invalidField, message: "headers must be an object or null, got a string"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/","headers":{"X-Count":3}}"#) == EventDecodingError(
            kind: .invalidField, message: "headers.X-Count must be a string, got a number"))
        #expect(decodingError(#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"X":[false]}}"#) == EventDecodingError(
            kind: .invalidField, message: "multiValueHeaders.X[0] must be a string, got a boolean"))
    }

    @Test func incompleteHTTPEvents() {
        #expect(decodingError(#"{"rawPath":"/ai_usage","queryStringParameters":{}}"#) == EventDecodingError(
            kind: .incompleteHTTPEvent,
            message: "the event has rawPath but neither httpMethod (REST API v1) nor requestContext.http.method (payload 2.0)"))
        #expect(decodingError(#"{"path":"/ai_usage"}"#) == EventDecodingError(
            kind: .incompleteHTTPEvent,
            message: "the event has path but neither httpMethod (REST API v1) nor requestContext.http.method (payload 2.0)"))
    }

    // MARK: Bodies

    @Test func base64BodyIsDecoded() throws {
        let event = try decode("""
            {"version":"2.0","rawPath":"/ai_usage","requestContext":{"http":{"method":"POST"}},
             "body":"aGVsbG8gd29ybGQ=","isBase64Encoded":true}
            """)
        #expect(event.body == bytes("hello world"))
        let binary = try decode(#"{"httpMethod":"POST","path":"/","body":"AP8Q","isBase64Encoded":true}"#)
        #expect(binary.body == [0x00, 0xFF, 0x10])
        let empty = try decode(#"{"httpMethod":"POST","path":"/","body":"","isBase64Encoded":true}"#)
        #expect(empty.body == [])
    }

    @Test func plainBodyIsItsUTF8() throws {
        let event = try decode(#"{"httpMethod":"POST","path":"/","body":"Grüße","isBase64Encoded":false}"#)
        #expect(event.body == bytes("Grüße"))
    }

    @Test func badBase64BodyIsAnError() {
        let expected = EventDecodingError(kind: .invalidBase64Body, message: "isBase64Encoded body is not valid base64")
        #expect(decodingError(#"{"httpMethod":"POST","path":"/","body":"not base64!","isBase64Encoded":true}"#) == expected)
        #expect(decodingError(#"{"httpMethod":"POST","path":"/","body":"aGVsbG8=?","isBase64Encoded":true}"#) == expected)
        #expect(decodingError("""
            {"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}},"body":"%%%%","isBase64Encoded":true}
            """) == expected)
    }

    @Test func bodyAndFlagTypes() {
        #expect(decodingError(#"{"httpMethod":"POST","path":"/","body":"eA==","isBase64Encoded":"true"}"#) == EventDecodingError(
            kind: .invalidField, message: "isBase64Encoded must be a boolean, got a string"))
        #expect(decodingError(#"{"httpMethod":"POST","path":"/","body":{"a":1}}"#) == EventDecodingError(
            kind: .invalidField, message: "body must be a string or null, got an object"))
    }

    // MARK: Garbage

    @Test func notJSON() throws {
        for text in ["", "nope", "{\"httpMethod\":", "{'a':1}", "{\"a\":1}}"] {
            var parseError: JSONParseError?
            do { _ = try JSONValue.parse(text) } catch { parseError = error }
            let parserMessage = try #require(parseError, "\(text) must not be JSON").description
            #expect(decodingError(text) == EventDecodingError(kind: .notJSON, message: "the event is not JSON: \(parserMessage)"))
        }
    }

    @Test func notJSONNamesTheByte() {
        let message = decodingError("<html>")?.message
        #expect(message?.hasPrefix("the event is not JSON: ") == true)
        #expect(message?.hasSuffix(" at byte 0") == true)
    }

    @Test func notAnObject() {
        #expect(decodingError("[]") == EventDecodingError(kind: .notAnObject, message: "the event is a JSON array, not an object"))
        #expect(decodingError(#""text""#) == EventDecodingError(kind: .notAnObject, message: "the event is a JSON string, not an object"))
        #expect(decodingError("42") == EventDecodingError(kind: .notAnObject, message: "the event is a JSON number, not an object"))
        #expect(decodingError("true") == EventDecodingError(kind: .notAnObject, message: "the event is a JSON boolean, not an object"))
        #expect(decodingError("null") == EventDecodingError(kind: .notAnObject, message: "the event is JSON null, not an object"))
    }

    @Test func emptyObjectIsNoHTTPEvent() {
        #expect(decodingError("{}") == EventDecodingError(
            kind: .notAnHTTPEvent,
            message: "the event is not an HTTP event (it has none of httpMethod, requestContext.http and queryStringParameters)"))
    }

    @Test func otherEventSources() {
        #expect(decodingError(#"{"Records":[{"eventSource":"aws:dynamodb"}]}"#)?.message
            == "the event is not an HTTP event (it looks like a DynamoDB stream batch)")
        #expect(decodingError(#"{"Records":[{"eventSource":"aws:kinesis"}]}"#)?.message
            == "the event is not an HTTP event (it looks like a Kinesis stream batch)")
        #expect(decodingError(#"{"Records":[{"eventSource":"aws:ses"}]}"#)?.message
            == "the event is not an HTTP event (it looks like a batch of 'aws:ses' records)")
        #expect(decodingError(#"{"Records":[]}"#)?.message == "the event is not an HTTP event (it looks like a batch of Records)")
        #expect(decodingError(#"{"source":"aws.s3","detail-type":"Object Created","detail":{}}"#)?.message
            == "the event is not an HTTP event (it looks like an EventBridge event ('Object Created' from aws.s3))")
        #expect(decodingError(#"{"source":"aws.events"}"#)?.message
            == "the event is not an HTTP event (it looks like an EventBridge schedule)")
    }

    @Test("truncated samples are errors, never a crash", arguments: allSamplePaths())
    func truncatedSample(_ file: String) throws {
        let whole = try sample(file)
        let closingBrace = try #require(whole.lastIndex(of: UInt8(ascii: "}")))
        var checked = 0
        // Every prefix that stops before the closing brace is incomplete JSON.
        for length in stride(from: 0, through: closingBrace, by: 97) {
            let error = decodingError(Array(whole[..<length]))
            #expect(error?.kind == .notJSON, "\(file) cut at \(length)")
            checked += 1
        }
        #expect(checked == closingBrace / 97 + 1)
    }

    @Test("garbled samples are errors or events, never a crash", arguments: allSamplePaths())
    func garbledSample(_ file: String) throws {
        let whole = try sample(file)
        // 0xFF is never valid in JSON text (not UTF-8, not a token): always a parse error.
        for position in stride(from: 0, to: whole.count, by: 97) {
            var garbled = whole
            garbled[position] = 0xFF
            #expect(decodingError(garbled)?.kind == .notJSON, "\(file) with 0xFF at \(position)")
        }
        // Other bytes may still leave valid JSON; whatever comes out must be an event or an error
        // with a message.
        for replacement in Array("\"{}[]:,0n\\ ".utf8) {
            for position in stride(from: 13, to: whole.count, by: 97) {
                var garbled = whole
                garbled[position] = replacement
                do {
                    let event = try EventDecoder.decode(garbled)
                    #expect(!event.method.isEmpty)
                } catch {
                    #expect(!error.message.isEmpty)
                }
            }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        #expect(decodingError(String(repeating: "[", count: 100_000))?.kind == .notJSON)
        let nested = #"{"queryStringParameters":"# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"
        #expect(decodingError(nested) == EventDecodingError(
            kind: .invalidField, message: "queryStringParameters must be an object or null, got an array"))
    }

    @Test func invalidUTF8IsNotJSON() {
        let bytes: [UInt8] = Array(#"{"httpMethod":"GET","path":"/"#.utf8) + [0xC3] + Array(#""}"#.utf8)
        #expect(decodingError(bytes)?.kind == .notJSON)
    }

    // MARK: HTTPEvent

    @Test func httpEventInitNormalises() {
        let event = HTTPEvent(
            format: .restV1, method: "get", path: "/ai_usage",
            queryParameters: [parameter("a", "1"), parameter("b", "2"), parameter("a", "3", "4")],
            headers: ["Content-Type": "application/json"]
        )
        #expect(event.method == "GET")
        #expect(event.queryParameters == [parameter("a", "1", "3", "4"), parameter("b", "2")])
        #expect(event.values("a") == ["1", "3", "4"])
        #expect(event.values("A") == [])
        #expect(event.headers == ["content-type": "application/json"])
        #expect(event.header("CONTENT-TYPE") == "application/json")
    }

    @Test func formatsDescribeThemselves() {
        #expect(EventFormat.allCases.map(\.description) == [
            "REST API (v1)", "HTTP API (payload 2.0)", "Function URL", "direct invocation",
        ])
        #expect(EventFormat.allCases.map(\.hasMultiValueHeaders) == [true, false, false, true])
    }

    // MARK: Routes

    @Suite("Route matching")
    struct Routes {
        static let table: [(path: String, matches: Bool)] = [
            ("/ai_usage", true),
            ("/ai_usage/", true),
            ("/prod/ai_usage", true),
            ("/prod/ai_usage/", true),
            ("/v1/api/ai_usage/", true),
            ("//ai_usage", true),
            ("/ai_usage_x", false),
            ("/ai_usagex", false),
            ("/x_ai_usage", false),
            ("/prodai_usage", false),
            ("/ai_usage//", false),
            ("/ai_usage/x", false),
            ("/AI_USAGE", false),
            ("ai_usage", false),
            ("/other", false),
            ("/", false),
            ("", false),
        ]

        @Test(arguments: table.indices)
        func aiUsage(_ index: Int) {
            let row = Self.table[index]
            #expect(Route.aiUsage.matches(path: row.path) == row.matches, "\(row.path)")
        }

        @Test func routesAreNormalised() {
            #expect(Route("ai_usage/").path == "/ai_usage")
            #expect(Route("/ai_usage") == Route.aiUsage)
            #expect(Route("/v1/report").matches(path: "/prod/v1/report/"))
            #expect(!Route("/v1/report").matches(path: "/prod/xv1/report"))
        }

        @Test func decodedSamplesRoute() throws {
            let direct = try decode(#"{"queryStringParameters":null}"#)
            #expect(Route.aiUsage.matches(path: direct.path))
            let v1 = try EventDecoder.decode(try sample("aws-lambda-go/apigw-request.json"))
            #expect(!Route.aiUsage.matches(path: v1.path))
        }
    }
}
