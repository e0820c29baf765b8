import TestSupport
import Testing

/// The shared runner the CLI, emulate and serve tests use (no server needed).
@Suite struct ChildProcessRunnerTests {
    /// 256 KiB on standard error before a word on standard output: reading standard output to its
    /// end first would wait forever on a child blocked on its full standard-error pipe.
    @Test func aChildThatFillsStandardErrorFirstDoesNotHang() async throws {
        let output = try await ChildProcessRunner.runOffPool("/bin/sh", ["-c", "head -c 262144 /dev/zero | tr '\\0' e >&2; echo done; exit 3"])
        #expect(output.status == 3)
        #expect(output.stdout == "done\n")
        #expect(output.stderr.utf8.count == 262_144)
        #expect(output.stderr.utf8.allSatisfy { $0 == UInt8(ascii: "e") })
    }

    @Test func aServerIsReadLineByLineWhileItRuns() async throws {
        let child = try ChildProcessRunner.start("/bin/sh", ["-c", "echo starting; echo 'ACCEPT 127.0.0.1:4242'; exec sleep 60"])
        let line = try await offPool { child.waitForLine(timeout: .seconds(10)) { $0.hasPrefix("ACCEPT ") } }
        #expect(line == "ACCEPT 127.0.0.1:4242")
        #expect(try await offPool { child.waitUntilExit(timeout: .milliseconds(100)) == nil })
        let stopped = try await offPool { child.stop() }
        #expect(stopped.status == 9)  // SIGKILL
        #expect(stopped.stdout == "starting\nACCEPT 127.0.0.1:4242\n")
    }
}
