/// What importing a catalogue changes (`ai-usage pricing import` and `pricing diff`): for each
/// imported entry, the entry of the same provider and model in force on the import's date in the
/// effective catalogue. Equal prices add nothing; new models and changed prices are added, dated,
/// so the history is kept.
public struct CatalogueMerge: Sendable {
    /// One model the import adds or re-prices.
    public struct Change: Sendable, Hashable {
        /// The entry in force before (`nil`: a new model).
        public var old: CatalogueEntry?
        public var new: CatalogueEntry

        /// `openai/gpt-4o: input 0.000005 → 0.0000025, output 0.000015 → 0.00001`, or
        /// `openai/gpt-9: new (input 0.000001, output 0.000002)`.
        public var line: String {
            let name = "\(new.provider)/\(new.model)"
            guard let old else { return "\(name): new (\(new.prices.text))" }
            var parts: [String] = []
            for key in PriceKey.allCases where old.prices[key] != new.prices[key] {
                parts.append("\(key.rawValue) \(old.prices[key]?.description ?? "none") → \(new.prices[key]?.description ?? "none")")
            }
            if old.batch != new.batch { parts.append("batch prices changed") }
            if old.serviceTiers != new.serviceTiers { parts.append("service-tier prices changed") }
            if old.tiers != new.tiers { parts.append("long-context tiers changed") }
            return "\(name): " + parts.joined(separator: ", ")
        }
    }

    /// Added or re-priced models, by provider and model.
    public var changes: [Change]
    /// Imported entries whose prices equal those in force: not added.
    public var unchanged: Int
    /// Models with prices in the effective catalogue that the import does not have (kept as they are).
    public var notInImport: Int

    public var added: Int { changes.filter { $0.old == nil }.count }
    public var changed: Int { changes.filter { $0.old != nil }.count }

    /// The plan for `imported` (every entry dated `effectiveFrom`) against `effective`.
    public init(imported: PricingCatalogue, effective: PricingCatalogue, effectiveFrom: UTCTimestamp) {
        var changes: [Change] = []
        var unchanged = 0
        var importedModels: Set<String> = []
        for entry in imported.entries {
            importedModels.insert("\(entry.provider)/\(entry.model)")
            let current = effective.entry(provider: entry.provider, model: entry.model, at: effectiveFrom)
            if let current, current.hasSamePrices(as: entry) {
                unchanged += 1
            } else {
                changes.append(Change(old: current, new: entry))
            }
        }
        var missing = 0
        for provider in effective.providers where imported.hasProvider(provider) {
            let models = Set(effective.entries.filter { $0.provider == provider }.map(\.model))
            missing += models.filter { !importedModels.contains("\(provider)/\($0)") }.count
        }
        self.changes = changes
        self.unchanged = unchanged
        self.notInImport = missing
    }

    /// The entries of a catalogue file after the import: `existing` (the file's own entries) with
    /// the changes added; an existing entry of the same model and date is replaced.
    public func merged(into existing: [CatalogueEntry]) -> [CatalogueEntry] {
        let replaced = Set(changes.map { "\($0.new.provider)/\($0.new.model)@\($0.new.effectiveFrom.iso8601)" })
        let kept = existing.filter { !replaced.contains("\($0.provider)/\($0.model)@\($0.effectiveFrom.iso8601)") }
        return (kept + changes.map(\.new)).sorted {
            ($0.provider, $0.model, $0.effectiveFrom.microsecondsSinceEpoch) < ($1.provider, $1.model, $1.effectiveFrom.microsecondsSinceEpoch)
        }
    }

    /// The change as text: one line per model, then the counts.
    public var lines: [String] {
        changes.map(\.line) + [
            "\(added) new, \(changed) changed, \(unchanged) unchanged; kept, not in the file: \(notInImport)",
        ]
    }
}
