import CurlHTTP
import DynamoDB
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A DynamoDB stand-in on 127.0.0.1 over a `ReplayStore`: enough of the JSON 1.0 protocol
/// (HTTP/1.1 with keep-alive, `X-Amz-Target: DynamoDB_20120810.Query`, `x-amz-crc32`,
/// `Content-Type: application/x-amz-json-1.0`) for `UsageFetcher`'s raw and rollup Queries.
///
/// Every request is answered by the store (which builds and caches the pages); anything it cannot
/// route is a 400 `ValidationException`, so a mismatch shows up as a failed answer, never as a
/// silently wrong one. It does not check signatures.
///
/// One thread accepts, one thread serves each connection; stopped by `stop()`.
final class ReplayServer: @unchecked Sendable {
    let port: Int
    let store: ReplayStore
    private let listener: Int32
    // Guarded by `lock`.
    private let lock = NSLock()
    private var connections: [Int32] = []
    private var stopped = false

    init(store: ReplayStore) throws {
        self.store = store
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "replay-accept"
        thread.start()
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    func stop() {
        let open: [Int32]? = lock.withLock {
            guard !stopped else { return nil }
            stopped = true
            return connections
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    // MARK: - Connections

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let accepted: Bool = lock.withLock {
                guard !stopped else { return false }
                connections.append(client)
                return true
            }
            guard accepted else {
                close(client)
                return
            }
            let thread = Thread { [self] in serve(client) }
            thread.name = "replay-connection"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.withLock { connections.removeAll { $0 == fd } }
            close(fd)
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func fill() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            // The head.
            var headEnd: Int?
            while true {
                if let range = buffer.firstRange(of: separator) { headEnd = range.lowerBound; break }
                if !fill() { return }
            }
            guard let headEnd else { return }
            let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
            var contentLength = 0
            var target = ""
            var expectsContinue = false
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                switch name {
                case "content-length": contentLength = Int(value) ?? 0
                case "x-amz-target": target = value
                case "expect": expectsContinue = value.lowercased() == "100-continue"
                default: break
                }
            }
            if expectsContinue { sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
            let bodyStart = headEnd + 4
            while buffer.count < bodyStart + contentLength {
                if !fill() { return }
            }
            let body = Array(buffer[bodyStart..<(bodyStart + contentLength)])
            buffer.removeFirst(bodyStart + contentLength)
            answer(fd, target: target, body: body)
        }
    }

    private func answer(_ fd: Int32, target: String, body: [UInt8]) {
        switch store.answer(target: target, body: body) {
        case .page(let page):
            respond(fd, status: 200, reason: "OK", body: page.body, crc: page.crc32)
        case .refused(let type, let message):
            let text = ReplayServer.errorBody(type: type, message: message)
            respond(fd, status: 400, reason: "Bad Request", body: text, crc: CRC32.checksum(text))
        }
    }

    static func errorBody(type: String, message: String) -> [UInt8] {
        var text: [UInt8] = []
        text.append(contentsOf: #"{"__type":"com.amazonaws.dynamodb.v20120810#\#(type)","message":"#.utf8)
        DynamoJSON.writeString(message, into: &text)
        text.append(UInt8(ascii: "}"))
        return text
    }

    private func respond(_ fd: Int32, status: Int, reason: String, body: [UInt8], crc: UInt32) {
        let head = "HTTP/1.1 \(status) \(reason)\r\n"
            + "Content-Type: application/x-amz-json-1.0\r\n"
            + "x-amz-crc32: \(crc)\r\n"
            + "x-amzn-RequestId: replay\r\n"
            + "Content-Length: \(body.count)\r\n\r\n"
        sendAll(fd, Array(head.utf8))
        sendAll(fd, body)
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let result = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if result <= 0 { return }
                sent += result
            }
        }
    }
}

/// The same store as an in-memory `HTTPTransport`: a `DynamoDBClient` on it runs everything the
/// handler's client does (encoding, signing, the CRC-32 check, decoding) but the socket.
struct ReplayTransport: HTTPTransport {
    let store: ReplayStore

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let target = request.headers["X-Amz-Target"] ?? ""
        let headers: HTTPHeaders
        let body: [UInt8]
        let status: Int
        switch store.answer(target: target, body: request.body) {
        case .page(let page):
            (status, body) = (200, page.body)
            headers = ["Content-Type": DynamoDBClient.contentType, "x-amz-crc32": String(page.crc32), "x-amzn-RequestId": "replay"]
        case .refused(let type, let message):
            (status, body) = (400, ReplayServer.errorBody(type: type, message: message))
            headers = ["Content-Type": DynamoDBClient.contentType, "x-amz-crc32": String(CRC32.checksum(body)), "x-amzn-RequestId": "replay"]
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
