import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Duration {
    /// The duration in seconds, as a Double (for rates only; nothing here is money).
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Several runs of one throughput measurement.
struct Throughput: Codable {
    var runs: [Double]
    var median: Double
    var min: Double
    var max: Double
    /// (max − min) / median, in percent.
    var spreadPercent: Double

    init(runs: [Double]) {
        let sorted = runs.sorted()
        self.runs = runs.map { rounded($0) }
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        self.median = rounded(median)
        self.min = rounded(sorted.first ?? 0)
        self.max = rounded(sorted.last ?? 0)
        spreadPercent = median > 0 ? rounded(((sorted.last ?? 0) - (sorted.first ?? 0)) / median * 100, places: 1) : 0
    }
}

/// Latency percentiles in microseconds (nearest rank).
struct Latency: Codable {
    var calls: Int
    var p50: Double
    var p99: Double
    var p999: Double
    var max: Double
    var mean: Double

    init(nanoseconds: [Int64]) {
        let sorted = nanoseconds.sorted()
        func percentile(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Swift.max(1, Int((fraction * Double(sorted.count)).rounded(.up)))
            return Double(sorted[Swift.min(rank, sorted.count) - 1]) / 1000
        }
        calls = sorted.count
        p50 = rounded(percentile(0.50), places: 2)
        p99 = rounded(percentile(0.99), places: 2)
        p999 = rounded(percentile(0.999), places: 2)
        max = rounded(Double(sorted.last ?? 0) / 1000, places: 2)
        mean = sorted.isEmpty ? 0 : rounded(Double(sorted.reduce(0, +)) / Double(sorted.count) / 1000, places: 2)
    }
}

func rounded(_ value: Double, places: Int = 0) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

/// `1234567.8` → `1,234,568`
func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var out = ""
    for (index, character) in digits.reversed().enumerated() {
        if index > 0 && index % 3 == 0 && character != "-" { out.append(",") }
        out.append(character)
    }
    return String(out.reversed())
}

func fixed(_ value: Double, _ places: Int) -> String {
    String(format: "%.\(places)f", value)
}

/// A plain text table: the first row is the header; columns after the first are right-aligned.
func table(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var widths = header.map(\.count)
    for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
    func line(_ row: [String]) -> String {
        row.enumerated().map { index, cell in
            let padding = String(repeating: " ", count: widths[index] - cell.count)
            return index == 0 ? cell + padding : padding + cell
        }.joined(separator: "  ")
    }
    var lines = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    lines += rows.dropFirst().map(line)
    return lines.joined(separator: "\n")
}

/// Prints and flushes, so progress shows up in a pipe as it happens.
func say(_ text: String = "") {
    print(text)
    fflush(nil)
}

/// Sends this process's stderr to a temporary file while `body` runs, so the tracker's log
/// lines (one per spill) do not flood the report; returns how many lines were logged and the
/// first of them.
func capturingStandardError<T>(_ label: String, _ body: () async -> T) async -> (T, lines: Int, first: String?) {
    let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    let path = "\(directory)/ai-usage-bench-\(getpid())-\(label)-stderr.log"
    let saved = dup(STDERR_FILENO)
    let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard saved >= 0, file >= 0 else {
        if saved >= 0 { close(saved) }
        return (await body(), 0, nil)
    }
    dup2(file, STDERR_FILENO)
    close(file)
    let result = await body()
    dup2(saved, STDERR_FILENO)
    close(saved)
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(atPath: path)
    let lines = text.split(separator: "\n")
    return (result, lines.count, lines.first.map(String.init))
}
