import AIUsage
import AIUsageAPI
import Foundation
import Testing

private func text(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// A sample from `Fixtures/events-public/` (sources and licences in the README there).
private func sampleJSON(_ path: String) throws -> JSONValue {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent("events-public")
        .appendingPathComponent(path)
    return try JSONValue.parse([UInt8](try Data(contentsOf: url)))
}

private typealias Header = ProxyResponse.Header

@Suite("Proxy responses")
struct ProxyResponseTests {
    private static let report: JSONValue = [
        "summary": ["total_cost_usd": .number("0.0795"), "total_api_calls": 11],
        "query": ["service": nil, "aggregation": ["day"]],
    ]

    @Test func jsonResponse() {
        let response = ProxyResponse.json(Self.report)
        #expect(response.status == 200)
        #expect(response.headers == [Header("Content-Type", "application/json"), Header("Access-Control-Allow-Origin", "*")])
        #expect(response.body == #"{"summary":{"total_cost_usd":0.0795,"total_api_calls":11},"query":{"service":null,"aggregation":["day"]}}"#)
    }

    @Test func json200ForRESTv1AndDirect() {
        let expected = #"{"statusCode":200,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"#
            + #""multiValueHeaders":{"Content-Type":["application/json"],"Access-Control-Allow-Origin":["*"]},"#
            + #""body":"{\"summary\":{\"total_cost_usd\":0.0795,\"total_api_calls\":11},\"query\":{\"service\":null,\"aggregation\":[\"day\"]}}","#
            + #""isBase64Encoded":false}"#
        let response = ProxyResponse.json(status: 200, Self.report)
        #expect(text(response.encoded(for: .restV1)) == expected)
        #expect(text(response.encoded(for: .direct)) == expected)
    }

    @Test func json200ForPayload2AndFunctionURL() {
        let expected = #"{"statusCode":200,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"#
            + #""body":"{\"summary\":{\"total_cost_usd\":0.0795,\"total_api_calls\":11},\"query\":{\"service\":null,\"aggregation\":[\"day\"]}}","#
            + #""isBase64Encoded":false}"#
        let response = ProxyResponse.json(Self.report)
        #expect(text(response.encoded(for: .httpV2)) == expected)
        #expect(text(response.encoded(for: .functionURL)) == expected)
    }

    @Test func error400() {
        let response = ProxyResponse.error(
            status: 400, message: "start_date must be a real date as YYYY-MM-DD, got '2026-02-30'")
        #expect(response.status == 400)
        #expect(response.body == #"{"error":"start_date must be a real date as YYYY-MM-DD, got '2026-02-30'","statusCode":400}"#)
        #expect(text(response.encoded(for: .httpV2)) == #"{"statusCode":400,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"#
            + #""body":"{\"error\":\"start_date must be a real date as YYYY-MM-DD, got '2026-02-30'\",\"statusCode\":400}","#
            + #""isBase64Encoded":false}"#)
    }

    @Test func error502WithCode() {
        let response = ProxyResponse.error(
            status: 502,
            message: "DynamoDB Query failed: ResourceNotFoundException: Requested resource not found",
            code: "ResourceNotFoundException")
        #expect(response.body == #"{"error":"DynamoDB Query failed: ResourceNotFoundException: Requested resource not found","#
            + #""code":"ResourceNotFoundException","statusCode":502}"#)
        #expect(text(response.encoded(for: .restV1)) == #"{"statusCode":502,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"#
            + #""multiValueHeaders":{"Content-Type":["application/json"],"Access-Control-Allow-Origin":["*"]},"#
            + #""body":"{\"error\":\"DynamoDB Query failed: ResourceNotFoundException: Requested resource not found\","#
            + #"\"code\":\"ResourceNotFoundException\",\"statusCode\":502}","#
            + #""isBase64Encoded":false}"#)
    }

    @Test func error503WithRetryAfter() {
        let response = ProxyResponse.error(
            status: 503,
            message: "DynamoDB Query failed: ProvisionedThroughputExceededException: Rate exceeded",
            code: "ProvisionedThroughputExceededException",
            extraHeaders: [Header("Retry-After", "5")])
        #expect(response.headers == [
            Header("Content-Type", "application/json"), Header("Access-Control-Allow-Origin", "*"), Header("Retry-After", "5"),
        ])
        #expect(response.header("retry-after") == "5")
        #expect(text(response.encoded(for: .restV1)) == #"{"statusCode":503,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*","Retry-After":"5"},"#
            + #""multiValueHeaders":{"Content-Type":["application/json"],"Access-Control-Allow-Origin":["*"],"Retry-After":["5"]},"#
            + #""body":"{\"error\":\"DynamoDB Query failed: ProvisionedThroughputExceededException: Rate exceeded\","#
            + #"\"code\":\"ProvisionedThroughputExceededException\",\"statusCode\":503}","#
            + #""isBase64Encoded":false}"#)
        #expect(text(response.encoded(for: .httpV2)) == #"{"statusCode":503,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*","Retry-After":"5"},"#
            + #""body":"{\"error\":\"DynamoDB Query failed: ProvisionedThroughputExceededException: Rate exceeded\","#
            + #"\"code\":\"ProvisionedThroughputExceededException\",\"statusCode\":503}","#
            + #""isBase64Encoded":false}"#)
    }

    @Test func noContentForOptions() {
        let response = ProxyResponse.noContent
        #expect(response.status == 204)
        #expect(response.body == "")
        #expect(response.headers == [
            Header("Content-Type", "application/json"),
            Header("Access-Control-Allow-Origin", "*"),
            Header("Access-Control-Allow-Methods", "GET, OPTIONS"),
            Header("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Api-Key, X-Amz-Date, X-Amz-Security-Token"),
        ])
        #expect(text(response.encoded(for: .restV1)) == #"{"statusCode":204,"headers":{"#
            + #""Content-Type":"application/json","Access-Control-Allow-Origin":"*","#
            + #""Access-Control-Allow-Methods":"GET, OPTIONS","#
            + #""Access-Control-Allow-Headers":"Content-Type, Authorization, X-Api-Key, X-Amz-Date, X-Amz-Security-Token"},"#
            + #""multiValueHeaders":{"Content-Type":["application/json"],"Access-Control-Allow-Origin":["*"],"#
            + #""Access-Control-Allow-Methods":["GET, OPTIONS"],"#
            + #""Access-Control-Allow-Headers":["Content-Type, Authorization, X-Api-Key, X-Amz-Date, X-Amz-Security-Token"]},"#
            + #""body":"","isBase64Encoded":false}"#)
        #expect(text(response.encoded(for: .functionURL)) == #"{"statusCode":204,"headers":{"#
            + #""Content-Type":"application/json","Access-Control-Allow-Origin":"*","#
            + #""Access-Control-Allow-Methods":"GET, OPTIONS","#
            + #""Access-Control-Allow-Headers":"Content-Type, Authorization, X-Api-Key, X-Amz-Date, X-Amz-Security-Token"},"#
            + #""body":"","isBase64Encoded":false}"#)
    }

    @Test func methodNotAllowedFromTheParts() {
        let response = ProxyResponse.error(
            status: 405, message: "method POST is not allowed; use GET or OPTIONS",
            extraHeaders: [Header("Allow", "GET, OPTIONS")] + ProxyResponse.corsPreflightHeaders)
        #expect(response.headers.map(\.name) == [
            "Content-Type", "Access-Control-Allow-Origin", "Allow", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
        ])
        #expect(response.body == #"{"error":"method POST is not allowed; use GET or OPTIONS","statusCode":405}"#)
    }

    @Test func extraHeaderReplacesADefaultInPlace() {
        let response = ProxyResponse.json(
            status: 200, "ok", extraHeaders: [Header("content-type", "application/json; charset=utf-8"), Header("X-A", "1"), Header("x-a", "2")])
        #expect(response.headers == [
            Header("Content-Type", "application/json; charset=utf-8"), Header("Access-Control-Allow-Origin", "*"), Header("X-A", "2"),
        ])
        #expect(response.body == #""ok""#)
    }

    @Test func messagesAreEscapedTwice() {
        let response = ProxyResponse.error(status: 400, message: "unknown parameter 'a\"b\\c\nd'")
        #expect(response.body == #"{"error":"unknown parameter 'a\"b\\c\nd'","statusCode":400}"#)
        #expect(text(response.encoded(for: .httpV2)) == #"{"statusCode":400,"#
            + #""headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"#
            + #""body":"{\"error\":\"unknown parameter 'a\\\"b\\\\c\\nd'\",\"statusCode\":400}","#
            + #""isBase64Encoded":false}"#)
    }

    @Test func repeatedHeaderNamesAreGrouped() {
        let response = ProxyResponse(
            status: 200,
            headers: [Header("Set-Cookie", "a=1"), Header("X", "1"), Header("set-cookie", "b=2")],
            body: "")
        #expect(text(response.encoded(for: .restV1)) == #"{"statusCode":200,"headers":{"Set-Cookie":"b=2","X":"1"},"#
            + #""multiValueHeaders":{"Set-Cookie":["a=1","b=2"],"X":["1"]},"body":"","isBase64Encoded":false}"#)
        #expect(text(response.encoded(for: .httpV2)) == #"{"statusCode":200,"headers":{"Set-Cookie":"a=1,b=2","X":"1"},"#
            + #""body":"","isBase64Encoded":false}"#)
        #expect(response.header("SET-COOKIE") == "a=1")
        #expect(response.header("missing") == nil)
    }

    @Test func encodedResultRoundTrips() throws {
        let response = ProxyResponse.error(status: 502, message: "DynamoDB Query failed: x", code: "ValidationException")
        let result = try JSONValue.parse(response.encoded(for: .restV1))
        #expect(result == response.jsonValue(for: .restV1))
        #expect(result["statusCode"]?.intValue == 502)
        let body = try JSONValue.parse(try #require(result["body"]?.stringValue))
        #expect(body == ["error": "DynamoDB Query failed: x", "code": "ValidationException", "statusCode": 502])
    }

    @Test func encodedResultsHaveTheMembersOfThePublicSampleResponses() throws {
        let response = ProxyResponse.json(Self.report)
        // The Go samples: a REST proxy response, and a Function URL response (which also has cookies).
        let restSample = try sampleJSON("aws-lambda-go/apigw-response.json")
        let restKeys = try #require(response.jsonValue(for: .restV1).objectMembers).map(\.key)
        #expect(restKeys == ["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"])
        #expect(Set(try #require(restSample.objectMembers).map(\.key)).isSubset(of: restKeys))
        let urlSample = try sampleJSON("aws-lambda-go/lambda-urls-response.json")
        let urlKeys = try #require(response.jsonValue(for: .functionURL).objectMembers).map(\.key)
        #expect(urlKeys == ["statusCode", "headers", "body", "isBase64Encoded"])
        #expect(Set(try #require(urlSample.objectMembers).map(\.key)).subtracting(["cookies"]) == Set(urlKeys))
    }
}
