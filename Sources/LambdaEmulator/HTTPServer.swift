import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One HTTP request, read to its end.
struct ServerRequest: Sendable {
    var method: HTTPMethod
    /// The request target as sent (`/path?query`).
    var uri: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    /// The body; empty when `bodyTooLarge`.
    var body: [UInt8]
    /// The body was over the server's limit and was discarded (or never sent: `Expect: 100-continue`).
    var bodyTooLarge: Bool
    /// The size the client declared (`Content-Length`) or sent, whichever is known.
    var bodySize: Int
    /// Trailer fields of a chunked body.
    var trailers: HTTPHeaders?
    /// The client's IP address.
    var remoteIP: String?

    /// The path part of the target (before `?`).
    var path: Substring {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// The query part of the target (after the first `?`), `""` when there is none.
    var query: Substring {
        guard let mark = uri.firstIndex(of: "?") else { return "" }
        return uri[uri.index(after: mark)...]
    }
}

/// An answer to write.
struct ServerResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer.
    static func json(_ status: Int, _ value: EmulatorJSON, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.bytes)
    }

    /// A Lambda API error answer: `{"errorType": type, "errorMessage": message}`.
    static func apiError(_ status: Int, type: String, message: String) -> ServerResponse {
        json(status, .object(["errorType": .string(type), "errorMessage": .string(message)]))
    }
}

/// Writes the one response a request gets, from any thread, at any later time (a long poll).
struct Responder: Sendable {
    let channel: any Channel
    /// Which connection the request came on (`HTTPServer` numbers them), to match `onClose`.
    let connection: UInt64
    let version: HTTPVersion
    let keepAlive: Bool
    let isHead: Bool
    let closeAfter: Bool

    /// Sends `response`; `written` learns whether it reached the socket.
    func send(_ response: ServerResponse, written: (@Sendable (Bool) -> Void)? = nil) {
        let channel = self.channel
        let close = closeAfter || !keepAlive
        let version = self.version
        let isHead = self.isHead
        let write: @Sendable () -> Void = {
            var headers = HTTPHeaders(response.headers)
            if response.status == 204 || response.status == 304 {
                headers.remove(name: "Content-Length")
            } else {
                headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
            }
            if close { headers.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            if !isHead, !response.body.isEmpty, response.status != 204, response.status != 304 {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: response.body))), promise: nil)
            }
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            done.whenComplete { outcome in
                if close { channel.close(promise: nil) }
                if let written {
                    if case .success = outcome { written(true) } else { written(false) }
                }
            }
        }
        if channel.eventLoop.inEventLoop { write() } else { channel.eventLoop.execute(write) }
    }
}

/// A small HTTP/1.1 server on SwiftNIO: it reads each request to its end (up to a body limit),
/// hands it to `onRequest` with a `Responder`, and tells `onClose` when a connection goes away.
/// Keep-alive, pipelining order and `Expect: 100-continue` are handled here.
final class HTTPServer: Sendable {
    typealias RequestHandler = @Sendable (ServerRequest, Responder) -> Void
    typealias CloseHandler = @Sendable (UInt64) -> Void

    let port: Int
    private let channel: any Channel
    private let connections: Connections

    final class Connections: Sendable {
        private struct State {
            var open: [UInt64: any Channel] = [:]
            var next: UInt64 = 0
            var closed = false
        }
        private let state = Mutex(State())

        /// Numbers a new connection; `nil` when the server is closing.
        func add(_ channel: any Channel) -> UInt64? {
            state.withLock { state in
                guard !state.closed else { return nil }
                state.next += 1
                state.open[state.next] = channel
                return state.next
            }
        }

        func remove(_ id: UInt64) {
            _ = state.withLock { $0.open.removeValue(forKey: id) }
        }

        func closeAll() -> [any Channel] {
            state.withLock { state in
                state.closed = true
                defer { state.open = [:] }
                return Array(state.open.values)
            }
        }
    }

    private init(port: Int, channel: any Channel, connections: Connections) {
        self.port = port
        self.channel = channel
        self.connections = connections
    }

    /// Binds `host:port` (`port` 0: a free one) and starts serving.
    /// - Parameter group: where the listener and its connections run; a single `EventLoop` keeps
    ///   every connection (and whatever its owner schedules there) on one thread.
    static func start(
        host: String, port: Int, maximumBodySize: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onRequest: @escaping RequestHandler, onClose: @escaping CloseHandler = { _ in }
    ) async throws -> HTTPServer {
        let connections = Connections()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // `tcpOption`, at IPPROTO_TCP: `socketOption(.tcp_nodelay)` is level SOL_SOCKET, where
            // option 1 is SO_DEBUG, which only root may set (every connection was closed otherwise).
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard let id = connections.add(channel) else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in
                    connections.remove(id)
                    onClose(id)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        RequestCollector(connection: id, maximumBodySize: maximumBodySize, onRequest: onRequest))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        guard let bound = channel.localAddress?.port else {
            try? await channel.close()
            throw LambdaEmulatorError("could not learn the port the server was bound to")
        }
        return HTTPServer(port: bound, channel: channel, connections: connections)
    }

    /// Stops listening and closes every open connection.
    func close() async {
        try? await channel.close()
        for connection in connections.closeAll() {
            try? await connection.close()
        }
    }
}

/// Collects one request at a time (head, body, end) and dispatches it.
private final class RequestCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: UInt64
    private let maximumBodySize: Int
    private let onRequest: HTTPServer.RequestHandler
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var received = 0
    private var tooLarge = false
    private var answeredEarly = false

    init(connection: UInt64, maximumBodySize: Int, onRequest: @escaping HTTPServer.RequestHandler) {
        self.connection = connection
        self.maximumBodySize = maximumBodySize
        self.onRequest = onRequest
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = context.channel.allocator.buffer(capacity: 0)
            received = 0
            answeredEarly = false
            let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
            tooLarge = (declared ?? 0) > maximumBodySize
            if let declared { received = declared }
            let expectsContinue = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
            if expectsContinue {
                if tooLarge {
                    // Refuse before the body is sent; the connection cannot be reused after that.
                    answeredEarly = true
                    dispatch(context: context, head: head, trailers: nil, closeAfter: true)
                } else {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
                }
            }
        case .body(var chunk):
            guard !tooLarge else { return }
            if head?.headers.first(name: "content-length") == nil { received += chunk.readableBytes }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maximumBodySize {
                tooLarge = true
                received = max(received, (body?.readableBytes ?? 0) + chunk.readableBytes)
                body = nil
                return
            }
            body?.writeBuffer(&chunk)
        case .end(let trailers):
            guard let head else { return }
            defer {
                self.head = nil
                body = nil
            }
            guard !answeredEarly else { return }
            dispatch(context: context, head: head, trailers: trailers, closeAfter: false)
        }
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead, trailers: HTTPHeaders?, closeAfter: Bool) {
        let bytes = tooLarge ? [] : body.map { Array($0.readableBytesView) } ?? []
        let request = ServerRequest(
            method: head.method, uri: head.uri, version: head.version, headers: head.headers,
            body: bytes, bodyTooLarge: tooLarge, bodySize: tooLarge ? received : bytes.count, trailers: trailers,
            remoteIP: context.channel.remoteAddress?.ipAddress
        )
        let responder = Responder(
            channel: context.channel, connection: connection, version: head.version,
            keepAlive: head.isKeepAlive, isHead: head.method == .HEAD, closeAfter: closeAfter
        )
        onRequest(request, responder)
    }
}
