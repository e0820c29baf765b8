/// FNV-1a hashes: stable across processes and platforms (unlike `Hasher`), for what must hash the
/// same everywhere: an item's index shard, a rollup group's sort key, interned names.
public enum FNV1a {
    /// The 32-bit hash of `bytes`.
    @inlinable
    public static func hash32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    /// The 64-bit hash of `bytes`.
    @inlinable
    public static func hash64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// The 64-bit hash of a text's UTF-8, as 16 lower-case hex digits.
    public static func hex64(_ text: String) -> String {
        let digits = String(hash64(text.utf8), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
