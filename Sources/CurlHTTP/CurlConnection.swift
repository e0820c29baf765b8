import CCurl
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cancellation signal for one in-flight request. libcurl polls it while transferring.
public final class CurlCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One libcurl easy handle: a blocking HTTP/1.1 client that keeps its connection alive
/// between requests to the same host.
///
/// Thread-safety: a `CurlConnection` is **not** safe for concurrent use. Give each thread
/// (or each concurrent request) its own, or use `CurlHTTPClient`, which pools connections
/// for async callers. Sequential use from one thread, as in the Lambda runtime loop, is
/// the cheapest way to use libcurl and needs nothing else.
public final class CurlConnection {
    private let handle: UnsafeMutableRawPointer
    private let caBundlePath: String?

    /// - Parameter caBundlePath: PEM file of trusted CA certificates for HTTPS;
    ///   `nil` keeps libcurl's built-in default. See `CABundle.defaultPath()`.
    public init(caBundlePath: String? = CABundle.defaultPath()) throws(HTTPError) {
        CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw HTTPError(kind: .other, message: "curl_easy_init failed", url: "")
        }
        self.handle = handle
        self.caBundlePath = caBundlePath
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Sends `request` and blocks until the full response has arrived or the transfer failed.
    /// A body is sent for every method but GET and HEAD.
    public func perform(
        _ request: HTTPRequest,
        cancellation: CurlCancellation? = nil
    ) throws(HTTPError) -> HTTPResponse {
        // Reset clears the previous request's options but keeps live connections,
        // the DNS cache and TLS sessions, so keep-alive still works.
        curl_easy_reset(handle)
        let collector = ResponseCollector(cancellation: cancellation)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        let setupError: HTTPError? = configure(request, collector: collector, headerList: &headerList)
        if let setupError { throw setupError }

        let code: CURLcode = request.body.withUnsafeBytes { bytes in
            if request.method != "GET" && request.method != "HEAD" {
                // POSTFIELDS does not copy: the bytes must stay valid through perform.
                // A zero-length body still needs a valid pointer.
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(emptyBody)
                _ = ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer)
                _ = ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            }
            return withExtendedLifetime(collector) { curl_easy_perform(handle) }
        }

        guard code == CURLE_OK else {
            throw transportError(code, collector: collector, url: request.url)
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }

    private func configure(
        _ request: HTTPRequest,
        collector: ResponseCollector,
        headerList: inout UnsafeMutablePointer<curl_slist>?
    ) -> HTTPError? {
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            return HTTPError(kind: .invalidRequest, message: "only http:// and https:// URLs are supported", url: request.url)
        }
        setLong(CURLOPT_NOSIGNAL, 1)
        setLong(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        setLong(CURLOPT_TCP_KEEPALIVE, 1)
        setLong(CURLOPT_FOLLOWLOCATION, 0)
        setLong(CURLOPT_SSL_VERIFYPEER, 1)
        setLong(CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundlePath { _ = ccurl_setopt_string(handle, CURLOPT_CAINFO, caBundlePath) }
        if ccurl_setopt_string(handle, CURLOPT_URL, request.url) != CURLE_OK {
            return HTTPError(kind: .invalidRequest, message: "libcurl rejected the URL", url: request.url)
        }
        _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, collector.errorBuffer)

        switch request.method {
        case "GET": setLong(CURLOPT_HTTPGET, 1)
        case "HEAD": setLong(CURLOPT_NOBODY, 1)
        case "POST": setLong(CURLOPT_POST, 1)
        default: _ = ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }

        if let connect = request.timeouts.connect { setLong(CURLOPT_CONNECTTIMEOUT_MS, max(1, connect.milliseconds)) }
        if let total = request.timeouts.total { setLong(CURLOPT_TIMEOUT_MS, max(1, total.milliseconds)) }

        // Our headers, exactly as given. Then blank out the ones libcurl would add on its own:
        // no `Expect: 100-continue` round trip, no default form Content-Type, no Accept.
        var given = Set<String>()
        for field in request.headers {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
            given.insert(field.name.lowercased())
        }
        for name in ["Expect", "Content-Type", "Accept"] where !given.contains(name.lowercased()) {
            headerList = curl_slist_append(headerList, "\(name):")
        }
        _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = ccurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody)
        _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader)
        _ = ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        if collector.cancellation != nil {
            setLong(CURLOPT_NOPROGRESS, 0)
            _ = ccurl_setopt_xferinfo_callback(handle, curlProgress)
            _ = ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
        }
        return nil
    }

    private func setLong(_ option: CURLoption, _ value: Int) {
        _ = ccurl_setopt_long(handle, option, value)
    }

    private func transportError(_ code: CURLcode, collector: ResponseCollector, url: String) -> HTTPError {
        var osErrno = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        let detail = collector.errorMessage
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: HTTPError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT:
            kind = .connectionRefused
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .dnsFailure
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_USE_SSL_FAILED:
            kind = .tls
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            kind = osErrno == Int(ECONNREFUSED) ? .connectionRefused : .connectionReset
        case CURLE_ABORTED_BY_CALLBACK where collector.cancellation?.isCancelled == true:
            kind = .cancelled
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            kind = .invalidRequest
        default:
            kind = .other
        }
        // What arrived before the failure: a reply cut midway is still the caller's to read.
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let partial = status > 0 ? HTTPResponse(status: status, headers: collector.headers, body: collector.body) : nil
        return HTTPError(kind: kind, message: message, curlCode: Int(code.rawValue), url: url, partialResponse: partial)
    }
}

/// A valid pointer for zero-length bodies.
nonisolated(unsafe) private let emptyBody = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

/// Accumulates one response while libcurl runs its callbacks on the calling thread.
private final class ResponseCollector {
    var headers = HTTPHeaders()
    var body: [UInt8] = []
    let cancellation: CurlCancellation?
    /// The largest `Content-Length` reserved up front.
    static let largestReserve = 64 << 20
    /// libcurl writes a NUL-terminated message here on failure (CURL_ERROR_SIZE bytes).
    let errorBuffer: UnsafeMutablePointer<CChar>

    init(cancellation: CurlCancellation?) {
        self.cancellation = cancellation
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit { errorBuffer.deallocate() }

    var errorMessage: String {
        String(cString: errorBuffer).trimmingTrailingNewlines()
    }

    func headerLine(_ bytes: UnsafeRawBufferPointer) {
        // Bytes, not Characters: this runs for every header line of every response.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 10 || bytes[end - 1] == 13 { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (after 100 Continue or a redirect): only the final response counts.
            headers = HTTPHeaders()
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        var start = colon + 1
        var stop = line.count
        while start < stop, line[start] == 32 || line[start] == 9 { start += 1 }
        while stop > start, line[stop - 1] == 32 || line[stop - 1] == 9 { stop -= 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<stop]), as: UTF8.self)
        headers.add(name, value)
        // One allocation of the announced size instead of doubling past it (a 1 MB Query page
        // would otherwise end in a 2 MB buffer); a lying length only costs a larger reserve.
        if HTTPHeaders.sameName(name, "content-length"), let length = Int(value), length > 0, length <= Self.largestReserve {
            body.reserveCapacity(length)
        }
    }
}

private let curlWriteBody: ccurl_data_callback = { pointer, size, count, context in
    let length = size * count
    guard let pointer, let context else { return length }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    collector.body.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: length))
    return length
}

private let curlWriteHeader: ccurl_data_callback = { pointer, size, count, context in
    let length = size * count
    guard let pointer, let context else { return length }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    collector.headerLine(UnsafeRawBufferPointer(start: pointer, count: length))
    return length
}

private let curlProgress: ccurl_xferinfo_callback = { context, _, _, _, _ in
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    return collector.cancellation?.isCancelled == true ? 1 : 0
}

/// `curl_global_init` must run once, before any other libcurl call.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func ensureInitialized() { _ = initialized }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a tiny positive limit never becomes "no limit".
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(clamping: millis)
    }
}

extension StringProtocol {
    func trimmingTrailingNewlines() -> String {
        var end = endIndex
        while end > startIndex, let last = self[index(before: end)].asciiValue, last == 10 || last == 13 {
            end = index(before: end)
        }
        return String(self[startIndex..<end])
    }
}
