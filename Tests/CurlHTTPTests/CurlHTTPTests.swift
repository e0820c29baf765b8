import CurlHTTP
import Foundation
import TestSupport
import Testing

@Suite struct CurlHTTPTests {
    @Test func returnsStatusHeadersAndBodyAndKeepsTheConnectionAlive() async throws {
        let server = try FaultResponder(script: [
            .respond(status: 200, headers: ["X-One": "1"], body: Array("first".utf8)),
            .respond(status: 404, headers: ["X-Two": "2"], body: Array("second".utf8)),
            .respond(status: 200, headers: [:], body: []),
        ])
        let endpoint = server.endpoint
        let (first, second, third) = try await offPool {
            let connection = try CurlConnection()
            return (
                try connection.perform(HTTPRequest(url: endpoint + "/a")),
                try connection.perform(HTTPRequest(method: "POST", url: endpoint + "/b", headers: ["Content-Type": "text/plain"], body: Array("payload".utf8))),
                try connection.perform(HTTPRequest(method: "DELETE", url: endpoint + "/c"))
            )
        }
        #expect(first.status == 200)
        #expect(first.bodyText == "first")
        #expect(first.headers["x-one"] == "1")
        #expect(second.status == 404)
        #expect(second.headers["X-Two"] == "2")
        #expect(second.bodyText == "second")
        #expect(third.status == 200)
        #expect(server.connectionCount == 1)
        #expect(server.requests.map(\.method) == ["GET", "POST", "DELETE"])
        #expect(server.requests[1].body == Array("payload".utf8))
    }

    @Test func headerValuesLoseTheirSurroundingSpacesAndTabsButKeepInnerOnes() async throws {
        let server = try FaultResponder(script: [
            .respond(status: 200, headers: ["X-Padded": "\t  padded \t value \t ", "X-Empty": " \t", "X-Colon": "a:b: c"], body: []),
        ])
        let endpoint = server.endpoint
        let response = try await offPool { try CurlConnection().perform(HTTPRequest(url: endpoint + "/")) }
        #expect(response.headers["x-padded"] == "padded \t value")
        #expect(response.headers["X-EMPTY"] == "")
        #expect(response.headers["x-colon"] == "a:b: c")
        #expect(response.headers["content-length"] == "0")
    }

    @Test func sendsItsHeadersExactlyAndNoExpectOrDefaults() async throws {
        let server = try FaultResponder(script: [.respond(status: 200, headers: [:], body: [])])
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)  // big enough that curl would normally send Expect
        let endpoint = server.endpoint
        _ = try await offPool {
            try CurlConnection().perform(HTTPRequest(
                method: "POST", url: endpoint + "/",
                headers: ["Host": "signed.example:1234", "Content-Type": "application/x-amz-json-1.0", "X-Custom": "a", "x-custom": "b"],
                body: body
            ))
        }
        let request = try #require(server.requests.first)
        #expect(request.header("Host") == "signed.example:1234")
        #expect(request.header("Content-Type") == "application/x-amz-json-1.0")
        #expect(request.headers.filter { $0.name.lowercased() == "x-custom" }.map(\.value) == ["a", "b"])
        #expect(request.header("Expect") == nil)
        #expect(request.header("Accept") == nil)
        #expect(request.header("Content-Length") == "200000")
        #expect(request.body.count == 200_000)
    }

    @Test func postWithoutContentTypeSendsNone() async throws {
        let server = try FaultResponder(script: [.respond(status: 204, headers: [:], body: [])])
        let endpoint = server.endpoint
        let response = try await offPool { try CurlConnection().perform(HTTPRequest(method: "POST", url: endpoint, body: Array("{}".utf8))) }
        #expect(response.status == 204)
        #expect(server.requests.first?.header("Content-Type") == nil)
    }

    @Test func totalTimeoutIsTyped() async throws {
        let server = try FaultResponder(script: [.delayed(milliseconds: 2000, status: 200, headers: [:], body: [])])
        let endpoint = server.endpoint
        let (kind, elapsed) = try await offPool { () -> (HTTPError.Kind?, Duration) in
            let started = ContinuousClock.now
            do {
                _ = try CurlConnection().perform(HTTPRequest(url: endpoint, timeouts: HTTPTimeouts(connect: .seconds(1), total: .milliseconds(300))))
                return (nil, ContinuousClock.now - started)
            } catch {
                return ((error as? HTTPError)?.kind, ContinuousClock.now - started)
            }
        }
        #expect(kind == .timedOut)
        #expect(elapsed < .milliseconds(1500))
    }

    @Test func noTimeoutWaitsForASlowAnswer() async throws {
        let server = try FaultResponder(script: [.delayed(milliseconds: 400, status: 200, headers: [:], body: Array("late".utf8))])
        let endpoint = server.endpoint
        let response = try await offPool { try CurlConnection().perform(HTTPRequest(url: endpoint, timeouts: .none)) }
        #expect(response.bodyText == "late")
    }

    @Test func connectionRefusedIsTyped() throws {
        let refusing = try RefusingPort()  // bound, never listening: refused, and no one else's
        #expect {
            try CurlConnection().perform(HTTPRequest(url: "\(refusing.endpoint)/"))
        } throws: { error in
            (error as? HTTPError)?.kind == .connectionRefused
        }
    }

    @Test func connectionResetIsTyped() async throws {
        let server = try FaultResponder(script: [.reset])
        let endpoint = server.endpoint
        let kind = try await offPool { () -> HTTPError.Kind? in
            do { _ = try CurlConnection().perform(HTTPRequest(url: endpoint)); return nil } catch { return (error as? HTTPError)?.kind }
        }
        #expect(kind == .connectionReset)
    }

    @Test func unsupportedSchemeIsInvalidRequest() throws {
        #expect {
            try CurlConnection().perform(HTTPRequest(url: "ftp://127.0.0.1/"))
        } throws: { error in
            (error as? HTTPError)?.kind == .invalidRequest
        }
    }

    @Test func pooledClientRunsConcurrentRequestsOnBoundedConnections() async throws {
        let server = try FaultResponder { request, _ in
            .delayed(milliseconds: 50, status: 200, headers: [:], body: Array(request.path.utf8))
        }
        let client = CurlHTTPClient(maxConnections: 3)
        let paths = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<12 {
                group.addTask { try await client.send(HTTPRequest(url: server.endpoint + "/\(index)")).bodyText }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(paths) == Set((0..<12).map { "/\($0)" }))
        #expect(server.connectionCount <= 3)
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        // The server would answer 200 after 20 s. Ending in `.cancelled` proves the transfer was
        // aborted rather than completed; no stopwatch, since on a busy 2-core machine the task may
        // be resumed late by a cooperative pool full of CPU-bound tests.
        let server = try FaultResponder(script: [.delayed(milliseconds: 20_000, status: 200, headers: [:], body: [])])
        let client = CurlHTTPClient(maxConnections: 1)
        let task = Task { try await client.send(HTTPRequest(url: server.endpoint, timeouts: .none)) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        #expect(throws: HTTPError.self) { try result.get() }
        if case .failure(let error) = result { #expect((error as? HTTPError)?.kind == .cancelled) }
    }

    @Test func cancellationAbortsABlockingTransferPromptly() async throws {
        let server = try FaultResponder(script: [.delayed(milliseconds: 20_000, status: 200, headers: [:], body: [])])
        let endpoint = server.endpoint
        let (kind, elapsed) = try await offPool { () -> (HTTPError.Kind?, Duration) in
            let cancellation = CurlCancellation()
            Thread { usleep(200_000); cancellation.cancel() }.start()
            let started = ContinuousClock.now
            do {
                _ = try CurlConnection().perform(HTTPRequest(url: endpoint, timeouts: .none), cancellation: cancellation)
                return (nil, ContinuousClock.now - started)
            } catch {
                return ((error as? HTTPError)?.kind, ContinuousClock.now - started)
            }
        }
        #expect(kind == .cancelled)
        #expect(elapsed < .milliseconds(1800))  // libcurl checks the flag at least once a second
    }

    @Test func caBundleComesFromTheEnvironmentFirst() {
        #expect(CABundle.defaultPath(environment: ["CURL_CA_BUNDLE": "/a", "SSL_CERT_FILE": "/b"]) == "/a")
        #expect(CABundle.defaultPath(environment: ["SSL_CERT_FILE": "/b"]) == "/b")
        let probed = CABundle.defaultPath(environment: [:])
        #expect(probed == nil || CABundle.knownPaths.contains(probed!))
    }
}
