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
        private let server: RunningChildProcess

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("ai-usage-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            key = directory.appendingPathComponent("key.pem")
            certificate = directory.appendingPathComponent("cert.pem")
            let made = try ChildProcessRunner.run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                                                   "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                                                                   "-keyout", key.path, "-out", certificate.path])
            guard made.status == 0 else {
                try? FileManager.default.removeItem(at: directory)
                throw TLSServerError("openssl req failed (\(made.status)): \(made.stderr)")
            }
            // Port 0: the kernel picks a free port while s_server binds it, and s_server prints
            // "ACCEPT 127.0.0.1:<port>" once it listens (so no -quiet, which would hide that line).
            server = try ChildProcessRunner.start("/usr/bin/env", ["openssl", "s_server", "-accept", "127.0.0.1:0",
                                                                   "-cert", certificate.path, "-key", key.path, "-www"])
            guard let line = server.waitForLine(timeout: .seconds(10), where: { $0.hasPrefix("ACCEPT ") }),
                  let bound = line.split(separator: ":").last.flatMap({ Int($0) }) else {
                let output = server.stop()
                try? FileManager.default.removeItem(at: directory)
                throw TLSServerError("openssl s_server did not report its port (status \(output.status)): \(output.stdout) \(output.stderr)")
            }
            port = bound
        }

        var request: HTTPRequest { HTTPRequest(url: "https://localhost:\(port)/", timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(5))) }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    struct TLSServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
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
