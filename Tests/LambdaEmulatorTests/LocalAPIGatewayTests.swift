import CurlHTTP
import Foundation
import LambdaEmulator
import Synchronization
import TestSupport
import Testing

/// `serve`'s core: HTTP request → HTTP API 2.0 event → handler → proxy result → HTTP response.
@Suite struct LocalAPIGatewayTests {
    typealias Header = LocalAPIGateway.Header

    @Test func buildsThePayload2EventExactly() throws {
        let request = LocalAPIGateway.Request(
            method: "GET",
            target: "/ai_usage?aggregation=day,service&model=a%2Bb&model=c+d&flag",
            headers: [
                Header("Host", "127.0.0.1:3000"), Header("User-Agent", "curl/8.0"), Header("X-Multi", "one"),
                Header("x-multi", "two"), Header("Cookie", "session=abc; theme=dark"),
            ],
            sourceIP: "127.0.0.1"
        )
        let event = LocalAPIGateway.event(for: request, requestId: "req-1", time: Date(timeIntervalSince1970: 1_583_348_638.390))
        #expect(String(decoding: event, as: UTF8.self) == """
            {"version":"2.0","routeKey":"$default","rawPath":"/ai_usage","rawQueryString":"aggregation=day,service&model=a%2Bb&model=c+d&flag",\
            "cookies":["session=abc","theme=dark"],"headers":{"host":"127.0.0.1:3000","user-agent":"curl/8.0","x-multi":"one,two"},\
            "queryStringParameters":{"aggregation":"day,service","model":"a+b,c d","flag":""},\
            "requestContext":{"accountId":"123456789012","apiId":"local","domainName":"localhost","domainPrefix":"localhost",\
            "http":{"method":"GET","path":"/ai_usage","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"curl/8.0"},\
            "requestId":"req-1","routeKey":"$default","stage":"$default","time":"04/Mar/2020:19:03:58 +0000","timeEpoch":1583348638390},\
            "isBase64Encoded":false}
            """)
    }

    @Test func aTextBodyIsPassedAsTextAndABinaryOneAsBase64() throws {
        let text = LocalAPIGateway.event(for: .init(method: "POST", target: "/x", body: Array(#"{"a":"é"}"#.utf8)), requestId: "r", time: Date())
        let textEvent = try json(text)
        #expect(textEvent["body"] as? String == #"{"a":"é"}"#)
        #expect(textEvent["isBase64Encoded"] as? Bool == false)
        #expect(textEvent["queryStringParameters"] == nil)
        #expect(textEvent["cookies"] == nil)
        let binary = try json(LocalAPIGateway.event(for: .init(method: "POST", target: "/x", body: [0xFF, 0x00, 0xFE]), requestId: "r", time: Date()))
        #expect(binary["body"] as? String == "/wD+")
        #expect(binary["isBase64Encoded"] as? Bool == true)
    }

    @Test func mapsProxyResults() throws {
        let full = try #require(LocalAPIGateway.response(fromProxyResult: Array(#"""
            {"statusCode":201,"headers":{"X-Many":"replaced","X-One":1,"Content-Length":"999"},"multiValueHeaders":{"x-many":["x","y"]},
             "cookies":["a=1; Path=/","b=2; HttpOnly"],"body":"aGVsbG8=","isBase64Encoded":true}
            """#.utf8)))
        #expect(full.status == 201)
        #expect(full.body == Array("hello".utf8))
        #expect(full.headers == [
            Header("Content-Type", "application/json"), Header("X-One", "1"), Header("x-many", "x"), Header("x-many", "y"),
            Header("Set-Cookie", "a=1; Path=/"), Header("Set-Cookie", "b=2; HttpOnly"),
        ])
        let bare = try #require(LocalAPIGateway.response(fromProxyResult: Array(#"{"total":3}"#.utf8)))
        #expect(bare == LocalAPIGateway.Response(status: 200, headers: [Header("Content-Type", "application/json")], body: Array(#"{"total":3}"#.utf8)))
        let string = try #require(LocalAPIGateway.response(fromProxyResult: Array(#""just text""#.utf8)))
        #expect(string.body == Array("just text".utf8))
        for invalid in ["hello", #"{"statusCode":"abc"}"#, #"{"statusCode":700}"#, #"{"statusCode":200,"body":{"a":1}}"#,
                        #"{"statusCode":200,"headers":["x"]}"#, #"{"statusCode":200,"body":"%%","isBase64Encoded":true}"#,
                        #"{"statusCode":200,"cookies":[1]}"#, #"{"statusCode":200,"isBase64Encoded":"yes"}"#] {
            #expect(LocalAPIGateway.response(fromProxyResult: Array(invalid.utf8)) == nil, "\(invalid)")
        }
    }

    /// A handler that records each event and answers by path, as the API's handler would.
    final class FakeHandler: Sendable {
        let events = Mutex<[[UInt8]]>([])

        func handle(_ event: [UInt8]) -> [UInt8] {
            events.withLock { $0.append(event) }
            let parsed = (try? JSONSerialization.jsonObject(with: Data(event))) as? [String: Any]
            let method = ((parsed?["requestContext"] as? [String: Any])?["http"] as? [String: Any])?["method"] as? String
            let answer: String
            switch (method, parsed?["rawPath"] as? String) {
            case ("OPTIONS"?, _):
                answer = #"{"statusCode":204,"headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*","Access-Control-Allow-Methods":"GET, OPTIONS"},"body":"","isBase64Encoded":false}"#
            case (_, "/ai_usage"?):
                answer = #"{"statusCode":200,"headers":{"Content-Type":"application/json","Access-Control-Allow-Origin":"*"},"body":"{\"total_cost_usd\":\"1.25\"}","isBase64Encoded":false}"#
            case (_, "/bad"?):
                answer = #"{"statusCode":400,"headers":{"Content-Type":"application/json"},"body":"{\"error\":\"start_date is not a date\",\"statusCode\":400}","isBase64Encoded":false}"#
            case (_, "/cookies"?):
                answer = #"{"statusCode":200,"cookies":["a=1; Path=/","b=2; HttpOnly"],"headers":{"Content-Type":"text/plain"},"body":"ok"}"#
            case (_, "/binary"?):
                answer = #"{"statusCode":200,"headers":{"Content-Type":"application/octet-stream"},"body":"/wD+","isBase64Encoded":true}"#
            case (_, "/invalid"?):
                answer = #"{"statusCode":"abc"}"#
            default:
                answer = #"{"statusCode":404,"headers":{"Content-Type":"application/json"},"body":"{\"error\":\"no route\",\"statusCode\":404}","isBase64Encoded":false}"#
            }
            return Array(answer.utf8)
        }

        var lastEvent: [String: Any] {
            get throws { try json(events.withLock { $0.last }) }
        }
    }

    static func withGateway(_ body: (CurlHTTPClient, String, FakeHandler) async throws -> Void) async throws {
        let handler = FakeHandler()
        let gateway = LocalAPIGateway(handler: { handler.handle($0) }, log: { _ in })
        let port = try await gateway.start(host: "127.0.0.1", port: 0)
        do {
            try await body(CurlHTTPClient(maxConnections: 2), "http://127.0.0.1:\(port)", handler)
            await gateway.stop()
        } catch {
            await gateway.stop()
            throw error
        }
    }

    @Test func aReportPassesThroughWithTheEventBuiltFromTheRequest() async throws {
        try await Self.withGateway { client, base, handler in
            let response = try await client.send(HTTPRequest(
                url: base + "/ai_usage?aggregation=day,service&service=openai&service=anthropic",
                headers: ["User-Agent": "curl/8.5.0", "X-Trace": "1", "x-trace": "2", "Cookie": "session=s1"]))
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"total_cost_usd":"1.25"}"#)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.headers["Access-Control-Allow-Origin"] == "*")
            let requestId = try #require(response.headers["Apigw-Requestid"])
            let event = try handler.lastEvent
            #expect(event["version"] as? String == "2.0")
            #expect(event["routeKey"] as? String == "$default")
            #expect(event["rawPath"] as? String == "/ai_usage")
            #expect(event["rawQueryString"] as? String == "aggregation=day,service&service=openai&service=anthropic")
            #expect(event["queryStringParameters"] as? [String: String] == ["aggregation": "day,service", "service": "openai,anthropic"])
            #expect(event["cookies"] as? [String] == ["session=s1"])
            let headers = try #require(event["headers"] as? [String: String])
            #expect(headers["x-trace"] == "1,2")
            #expect(headers["user-agent"] == "curl/8.5.0")
            #expect(headers["cookie"] == nil)
            let context = try #require(event["requestContext"] as? [String: Any])
            #expect(context["requestId"] as? String == requestId)
            #expect(context["domainName"] as? String == "localhost")
            #expect(context["stage"] as? String == "$default")
            #expect(context["http"] as? [String: String] == [
                "method": "GET", "path": "/ai_usage", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8.5.0",
            ])
            let epoch = try #require(context["timeEpoch"] as? Int)
            #expect(abs(epoch - Int(Date().timeIntervalSince1970 * 1000)) < 60_000)
            #expect(event["isBase64Encoded"] as? Bool == false)
            #expect(event["body"] == nil)
        }
    }

    @Test func a400AnOptions204AndA404PassThrough() async throws {
        try await Self.withGateway { client, base, _ in
            let bad = try await client.send(HTTPRequest(url: base + "/bad?start_date=x"))
            #expect(bad.status == 400)
            #expect(bad.bodyText == #"{"error":"start_date is not a date","statusCode":400}"#)
            let preflight = try await client.send(HTTPRequest(method: "OPTIONS", url: base + "/ai_usage"))
            #expect(preflight.status == 204)
            #expect(preflight.body.isEmpty)
            #expect(preflight.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS")
            let missing = try await client.send(HTTPRequest(url: base + "/elsewhere"))
            #expect(missing.status == 404)
            #expect(missing.bodyText == #"{"error":"no route","statusCode":404}"#)
        }
    }

    @Test func cookiesBecomeSetCookieAndBase64BodiesAreDecodedBothWays() async throws {
        try await Self.withGateway { client, base, handler in
            let cookies = try await client.send(HTTPRequest(url: base + "/cookies"))
            #expect(cookies.status == 200)
            #expect(cookies.headers.values(for: "Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"])
            #expect(cookies.headers["Content-Type"] == "text/plain")
            #expect(cookies.bodyText == "ok")

            let binary = try await client.send(HTTPRequest(method: "POST", url: base + "/binary", headers: ["Content-Type": "application/octet-stream"], body: [0xFF, 0x00, 0xFE]))
            #expect(binary.status == 200)
            #expect(binary.body == [0xFF, 0x00, 0xFE])
            let event = try handler.lastEvent
            #expect(event["body"] as? String == "/wD+")
            #expect(event["isBase64Encoded"] as? Bool == true)
        }
    }

    @Test func anInvalidProxyResultIs502LikeSAM() async throws {
        try await Self.withGateway { client, base, _ in
            let response = try await client.send(HTTPRequest(url: base + "/invalid"))
            #expect(response.status == 502)
            #expect(response.bodyText == #"{"message":"Internal server error"}"#)
        }
    }

    @Test func throughTheEmulatorAFunctionErrorIs502AndAnAnswerIsPassedOn() async throws {
        try await withEmulator("error-bootstrap.sh") { emulator, _ in
            let gateway = LocalAPIGateway(emulator: emulator, log: { _ in })
            let port = try await gateway.start(host: "127.0.0.1", port: 0)
            let client = CurlHTTPClient(maxConnections: 2)
            let answered = try await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/ok?n=1"))
            let failed = try await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/ai_usage?fail=1"))
            await gateway.stop()
            // The script's echo has no statusCode: a payload 2.0 gateway sends it as a 200 JSON body.
            #expect(answered.status == 200)
            let answer = try json(answered.body)
            let echoed = try #require(answer["echo"] as? [String: Any])
            #expect(echoed["rawPath"] as? String == "/ok")
            #expect(echoed["queryStringParameters"] as? [String: String] == ["n": "1"])
            #expect(failed.status == 502)
            #expect(failed.bodyText == #"{"message":"Internal server error"}"#)
        }
    }
}
