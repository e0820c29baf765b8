import AIUsage

/// What a budget limits: every call (`global`), or the calls of one service, model, user, job
/// or environment. A value ending in `*` is a prefix: `user:*` gives every user a budget of
/// their own, `user:team-*` every user whose id starts with `team-`.
public struct BudgetScope: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable, Hashable {
        case global, service, model, user, job, environment
    }

    public var kind: Kind
    /// The value, without a trailing `*` for a prefix; empty for `global` and for `user:*`.
    public var value: String
    /// Whether `value` is a prefix (the text ended in `*`).
    public var isPrefix: Bool

    /// The longest value accepted, in bytes.
    public static let maximumValueBytes = 256

    public init(kind: Kind, value: String = "", isPrefix: Bool = false) {
        self.kind = kind
        self.value = value
        self.isPrefix = kind == .global ? false : isPrefix
    }

    /// Parses `global`, `global:all` (the original's name), or `kind:value`, `kind:prefix*`.
    public init(parsing text: String) throws(BudgetError) {
        if text == "global" || text == "global:all" {
            self.init(kind: .global)
            return
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw BudgetError.invalid("scope '\(InputEcho.short(text, limit: 60))' is not kind:value; kinds: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")) (e.g. user:alice, service:openai, user:*, global)")
        }
        let kindText = String(text[..<colon])
        guard let kind = Kind(rawValue: kindText), kind != .global else {
            throw BudgetError.invalid("unknown scope kind '\(InputEcho.short(kindText, limit: 40))'; kinds: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var value = String(text[text.index(after: colon)...])
        let isPrefix = value.hasSuffix("*")
        if isPrefix { value.removeLast() }
        guard isPrefix || !value.isEmpty else {
            throw BudgetError.invalid("scope \(kind.rawValue): needs a value (e.g. \(kind.rawValue):name, or \(kind.rawValue):* for each one)")
        }
        guard value.utf8.count <= Self.maximumValueBytes else {
            throw BudgetError.invalid("scope value is \(value.utf8.count) bytes; at most \(Self.maximumValueBytes)")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "*" || $0 == "#" }) else {
            throw BudgetError.invalid("scope value may not hold control characters, '#' or a '*' before its end")
        }
        if kind == .service { value = value.lowercased() }
        self.init(kind: kind, value: value, isPrefix: isPrefix)
    }

    /// `global`, `user:alice`, `user:*`, `user:team-*`.
    public var text: String {
        kind == .global ? "global" : "\(kind.rawValue):\(value)\(isPrefix ? "*" : "")"
    }

    public var description: String { text }

    /// Whether a concrete subject value (a user id, a service name) falls in this scope, byte
    /// for byte as DynamoDB compares.
    public func covers(_ subject: String) -> Bool {
        if kind == .global { return true }
        return isPrefix ? subject.utf8.starts(with: value.utf8) : subject.utf8.elementsEqual(value.utf8)
    }

    /// How specific the scope is: an exact value beats any prefix, a longer prefix a shorter one.
    public var specificity: Int {
        isPrefix ? value.utf8.count : Int.max
    }

    public static func < (a: BudgetScope, b: BudgetScope) -> Bool { a.text < b.text }
}

/// A budget problem: invalid input (the caller's mistake), or a stored item we cannot read.
public enum BudgetError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let message), .notFound(let message): message
        }
    }
}
