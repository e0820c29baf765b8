import ExactJSON
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a `FaultResponder` acting as a proxy alters the upstream server's answer.
public enum UpstreamFault: Sendable {
    /// Pass the answer back unchanged.
    case faithfully
    /// Wait, then pass it back: latency.
    case delayed(milliseconds: Int)
    /// The upstream did the work; the client gets a TCP RST instead of the answer.
    case resetAfterForwarding
    /// Send the status line and headers (with the full `Content-Length`), then a TCP RST.
    case resetAfterHeaders
    /// Send the headers and only the first `keep` bytes of the body, then close.
    case truncated(keep: Int)
    /// Pass the answer back with an `x-amz-crc32` that does not match its body.
    case wrongCRC
    /// For a BatchWriteItem: the upstream wrote every item, and the answer says that none was
    /// (`UnprocessedItems` holds the whole request), so the client sends them all again.
    case claimingUnprocessed
}

/// The upstream's answer to one relayed request.
struct UpstreamAnswer {
    var status: Int
    /// Without the framing fields (`Content-Length`, `Transfer-Encoding`, `Connection`), which
    /// the proxy writes itself.
    var headers: [String: String]
    var body: [UInt8]
}

/// One request relayed to 127.0.0.1:`port` over a fresh connection, and its answer read whole.
enum UpstreamExchange {
    static func relay(_ request: RecordedRequest, toPort port: Int) -> UpstreamAnswer? {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return nil }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }

        var head = "\(request.method) \(request.path) HTTP/1.1\r\n"
        for header in request.headers where !["connection", "content-length"].contains(header.name.lowercased()) {
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + request.body
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard result > 0 else { return nil }
            sent += result
        }

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socketFD, &chunk, chunk.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: chunk[..<count])
        }
        return parse(received)
    }

    /// A whole HTTP/1.1 response, framed by `Content-Length`, chunked coding or the end of the connection.
    static func parse(_ bytes: [UInt8]) -> UpstreamAnswer? {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10] as [UInt8])?.lowerBound else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name.lowercased() {
            case "content-length": length = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": break
            default: headers[name] = value
            }
        }
        let rest = Array(bytes[(end + 4)...])
        if chunked { return dechunk(rest).map { UpstreamAnswer(status: status, headers: headers, body: $0) } }
        if let length { guard rest.count >= length else { return nil }; return UpstreamAnswer(status: status, headers: headers, body: Array(rest.prefix(length))) }
        return UpstreamAnswer(status: status, headers: headers, body: rest)
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10] as [UInt8])?.lowerBound,
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).prefix { $0 != ";" }, radix: 16)
            else { return nil }
            index = lineEnd + 2
            if size == 0 { return body }
            guard index + size <= bytes.count else { return nil }
            body.append(contentsOf: bytes[index..<(index + size)])
            index += size + 2
        }
    }

    /// `{"UnprocessedItems": <the request's RequestItems>}` for a BatchWriteItem request body.
    static func everyItemUnprocessed(_ requestBody: [UInt8]) -> [UInt8] {
        let items = (try? JSONValue.parse(requestBody))?["RequestItems"] ?? .object([])
        return JSONValue.object([.init(key: "UnprocessedItems", value: items)]).serializedBytes()
    }
}
