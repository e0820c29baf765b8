import CurlHTTP
import DynamoDB
import Foundation
import SigV4
import Synchronization

/// An in-memory transport: answers each request with the next scripted outcome and records what it got.
final class FakeTransport: HTTPTransport {
    enum Outcome: Sendable {
        case response(HTTPResponse)
        case failure(HTTPError.Kind)
    }

    private let state: Mutex<(script: [Outcome], requests: [HTTPRequest])>

    init(_ script: [Outcome]) {
        state = Mutex((script, []))
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let outcome: Outcome? = state.withLock { state in
            state.requests.append(request)
            return state.script.isEmpty ? nil : state.script.removeFirst()
        }
        switch outcome {
        case .response(let response): return response
        case .failure(let kind): throw HTTPError(kind: kind, message: "scripted \(kind.rawValue)", url: request.url)
        case nil: return Self.json(500, #"{"__type":"ScriptExhausted","message":"fake transport script ran out"}"#)
        }
    }

    static func json(_ status: Int, _ body: String, crc: UInt32? = nil, requestId: String = "req-1") -> HTTPResponse {
        let bytes = Array(body.utf8)
        return HTTPResponse(
            status: status,
            headers: [
                "Content-Type": "application/x-amz-json-1.0",
                "x-amzn-RequestId": requestId,
                "x-amz-crc32": String(crc ?? CRC32.checksum(bytes)),
            ],
            body: bytes
        )
    }

    static func error(_ status: Int, _ code: String, _ message: String = "scripted") -> Outcome {
        .response(json(status, #"{"__type":"com.amazonaws.dynamodb.v20120810#\#(code)","message":"\#(message)"}"#))
    }

    static let ok: Outcome = .response(json(200, "{}"))
}

/// Records every backoff instead of sleeping.
final class SleepRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }
    func sleep(_ duration: Duration) async { delays.withLock { $0.append(duration) } }
}

/// A clock that moves one second forward on every reading.
final class TickingClock: Sendable {
    private let seconds: Mutex<Int64>
    init(start: Int64 = 1_764_000_000) { seconds = Mutex(start) }
    func now() -> AMZDate { seconds.withLock { value in value += 1; return AMZDate(secondsSinceEpoch: value) } }
}

func makeClient(
    _ transport: FakeTransport,
    sleeper: SleepRecorder = SleepRecorder(),
    clock: TickingClock = TickingClock(),
    random: Double = 1.0,
    policy: RetryPolicy = .standard,
    sessionToken: String? = nil
) -> DynamoDBClient {
    let configuration = try! DynamoDBConfiguration(
        region: "us-east-1",
        credentials: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: sessionToken),
        endpoint: Endpoint("http://127.0.0.1:8000"),
        retryPolicy: policy
    )
    return DynamoDBClient(
        configuration: configuration,
        transport: transport,
        now: { clock.now() },
        sleep: { await sleeper.sleep($0) },
        random: { random }
    )
}
