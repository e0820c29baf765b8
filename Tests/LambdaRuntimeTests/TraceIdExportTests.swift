import Foundation
import LambdaRuntime
import Testing

/// `LambdaRuntime.exportTraceId`: the real exporter, on the process environment. The only tests
/// that touch `_X_AMZN_TRACE_ID`, serialized so that they never see each other's values.
@Suite(.serialized) struct TraceIdExportTests {
    static let name = "_X_AMZN_TRACE_ID"

    /// The variable as C sees it now.
    static var current: String? { getenv(name).map { String(cString: $0) } }

    /// A distinct trace id of `length` bytes (never shorter than its head, about 60 bytes).
    static func traceId(_ index: Int, length: Int = 200) -> String {
        let head = "Root=1-65a4f1c0-\(String(index, radix: 16));Parent=9a9197af755a6419;Sampled=1;Pad="
        return head + String(repeating: "x", count: max(0, length - head.utf8.count))
    }

    @Test func exportsTheTraceIdPerInvocationAndClearsItWhenAbsent() async throws {
        let api = try FakeRuntimeAPI([
            .make("req-1", extra: ["Lambda-Runtime-Trace-Id": "Root=1-65a4f1c0-0123456789abcdef01234567;Sampled=1"]),
            .make("req-2"),
        ])
        let seen = Recorded<String>()
        let handler = ClosureLambdaHandler { _, _ in
            seen.append(ProcessInfo.processInfo.environment[Self.name] ?? "<unset>")
            return []
        }
        // The real exporter, through the loop.
        let termination = try await runLoop(api, options: .init(maxInvocations: 2), traces: nil, handler: handler)

        #expect(termination.exitCode == 0)
        #expect(seen.values == ["Root=1-65a4f1c0-0123456789abcdef01234567;Sampled=1", "<unset>"])
        #expect(getenv(Self.name) == nil)
    }

    @Test func getenvSeesExactlyEachNewValueAndNilUnsetsIt() {
        defer { LambdaRuntime.exportTraceId(nil) }
        // Long, then shorter (no tail of the longer one may show), growing past every buffer,
        // the same value twice, the empty value.
        let values = [
            Self.traceId(1, length: 300), "Root=1-a", Self.traceId(2, length: 40), Self.traceId(3, length: 5000),
            "Root=1-b", Self.traceId(4, length: 20_000), Self.traceId(5, length: 64), "Root=1-b", "Root=1-b", "",
            Self.traceId(6, length: 32 * 1024),
        ]
        for value in values {
            LambdaRuntime.exportTraceId(value)
            #expect(Self.current == value)
            #expect(ProcessInfo.processInfo.environment[Self.name] == value)
        }
        LambdaRuntime.exportTraceId(nil)
        #expect(Self.current == nil)
        #expect(ProcessInfo.processInfo.environment[Self.name] == nil)
        LambdaRuntime.exportTraceId(nil)
        #expect(Self.current == nil)

        // Set, unset, set, again and again: each time exactly the value, or nothing.
        for index in 0..<1000 {
            let value = Self.traceId(index, length: 50 + index % 300)
            LambdaRuntime.exportTraceId(value)
            #expect(Self.current == value)
            LambdaRuntime.exportTraceId(nil)
            #expect(Self.current == nil)
        }
        LambdaRuntime.exportTraceId("Root=1-c")
        #expect(Self.current == "Root=1-c")
    }

    @Test func anEmbeddedNULCutsTheValueAndAnAbsurdLengthUnsetsIt() {
        defer { LambdaRuntime.exportTraceId(nil) }
        // What C can see of it: the bytes before the NUL (as `setenv` had it).
        LambdaRuntime.exportTraceId("Root=1-abc\0;Sampled=1")
        #expect(Self.current == "Root=1-abc")
        LambdaRuntime.exportTraceId("\0Root=1-abc")
        #expect(Self.current == "")

        // Refused: removed, so that the previous value never stands for this invocation's id.
        LambdaRuntime.exportTraceId("Root=1-before")
        // (`getenv`, not the value: a failure must not print a megabyte.)
        LambdaRuntime.exportTraceId(String(repeating: "y", count: 1 << 20))
        #expect(getenv(Self.name) == nil)
        LambdaRuntime.exportTraceId(String(repeating: "z", count: 32 * 1024 + 1))
        #expect(getenv(Self.name) == nil)
        // Long, but a NUL within the limit: the part before it.
        LambdaRuntime.exportTraceId("Root=1-cut\0" + String(repeating: "y", count: 1 << 20))
        #expect(Self.current == "Root=1-cut")
        // And it still works afterwards.
        LambdaRuntime.exportTraceId(Self.traceId(7))
        #expect(Self.current == Self.traceId(7))
    }

    @Test func callsFromManyThreadsAtOnceLeaveOneWholeValue() {
        defer { LambdaRuntime.exportTraceId(nil) }
        let threads = 4, perThread = 2000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                LambdaRuntime.exportTraceId(index % 7 == 6 ? nil : Self.traceId(thread * perThread + index, length: 40 + index % 500))
            }
        }
        LambdaRuntime.exportTraceId(Self.traceId(-1))
        #expect(Self.current == Self.traceId(-1))
    }

    #if canImport(Glibc)
    /// Bytes of C heap in use, in every arena of the process: what `mallinfo2().uordblks` counts,
    /// read from `malloc_info` as the arenas' system bytes less their free ones. (Swift's Glibc
    /// module leaves out <malloc.h>, so `mallinfo2` cannot be called; `malloc_info` takes only
    /// an int and a `FILE *`, so it can be called by name.)
    static func cHeapInUse() -> Int? {
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(nil, "malloc_info") else { return nil }
        var text: UnsafeMutablePointer<CChar>?
        var length = 0
        guard let stream = open_memstream(&text, &length) else { return nil }
        let status = unsafeBitCast(symbol, to: MallocInfo.self)(0, stream)
        fclose(stream)
        defer { free(text) }
        guard status == 0, let text else { return nil }
        // The process's totals follow the last arena's `</heap>`.
        let xml = String(cString: text)
        guard let totals = xml.range(of: "</heap>", options: .backwards).map({ xml[$0.upperBound...] }) else { return nil }
        // `size="…"` of the first element that starts with `tag`.
        func size(_ tag: String) -> Int? {
            guard let element = totals.range(of: tag)?.upperBound,
                  let start = totals[element...].range(of: #"size=""#)?.upperBound,
                  let end = totals[start...].firstIndex(of: "\"") else { return nil }
            return Int(totals[start..<end])
        }
        guard let system = size(#"<system type="current""#),
              let fast = size(#"<total type="fast""#),
              let rest = size(#"<total type="rest""#) else { return nil }
        return system - fast - rest
    }

    /// The leak itself: glibc's `setenv` kept every `_X_AMZN_TRACE_ID=…` string it made. With
    /// ids of 2,000 bytes that is about 2.06 KB of C heap per call, 20.6 MB per round of 10,000.
    ///
    /// The C heap is the whole process's (other suites run in parallel and allocate too), so
    /// this takes the smallest growth of five rounds: another test's allocations can only hide
    /// a leak in some rounds, never make a round without one look leaky in all five.
    ///
    /// Measured (debug build, 2 busy cores, about 2 s): with `setenv`, every round grew by
    /// 20,640,000 to 20,640,080 bytes. With `putenv` and the runtime's own buffers, the smallest
    /// round was 0 or less in each run; single rounds grew by up to 1,278,465 bytes while
    /// TraceIdLeakTests ran beside them (its fake Runtime API keeps every request).
    @Test func fiftyThousandDistinctTraceIdsDoNotGrowTheCHeap() throws {
        defer { LambdaRuntime.exportTraceId(nil) }
        let rounds = 5, perRound = 10_000
        var growths: [Int] = []
        var mismatches = 0
        // Warm up: the buffers' first allocations, `environ` gaining the entry.
        for index in 0..<100 { LambdaRuntime.exportTraceId(Self.traceId(-index)) }
        for round in 0..<rounds {
            let before = try #require(Self.cHeapInUse())
            for index in 0..<perRound {
                let value = Self.traceId(round * perRound + index, length: 2000)
                LambdaRuntime.exportTraceId(value)
                let exact = value.withCString { expected in getenv(Self.name).map { strcmp($0, expected) == 0 } ?? false }
                if !exact { mismatches += 1 }
            }
            growths.append(try #require(Self.cHeapInUse()) - before)
        }
        #expect(mismatches == 0)
        #expect(growths.min()! < 4 << 20, "C heap growth per \(perRound) calls, each round: \(growths)")
    }
    #endif
}
