import ExactJSON

/// The decimal a test literal spells, such as `dec("0.0125")`.
///
/// Only for literals written in a test: one that does not parse is a mistake in the test, so it
/// stops the run with the literal and the place it was written.
public func dec(_ text: String, file: StaticString = #fileID, line: UInt = #line) -> ExactDecimal {
    guard let value = ExactDecimal(text) else {
        fatalError("dec(\"\(text)\"): not a decimal ExactDecimal can hold (test literal at \(file):\(line))", file: file, line: line)
    }
    return value
}
