// Helpers shared by the fuzz targets: failing an invariant the way libFuzzer notices, reading
// structured values out of the fuzz bytes, and waiting for async work from the synchronous
// `LLVMFuzzerTestOneInput`.
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Stops the process with `message` on standard error when `condition` is false: libFuzzer sees
/// the abort as a crash and saves the input that caused it.
@inline(__always)
public func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fail(message(), file: file, line: line) }
}

/// Stops the process with `message` (an invariant that does not hold).
public func fail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let text = "\n==== fuzz invariant failed at \(file):\(line)\n\(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { buffer in
        write(2, buffer.baseAddress, buffer.count - 1)
    }
    abort()
}

/// A short, printable rendering of bytes or text for failure messages.
public func show(_ bytes: some Collection<UInt8>, limit: Int = 300) -> String {
    let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
    return text.debugDescription + (bytes.count > limit ? "… (\(bytes.count) bytes)" : "")
}

/// Reads values from the front of the fuzz input, like LLVM's FuzzedDataProvider: when the
/// bytes run out every read returns zero or empty.
public struct FuzzReader {
    public private(set) var bytes: ArraySlice<UInt8>

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = size > 0 && data != nil ? ArraySlice(UnsafeBufferPointer(start: data, count: size)) : []
    }

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    public var isEmpty: Bool { bytes.isEmpty }

    public mutating func byte() -> UInt8 {
        bytes.popFirst() ?? 0
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// An integer in `range`, from up to 8 bytes.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound)
        if span == 0 { return range.lowerBound }
        var value: UInt64 = 0
        var bits = 0
        while bits < 64, span >> bits != 0 {
            value = value << 8 | UInt64(byte())
            bits += 8
        }
        return range.lowerBound + Int(value % (span &+ 1 == 0 ? UInt64.max : span + 1))
    }

    /// Up to `maximum` bytes, the length given by the first byte(s).
    public mutating func bytes(maximum: Int) -> [UInt8] {
        let count = Swift.min(int(in: 0...maximum), bytes.count)
        let taken = Array(bytes.prefix(count))
        bytes.removeFirst(count)
        return taken
    }

    /// Text up to `maximum` bytes, ill-formed UTF-8 repaired (U+FFFD).
    public mutating func string(maximum: Int) -> String {
        String(decoding: bytes(maximum: maximum), as: UTF8.self)
    }

    /// Everything left.
    public mutating func rest() -> [UInt8] {
        defer { bytes = [] }
        return Array(bytes)
    }
}

/// Signals when the task that captured it is gone.
private final class Released: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    deinit { semaphore.signal() }
}

/// Runs `body` on Swift's concurrency pool and waits for it on this (libFuzzer's) thread, and
/// then for the task itself to be freed: libFuzzer's per-input leak check compares the input's
/// mallocs and frees, and a task still being torn down would make every input look leaky.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    var released: Released? = Released()
    let gone = released!.semaphore
    Task.detached { [released] in
        _ = released
        let value = await body()
        result.withLock { $0 = value }
        done.signal()
    }
    released = nil
    done.wait()
    gone.wait()
    guard let value = result.withLock({ $0 }) else { fail("runBlocking: no result") }
    return value
}

/// libFuzzer's driver (`-sanitize=fuzzer` links it in): parses libFuzzer's flags and fuzzes
/// `callback`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The fuzz executable's `main`: hands the command line to libFuzzer. (SwiftPM links every
/// executable's `main` to its top-level code, so libFuzzer's own `main` is not the one that runs;
/// each target's main.swift calls this instead.)
public func runLibFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    if getenv("FUZZ_SELF_TEST_LEAK") != nil { leakOnPurpose() }
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// libFuzzer's own `main` (linked in whole, though SwiftPM's `main` runs instead) names this
/// symbol; `runLibFuzzer` passes the real target to the driver.
@_cdecl("LLVMFuzzerTestOneInput")
public func unusedTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fail("LLVMFuzzerTestOneInput: the fuzz executable's main.swift must call runLibFuzzer")
}

/// `FUZZ_SELF_TEST_LEAK=1`: loses 4 KB before fuzzing starts, to check that LeakSanitizer still
/// fails a run whose per-input leak check is off (-detect_leaks=0): it reports at exit.
@inline(never)
func leakOnPurpose() {
    let lost = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
    lost.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 4096)
}
