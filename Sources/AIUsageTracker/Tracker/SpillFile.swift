import AIUsage
import DynamoDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON Lines file of items that could not be written: one DynamoDB item
/// (`{"PK":{"S":…},…}`) per line, exactly as it would have been sent.
///
/// Appends and replays take an exclusive `flock`, so a tracker spilling and an
/// `ai-usage replay` running at the same time never interleave or lose lines. Replaying is
/// idempotent: every item carries its own deterministic key, so writing it twice overwrites.
public struct SpillFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `AI_USAGE_SPILL_FILE`, else `ai-usage-spill.jsonl` in `TMPDIR` (or `/tmp`).
    public static func defaultPath(_ environment: [String: String]) -> String {
        if let path = environment["AI_USAGE_SPILL_FILE"], !path.isEmpty { return path }
        let directory = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return directory.hasSuffix("/") ? directory + "ai-usage-spill.jsonl" : directory + "/ai-usage-spill.jsonl"
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Appends one line per item, in one write, under the lock.
    public func append(_ items: [Item]) throws(Failure) {
        guard !items.isEmpty else { return }
        let bytes = Self.lines(items)
        try withLockedFile(flags: O_WRONLY | O_APPEND | O_CREAT) { descriptor throws(Failure) in
            try Self.writeAll(descriptor, bytes, path: path)
        }
    }

    /// What a file holds: the items, and how many lines were not readable items.
    public struct Contents: Sendable {
        public var items: [Item]
        public var malformedLines: Int
    }

    /// Reads every item; lines that are not items are counted, never fatal.
    public func read() throws(Failure) -> Contents {
        try withLockedFile(flags: O_RDONLY | O_CREAT) { descriptor throws(Failure) in
            let (items, malformed) = Self.parse(try Self.readAll(descriptor, path: path))
            return Contents(items: items, malformedLines: malformed.count)
        }
    }

    /// Under the lock: reads the items, lets `write` try them, and rewrites the file with only
    /// what is left (and the malformed lines, kept for a person to look at). An empty result
    /// leaves an empty file.
    public func drain(_ write: ([Item]) async -> [Item]) async throws(Failure) -> (replayed: Int, remaining: Int, malformed: Int) {
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open the spill file \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw Failure(description: "cannot lock the spill file \(path): \(String(cString: strerror(errno)))") }
        defer { flock(descriptor, LOCK_UN) }
        let original = try Self.readAll(descriptor, path: path)
        let (items, malformed) = Self.parse(original)
        let left = items.isEmpty ? [] : await write(items)
        var rest = Self.lines(left)
        for line in malformed {
            rest.append(contentsOf: line)
            rest.append(UInt8(ascii: "\n"))
        }
        // Overwrite from the start, then cut the file to what is left: a process killed at any
        // point keeps every line still to write (at worst it also keeps lines already written,
        // which a later replay rewrites under the same keys). Truncating first would lose them
        // to a kill between the truncation and the write.
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw Failure(description: "cannot rewrite the spill file \(path): \(String(cString: strerror(errno)))")
        }
        if rest.count > original.count {
            // Not expected (what is left is a subset of what was read); never overwrite short.
            guard ftruncate(descriptor, 0) == 0 else {
                throw Failure(description: "cannot rewrite the spill file \(path): \(String(cString: strerror(errno)))")
            }
        }
        try Self.writeAll(descriptor, rest, path: path)
        guard ftruncate(descriptor, off_t(rest.count)) == 0 else {
            throw Failure(description: "cannot rewrite the spill file \(path): \(String(cString: strerror(errno)))")
        }
        return (items.count - left.count, left.count, malformed.count)
    }

    private func withLockedFile<T>(flags: Int32, _ body: (Int32) throws(Failure) -> T) throws(Failure) -> T {
        let descriptor = open(path, flags, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open the spill file \(path): \(String(cString: strerror(errno))); set AI_USAGE_SPILL_FILE to a writable path") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw Failure(description: "cannot lock the spill file \(path): \(String(cString: strerror(errno)))") }
        defer { flock(descriptor, LOCK_UN) }
        return try body(descriptor)
    }

    /// Items, and the lines that are not items.
    private static func parse(_ bytes: [UInt8]) -> (items: [Item], malformed: [ArraySlice<UInt8>]) {
        var items: [Item] = []
        var malformed: [ArraySlice<UInt8>] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if let json = try? JSONValue.parse(line), let item = try? Item(wire: json) {
                items.append(item)
            } else {
                malformed.append(line)
            }
        }
        return (items, malformed)
    }

    /// One JSON line per item, attribute names sorted (byte order, nested maps too).
    static func lines(_ items: [Item]) -> [UInt8] {
        var bytes: [UInt8] = []
        for item in items {
            bytes.append(contentsOf: item.wire.serializedBytes())
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    private static func readAll(_ descriptor: Int32, path: String) throws(Failure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read the spill file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write the spill file \(path): \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }
}

/// The C `read`/`write`, named apart from this file's methods of the same names.
func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
