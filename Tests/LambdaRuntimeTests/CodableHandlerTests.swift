import Foundation
import LambdaRuntime
import Testing
import TestSupport

private struct Greeting: Decodable {
    var name: String
    var times: Int
}

private struct Answer: Encodable {
    var greeting: String
    var requestId: String
    var length: Int
}

private struct Greeter: CodableLambdaHandler {
    let calls = Recorded<String>()

    func handle(_ event: Greeting, context: LambdaContext) async throws -> Answer {
        calls.append(event.name)
        let greeting = Array(repeating: "hello, \(event.name)", count: event.times).joined(separator: " ")
        return Answer(greeting: greeting, requestId: context.requestId, length: greeting.count)
    }
}

@Suite struct CodableHandlerTests {
    private let context = LambdaContext(requestId: "req-7", deadlineEpochMilliseconds: 1_800_000_060_000,
                                        invokedFunctionARN: FakeRuntimeAPI.arn, now: 1_800_000_000_000)

    @Test func decodesTheEventAndEncodesTheOutput() async throws {
        let adapter = CodableLambdaAdapter(Greeter(), configureEncoder: { $0.outputFormatting = .sortedKeys })
        let output = try await adapter.handle(Array(#"{"name":"Ada","times":2}"#.utf8), context: context)
        #expect(output.text == #"{"greeting":"hello, Ada hello, Ada","length":21,"requestId":"req-7"}"#)
    }

    @Test func reportsAnUndecodableEventWithoutCallingTheHandler() async throws {
        let greeter = Greeter()
        let adapter = CodableLambdaAdapter(greeter)
        let error = await #expect(throws: LambdaErrorReport.self) {
            _ = try await adapter.handle(Array(#"{"name":"Ada"}"#.utf8), context: context)
        }
        #expect(error?.errorType == "Runtime.DecodingError")
        #expect(error?.errorMessage.hasPrefix("the event is not a valid Greeting: ") == true)
        #expect(error?.functionErrorType == "Function.Unhandled")
        #expect(greeter.calls.values.isEmpty)
    }

    @Test func runsUnderTheLoopRoundTrip() async throws {
        let api = try FakeRuntimeAPI([.make("req-1", body: #"{"name":"Grace","times":1}"#), .make("req-2", body: "not json")])
        let loop = makeLoop(api, options: .init(maxInvocations: 2))
        let greeter = Greeter()
        let termination = try await offPool { loop.run(handler: greeter) }

        #expect(termination.exitCode == 0)
        #expect(greeter.calls.values == ["Grace"])
        let posts = api.requests.filter { $0.method == "POST" }
        #expect(posts.map(\.path) == ["/2018-06-01/runtime/invocation/req-1/response", "/2018-06-01/runtime/invocation/req-2/error"])
        let decoded = try JSONSerialization.jsonObject(with: Data(try #require(posts[checked: 0]).body)) as? [String: Any]
        #expect(decoded?["greeting"] as? String == "hello, Grace")
        #expect(decoded?["requestId"] as? String == "req-1")
        #expect(decoded?["length"] as? Int == 12)
        #expect(decoded?.count == 3)
        #expect(posts[checked: 1]?.body.text.hasPrefix(#"{"errorMessage":"the event is not a valid Greeting: "#) == true)
        #expect(posts[checked: 1]?.body.text.hasSuffix(#"","errorType":"Runtime.DecodingError","stackTrace":[]}"#) == true)
    }
}
