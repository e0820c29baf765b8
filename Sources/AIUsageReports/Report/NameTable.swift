#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AIUsage

/// Group names interned as small integers, compared by their UTF-8 bytes (as `ReportKey` does).
///
/// The streaming decoder looks names up straight from page bytes, so a row costs no `String`
/// unless its name is new. Id 0 is `unknown`: the name of every absent dimension, and the
/// literal name `unknown` too (a report groups both under it).
struct NameTable: Sendable {
    /// The names by id.
    private(set) var names: [String] = [UsageAggregate.unknown]
    private var utf8: [[UInt8]] = [Array(UsageAggregate.unknown.utf8)]
    /// Open addressing: id + 1, 0 = empty. The count is a power of two, at most half full.
    private var slots: [Int32] = Array(repeating: 0, count: 64)

    init() {
        let hash = Self.hash(utf8[0])
        slots[Int(hash) & (slots.count - 1)] = 1
    }

    /// The id of `unknown`.
    static let unknown: Int32 = 0

    /// The number of names.
    var count: Int { names.count }

    /// The name of `id`.
    subscript(id: Int32) -> String { names[Int(id)] }

    /// The id of a name given as bytes, adding it when new; empty bytes are `unknown`.
    mutating func id(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard !bytes.isEmpty else { return Self.unknown }
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var index = Int(hash) & mask
        while true {
            let slot = slots[index]
            if slot == 0 { break }
            let candidate = Int(slot - 1)
            if utf8[candidate].withUnsafeBufferPointer({ Self.equal($0, bytes) }) { return Int32(candidate) }
            index = (index + 1) & mask
        }
        let id = Int32(names.count)
        names.append(String(decoding: bytes, as: UTF8.self))
        utf8.append(Array(bytes))
        slots[index] = id + 1
        if names.count * 2 > slots.count { grow() }
        return id
    }

    /// The id of a name, adding it when new; `nil` and empty are `unknown`.
    mutating func id(_ name: String?) -> Int32 {
        guard var name, !name.isEmpty else { return Self.unknown }
        return name.withUTF8 { id($0) }
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, bytes) in utf8.enumerated() {
            var index = Int(Self.hash(bytes)) & mask
            while slots[index] != 0 { index = (index + 1) & mask }
            slots[index] = Int32(id) + 1
        }
    }

    /// FNV-1a: names are short and few, and the table compares bytes on every hit.
    @inline(__always)
    private static func hash(_ bytes: some Sequence<UInt8>) -> UInt32 { FNV1a.hash32(bytes) }
}
