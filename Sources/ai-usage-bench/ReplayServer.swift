import AIUsage
import AIUsageReports
import DynamoDB
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A DynamoDB stand-in on 127.0.0.1 that answers GSI2 Queries from pre-built pages: enough of
/// the JSON 1.0 protocol (HTTP/1.1 with keep-alive, `X-Amz-Target: DynamoDB_20120810.Query`,
/// `x-amz-crc32`, `Content-Type: application/x-amz-json-1.0`) for `UsageFetcher`.
///
/// A request is routed by its `:from`/`:to` values to the segment that has exactly those bounds,
/// and by its `ExclusiveStartKey.SK` to the page after that key (none: the first page). It does
/// not check signatures. Anything it cannot route is a 400 `ValidationException`, so a mismatch
/// shows up as a failed answer, never as a silently wrong one.
///
/// One thread accepts, one thread serves each connection; stopped by `stop()`.
final class ReplayServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let segments: [String: SegmentPages]
    // Guarded by `lock`.
    private let lock = NSLock()
    private var connections: [Int32] = []
    private var stopped = false
    private var served = Counts()

    struct Counts: Sendable {
        var requests = 0
        var pages = 0
        var items = 0
        var bytes = 0
        var refused = 0
        var connections = 0
        var firstRefusal: String?
    }

    init(segments: [SegmentPages]) throws {
        var table: [String: SegmentPages] = [:]
        for segment in segments { table[Self.route(segment.from, segment.to)] = segment }
        self.segments = table

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

    /// What has been served so far.
    var counts: Counts { lock.withLock { served } }

    func resetCounts() { lock.withLock { served = Counts() } }

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

    private static func route(_ from: String, _ to: String) -> String { "\(from)\u{1F}\(to)" }

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
                served.connections += 1
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
        guard target == "\(DynamoDBClient.targetPrefix).Query" else {
            refuse(fd, type: "UnknownOperationException", message: "the replay server answers Query only, not \(target)")
            return
        }
        guard let request = try? JSONValue.parse(body),
              let from = request["ExpressionAttributeValues"]?[":from"]?["S"]?.stringValue,
              let to = request["ExpressionAttributeValues"]?[":to"]?["S"]?.stringValue else {
            refuse(fd, type: "ValidationException", message: "no :from/:to in the Query")
            return
        }
        guard let segment = segments[Self.route(from, to)] else {
            refuse(fd, type: "ValidationException", message: "no replay segment for \(from) .. \(to)")
            return
        }
        var index = 0
        if let start = request["ExclusiveStartKey"], !start.isNull {
            guard let key = start["SK"]?["S"]?.stringValue, let next = segment.next[key] else {
                refuse(fd, type: "ValidationException", message: "unknown ExclusiveStartKey for \(from) .. \(to)")
                return
            }
            index = next
        }
        let page = segment.pages[index]
        lock.withLock {
            served.requests += 1
            served.pages += 1
            served.items += page.items
            served.bytes += page.body.count
        }
        respond(fd, status: 200, reason: "OK", body: page.body, crc: page.crc32)
    }

    private func refuse(_ fd: Int32, type: String, message: String) {
        lock.withLock {
            served.requests += 1
            served.refused += 1
            if served.firstRefusal == nil { served.firstRefusal = message }
        }
        var text: [UInt8] = []
        text.append(contentsOf: #"{"__type":"com.amazonaws.dynamodb.v20120810#\#(type)","message":"#.utf8)
        PageBuilder.writeString(message, into: &text)
        text.append(UInt8(ascii: "}"))
        respond(fd, status: 400, reason: "Bad Request", body: text, crc: CRC32.checksum(text))
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
