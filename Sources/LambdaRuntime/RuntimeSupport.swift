#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock, in Unix epoch milliseconds (what `Lambda-Runtime-Deadline-Ms` counts in).
public enum WallClock {
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-12-01T12:00:00.123Z`: RFC 3339 in UTC with milliseconds, as Lambda's log lines use.
    public static func timestamp(epochMilliseconds: Int64) -> String {
        let millisecond = Int(floorMod(epochMilliseconds, 1000))
        let totalSeconds = floorDiv(epochMilliseconds, 1000)
        let secondOfDay = Int(floorMod(totalSeconds, 86_400))
        let (year, month, day) = civilDate(daysSinceEpoch: floorDiv(totalSeconds, 86_400))

        var text = ""
        text.reserveCapacity(24)
        append(year, width: 4, to: &text)
        text += "-"
        append(month, width: 2, to: &text)
        text += "-"
        append(day, width: 2, to: &text)
        text += "T"
        append(secondOfDay / 3600, width: 2, to: &text)
        text += ":"
        append(secondOfDay / 60 % 60, width: 2, to: &text)
        text += ":"
        append(secondOfDay % 60, width: 2, to: &text)
        text += "."
        append(millisecond, width: 3, to: &text)
        text += "Z"
        return text
    }

    /// Proleptic Gregorian calendar date of a day counted from 1970-01-01.
    ///
    /// The calendar repeats every 400 years (146,097 days). Counting years from 1 March makes
    /// the leap day the last day of its year, so inside a cycle the year and the day of the
    /// year follow from plain divisions, and the month from the 153-day rhythm of the
    /// March-to-July and August-to-December runs (31, 30, 31, 30, 31).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
        let daysFromMarchOfYear0 = days + 719_468  // 0000-03-01 → 1970-01-01
        let cycle = floorDiv(daysFromMarchOfYear0, 146_097)
        let dayOfCycle = daysFromMarchOfYear0 - cycle * 146_097  // 0...146_096
        // Years of 365 days, minus the leap days seen so far (every 4th, not every 100th,
        // again every 400th: the last day of the cycle).
        let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365
        let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)  // 0 = 1 March
        let monthFromMarch = (5 * dayOfYear + 2) / 153  // 0 = March … 11 = February
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }
}

/// Minimal JSON text helpers: the runtime writes two tiny fixed-shape objects (log lines and
/// error bodies) and needs no encoder for them.
enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    static func quoted(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}

enum Pause {
    /// Blocks the calling thread (the runtime loop's own, never the Swift concurrency pool).
    static func sleep(_ duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}

enum URLPath {
    /// Percent-encodes everything but RFC 3986 unreserved characters, so a request id can never
    /// change the path it is posted to.
    static func segment(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}

enum StandardErrorOutput {
    /// One `write(2)` per line (continued only if the kernel took part of it), so lines from
    /// concurrent tasks never interleave mid-line.
    static func write(_ line: String) {
        var bytes = Array(line.utf8)
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = writeToStandardError(buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    private static func writeToStandardError(_ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(STDERR_FILENO, pointer, count)
        #else
        Darwin.write(STDERR_FILENO, pointer, count)
        #endif
    }
}
