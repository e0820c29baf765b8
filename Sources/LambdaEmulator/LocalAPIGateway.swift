import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A local HTTP API, like `sam local start-api` without Docker: each HTTP request on 127.0.0.1
/// becomes an API Gateway HTTP API (payload 2.0) event for a handler, and the handler's proxy
/// result becomes the HTTP response (docs/emulator.md, "serve").
///
/// The handler is a closure from event bytes to proxy-result bytes (an in-process handler), or
/// a `LambdaEmulator` running a real bootstrap (`init(emulator:log:)`).
public final class LocalAPIGateway: Sendable {
    public typealias Handler = @Sendable ([UInt8]) async -> [UInt8]

    /// One header field, as sent or to send.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// An HTTP request as the gateway saw it.
    public struct Request: Sendable, Hashable {
        /// `GET`, `OPTIONS`, …
        public var method: String
        /// The request target: the raw path and, after `?`, the raw query string.
        public var target: String
        /// The header fields in order, repeats included.
        public var headers: [Header]
        public var body: [UInt8]
        /// The client's address.
        public var sourceIP: String
        /// `HTTP/1.1`.
        public var httpVersion: String

        public init(method: String, target: String, headers: [Header] = [], body: [UInt8] = [], sourceIP: String = "127.0.0.1", httpVersion: String = "HTTP/1.1") {
            self.method = method
            self.target = target
            self.headers = headers
            self.body = body
            self.sourceIP = sourceIP
            self.httpVersion = httpVersion
        }
    }

    /// The HTTP response made of a proxy result.
    public struct Response: Sendable, Hashable {
        public var status: Int
        /// In order; `Set-Cookie` once per cookie.
        public var headers: [Header]
        public var body: [UInt8]

        public init(status: Int, headers: [Header], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The value of the first header named `name` (any case).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// SAM's answer when the function failed or its result is not a proxy response:
        /// 502 `{"message":"Internal server error"}`.
        public static let internalServerError = Response(
            status: 502, headers: [Header("Content-Type", "application/json")], body: Array(#"{"message":"Internal server error"}"#.utf8))
    }

    enum Outcome: Sendable {
        case result([UInt8])
        /// The function failed (error, timeout, crash): the reason, for the log.
        case failed(String)
    }

    /// API Gateway's payload limit (10 MB); a larger request gets 413.
    public static let maximumRequestSize = 10 * 1024 * 1024

    private let invoke: @Sendable ([UInt8]) async -> Outcome
    private let log: @Sendable (String) -> Void
    private let server = Mutex<HTTPServer?>(nil)

    /// A gateway in front of an in-process handler.
    public init(handler: @escaping Handler, log: @escaping @Sendable (String) -> Void = LambdaEmulatorConfiguration.standardError) {
        self.invoke = { event in .result(await handler(event)) }
        self.log = log
    }

    /// A gateway in front of an emulated function: a result other than `success` is a 502.
    public init(emulator: LambdaEmulator, log: @escaping @Sendable (String) -> Void = LambdaEmulatorConfiguration.standardError) {
        self.invoke = { event in
            let result = await emulator.invoke(event)
            return result.status == .success ? .result(result.response ?? []) : .failed(result.jsonLine)
        }
        self.log = log
    }

    /// Starts serving on `host:port` (`port` 0: a free one) and returns the port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 3000) async throws -> Int {
        let started = try await HTTPServer.start(host: host, port: port, maximumBodySize: Self.maximumRequestSize) { [weak self] request, responder in
            guard let self else {
                responder.send(ServerResponse(status: 503))
                return
            }
            Task { await self.serve(request, responder) }
        }
        server.withLock { $0 = started }
        return started.port
    }

    /// Stops serving and closes every connection.
    public func stop() async {
        let running = server.withLock { server in
            defer { server = nil }
            return server
        }
        await running?.close()
    }

    private func serve(_ request: ServerRequest, _ responder: Responder) async {
        let clock = ContinuousClock.now
        let target = request.uri
        let requestId = Self.makeRequestId()
        let response: Response
        if request.bodyTooLarge {
            response = Response(status: 413, headers: [Header("Content-Type", "application/json")], body: Array(#"{"message":"Request Entity Too Large"}"#.utf8))
        } else {
            let incoming = Request(
                method: request.method.rawValue, target: target,
                headers: request.headers.map { Header($0.name, $0.value) }, body: request.body,
                sourceIP: request.remoteIP ?? "127.0.0.1", httpVersion: "HTTP/\(request.version.major).\(request.version.minor)")
            switch await invoke(Self.event(for: incoming, requestId: requestId, time: Date())) {
            case .result(let bytes):
                if let mapped = Self.response(fromProxyResult: bytes) {
                    response = mapped
                } else {
                    log("the function's answer is not a valid proxy response: \(String(decoding: bytes.prefix(300), as: UTF8.self))")
                    response = .internalServerError
                }
            case .failed(let reason):
                log("the function failed: \(reason)")
                response = .internalServerError
            }
        }
        var headers = response.headers.map { ($0.name, $0.value) }
        headers.append(("Apigw-Requestid", requestId))
        responder.send(ServerResponse(status: response.status, headers: headers, body: response.body))
        let elapsed = LambdaEmulatorConfiguration.twoDecimals((ContinuousClock.now - clock).milliseconds)
        log("\(request.remoteIP ?? "-") \"\(request.method.rawValue) \(target) HTTP/\(request.version.major).\(request.version.minor)\" \(response.status) \(response.body.count) \(elapsed) ms")
    }

    // MARK: - Events

    /// The HTTP API payload 2.0 event for `request`:
    /// `version` "2.0", `routeKey` "$default", `rawPath`, `rawQueryString`, `cookies` (from the
    /// `Cookie` headers, which are left out of `headers`), `headers` (names lower-cased, repeats
    /// joined with `,`), `queryStringParameters` (percent-decoded, `+` as space, repeats joined
    /// with `,`; absent without a query), `requestContext` (`accountId`, `apiId`, `domainName`
    /// "localhost", `domainPrefix`, `http` {`method`, `path`, `protocol`, `sourceIp`, `userAgent`},
    /// `requestId`, `routeKey`, `stage` "$default", `time`, `timeEpoch`), `body` (absent when
    /// empty; base64 when it is not valid UTF-8) and `isBase64Encoded`.
    public static func event(for request: Request, requestId: String, time: Date) -> [UInt8] {
        let (rawPath, rawQuery) = split(target: request.target)
        var headers: [(name: String, values: [String])] = []
        var cookies: [String] = []
        for header in request.headers {
            let name = header.name.lowercased()
            if name == "cookie" {
                cookies += header.value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                continue
            }
            if let index = headers.firstIndex(where: { $0.name == name }) {
                headers[index].values.append(header.value)
            } else {
                headers.append((name, [header.value]))
            }
        }
        var query: [(name: String, values: [String])] = []
        for pair in rawQuery.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = formDecode(parts[0])
            let value = parts.count > 1 ? formDecode(parts[1]) : ""
            if let index = query.firstIndex(where: { $0.name == name }) {
                query[index].values.append(value)
            } else {
                query.append((name, [value]))
            }
        }
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        var members: [EmulatorJSON.Member] = [
            .init("version", "2.0"),
            .init("routeKey", "$default"),
            .init("rawPath", .string(rawPath)),
            .init("rawQueryString", .string(rawQuery)),
        ]
        if !cookies.isEmpty { members.append(.init("cookies", .array(cookies.map { .string($0) }))) }
        members.append(.init("headers", .object(headers.map { .init($0.name, .string($0.values.joined(separator: ","))) })))
        if !query.isEmpty {
            members.append(.init("queryStringParameters", .object(query.map { .init($0.name, .string($0.values.joined(separator: ","))) })))
        }
        let userAgent = request.headers.first { $0.name.lowercased() == "user-agent" }?.value ?? ""
        members.append(.init("requestContext", .object([
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": .object([
                "method": .string(request.method),
                "path": .string(rawPath),
                "protocol": .string(request.httpVersion),
                "sourceIp": .string(request.sourceIP),
                "userAgent": .string(userAgent),
            ]),
            "requestId": .string(requestId),
            "routeKey": "$default",
            "stage": "$default",
            "time": .string(accessLogTime(time)),
            "timeEpoch": .integer(milliseconds),
        ])))
        var isBase64 = false
        if !request.body.isEmpty {
            if let text = String(validating: request.body, as: UTF8.self) {
                members.append(.init("body", .string(text)))
            } else {
                members.append(.init("body", .string(Data(request.body).base64EncodedString())))
                isBase64 = true
            }
        }
        members.append(.init("isBase64Encoded", .bool(isBase64)))
        return EmulatorJSON.object(members).bytes
    }

    /// The raw path and the raw query string of a request target.
    static func split(target: String) -> (path: String, query: String) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// Percent-decodes form text, `+` as a space; a bad `%` escape stays as it is.
    static func formDecode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `12/Mar/2020:19:03:58 +0000`.
    static func accessLogTime(_ time: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        return formatter.string(from: time)
    }

    /// A request id shaped like API Gateway's (`JKJaXmPLvHcESHA=`).
    static func makeRequestId() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<11).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    // MARK: - Proxy results

    /// The HTTP response for a function's answer, as API Gateway reads payload 2.0 results; `nil`
    /// when the answer is not a valid proxy response (the gateway then answers 502).
    ///
    /// - An object with `statusCode` is a proxy response: `statusCode` (an integer 100–599),
    ///   `headers` (values strings, numbers or booleans), `multiValueHeaders` (arrays of them; a
    ///   name given there replaces the same name in `headers`), `cookies` (one `Set-Cookie`
    ///   each), `body` (a string, or absent) and `isBase64Encoded` (then the body is decoded).
    ///   `Content-Type` defaults to `application/json`; `Content-Length`, `Transfer-Encoding`
    ///   and `Connection` are the gateway's own.
    /// - Any other JSON is the body of a 200 `application/json` answer (a JSON string: its text).
    /// - Anything that is not JSON is invalid.
    public static func response(fromProxyResult bytes: [UInt8]) -> Response? {
        guard let value = try? EmulatorJSON.parse(bytes) else { return nil }
        guard let members = value.members, members.contains(where: { $0.key == "statusCode" }) else {
            let body = value.stringValue.map { Array($0.utf8) } ?? value.bytes
            return Response(status: 200, headers: [Header("Content-Type", "application/json")], body: body)
        }
        let statusCode: Int?
        switch value["statusCode"] {
        case .string(let text)?: statusCode = Int(text)
        case let other?: statusCode = other.integerValue
        case nil: statusCode = nil
        }
        guard let status = statusCode, (100...599).contains(status) else { return nil }

        var single: [Header] = []
        switch value["headers"] {
        case nil, .null?: break
        case .object(let fields)?:
            for field in fields {
                guard let text = scalarText(field.value) else { return nil }
                single.append(Header(field.key, text))
            }
        default: return nil
        }
        var multiple: [Header] = []
        switch value["multiValueHeaders"] {
        case nil, .null?: break
        case .object(let fields)?:
            for field in fields {
                guard case .array(let values) = field.value else {
                    if case .null = field.value { continue }
                    return nil
                }
                for element in values {
                    guard let text = scalarText(element) else { return nil }
                    multiple.append(Header(field.key, text))
                }
            }
        default: return nil
        }
        var cookies: [String] = []
        switch value["cookies"] {
        case nil, .null?: break
        case .array(let elements)?:
            for element in elements {
                guard let text = element.stringValue else { return nil }
                cookies.append(text)
            }
        default: return nil
        }
        let isBase64: Bool
        switch value["isBase64Encoded"] {
        case nil, .null?: isBase64 = false
        case .bool(let flag)?: isBase64 = flag
        default: return nil
        }
        var body: [UInt8]
        switch value["body"] {
        case nil, .null?: body = []
        case .string(let text)?: body = Array(text.utf8)
        default: return nil
        }
        if isBase64 {
            guard let decoded = Data(base64Encoded: String(decoding: body, as: UTF8.self)) else { return nil }
            body = [UInt8](decoded)
        }

        let replaced = Set(multiple.map { $0.name.lowercased() })
        let gatewayOwned: Set<String> = ["content-length", "transfer-encoding", "connection"]
        var headers = single.filter { !replaced.contains($0.name.lowercased()) } + multiple
        headers.removeAll { gatewayOwned.contains($0.name.lowercased()) }
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.insert(Header("Content-Type", "application/json"), at: 0)
        }
        headers += cookies.map { Header("Set-Cookie", $0) }
        return Response(status: status, headers: headers, body: body)
    }

    private static func scalarText(_ value: EmulatorJSON) -> String? {
        switch value {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }
}
