// Fuzz target 1: the API's way in. Each input is a Lambda event's bytes.
//
// - `EventDecoder.decode` either gives an `HTTPEvent` or throws its typed `EventDecodingError`
//   (typed throws makes any other error impossible); the kind is `.notJSON` exactly when
//   `JSONValue.parse` refuses the bytes; a decoded event is normalised as documented; decoding
//   the bytes and decoding the parsed value agree.
// - `QueryString.parse` agrees with a reference written here from its documented rules, and a
//   list of parameters form-encoded here parses back to the same list.
// - The whole handler (`AIUsageHandler.invoke`) over an in-memory DynamoDB (no network) answers
//   every HTTP event with a proxy result whose status is 2xx, or 4xx/5xx with a JSON body that
//   has an "error" member; a scheduled task's answer is a JSON object.
@testable import AIUsageAPI
import AIUsage
import CurlHTTP
import DynamoDB
import FuzzSupport
import SigV4

#if canImport(Glibc)
import Glibc
#endif

public func fuzzEvent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    checkDecoder(bytes)
    checkQueryString(bytes)
    checkHandler(bytes)
    return 0
}

// MARK: - EventDecoder

func checkDecoder(_ bytes: [UInt8]) {
    let parsed = try? JSONValue.parse(bytes)
    let outcome: Result<HTTPEvent, EventDecodingError>
    do {
        outcome = .success(try EventDecoder.decode(bytes))
    } catch {
        // `error` is an EventDecodingError: the signature allows nothing else.
        outcome = .failure(error)
    }
    switch outcome {
    case .failure(let error):
        require((error.kind == .notJSON) == (parsed == nil),
                "kind \(error.kind) but JSONValue.parse \(parsed == nil ? "refused" : "accepted") \(show(bytes))")
        require(!error.message.isEmpty, "an empty error message for \(show(bytes))")
        if let parsed {
            // The bytes and their parsed value decode alike.
            do {
                _ = try EventDecoder.decode(parsed)
                fail("decode(bytes) threw \(error) but decode(parsed) succeeded for \(show(bytes))")
            } catch let again {
                require(again == error, "decode(bytes) threw \(error), decode(parsed) threw \(again)")
            }
        }
    case .success(let event):
        guard let parsed else { fail("decoded an event from bytes JSONValue.parse refuses: \(show(bytes))") }
        do {
            let again = try EventDecoder.decode(parsed)
            require(again == event, "decode(bytes) and decode(parsed) differ: \(event) vs \(again)")
        } catch {
            fail("decode(bytes) succeeded but decode(parsed) threw \(error)")
        }
        require(!event.method.isEmpty, "an empty method: \(event)")
        var names = Set<String>()
        for parameter in event.queryParameters {
            require(names.insert(parameter.name).inserted, "parameter \(parameter.name.debugDescription) listed twice: \(event.queryParameters)")
            require(!parameter.values.isEmpty, "parameter \(parameter.name.debugDescription) without values")
        }
        if event.format == .direct {
            require(event.method == "GET" && event.path == EventDecoder.directInvocationPath,
                    "a direct invocation is GET /ai_usage, got \(event.method) \(event.path)")
        }
        if event.format == .functionURL || event.format == .httpV2 {
            require(event.format.hasMultiValueHeaders == false, "payload 2.0 with multiValueHeaders")
        }
    }
}

// MARK: - QueryString

/// The raw query text's parameters by the documented rules, written independently: pairs split on
/// `&` (empty ones skipped), name and value at the first `=`, `%XX` decoded (a `%` without two hex
/// digits kept), `+` a space, ill-formed UTF-8 replaced; one entry per name, values in order.
func referenceParse(_ raw: String) -> [QueryParameter] {
    var pairs: [(name: [UInt8], value: [UInt8])] = []
    var current: [UInt8] = []
    for byte in Array(raw.utf8) + [UInt8(ascii: "&")] {
        if byte != UInt8(ascii: "&") {
            current.append(byte)
            continue
        }
        if !current.isEmpty {
            if let equals = current.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((Array(current[..<equals]), Array(current[(equals + 1)...])))
            } else {
                pairs.append((current, []))
            }
        }
        current = []
    }
    func percentDecoded(_ text: [UInt8]) -> String {
        var out: [UInt8] = []
        var k = 0
        while k < text.count {
            let byte = text[k]
            if byte == UInt8(ascii: "%"), k + 2 < text.count, let high = hexDigit(text[k + 1]), let low = hexDigit(text[k + 2]) {
                out.append(high * 16 + low)
                k += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                k += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
    var result: [QueryParameter] = []
    var positions: [String: Int] = [:]
    for pair in pairs {
        let name = percentDecoded(pair.name)
        let value = percentDecoded(pair.value)
        if let index = positions[name] {
            result[index].values.append(value)
        } else {
            positions[name] = result.count
            result.append(QueryParameter(name: name, values: [value]))
        }
    }
    return result
}

/// The value of a hex digit, upper or lower case.
func hexDigit(_ byte: UInt8) -> UInt8? {
    let digits = Array("0123456789abcdef".utf8)
    let lowered = (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) ? byte + 32 : byte
    return digits.firstIndex(of: lowered).map(UInt8.init)
}

func checkQueryString(_ bytes: [UInt8]) {
    // The input as a raw query string.
    let raw = String(decoding: bytes, as: UTF8.self)
    let parsed = QueryString.parse(raw)
    let expected = referenceParse(raw)
    require(parsed == expected, "QueryString.parse(\(raw.debugDescription))\n  gave     \(parsed)\n  expected \(expected)")

    // The input as a list of parameters, form-encoded and parsed back.
    var reader = FuzzReader(bytes)
    var list: [(String, String)] = []
    var encoded: [String] = []
    while !reader.isEmpty, list.count < 16 {
        let name = reader.string(maximum: 24)
        let value = reader.string(maximum: 48)
        let style = reader.byte()
        list.append((name, value))
        // `name` alone (no '=') when the value is empty, unless both are: "" would be an empty pair.
        let bare = value.isEmpty && !name.isEmpty && style & 0x80 != 0
        encoded.append(formEncode(name, style: style) + (bare ? "" : "=" + formEncode(value, style: style)))
    }
    let query = (encoded.isEmpty ? [] : [""]) + encoded  // a leading "&" is an empty pair: skipped
    let text = query.joined(separator: "&")
    var grouped: [QueryParameter] = []
    for (name, value) in list {
        if let index = grouped.firstIndex(where: { $0.name == name }) {
            grouped[index].values.append(value)
        } else {
            grouped.append(QueryParameter(name: name, values: [value]))
        }
    }
    let roundTrip = QueryString.parse(text)
    require(roundTrip == grouped, "form-encoded \(list) as \(text.debugDescription)\n  parsed back as \(roundTrip)\n  expected      \(grouped)")
}

/// `application/x-www-form-urlencoded`: unreserved bytes as they are (or escaped, by `style`),
/// space as `+` (or `%20`), everything else `%XX` in upper or lower case.
func formEncode(_ text: String, style: UInt8) -> String {
    let upper = Array("0123456789ABCDEF".utf8)
    let lower = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for (index, byte) in text.utf8.enumerated() {
        let escapeAnyway = style & 0x01 != 0 && index % 3 == 0
        let digits = (style & 0x02 != 0) != (index % 2 == 0) ? upper : lower
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "*"), UInt8(ascii: "!"):
            if !escapeAnyway {
                out.append(byte)
                continue
            }
        case UInt8(ascii: " ") where style & 0x04 == 0:
            out.append(UInt8(ascii: "+"))
            continue
        default:
            break
        }
        out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }
    return String(decoding: out, as: UTF8.self)
}

// MARK: - The handler

/// DynamoDB in memory: every Query gets the same small page of usage items, a batch write
/// leaves nothing unprocessed, anything else gets `{}`.
final class MemoryDynamoDB: HTTPTransport {
    static let page = Array(#"""
    {"Count":3,"ScannedCount":3,"Items":[
     {"service":{"S":"openai"},"model":{"S":"gpt-4o"},"operation":{"S":"completion"},"date":{"S":"2026-11-28"},"hour":{"S":"2026-11-28-17"},"cost_usd":{"N":"0.0125"},"total_tokens":{"N":"2100"},"api_calls":{"N":"1"},"job_id":{"S":"nightly-7"},"environment":{"S":"prod"}},
     {"service":{"S":"anthropic"},"model":{"S":"claude-sonnet-4"},"operation":{"S":"message"},"date":{"S":"2026-11-30"},"hour":{"S":"2026-11-30-02"},"cost_usd":{"N":"1.5E-3"},"total_tokens":{"N":"640"},"user_id":{"S":"u-1"}},
     {"service":{"S":"openai"},"model":{"S":"text-embedding-3-small"},"operation":{"S":"embedding"},"date":{"S":"2026-12-01"},"hour":{"S":"2026-12-01-00"},"cost_usd":{"N":"0"},"total_tokens":{"N":"12"},"batch_id":{"S":"b-9"}}
    ]}
    """#.utf8)

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let target = request.headers["X-Amz-Target"] ?? ""
        let body: [UInt8]
        if target.hasSuffix(".Query") {
            body = Self.page
        } else if target.hasSuffix(".BatchWriteItem") {
            body = Array(#"{"UnprocessedItems":{}}"#.utf8)
        } else {
            body = Array("{}".utf8)
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fuzz"], body: body)
    }
}

/// Accepts every alert post.
struct AcceptingTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        HTTPResponse(status: 200, body: [])
    }
}

let handler: AIUsageHandler = {
    let configuration: DynamoDBConfiguration
    do {
        configuration = try DynamoDBConfiguration(
            region: "us-east-1",
            credentials: Credentials(accessKeyId: "AKIDFUZZ", secretAccessKey: "fuzz-secret"),
            endpoint: Endpoint("http://127.0.0.1:9"),
            retryPolicy: RetryPolicy(maxAttempts: 1, baseDelay: .milliseconds(1), maxBackoff: .milliseconds(1))
        )
    } catch {
        fail("no DynamoDB configuration: \(error)")
    }
    let client = DynamoDBClient(configuration: configuration, transport: MemoryDynamoDB(), sleep: { _ in })
    let environment = [
        "DYNAMODB_TABLE_NAME": "Usage", "AWS_REGION": "us-east-1",
        // No answer cache (each input on its own); raw items only and one read at a time: the
        // rollup and parallel-read paths depend on the table's data, not on the event.
        "AI_USAGE_CACHE_TTL_SECONDS": "0", "AI_USAGE_QUERY_CONCURRENCY": "1", "AI_USAGE_ROLLUPS": "off",
    ]
    let handler = AIUsageHandler(
        environment: environment, client: client, alertTransport: AcceptingTransport(),
        now: { now }, log: { _ in }, standardOutput: { _ in }
    )
    if let problem = handler.configurationError { fail("the handler is not configured: \(problem)") }
    return handler
}()

/// The handler's fixed clock.
let now = UTCTimestamp(year: 2026, month: 12, day: 1, hour: 12)
/// The latest day a rollup task compacts.
let lastClosedDay = RollupKeys.lastClosedDay(today: now.civilDate)

/// A rollup task over a long range is slow by design: the handler compacts each day in turn, up to
/// `ScheduledTask.maximumRollupDays` (3660), and refuses longer ranges with a 400 (since 66403be:
/// before it, any range ran, see fuzz/regressions/FuzzEvent/README.md). Here a day costs about
/// 10 ms, so ranges of more than 400 days that the handler accepts are decoded but not run (each
/// would take seconds); longer ones, which it must refuse at once, are. `FUZZ_RUN_KNOWN=1` runs
/// them all.
let runKnown = getenv("FUZZ_RUN_KNOWN") != nil

func isSlowRollup(_ event: JSONValue) -> Bool {
    guard !runKnown, case .task(let task) = ScheduledTask.recognise(event), task.kind == .rollup, let first = task.first else { return false }
    let span = min(task.last ?? lastClosedDay, lastClosedDay).daysSinceEpoch - first.daysSinceEpoch
    return span > 400 && span < ScheduledTask.maximumRollupDays
}

func checkHandler(_ bytes: [UInt8]) {
    if let event = try? JSONValue.parse(bytes), isSlowRollup(event) { return }
    let answer = runBlocking { await handler.invoke(bytes, requestId: "fuzz-request") }
    let json: JSONValue
    do {
        json = try JSONValue.parse(answer.body)
    } catch {
        fail("the handler's answer is not JSON (\(error)): \(show(answer.body)) for \(show(bytes))")
    }
    require(json.objectMembers != nil, "the handler's answer is not an object: \(show(answer.body))")
    if let event = try? JSONValue.parse(bytes), case .task = ScheduledTask.recognise(event) {
        return  // a scheduled task's own answer: {"task": …, "status": …} or a budget check's
    }
    guard let status = json["statusCode"]?.intValue else {
        fail("no statusCode in \(show(answer.body)) for \(show(bytes))")
    }
    guard case .string(let body)? = json["body"] else { fail("no body string in \(show(answer.body))") }
    require(json["headers"]?.objectMembers != nil, "no headers in \(show(answer.body))")
    switch status {
    case 200..<300:
        break
    case 400..<600:
        guard let error = try? JSONValue.parse(body), error.objectMembers != nil, case .string? = error["error"] else {
            fail("status \(status) without a JSON body with an \"error\" string: \(show(Array(body.utf8))) for \(show(bytes))")
        }
        require(body.utf8.count < 4096, "a \(status) answer of \(body.utf8.count) bytes: \(show(Array(body.utf8)))")
    default:
        fail("status \(status) for \(show(bytes))")
    }
}
