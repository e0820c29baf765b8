import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The smallest HTTP/1.1 server that will do for part 6: on 127.0.0.1, keep-alive, one thread
/// accepting and one blocking thread per connection, `Content-Length` bodies only.
///
/// `answer` gets each request (method, path, body) on the connection's thread, with the moment
/// the request had been read in full, and returns the whole response (head and body), or nil to
/// close the connection. It is used twice: as the other end of the bare loopback round trip (the
/// floor the emulator is compared with) and as a fake Runtime API for the cold start.
final class TinyHTTPServer: @unchecked Sendable {
    struct Request {
        var method: Substring
        var path: Substring
        var body: ArraySlice<UInt8>
        /// When the last byte of the request had been read.
        var received: ContinuousClock.Instant
    }

    let port: Int
    private let listener: Int32
    private let answer: @Sendable (Request) -> [UInt8]?
    // Guarded by `lock`.
    private let lock = NSLock()
    private var connections: [Int32] = []
    private var stopped = false

    init(answer: @escaping @Sendable (Request) -> [UInt8]?) throws {
        self.answer = answer
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
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
        thread.name = "tiny-http-accept"
        thread.start()
    }

    /// `127.0.0.1:PORT`
    var hostPort: String { "127.0.0.1:\(port)" }

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

    /// `HTTP/1.1 <status>`, the headers given, `Content-Length`, then the body.
    static func response(_ status: String, headers: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
        var head = "HTTP/1.1 \(status)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
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
            thread.name = "tiny-http-connection"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.withLock { connections.removeAll { $0 == fd } }
            close(fd)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16_384)
        var chunk = [UInt8](repeating: 0, count: 16_384)
        func fill() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            var headEnd = 0
            while true {
                if let range = buffer.firstRange(of: separator) { headEnd = range.lowerBound; break }
                if !fill() { return }
            }
            let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let requestLine = lines.first?.split(separator: " ") ?? []
            var contentLength = 0
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[..<colon].lowercased() == "content-length" {
                    contentLength = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            let bodyStart = headEnd + 4
            while buffer.count < bodyStart + contentLength {
                if !fill() { return }
            }
            let received = ContinuousClock.now
            let request = Request(
                method: requestLine.first ?? "", path: requestLine.dropFirst().first ?? "",
                body: buffer[bodyStart..<(bodyStart + contentLength)], received: received
            )
            guard let reply = answer(request) else { return }
            buffer.removeFirst(bodyStart + contentLength)
            if !sendAll(fd, reply) { return }
        }
    }
}

/// Writes every byte (false when the peer is gone).
@discardableResult
func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        var sent = 0
        while sent < raw.count {
            let result = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            if result <= 0 { return false }
            sent += result
        }
        return true
    }
}
