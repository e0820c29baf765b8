/// Random identifiers made without Foundation's `UUID` and string searching: the emulator makes
/// two per invocation (the request id and the trace id), on the path every invocation waits on.
enum RandomIdentifier {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `count` random lowercase hex digits.
    static func hex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(unsafeUninitializedCapacity: count) { buffer in
            var word: UInt64 = 0
            for index in 0..<count {
                if index % 16 == 0 { word = generator.next() }
                buffer[index] = digits[Int(word & 0xF)]
                word >>= 4
            }
            return count
        }
    }

    /// A random (version 4, RFC 9562) UUID in lowercase, as Lambda's request ids are written:
    /// `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx`, N one of 8, 9, a, b.
    static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        let high: UInt64 = (generator.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low: UInt64 = (generator.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[position] = digits[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high >> 32, nibbles: 8); dash()
            put(high >> 16, nibbles: 4); dash()
            put(high, nibbles: 4); dash()
            put(low >> 48, nibbles: 4); dash()
            put(low, nibbles: 12)
            return position
        }
    }
}
