import CurlHTTP

/// The checks the runtime makes of the variables Lambda sets, before it uses them: a value that
/// cannot work stops the runtime with one line naming the variable; a value it can do without
/// is ignored with one warning naming it. Nothing here crashes on any value.
enum RuntimeEnvironment {
    /// Why `AWS_LAMBDA_RUNTIME_API` cannot be used, or `nil`. It must be `host:port` (a name,
    /// an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535): it becomes the
    /// authority of every Runtime API URL, so nothing else may pass.
    static func runtimeAPIProblem(_ value: String) -> String? {
        let shape = "AWS_LAMBDA_RUNTIME_API must be host:port (e.g. 127.0.0.1:9001), got '\(quoted(value))'"
        guard let colon = value.lastIndex(of: ":") else { return shape }
        let host = value[..<colon]
        guard let port = Int(value[value.index(after: colon)...]), (1...65535).contains(port), URLHost.isValid(host) else { return shape }
        return nil
    }

    /// One warning per variable whose value is ignored.
    static func warnings(_ environment: [String: String]) -> [String] {
        var warnings: [String] = []
        if let level = environment["AWS_LAMBDA_LOG_LEVEL"], !level.isEmpty, LambdaLogLevel(name: level) == nil {
            warnings.append("AWS_LAMBDA_LOG_LEVEL '\(quoted(level))' is not TRACE, DEBUG, INFO, WARN, ERROR or FATAL: logging at INFO")
        }
        if let format = environment["AWS_LAMBDA_LOG_FORMAT"], !format.isEmpty, !["TEXT", "JSON"].contains(format.uppercased()) {
            warnings.append("AWS_LAMBDA_LOG_FORMAT '\(quoted(format))' is not Text or JSON: logging as text")
        }
        if let memory = environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], !memory.isEmpty, Int(memory) == nil {
            warnings.append("AWS_LAMBDA_FUNCTION_MEMORY_SIZE '\(quoted(memory))' is not a number of MB: the context leaves it out")
        }
        return warnings
    }

    /// A short prefix of `value`, control characters as `?`.
    static func quoted(_ value: String) -> String {
        var result = ""
        for (index, scalar) in value.unicodeScalars.enumerated() {
            if index == 60 { return result + "…" }
            result.unicodeScalars.append(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar)
        }
        return result
    }
}
