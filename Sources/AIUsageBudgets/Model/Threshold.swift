import AIUsage

/// How serious an alert is. `projected` is the forecast alert: the period is on course to
/// overrun, though no threshold says so yet.
public enum AlertLevel: String, CaseIterable, Sendable, Hashable, Comparable {
    case info, warning, critical, exceeded, projected

    /// Ordering of the threshold levels (info < warning < critical < exceeded); `projected`
    /// sits beside them and sorts first.
    var rank: Int {
        switch self {
        case .projected: 0
        case .info: 1
        case .warning: 2
        case .critical: 3
        case .exceeded: 4
        }
    }

    public static func < (a: AlertLevel, b: AlertLevel) -> Bool { a.rank < b.rank }

    /// The level a threshold gets when none is named, by the default bands: below 80 info,
    /// below 95 warning, below 100 critical, else exceeded.
    public static func forPercent(_ percent: ExactDecimal) -> AlertLevel {
        if percent < 80 { return .info }
        if percent < 95 { return .warning }
        if percent < 100 { return .critical }
        return .exceeded
    }
}

/// One alert threshold: a percentage of the limit and the level it raises.
public struct Threshold: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var percent: ExactDecimal
    public var level: AlertLevel

    public init(percent: ExactDecimal, level: AlertLevel) {
        self.percent = percent
        self.level = level
    }

    /// 50 info, 80 warning, 95 critical, 100 exceeded.
    public static let defaults: [Threshold] = [
        Threshold(percent: 50, level: .info), Threshold(percent: 80, level: .warning),
        Threshold(percent: 95, level: .critical), Threshold(percent: 100, level: .exceeded),
    ]

    public static func < (a: Threshold, b: Threshold) -> Bool { a.percent < b.percent }

    /// `80:warning`.
    public var description: String { "\(percent):\(level.rawValue)" }

    /// Parses `50,80,95,100` or `60:info,90:critical,100:exceeded`: percentages above 0 and at
    /// most 1000, each at most once; a level left out comes from the default bands. Sorted.
    public static func parseList(_ text: String) throws(BudgetError) -> [Threshold] {
        var thresholds: [Threshold] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let fields = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let percentText = fields[0].trimmingWhitespace()
            guard !percentText.contains(where: { $0 == "e" || $0 == "E" }), let percent = ExactDecimal(percentText), percent > 0, percent <= 1000, percent.scale <= 4 else {
                throw BudgetError.invalid("threshold '\(InputEcho.short(percentText, limit: 40))' must be a percentage above 0 and at most 1000, with at most 4 decimals (e.g. 50,80,95,100)")
            }
            var level = AlertLevel.forPercent(percent)
            if fields.count == 2 {
                let name = fields[1].trimmingWhitespace().lowercased()
                guard let named = AlertLevel(rawValue: name), named != .projected else {
                    throw BudgetError.invalid("threshold level '\(InputEcho.short(name, limit: 40))' must be info, warning, critical or exceeded")
                }
                level = named
            }
            guard !thresholds.contains(where: { $0.percent == percent }) else {
                throw BudgetError.invalid("threshold \(percent) is given twice")
            }
            thresholds.append(Threshold(percent: percent, level: level))
        }
        guard !thresholds.isEmpty, thresholds.count <= 16 else { throw BudgetError.invalid("give 1 to 16 thresholds") }
        return thresholds.sorted()
    }

    /// `50:info,80:warning,…`: what `parseList` reads back.
    public static func listText(_ thresholds: [Threshold]) -> String {
        thresholds.map(\.description).joined(separator: ",")
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
