/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as DynamoDB's `x-amz-crc32` header uses it.
///
/// Contiguous bytes go eight at a time through eight derived tables ("slicing-by-8": table `k`
/// advances a byte's contribution by `k` further bytes), about five times the speed of the byte
/// loop on a megabyte page; other sequences take the byte loop. Both give the same value.
public enum CRC32 {
    /// `tables[k][b]`: the CRC state after byte `b` followed by `k` zero bytes.
    private static let tables: [[UInt32]] = {
        let first: [UInt32] = (0..<256).map { index in
            var value = UInt32(index)
            for _ in 0..<8 {
                value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1
            }
            return value
        }
        var tables = [first]
        for _ in 1..<8 {
            let previous = tables[tables.count - 1]
            tables.append(previous.map { first[Int($0 & 0xFF)] ^ ($0 >> 8) })
        }
        return tables
    }()

    /// The eight tables end to end (`flat[k * 256 + b]`), for the sliced loop.
    private static let flat: [UInt32] = tables.flatMap { $0 }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ sliced(UnsafeRawBufferPointer($0)) }) { return crc }
        let table = tables[0]
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static func sliced(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        flat.withUnsafeBufferPointer { t in
            var crc: UInt32 = 0xFFFF_FFFF
            var index = 0
            let count = buffer.count
            while count - index >= 8 {
                // Little-endian order of the two words, whatever the host's byte order.
                let low = UInt32(buffer[index]) | UInt32(buffer[index + 1]) << 8 | UInt32(buffer[index + 2]) << 16 | UInt32(buffer[index + 3]) << 24
                let high = UInt32(buffer[index + 4]) | UInt32(buffer[index + 5]) << 8 | UInt32(buffer[index + 6]) << 16 | UInt32(buffer[index + 7]) << 24
                let x = crc ^ low
                crc = t[7 * 256 + Int(x & 0xFF)] ^ t[6 * 256 + Int((x >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((x >> 16) & 0xFF)] ^ t[4 * 256 + Int(x >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(buffer[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
            return crc ^ 0xFFFF_FFFF
        }
    }
}
