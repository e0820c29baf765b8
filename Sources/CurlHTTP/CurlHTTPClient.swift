import Dispatch
import Synchronization

/// An async HTTP/1.1 client over libcurl, safe to share between tasks and threads.
///
/// It keeps a pool of `CurlConnection`s (one libcurl easy handle each). A request checks
/// one out, runs the blocking transfer on that connection's own dispatch queue (never on
/// the Swift concurrency pool), and returns it, so connections stay alive between
/// requests. At most `maxConnections` requests run at once; further callers wait their
/// turn in arrival order. Cancelling the calling task aborts its transfer.
public final class CurlHTTPClient: HTTPTransport {
    /// A connection checked out of the pool is used by exactly one request at a time,
    /// on its own serial queue; the pool's mutex guards handing it over.
    private final class Slot: @unchecked Sendable {
        let connection: CurlConnection
        let queue: DispatchQueue
        init(connection: CurlConnection, index: Int) {
            self.connection = connection
            self.queue = DispatchQueue(label: "CurlHTTPClient.connection.\(index)")
        }
    }

    private struct PoolState {
        var idle: [Slot] = []
        var created = 0
        var waiters: [CheckedContinuation<Slot, Never>] = []
    }

    public let maxConnections: Int
    private let caBundlePath: String?
    private let state = Mutex(PoolState())

    public init(maxConnections: Int = 8, caBundlePath: String? = CABundle.defaultPath()) {
        precondition(maxConnections > 0, "maxConnections must be positive")
        self.maxConnections = maxConnections
        self.caBundlePath = caBundlePath
    }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let slot = try await checkOut(for: request.url)
        defer { checkIn(slot) }
        let cancellation = CurlCancellation()
        let result: Result<HTTPResponse, HTTPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                slot.queue.async {
                    do throws(HTTPError) {
                        continuation.resume(returning: .success(try slot.connection.perform(request, cancellation: cancellation)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    private func checkOut(for url: String) async throws(HTTPError) -> Slot {
        enum Decision { case ready(Slot), create(Int), wait }
        let decision: Decision = state.withLock { state in
            if let slot = state.idle.popLast() { return .ready(slot) }
            if state.created < maxConnections {
                state.created += 1
                return .create(state.created)
            }
            return .wait
        }
        switch decision {
        case .ready(let slot):
            return slot
        case .create(let index):
            do throws(HTTPError) {
                return Slot(connection: try CurlConnection(caBundlePath: caBundlePath), index: index)
            } catch {
                state.withLock { $0.created -= 1 }
                throw HTTPError(kind: error.kind, message: error.message, curlCode: error.curlCode, url: url)
            }
        case .wait:
            return await withCheckedContinuation { continuation in
                let handedOver: Slot? = state.withLock { state in
                    // A connection may have come back between the two locks.
                    if let slot = state.idle.popLast() { return slot }
                    state.waiters.append(continuation)
                    return nil
                }
                if let handedOver { continuation.resume(returning: handedOver) }
            }
        }
    }

    private func checkIn(_ slot: Slot) {
        let waiter: CheckedContinuation<Slot, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(slot)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: slot)
    }
}
