import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as the fault responder received it.
public struct RecordedRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first value of `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What the responder does with one request.
public enum FaultAction: Sendable {
    /// Answer with this response (Content-Length added) and keep the connection open.
    case respond(status: Int, headers: [String: String], body: [UInt8])
    /// Abort the connection with a TCP RST, without answering.
    case reset
    /// Wait, then answer.
    case delayed(milliseconds: Int, status: Int, headers: [String: String], body: [UInt8])
    /// Begin a chunked answer (`Transfer-Encoding: chunked`, as a streamed reply comes), send
    /// `body` as one chunk, then close the connection without the last chunk: a reply cut midway.
    case cut(status: Int, headers: [String: String], body: [UInt8])
    /// Never answer: read until the client gives up and closes the connection (a client timeout).
    case noAnswer
    /// Relay the request to the upstream server (a `FaultResponder(upstreamPort:)` only) and
    /// pass its answer back, altered as `fault` says.
    case forward(UpstreamFault)

    /// A DynamoDB-style JSON answer with a correct, wrong or missing `x-amz-crc32`.
    public static func dynamoJSON(status: Int = 200, _ body: String, crc: CRCMode = .correct) -> FaultAction {
        let bytes = Array(body.utf8)
        var headers = ["Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault-responder"]
        switch crc {
        case .correct: headers["x-amz-crc32"] = String(IndependentCRC32.of(bytes))
        case .wrong: headers["x-amz-crc32"] = String(IndependentCRC32.of(bytes) ^ 0xFFFF)
        case .none: break
        }
        return .respond(status: status, headers: headers, body: bytes)
    }

    /// `{"__type":"com.amazonaws.dynamodb.v20120810#<code>","message":"<message>"}`.
    public static func dynamoError(status: Int = 400, code: String, message: String = "injected fault") -> FaultAction {
        dynamoJSON(status: status, #"{"__type":"com.amazonaws.dynamodb.v20120810#\#(code)","message":"\#(message)"}"#)
    }
}

public enum CRCMode: Sendable { case correct, wrong, none }

/// A scripted HTTP/1.1 server on 127.0.0.1 for faults a real DynamoDB-compatible server never
/// produces on demand: throttling, 5xx, connection resets, bad checksums, UnprocessedItems.
///
/// It stops (closing its listener and every connection) on `stop()` or when it is released.
public final class FaultResponder: LoopbackEndpoint, Sendable {
    public let port: Int
    private let server: Server

    /// Serves `handler(request, index)` for each request, `index` counting from 0 across connections.
    /// With `upstreamPort`, it is a proxy in front of the server on 127.0.0.1:`upstreamPort`:
    /// `.forward` relays a request there, byte for byte (the `Host` field included, so a SigV4
    /// signature made for the proxy still verifies upstream).
    public init(upstreamPort: Int? = nil, handler: @escaping @Sendable (RecordedRequest, Int) -> FaultAction) throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socketFD, 64) == 0 else { close(socketFD); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        server = Server(listener: socketFD, upstreamPort: upstreamPort, handler: handler)
        let server = server
        Thread { server.acceptLoop() }.start()
    }

    /// Serves `script[i]` to the i-th request; afterwards 500 "script exhausted".
    public convenience init(script: [FaultAction]) throws {
        try self.init { _, index in
            index < script.count ? script[index] : .respond(status: 500, headers: [:], body: Array("fault responder: script exhausted".utf8))
        }
    }

    deinit { server.stop() }

    public var requests: [RecordedRequest] { server.lock.withLock { server.recorded } }
    public var connectionCount: Int { server.lock.withLock { server.accepted } }

    /// Closes the listener and every connection. Idempotent.
    public func stop() { server.stop() }
}

/// The listener and its connections. The accept and connection threads hold this, not the
/// `FaultResponder`, so releasing the responder stops the server.
///
/// `@unchecked Sendable`: all mutable state is guarded by `lock`; sockets are owned by their threads.
private final class Server: @unchecked Sendable {
    let listener: Int32
    let upstreamPort: Int?
    let handler: @Sendable (RecordedRequest, Int) -> FaultAction
    let lock = NSLock()
    var recorded: [RecordedRequest] = []
    var connections: [Int32] = []
    var accepted = 0
    var stopped = false

    init(listener: Int32, upstreamPort: Int?, handler: @escaping @Sendable (RecordedRequest, Int) -> FaultAction) {
        self.listener = listener
        self.upstreamPort = upstreamPort
        self.handler = handler
    }

    /// Wakes the accept loop and every connection; the threads that own the sockets close them.
    /// (Closing a descriptor here, while another thread may still block on it, would let the
    /// number be reused by another test's socket, which the old thread would then serve.)
    func stop() {
        lock.withLock {
            if stopped { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            // Under the lock: a connection's thread removes its descriptor under the lock before
            // closing it, so every descriptor listed here is still open.
            for socket in connections { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            let keep: Bool = lock.withLock {
                if stopped { return false }
                accepted += 1
                connections.append(client)
                return true
            }
            guard keep else { close(client); return }
            Thread { [self] in serve(client) }.start()
        }
    }

    func serve(_ socket: Int32) {
        var buffer: [UInt8] = []
        defer {
            lock.withLock { connections.removeAll { $0 == socket } }
            close(socket)
        }
        while let request = readRequest(socket, buffer: &buffer) {
            let index: Int = lock.withLock {
                recorded.append(request)
                return recorded.count - 1
            }
            switch handler(request, index) {
            case .reset:
                abort(socket)
                return
            case .respond(let status, let headers, let body):
                write(socket, status: status, headers: headers, body: body)
            case .delayed(let milliseconds, let status, let headers, let body):
                usleep(useconds_t(milliseconds * 1000))
                write(socket, status: status, headers: headers, body: body)
            case .cut(let status, let headers, let body):
                let chunk = Array(String(body.count, radix: 16).utf8) + [13, 10] + body + [13, 10]
                sendAll(socket, Self.head(status: status, headers: headers, framing: "Transfer-Encoding: chunked") + chunk)
                return
            case .noAnswer:
                var ignored: [UInt8] = []
                while receive(socket, into: &ignored) { ignored.removeAll(keepingCapacity: true) }
                return
            case .forward(let fault):
                guard let upstreamPort, let answer = UpstreamExchange.relay(request, toPort: upstreamPort) else {
                    write(socket, status: 502, headers: [:], body: Array("fault proxy: no upstream answer".utf8))
                    continue
                }
                if !deliver(answer, altered: fault, request: request, on: socket) { return }
            }
        }
    }

    /// Sends `answer` as `fault` alters it; `false` when the connection must end.
    private func deliver(_ answer: UpstreamAnswer, altered fault: UpstreamFault, request: RecordedRequest, on socket: Int32) -> Bool {
        switch fault {
        case .faithfully:
            write(socket, status: answer.status, headers: answer.headers, body: answer.body)
        case .delayed(let milliseconds):
            usleep(useconds_t(milliseconds * 1000))
            write(socket, status: answer.status, headers: answer.headers, body: answer.body)
        case .resetAfterForwarding:
            abort(socket)
            return false
        case .resetAfterHeaders:
            sendAll(socket, Self.head(status: answer.status, headers: answer.headers, framing: "Content-Length: \(answer.body.count)"))
            abort(socket)
            return false
        case .truncated(let keep):
            sendAll(socket, Self.head(status: answer.status, headers: answer.headers, framing: "Content-Length: \(answer.body.count)") + answer.body.prefix(keep))
            return false
        case .wrongCRC:
            var headers = answer.headers
            headers["x-amz-crc32"] = String(IndependentCRC32.of(answer.body) ^ 0x5A5A)
            write(socket, status: answer.status, headers: headers, body: answer.body)
        case .claimingUnprocessed:
            // The upstream wrote every item; the client is told none was, and sends them again.
            let body = UpstreamExchange.everyItemUnprocessed(request.body)
            var headers = answer.headers
            headers["x-amz-crc32"] = String(IndependentCRC32.of(body))
            write(socket, status: answer.status, headers: headers, body: body)
        }
        return true
    }

    /// Ends the connection with a TCP RST.
    private func abort(_ socket: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    private func readRequest(_ socket: Int32, buffer: inout [UInt8]) -> RecordedRequest? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = buffer.firstRange(of: separator)?.lowerBound
            if headerEnd == nil, !receive(socket, into: &buffer) { return nil }
        }
        let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0") ?? 0
        let bodyStart = headerEnd! + 4
        while buffer.count < bodyStart + length {
            if !receive(socket, into: &buffer) { return nil }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return RecordedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func receive(_ socket: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(socket, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func write(_ socket: Int32, status: Int, headers: [String: String], body: [UInt8]) {
        sendAll(socket, Self.head(status: status, headers: headers, framing: "Content-Length: \(body.count)") + body)
    }

    /// The status line, `headers` in name order, the framing field, and the blank line.
    private static func head(status: Int, headers: [String: String], framing: String) -> [UInt8] {
        var head = "HTTP/1.1 \(status) Injected\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\(framing)\r\n\r\n"
        return Array(head.utf8)
    }

    private func sendAll(_ socket: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result <= 0 { return }
            sent += result
        }
    }
}

/// A bitwise CRC-32, written apart from the client's table-driven one so each checks the other.
public enum IndependentCRC32 {
    public static func of(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
