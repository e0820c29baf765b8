import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where and how this run happened.
struct Machine: Codable {
    var cores: Int
    var architecture: String
    var system: String
    var swift: String
    var compiler: String
    var configuration: String
    var date: String
    /// /proc/loadavg's 1, 5 and 15 minute load averages when the run started.
    var loadAverage: String

    static func current() -> Machine {
        var names = utsname()
        uname(&names)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return Machine(
            cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            architecture: text(names.machine),
            system: "\(text(names.sysname)) \(text(names.release))",
            swift: swiftOnPath() ?? "swift not found on PATH",
            compiler: compilerVersion,
            configuration: buildConfiguration,
            date: formatter.string(from: Date()),
            loadAverage: currentLoadAverage()
        )
    }

    var line: String {
        "\(cores) cores (nproc), \(architecture), \(system); \(swift); built \(configuration) by \(compiler); \(date); load average \(loadAverage)"
    }

    /// The 1, 5 and 15 minute load averages (`/proc/loadavg`), or "unknown".
    static func currentLoadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The compiler that built this binary, as far as `#if compiler` can tell.
    static var compilerVersion: String {
        #if compiler(>=7.0)
        return "Swift compiler >= 7.0"
        #elseif compiler(>=6.3)
        return "Swift compiler 6.3.x"
        #elseif compiler(>=6.2)
        return "Swift compiler 6.2.x"
        #else
        return "Swift compiler < 6.2"
        #endif
    }

    static var buildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// The first line of `swift --version`, or nil when there is no `swift` to run.
    private static func swiftOnPath() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "--version"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let first = String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init)
        return first?.trimmingCharacters(in: .whitespaces)
    }
}
