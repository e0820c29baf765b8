import AIUsage
/// A group name compared, hashed and ordered by its UTF-8 bytes.
///
/// Swift's `String` equality follows Unicode canonical equivalence, so two differently
/// normalised spellings of one name would share a group, and its `<` is not byte order. A report
/// keeps every distinct stored name apart and sorts by bytes, as the stored data and the
/// contract have it; for ASCII names (all real ones) both agree.
struct ReportKey: Hashable, Sendable {
    /// The name.
    let text: String

    init(_ text: String) {
        self.text = text
    }

    static func == (lhs: ReportKey, rhs: ReportKey) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var text = self.text  // `withUTF8` is mutating; a native string is not copied.
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether `lhs` sorts before `rhs` in byte order.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// The names of `keys`, sorted in byte order.
    static func sorted(_ keys: Set<ReportKey>) -> [String] {
        keys.map(\.text).sorted(by: precedes)
    }
}
