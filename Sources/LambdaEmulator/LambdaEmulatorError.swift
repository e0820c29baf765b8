/// Why the emulator or the local API could not do what was asked (a bad configuration, a port in
/// use, an unreadable environment file). Invocation failures are results, never this error.
public struct LambdaEmulatorError: Error, Sendable, CustomStringConvertible {
    /// One line saying what went wrong.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
