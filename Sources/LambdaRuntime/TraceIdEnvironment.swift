#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// `_X_AMZN_TRACE_ID` in the process environment, replaced once per invocation without leaking.
///
/// Why not `setenv`: glibc's `setenv` copies `NAME=value` into a new allocation, puts that in
/// `environ` and never frees it. It remembers every string it has installed (in a search tree,
/// so that a pointer an earlier `getenv` returned stays valid and a repeated value is reused),
/// and frees none of them. Lambda sends a new trace id with every invocation, so each one cost
/// its length plus about 40 bytes for the rest of the process's life: 24.8 → 27.7 MiB over
/// 20,000 invocations.
///
/// Here the runtime owns the storage. `putenv` puts our pointer into `environ` as it is (no copy
/// and no bookkeeping: POSIX makes the string itself part of the environment). Two buffers take
/// turns: the new value goes into the one that is not in `environ`, which `putenv` then installs,
/// so the installed string is never written to. A buffer that is too small is replaced by one at
/// least twice its size. The old one is kept, never freed, because someone may still hold a
/// pointer `getenv` returned into it. Those kept buffers add up to less than the two current ones
/// (the sizes double), and those are capped by `maxValueBytes`. So what this costs is bounded
/// whatever the number of invocations. For real trace ids (about 100 bytes) it is two
/// allocations of 256 bytes, made once.
///
/// Every buffer ends in a NUL byte that is never written over, so even a reader that races a
/// rewrite (a `getenv` pointer kept across two invocations) stops inside the buffer.
///
/// The value is what C sees, the bytes before the first NUL (as with `setenv`): a value with an
/// embedded NUL is cut there. A value longer than `maxValueBytes` is refused and the variable is
/// removed, so that the previous invocation's id never stays in its place. Calls are serialized
/// by a lock. As with `setenv`, a thread that calls `getenv` while another changes the
/// environment is on its own.
enum TraceIdEnvironment {
    static let name = "_X_AMZN_TRACE_ID"
    /// A longer value is refused (the variable is removed). Real ones are about 100 bytes, but
    /// libcurl accepts header lines of up to 100 KiB: this bounds what the buffers can grow to.
    static let maxValueBytes = 32 * 1024

    /// `NAME=` followed by room for a value and its NUL. The last byte is always NUL.
    private struct Buffer {
        let base: UnsafeMutablePointer<CChar>
        let capacity: Int

        /// Holds `_X_AMZN_TRACE_ID=` and a value of up to `capacity - prefix - 1` bytes (plus
        /// its NUL). The prefix is written once, here.
        init(capacity: Int) {
            base = .allocate(capacity: capacity)
            base.initialize(repeating: 0, count: capacity)
            var offset = 0
            for byte in TraceIdEnvironment.prefix {
                base[offset] = CChar(bitPattern: byte)
                offset += 1
            }
            self.capacity = capacity
        }
    }

    private struct State {
        /// The two buffers that take turns; `nil` until first needed.
        var buffers: [Buffer?] = [nil, nil]
        /// The buffer the next value goes into (the other one may be in `environ`).
        var next = 0
    }

    private static let prefix = Array("\(name)=".utf8)
    private static let state = Mutex(State())

    /// Sets the variable to `value` (cut at its first NUL), or removes it when `value` is `nil`
    /// or longer than `maxValueBytes`.
    static func export(_ value: String?) {
        state.withLock { state in
            guard var value else {
                unsetenv(name)
                return
            }
            value.withUTF8 { install($0, in: &state) }
        }
    }

    private static func install(_ bytes: UnsafeBufferPointer<UInt8>, in state: inout State) {
        // What C would see of it: the bytes before the first NUL.
        var length = bytes.count
        if let start = bytes.baseAddress, length > 0, let nul = memchr(start, 0, length) {
            length = UnsafeRawPointer(nul) - UnsafeRawPointer(start)
        }
        guard length <= maxValueBytes else {
            unsetenv(name)
            return
        }

        let needed = prefix.count + length + 1
        let slot = state.next
        let buffer: Buffer
        if let current = state.buffers[slot], current.capacity >= needed {
            buffer = current
        } else {
            // A replaced buffer is kept (see above): at most half of what comes after it.
            let grown = max(needed, 2 * (state.buffers[slot]?.capacity ?? 0), 256)
            buffer = Buffer(capacity: min(grown, prefix.count + maxValueBytes + 1))
            state.buffers[slot] = buffer
        }

        if let start = bytes.baseAddress, length > 0 {
            memcpy(buffer.base + prefix.count, start, length)
        }
        buffer.base[prefix.count + length] = 0

        if putenv(buffer.base) == 0 {
            state.next = 1 - slot
        } else {
            // `environ` could not grow (no memory): no stale id either.
            unsetenv(name)
        }
    }
}
