import DynamoDB

/// The breakdown of a cost as an item stores it: `metadata.cost_breakdown`, a map from price
/// key (`input`, `cache_read`, `output`, …) to its exact cost.
public enum CostBreakdown {
    public static func attribute(_ parts: [CostPart]) -> AttributeValue? {
        guard !parts.isEmpty else { return nil }
        return .m(Dictionary(parts.map { ($0.unit.rawValue, AttributeValue.n($0.cost.description)) }, uniquingKeysWith: { first, _ in first }))
    }
}
