/// Every price the system knows, over time: entries by provider and model, each with the date it
/// takes effect. The built-in catalogue is ``builtIn`` (`pricing/catalogue.json`, embedded at build
/// time); a file (`AI_USAGE_PRICING_FILE`) and a catalogue published to the table can be layered
/// over it (``layered(over:)``). `docs/pricing.md` documents the format and the rules.
public struct PricingCatalogue: Sendable, Hashable {
    /// Identifies these prices: what `priced_with` records comes from the entries' own versions,
    /// and a layered catalogue joins its layers' versions with `+`.
    public var version: String
    /// provider → model → entries, oldest first.
    private var histories: [String: [String: [CatalogueEntry]]]
    /// provider → alias → model.
    private var aliases: [String: [String: String]]

    /// A catalogue of `entries`. Entries with the same provider, model and date: the last wins.
    public init(version: String, entries: [CatalogueEntry]) {
        self.version = version
        histories = [:]
        aliases = [:]
        for entry in entries where !entry.isRemoval {
            var history = histories[entry.provider, default: [:]][entry.model, default: []]
            history.removeAll { $0.effectiveFrom == entry.effectiveFrom }
            history.append(entry)
            histories[entry.provider, default: [:]][entry.model] = history.sorted { $0.effectiveFrom < $1.effectiveFrom }
        }
        rebuildAliases()
        removals = Dictionary(grouping: entries.filter(\.isRemoval), by: \.provider).mapValues { Set($0.map(\.model)) }
    }

    /// Models a legacy override file removed (`null`): applied when layered over a base.
    private var removals: [String: Set<String>] = [:]

    private mutating func rebuildAliases() {
        aliases = [:]
        for (provider, models) in histories {
            for (model, history) in models.sorted(by: { $0.key < $1.key }) {
                // Every entry's aliases: a later price need not repeat them.
                for alias in Set(history.flatMap(\.aliases)) where histories[provider]?[alias] == nil && aliases[provider]?[alias] == nil {
                    aliases[provider, default: [:]][alias] = model
                }
            }
        }
    }

    /// Every entry, by provider, model and date.
    public var entries: [CatalogueEntry] {
        histories.keys.sorted().flatMap { provider in
            histories[provider, default: [:]].keys.sorted().flatMap { histories[provider]![$0]! }
        }
    }

    /// Whether `provider` (lower-case) has any prices.
    public func hasProvider(_ provider: String) -> Bool { histories[provider] != nil }

    /// The providers with prices.
    public var providers: [String] { histories.keys.sorted() }

    /// A model's entries, oldest first (`model` is a catalogue key, not resolved).
    public func history(provider: String, model: String) -> [CatalogueEntry] {
        histories[provider.lowercased()]?[model.lowercased()] ?? []
    }

    /// This catalogue over `base`: a model's entries from both, this one's winning on the same
    /// date, so an import with a new `effective_from` adds to a model's history. A legacy override
    /// entry replaces the model's whole history below it; a legacy `null` removes it.
    public func layered(over base: PricingCatalogue) -> PricingCatalogue {
        var merged = base
        merged.version = base.version + "+" + version
        for (provider, models) in removals {
            for model in models { merged.histories[provider]?[model] = nil }
        }
        for (provider, models) in histories {
            for (model, history) in models {
                if history.contains(where: \.replacesHistory) {
                    merged.histories[provider, default: [:]][model] = history
                    continue
                }
                let dates = Set(history.map(\.effectiveFrom))
                let below = merged.histories[provider]?[model]?.filter { !dates.contains($0.effectiveFrom) } ?? []
                merged.histories[provider, default: [:]][model] = (below + history).sorted { $0.effectiveFrom < $1.effectiveFrom }
            }
        }
        merged.removals = [:]
        merged.rebuildAliases()
        return merged
    }

    // MARK: - Resolving a name

    /// How a name was matched to a catalogue model.
    public enum MatchRule: String, Sendable, Hashable {
        case exact = "exact name"
        case providerPrefix = "provider prefix removed"
        case snapshotSuffix = "dated or -latest suffix removed"
        case alias = "alias"
    }

    /// A name resolved to the catalogue model that prices it.
    public struct Resolution: Sendable, Hashable {
        /// The catalogue model.
        public var model: String
        public var rule: MatchRule
        /// e.g. `gpt-4o-2024-08-06 → gpt-4o (dated or -latest suffix removed)`.
        public var explanation: String
    }

    /// Resolves a model name (case-insensitive) for `provider`:
    /// 1. an entry with exactly that name;
    /// 2. the name without a provider prefix (`openai/gpt-4o`), then without a dated or `-latest`
    ///    suffix (the longest model the name starts with, followed by such a suffix:
    ///    ``isSnapshotSuffix(_:)``);
    /// 3. an alias given by a catalogue entry (of the name, or of the name without its prefix).
    ///
    /// Never a shorter unrelated prefix: `o3-pro` is not `o3`, `claude-opus-4-6` is not `claude-opus-4`.
    public func resolve(_ name: String, provider: String) -> Resolution? {
        let provider = provider.lowercased()
        guard let models = histories[provider] else { return nil }
        let lower = name.lowercased()
        if models[lower] != nil {
            return Resolution(model: lower, rule: .exact, explanation: "\(lower): exact name")
        }
        var bare = lower
        var rules: [String] = []
        if let stripped = ServiceRules.of(provider).removingProviderPrefix(lower) {
            bare = stripped
            rules.append(MatchRule.providerPrefix.rawValue)
            if models[bare] != nil {
                return Resolution(model: bare, rule: .providerPrefix, explanation: "\(lower) → \(bare) (\(rules.joined(separator: ", ")))")
            }
        }
        if let family = Self.family(of: bare, in: models) {
            rules.append(MatchRule.snapshotSuffix.rawValue)
            return Resolution(model: family, rule: .snapshotSuffix, explanation: "\(lower) → \(family) (\(rules.joined(separator: ", ")))")
        }
        for candidate in [lower, bare] {
            if let model = aliases[provider]?[candidate] {
                rules.append("alias of \(model)")
                return Resolution(model: model, rule: .alias, explanation: "\(lower) → \(model) (\(rules.joined(separator: ", ")))")
            }
        }
        return nil
    }

    /// The longest model that `name` starts with, followed by a snapshot suffix. Only the few
    /// endings that can be such a suffix are tried (`-latest`, `-dddd`, `-dddddddd`,
    /// `-dddd-dd-dd`), each a dictionary lookup, so a large catalogue costs no more per call.
    static func family(of name: String, in models: [String: [CatalogueEntry]]) -> String? {
        let characters = Array(name)
        var best: String?
        for length in [5, 7, 9, 11] where length < characters.count {
            let suffix = String(characters[(characters.count - length)...])
            guard isSnapshotSuffix(Substring(suffix)) else { continue }
            let base = String(characters[..<(characters.count - length)])
            if models[base] != nil, best.map({ base.count > $0.count }) ?? true { best = base }
        }
        return best
    }

    /// Whether `suffix` names a dated snapshot (or alias) of a model rather than a different
    /// model: a `-` and then `YYYYMMDD` (Anthropic), `YYYY-MM-DD` (OpenAI), `MMDD` (older OpenAI
    /// names such as `gpt-4-0613`) or `latest`.
    public static func isSnapshotSuffix(_ suffix: Substring) -> Bool {
        guard suffix.first == "-" else { return false }
        let body = suffix.dropFirst()
        if body == "latest" { return true }
        let groups = body.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }) else { return false }
        switch groups.map(\.count) {
        case [8], [4], [4, 2, 2]: return true
        default: return false
        }
    }

    // MARK: - Time

    /// The entry of `model` (a catalogue key) in force at `timestamp`: the latest whose
    /// `effectiveFrom` is not after it; `nil` before the first.
    public func entry(provider: String, model: String, at timestamp: UTCTimestamp) -> CatalogueEntry? {
        history(provider: provider, model: model).last { $0.effectiveFrom <= timestamp }
    }
}
