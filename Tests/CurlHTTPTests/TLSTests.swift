import CurlHTTP
import Foundation
import TestSupport
import Testing

/// HTTPS against a local `openssl s_server` with a self-signed certificate for `localhost`:
/// the peer is verified (untrusted → `.tls`), and trusting its certificate makes it work.
@Suite(.serialized) struct TLSTests {
    final class TLSServer {
        let directory: URL
        let key: URL
        let certificate: URL
        let port: Int
        let process = Process()

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            key = directory.appendingPathComponent("key.pem")
            certificate = directory.appendingPathComponent("cert.pem")
            try Self.run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                          "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                                          "-keyout", key.path, "-out", certificate.path])
            let probe = try FaultResponder(script: [])
            port = probe.port
            probe.stop()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate.path, "-key", key.path, "-www", "-quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if (try? CurlConnection(caBundlePath: certificate.path).perform(request)) != nil { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            throw POSIXError(.ETIMEDOUT)
        }

        var request: HTTPRequest { HTTPRequest(url: "https://localhost:\(port)/", timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(5))) }

        deinit {
            // SIGKILL, not terminate(): the child inherits the test runner's blocked signal mask,
            // so openssl would never see SIGTERM and waitUntilExit() would hang.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }

        static func run(_ executable: String, _ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw POSIXError(.EINVAL) }
        }
    }

    @Test func untrustedCertificateIsATLSError() async throws {
        let kind = try await offPool { () -> HTTPError.Kind? in
            let server = try TLSServer()
            do {
                _ = try CurlConnection(caBundlePath: CABundle.defaultPath(environment: [:])).perform(server.request)
                return nil
            } catch {
                return (error as? HTTPError)?.kind
            }
        }
        #expect(kind == .tls)
    }

    @Test func trustedCertificateWorks() async throws {
        let status = try await offPool {
            let server = try TLSServer()
            return try CurlConnection(caBundlePath: server.certificate.path).perform(server.request).status
        }
        #expect(status == 200)
    }
}
