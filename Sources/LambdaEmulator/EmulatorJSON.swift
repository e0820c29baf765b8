import ExactJSON

/// The emulator reads what a runtime or a handler sends and writes results and events with the
/// project's one JSON reader/writer: numbers keep their text and objects their member order, so
/// a function's answer comes out as it went in (minus insignificant whitespace).
typealias EmulatorJSON = JSONValue

extension JSONValue {
    /// The emulator's short spellings of `JSONValue`'s API.
    static func integer(_ value: some BinaryInteger) -> JSONValue { .number(value) }
    var members: [Member]? { objectMembers }
    var integerValue: Int? { intValue }
    var text: String { serialized() }
    var bytes: [UInt8] { serializedBytes() }
}

extension JSONValue.Member {
    init(_ key: String, _ value: JSONValue) { self.init(key: key, value: value) }
}
