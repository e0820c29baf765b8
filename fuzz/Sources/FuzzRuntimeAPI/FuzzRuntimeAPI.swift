// Fuzz target 5: the emulator's Runtime API (FunctionInstance's routes behind HTTPServer).
//
// Request handling is only reachable through a live sandbox (the router is private to
// `FunctionInstance` and answers through NIO channels), so this target starts one sandbox once,
// with a bootstrap script that never calls the API and exits when this process is gone, keeps an
// invocation (id `fuzz-invocation`) waiting in it, and sends each input as raw bytes over a new
// loopback TCP connection, then half-closes and reads until the server closes.
//
// Invariants: the process never crashes (a double-resumed continuation or a NIO precondition
// would abort it); every connection ends (no hang past 5 s after the client's half-close); what
// comes back is a sequence of well-formed HTTP/1.x responses (status line, header lines, a body
// of exactly Content-Length bytes, or chunked), possibly cut short only when the connection was
// reset, and every `application/json` body is JSON.
//
// State carries over from input to input (the waiting invocation may be delivered, answered or
// failed, the sandbox ended by /init/error): when the invocation ends, a new one is queued, and
// when the sandbox ends, a new sandbox replaces it.
@testable import LambdaEmulator
import ExactJSON
import Foundation
import FuzzSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

public func fuzzRuntimeAPI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    Sandbox.shared.prepare()
    let exchange = Exchange.run(port: Sandbox.shared.port, sending: bytes)
    if let problem = validate(exchange) {
        fail("\(problem)\nrequest:  \(show(bytes, limit: 600))\nresponse: \(show(exchange.received, limit: 1200))")
    }
    return 0
}

// MARK: - The sandbox

final class Sandbox: @unchecked Sendable {
    nonisolated(unsafe) static var shared = Sandbox()

    static let invocationId = "fuzz-invocation"
    let directory: String
    let bootstrap: String
    var instance: FunctionInstance?
    var port: UInt16 = 0
    /// How the queued invocation ended (set by its task), `nil` while it waits.
    let outcome = Mutex<FunctionInstance.Outcome?>(nil)
    var armed = false
    var inputs = 0

    private init() {
        directory = NSTemporaryDirectory() + "/fuzz-runtime-api-\(getpid())"
        bootstrap = directory + "/bootstrap"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // Never calls the API; ends within a second of this process.
            let script = "#!/bin/sh\nwhile kill -0 \"$FUZZ_PARENT\" 2>/dev/null; do sleep 1; done\n"
            try script.write(toFile: bootstrap, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bootstrap)
        } catch {
            fail("cannot write the bootstrap script: \(error)")
        }
    }

    var configuration: LambdaEmulatorConfiguration {
        LambdaEmulatorConfiguration(
            bootstrap: bootstrap, timeout: .seconds(3600), environment: ["FUZZ_PARENT": String(getpid())],
            hostEnvironment: ["PATH": "/usr/bin:/bin"], log: { _ in }, functionOutput: { _ in }
        )
    }

    /// A sandbox with an invocation waiting, before each input.
    func prepare() {
        inputs += 1
        if instance == nil { start() }
        if armed, let ended = outcome.withLock({ $0 }) {
            armed = false
            outcome.withLock { $0 = nil }
            switch ended {
            case .finished(_, reusable: true): break
            case .finished(_, reusable: false), .gone: restart()
            }
        }
        if !armed { arm() }
    }

    func start() {
        let configuration = self.configuration
        let started: Result<FunctionInstance, LambdaEmulatorError> = runBlocking {
            do {
                return .success(try await FunctionInstance.start(configuration: configuration))
            } catch {
                return .failure(LambdaEmulatorError("\(error)"))
            }
        }
        switch started {
        case .success(let instance):
            self.instance = instance
            port = Self.runtimeAPIPort(of: instance)
        case .failure(let error):
            fail("cannot start a sandbox: \(error)")
        }
    }

    func restart() {
        if let instance { runBlocking { await instance.terminate() } }
        instance = nil
        start()
    }

    /// The port the sandbox's Runtime API listens on, from the bootstrap's environment (the
    /// server is private to the instance).
    static func runtimeAPIPort(of instance: FunctionInstance) -> UInt16 {
        guard let pid = instance.pid else { fail("the sandbox has no process") }
        for _ in 0 ..< 500 {
            if let environment = readProcFile("/proc/\(pid)/environ") {
                for entry in environment.split(separator: 0) {
                    let text = String(decoding: entry, as: UTF8.self)
                    if text.hasPrefix("AWS_LAMBDA_RUNTIME_API="), let colon = text.lastIndex(of: ":"),
                       let port = UInt16(text[text.index(after: colon)...]) {
                        return port
                    }
                }
            }
            usleep(2_000)
        }
        fail("cannot read AWS_LAMBDA_RUNTIME_API of pid \(pid)")
    }

    /// A /proc file's bytes, read with open/read (FileManager.contents(atPath:) leaked its
    /// buffer on these size-0 files now and then, which LeakSanitizer reported at exit).
    static func readProcFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Queues the invocation: `Task.immediate` runs `run` on this thread up to its first
    /// suspension, so the invocation is registered before the next input is sent.
    func arm() {
        guard let instance else { return }
        let request = InvocationRequest(
            id: Self.invocationId, event: Array(#"{"fuzz":true}"#.utf8),
            options: LambdaInvocationOptions(traceId: "Root=1-00000000-000000000000000000000000;Sampled=0", clientContext: "{}"),
            started: .now, deadlineMs: 4_102_444_800_000
        )
        armed = true
        Task.immediate { [self] in
            let ended = await instance.run(request, cold: true)
            outcome.withLock { $0 = ended }
        }
    }
}

// MARK: - One exchange over loopback

struct Exchange {
    var received: [UInt8] = []
    /// The server reset the connection, or refused more bytes: a cut answer is allowed then.
    var reset = false

    static func run(port: UInt16, sending bytes: [UInt8]) -> Exchange {
        var exchange = Exchange()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { fail("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)

        var sent = 0
        var writing = true
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            if writing, sent == bytes.count {
                shutdown(fd, Int32(SHUT_WR))
                writing = false
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN) | (writing ? Int16(POLLOUT) : 0), revents: 0)
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                fail("the server neither answered nor closed within 5 s of the input (\(exchange.received.count) bytes so far)")
            }
            let ready = poll(&poller, 1, Int32(max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)))
            if ready < 0, errno == EINTR { continue }
            if poller.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    exchange.received += buffer[0 ..< count]
                } else if count == 0 {
                    return exchange
                } else if errno != EAGAIN, errno != EINTR {
                    exchange.reset = true
                    return exchange
                }
            }
            if writing, poller.revents & Int16(POLLOUT) != 0 {
                let count = bytes.withUnsafeBytes { raw in
                    send(fd, raw.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                }
                if count > 0 {
                    sent += count
                } else if errno != EAGAIN, errno != EINTR {
                    // The server closed its side (after an answer that ends the connection).
                    exchange.reset = true
                    writing = false
                }
            }
        }
    }
}

// MARK: - What a well-formed answer is

func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
    guard bytes.count >= needle.count else { return nil }
    var k = start
    while k + needle.count <= bytes.count {
        if bytes[k] == needle[0], bytes[k ..< k + needle.count].elementsEqual(needle) { return k }
        k += 1
    }
    return nil
}

let tokenBytes = Set(Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))

/// Why the bytes are not a sequence of well-formed HTTP/1.x responses, or nil.
func validate(_ exchange: Exchange) -> String? {
    let data = exchange.received
    var k = 0
    var index = 0
    while k < data.count {
        index += 1
        guard let headEnd = find(Array("\r\n\r\n".utf8), in: data, from: k) else {
            return exchange.reset ? nil : "response \(index): no end of head (the connection closed cleanly)"
        }
        let head = String(decoding: data[k ..< headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = Array(lines.removeFirst().utf8)
        // HTTP/d.d SP ddd [SP reason]
        guard statusLine.count >= 12, statusLine.starts(with: Array("HTTP/".utf8)),
              statusLine[5] &- 0x30 < 10, statusLine[6] == UInt8(ascii: "."), statusLine[7] &- 0x30 < 10,
              statusLine[8] == UInt8(ascii: " "), statusLine[9...11].allSatisfy({ $0 &- 0x30 < 10 }),
              statusLine.count == 12 || statusLine[12] == UInt8(ascii: " "),
              !statusLine.contains(where: { $0 < 0x20 && $0 != 0x09 })
        else {
            return "response \(index): bad status line \(show(statusLine))"
        }
        let status = Int(String(decoding: statusLine[9...11], as: UTF8.self))!
        var contentLength: Int?
        var chunked = false
        var json = false
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return "response \(index): header line without ':' \(line.debugDescription)" }
            let name = line[..<colon]
            guard !name.isEmpty, name.utf8.allSatisfy({ tokenBytes.contains($0) }) else { return "response \(index): bad header name \(line.debugDescription)" }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else { return "response \(index): control character in \(line.debugDescription)" }
            switch name.lowercased() {
            case "content-length":
                guard let length = Int(value), length >= 0, contentLength == nil || contentLength == length else {
                    return "response \(index): bad or conflicting Content-Length \(value.debugDescription)"
                }
                contentLength = length
            case "transfer-encoding":
                chunked = value.lowercased().contains("chunked")
            case "content-type":
                json = value.lowercased().hasPrefix("application/json")
            default:
                break
            }
        }
        k = headEnd + 4
        if (100..<200).contains(status) {
            guard status != 101 else { return "response \(index): a protocol switch (101)" }
            continue  // interim (100 Continue): no body
        }
        if status == 204 || status == 304 {
            guard (contentLength ?? 0) == 0 else { return "response \(index): \(status) with Content-Length \(contentLength!)" }
            continue
        }
        if chunked {
            var body: [UInt8] = []
            while true {
                guard let lineEnd = find(Array("\r\n".utf8), in: data, from: k) else { return exchange.reset ? nil : "response \(index): cut chunk size" }
                let sizeText = String(decoding: data[k ..< lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else { return "response \(index): bad chunk size" }
                k = lineEnd + 2
                if size == 0 {
                    guard let end = find(Array("\r\n".utf8), in: data, from: k) else { return exchange.reset ? nil : "response \(index): cut trailer" }
                    k = end + 2  // (no trailers are sent)
                    break
                }
                guard k + size + 2 <= data.count else { return exchange.reset ? nil : "response \(index): cut chunk" }
                body += data[k ..< k + size]
                k += size + 2
            }
            if json, let problem = jsonProblem(body) { return "response \(index): \(problem)" }
            continue
        }
        guard let length = contentLength else {
            return "response \(index): status \(status) with neither Content-Length nor chunked encoding"
        }
        // A HEAD answer has the Content-Length of the body it does not send: the next response
        // (or the end) follows the head at once.
        if length > 0, k == data.count || data[k...].starts(with: Array("HTTP/".utf8)) { continue }
        guard k + length <= data.count else {
            return exchange.reset ? nil : "response \(index): body cut at \(data.count - k) of \(length) bytes"
        }
        if json, let problem = jsonProblem(Array(data[k ..< k + length])) { return "response \(index): \(problem)" }
        k += length
    }
    return nil
}

func jsonProblem(_ body: [UInt8]) -> String? {
    do {
        _ = try JSONValue.parse(body)
        return nil
    } catch {
        return "an application/json body that is not JSON (\(error)): \(show(body))"
    }
}
