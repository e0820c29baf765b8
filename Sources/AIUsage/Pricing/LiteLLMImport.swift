import ExactJSON

/// A LiteLLM price map (`model_prices_and_context_window.json`, published by BerriAI/litellm under
/// the MIT licence) turned into our catalogue JSON (`"format": "ai-usage-pricing/1"`).
///
/// A pure transform: bytes in, a `JSONValue` and a ``Summary`` out; nothing is read or written.
///
/// **Which entries are kept.** Those whose `litellm_provider` is `openai` or
/// `text-completion-openai` (provider `openai`), `anthropic` (`anthropic`) or `gemini`
/// (`google`); every other entry (Bedrock, Azure, Vertex, LiteLLM's own `sample_spec`, whose
/// provider is a sentence, an entry without a provider) is skipped and counted. The model name is
/// the key lower-cased, without its provider's prefix (`openai/`, `anthropic/`, `gemini/`). An
/// entry of our providers without a standard input or per-image price (only
/// `input_cost_per_pixel`, say, or only an output or long-context price) is skipped and counted:
/// the catalogue reader (`CatalogueJSON`) needs `prices.input` or `prices.per_image`.
///
/// **Fields.** See ``priceFields`` for the flat mapping. Long-context tiers are read from
/// `input_cost_per_token_above_<N>k_tokens`, `output_cost_per_token_above_<N>k_tokens`,
/// `cache_read_input_token_cost_above_<N>k_tokens`, `cache_creation_input_token_cost_above_<N>k_tokens`
/// and `cache_creation_input_token_cost_above_1hr_above_<N>k_tokens` (N a decimal number without
/// leading zeros, the threshold N × 1000 input tokens). Fields in ``knownNonPriceFields`` (and
/// those starting `supports_` or `supported_`) are ignored silently; any other field of an entry
/// of our providers (`input_cost_per_image`, which LiteLLM uses for input images, `_priority`
/// variants of tiers, `search_context_cost_per_query`, …) is ignored and counted by name in
/// ``Summary/unknownFields``.
///
/// **Numbers.** LiteLLM writes binary floats (`2.5e-06`, `3.0000000000000004e-07`). Each price
/// becomes the shortest decimal that reads back as the same `Double` — `Double.description`, the
/// shortest round-trip text, parsed by `ExactDecimal` — so `2.5e-06` and `0.0000025` both give
/// `"0.0000025"` and `0.10000000000000001` gives `"0.1"`. The `Double` is only used to find that
/// text: no arithmetic is done on it. A JSON string holding a number is read the same way; `null`
/// is the same as absent.
///
/// **Refused** (the whole file, with a ``LiteLLMImportError`` naming the entry and field): text
/// that is not JSON, a top level that is not an object, an entry that is not an object (any
/// provider), a price of a kept provider that is not a number (a non-numeric string, a Boolean, an
/// object), negative, not finite, too small to be told from zero as a `Double`, or outside
/// `ExactDecimal`'s range, the same price field twice in one entry, an empty model name, and two
/// entries that name the same provider and model with different prices, unless exactly one of
/// them carries the provider prefix. **Listed twice.** LiteLLM lists some models under two keys
/// (`sora-2` and `openai/sora-2`): with the same prices they are kept once; with different
/// prices the prefixed key's are kept (LiteLLM routes `<provider>/<model>` by it), and the
/// summary names both.
public struct LiteLLMImport: Sendable {
    /// The catalogue: `{"format": "ai-usage-pricing/1", "version": …, "entries": [...]}`, entries
    /// sorted by provider, then model; each with `provider`, `model`, `effective_from`, `prices`,
    /// and, when not empty, `batch`, `service_tiers` (`flex`, `priority`) and `tiers` (by
    /// threshold), then `source`. Prices are JSON strings of plain decimal text (no exponent).
    public var catalogue: JSONValue
    /// What was read, kept and skipped.
    public var summary: Summary

    /// The catalogue format this import writes.
    public static let format = "ai-usage-pricing/1"

    /// Our provider for each LiteLLM `litellm_provider` that is kept.
    public static let providers: [String: String] = [
        "openai": "openai",
        "text-completion-openai": "openai",
        "anthropic": "anthropic",
        "gemini": "google",
    ]

    /// The providers an import can keep, in catalogue order.
    public static let keptProviders = ["anthropic", "google", "openai"]

    /// LiteLLM fields that carry no price and are ignored without being counted as unknown:
    /// the provider, the mode, context-window sizes, the deprecation date, LiteLLM's own
    /// provenance (`source`, `metadata`) and Anthropic's tool-use prompt size. Every field that
    /// starts `supports_` or `supported_` (capabilities, endpoints, regions) is ignored too.
    public static let knownNonPriceFields: Set<String> = [
        "litellm_provider", "mode", "max_tokens", "max_input_tokens", "max_output_tokens",
        "deprecation_date", "source", "metadata", "tool_use_system_prompt_tokens",
    ]

    /// The flat (not long-context) LiteLLM price fields and where each goes.
    ///
    /// | LiteLLM field | ours |
    /// |---|---|
    /// | `input_cost_per_token`, `output_cost_per_token` | `prices.input`, `prices.output` |
    /// | `cache_read_input_token_cost` | `prices.cache_read` |
    /// | `cache_creation_input_token_cost` | `prices.cache_write_5m` |
    /// | `cache_creation_input_token_cost_above_1hr` | `prices.cache_write_1h` |
    /// | `output_cost_per_reasoning_token` | `prices.reasoning` |
    /// | `output_cost_per_image` | `prices.per_image` |
    /// | `input_cost_per_token_batches`, `output_cost_per_token_batches`, `cache_read_input_token_cost_batches`, `cache_creation_input_token_cost_batches` | `batch.input`, `.output`, `.cache_read`, `.cache_write_5m` |
    /// | `…_flex`, `…_priority` of input, output, cache read and cache write | `service_tiers.flex` / `.priority` |
    ///
    /// A long-context field (``slot(for:)``) may end the same way: `_batches`, `_flex` or `_priority`
    /// after `…_above_<N>k_tokens` goes into that tier's `batch` or `service_tiers`.
    public static let priceFields: [String: PriceSlot] = [
        "input_cost_per_token": .standard("input"),
        "output_cost_per_token": .standard("output"),
        "cache_read_input_token_cost": .standard("cache_read"),
        "cache_creation_input_token_cost": .standard("cache_write_5m"),
        "cache_creation_input_token_cost_above_1hr": .standard("cache_write_1h"),
        "output_cost_per_reasoning_token": .standard("reasoning"),
        "output_cost_per_image": .standard("per_image"),
        "input_cost_per_token_batches": .batch("input"),
        "output_cost_per_token_batches": .batch("output"),
        "cache_read_input_token_cost_batches": .batch("cache_read"),
        "cache_creation_input_token_cost_batches": .batch("cache_write_5m"),
        "cache_creation_input_token_cost_flex": .serviceTier("flex", "cache_write_5m"),
        "cache_creation_input_token_cost_priority": .serviceTier("priority", "cache_write_5m"),
        "input_cost_per_token_flex": .serviceTier("flex", "input"),
        "output_cost_per_token_flex": .serviceTier("flex", "output"),
        "cache_read_input_token_cost_flex": .serviceTier("flex", "cache_read"),
        "input_cost_per_token_priority": .serviceTier("priority", "input"),
        "output_cost_per_token_priority": .serviceTier("priority", "output"),
        "cache_read_input_token_cost_priority": .serviceTier("priority", "cache_read"),
    ]

    /// The stems of long-context fields (`<stem><N>k_tokens`) and the price each sets; the 1-hour
    /// cache-write stem comes before the plain cache-write stem it starts with.
    private static let tierStems: [(stem: String, key: String)] = [
        ("cache_creation_input_token_cost_above_1hr_above_", "cache_write_1h"),
        ("cache_creation_input_token_cost_above_", "cache_write_5m"),
        ("cache_read_input_token_cost_above_", "cache_read"),
        ("input_cost_per_token_above_", "input"),
        ("output_cost_per_token_above_", "output"),
    ]

    /// The endings of a long-context field: plain, the Batch API's, a service tier's.
    private static let tierVariants: [(suffix: String, variant: String?)] = [
        ("k_tokens", nil), ("k_tokens_batches", "batches"), ("k_tokens_flex", "flex"), ("k_tokens_priority", "priority"),
    ]

    /// Our price keys, in the order they are written.
    fileprivate static let priceKeyOrder = [
        "input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning", "per_image",
    ]

    /// The service tiers, in the order they are written.
    fileprivate static let serviceTierOrder = ["flex", "priority"]

    /// Where a LiteLLM price field goes in a catalogue entry.
    public enum PriceSlot: Sendable, Hashable {
        /// `prices.<key>`.
        case standard(String)
        /// `batch.<key>`.
        case batch(String)
        /// `service_tiers.<tier>.<key>`.
        case serviceTier(String, String)
        /// `tiers[above_input_tokens == threshold].prices.<key>`.
        case tier(Int, String)
        /// `tiers[above_input_tokens == threshold].batch.<key>`.
        case tierBatch(Int, String)
        /// `tiers[above_input_tokens == threshold].service_tiers.<tier>.<key>`.
        case tierServiceTier(Int, String, String)
    }

    /// Where `field` goes, or `nil` when it is not a price field we map.
    public static func slot(for field: String) -> PriceSlot? {
        if let slot = priceFields[field] { return slot }
        for (suffix, variant) in tierVariants where field.hasSuffix(suffix) {
            for (stem, key) in tierStems where field.hasPrefix(stem) {
                let digits = field.dropFirst(stem.count).dropLast(suffix.count)
                guard let thousands = canonicalNumber(digits) else { continue }
                let (threshold, overflow) = thousands.multipliedReportingOverflow(by: 1000)
                guard !overflow else { return nil }
                switch variant {
                case nil: return .tier(threshold, key)
                case "batches": return .tierBatch(threshold, key)
                case let tier?: return .tierServiceTier(threshold, tier, key)
                }
            }
        }
        return nil
    }

    /// Whether `field` is ignored silently (see ``knownNonPriceFields``).
    public static func isKnownNonPriceField(_ field: String) -> Bool {
        knownNonPriceFields.contains(field) || field.hasPrefix("supports_") || field.hasPrefix("supported_")
    }

    /// Converts the map. `effectiveFrom` is `"YYYY-MM-DD"` (validated by the caller) and becomes
    /// every entry's `effective_from`; `version` is the catalogue's `version`; `source` is every
    /// entry's `source` and names the file in errors.
    public static func convert(
        _ bytes: [UInt8], effectiveFrom: String, version: String, source: String
    ) throws(LiteLLMImportError) -> LiteLLMImport {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw LiteLLMImportError(source: source, problem: "is not valid JSON: \(error)")
        }
        guard case .object(let members) = root else {
            throw LiteLLMImportError(source: source, problem: "the top level must be a JSON object of models, e.g. {\"gpt-4o\": {…}}")
        }

        var summary = Summary()
        var unknownCounts: [String: Int] = [:]
        var entries: [ImportedEntry] = []
        var indexOfModel: [ModelID: Int] = [:]

        for member in members {
            let key = member.key
            summary.entriesRead += 1
            guard case .object(let fields) = member.value else {
                throw LiteLLMImportError(
                    source: source, entry: key,
                    problem: "is not a JSON object: \(InputEcho.short(member.value.serialized()))")
            }
            guard let litellmProvider = member.value["litellm_provider"]?.stringValue,
                  let provider = providers[litellmProvider]
            else {
                summary.skippedOtherProvider += 1
                continue
            }
            let entry = try ImportedEntry(key: key, provider: provider, fields: fields, source: source)
            for field in entry.unknownFields { unknownCounts[field, default: 0] += 1 }
            guard entry.hasPrices else {
                summary.skippedNoPrice += 1
                continue
            }
            let id = ModelID(provider: entry.provider, model: entry.model)
            if let index = indexOfModel[id] {
                // LiteLLM lists some models under two keys (`sora-2` and `openai/sora-2`).
                let earlier = entries[index]
                if earlier.samePrices(as: entry) {
                    summary.sameNameTwice.append(.init(model: entry.model, kept: earlier.key, dropped: key, samePrices: true))
                    continue
                }
                guard earlier.hasPrefix != entry.hasPrefix else {
                    throw LiteLLMImportError(
                        source: source, entry: key,
                        problem: "names the same \(provider) model '\(InputEcho.short(entry.model))' as entry \(quoted(earlier.key)), with other prices")
                }
                // Different prices: the provider-prefixed key is the one LiteLLM routes
                // `<provider>/<model>` calls by, so its prices win.
                let (kept, dropped) = entry.hasPrefix ? (entry, earlier) : (earlier, entry)
                summary.sameNameTwice.append(.init(model: entry.model, kept: kept.key, dropped: dropped.key, samePrices: false))
                entries[index] = kept
                continue
            }
            indexOfModel[id] = entries.count
            summary.keptByProvider[provider, default: 0] += 1
            entries.append(entry)
        }

        summary.unknownFields = unknownCounts
            .map { UnknownField(name: $0.key, entries: $0.value) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        entries.sort { first, second in
            first.provider != second.provider
                ? first.provider.utf8.lexicographicallyPrecedes(second.provider.utf8)
                : first.model.utf8.lexicographicallyPrecedes(second.model.utf8)
        }

        let catalogue: JSONValue = [
            "format": .string(format),
            "version": .string(version),
            "entries": .array(entries.map { $0.json(effectiveFrom: effectiveFrom, source: source) }),
        ]
        return LiteLLMImport(catalogue: catalogue, summary: summary)
    }

    /// `text` as a number when it is decimal digits without a leading zero (`"128"`, not `"0128"`, `"0"` or `""`).
    private static func canonicalNumber(_ text: Substring) -> Int? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"),
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(text)
    }
}

// MARK: - Summary

extension LiteLLMImport {
    /// Counts for the import summary.
    public struct Summary: Sendable, Hashable, CustomStringConvertible {
        /// Every entry of the map (LiteLLM's `sample_spec` included).
        public var entriesRead = 0
        /// Entries kept, by our provider (`openai`, `anthropic`, `google`; each present, 0 when none).
        public var keptByProvider: [String: Int] = Dictionary(uniqueKeysWithValues: LiteLLMImport.keptProviders.map { ($0, 0) })
        /// Entries skipped because their `litellm_provider` is not one we keep.
        public var skippedOtherProvider = 0
        /// Entries of our providers skipped because they have no standard input or per-image price
        /// (no price we map, or only prices that cannot stand alone).
        public var skippedNoPrice = 0
        /// Fields that are neither mapped nor known non-price fields, with the number of entries
        /// of our providers that have them, sorted by name.
        public var unknownFields: [UnknownField] = []
        /// Models LiteLLM lists under two keys (with and without the provider prefix), in map order.
        public var sameNameTwice: [SameName] = []

        /// A model listed twice: which key's prices were kept.
        public struct SameName: Sendable, Hashable {
            public var model: String
            public var kept: String
            public var dropped: String
            /// Whether both keys have the same prices (then which is kept does not matter).
            public var samePrices: Bool
        }

        /// All kept entries.
        public var kept: Int { keptByProvider.values.reduce(0, +) }

        /// A short human summary, one line each:
        ///
        /// ```
        /// read 12 entries
        /// kept 5: anthropic 1, google 1, openai 3
        /// skipped 5 of other providers, 1 without an input or per-image price
        /// unknown fields, ignored: input_cost_per_pixel (1), some_new_cost_field (2)
        /// ```
        public var lines: [String] {
            let perProvider = LiteLLMImport.keptProviders.map { "\($0) \(keptByProvider[$0] ?? 0)" }
            let unknown = unknownFields.isEmpty
                ? "no unknown fields"
                : "unknown fields, ignored: " + unknownFields.map { "\($0.name) (\($0.entries))" }.joined(separator: ", ")
            var lines = [
                "read \(entriesRead) entries",
                "kept \(kept): " + perProvider.joined(separator: ", "),
                "skipped \(skippedOtherProvider) of other providers, \(skippedNoPrice) without an input or per-image price",
                unknown,
            ]
            let same = sameNameTwice.filter(\.samePrices).count
            if same > 0 { lines.append("\(same) models listed twice with the same prices (with and without the provider prefix), kept once") }
            for twice in sameNameTwice where !twice.samePrices {
                lines.append("model '\(InputEcho.short(twice.model))' is listed twice with different prices: kept \"\(InputEcho.short(twice.kept))\", not \"\(InputEcho.short(twice.dropped))\"")
            }
            return lines
        }

        /// ``lines`` joined by newlines.
        public var description: String { lines.joined(separator: "\n") }
    }

    /// A field the import does not know, and in how many entries of our providers it appears.
    public struct UnknownField: Sendable, Hashable {
        /// The LiteLLM field name.
        public var name: String
        /// The number of entries (of our providers) that have it.
        public var entries: Int

        /// The field `name`, found in `entries` entries.
        public init(name: String, entries: Int) {
            self.name = name
            self.entries = entries
        }
    }
}

// MARK: - Error

/// A LiteLLM price map that could not be imported. `description` names the file, the entry and
/// the field: `litellm file 'x.json': entry "gpt-4o": input_cost_per_token: "abc" is not a number`.
public struct LiteLLMImportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or other source) the map came from.
    public var source: String
    /// The key of the entry at fault, when one is.
    public var entry: String?
    /// The field of that entry at fault, when one is.
    public var field: String?
    /// What is wrong.
    public var problem: String

    /// The error `problem` in `source`, at `entry` and `field` when given.
    public init(source: String, entry: String? = nil, field: String? = nil, problem: String) {
        self.source = source
        self.entry = entry
        self.field = field
        self.problem = problem
    }

    /// `litellm file '<source>': entry "<key>": <field>: <problem>`, the parts that are known.
    public var description: String {
        var text = "litellm file '\(InputEcho.short(source, limit: 120))': "
        if let entry { text += "entry \(quoted(entry)): " }
        if let field { text += "\(InputEcho.short(field)): " }
        return text + problem
    }
}

/// A key as a JSON string, shortened and with control characters replaced (`InputEcho`).
private func quoted(_ key: String) -> String {
    JSONValue.string(InputEcho.short(key)).serialized()
}

// MARK: - One entry

/// A provider and model: what two kept entries must not share.
private struct ModelID: Hashable {
    var provider: String
    var model: String
}

/// The prices of one kept entry, by our keys.
private struct ImportedEntry {
    var key: String
    var provider: String
    var model: String
    var prices: [String: ExactDecimal] = [:]
    var batch: [String: ExactDecimal] = [:]
    var serviceTiers: [String: [String: ExactDecimal]] = [:]
    var tiers: [Int: [String: ExactDecimal]] = [:]
    /// Batch and service-tier prices of the long-context tiers, by threshold.
    var tierBatch: [Int: [String: ExactDecimal]] = [:]
    var tierServiceTiers: [Int: [String: [String: ExactDecimal]]] = [:]
    /// The entry's unknown fields, each once.
    var unknownFields: Set<String> = []

    /// Whether it has what a catalogue entry needs: a standard input or per-image price.
    var hasPrices: Bool { prices["input"] != nil || prices["per_image"] != nil }

    /// Whether the key starts with the provider's prefix (`gemini/…`).
    var hasPrefix: Bool { key.lowercased() != model }

    /// Whether `other` has exactly the same prices.
    func samePrices(as other: ImportedEntry) -> Bool {
        prices == other.prices && batch == other.batch && serviceTiers == other.serviceTiers && tiers == other.tiers
            && tierBatch == other.tierBatch && tierServiceTiers == other.tierServiceTiers
    }

    /// The prefixes a key of each of our providers may start with.
    private static let keyPrefixes = ["openai": "openai/", "anthropic": "anthropic/", "google": "gemini/"]

    init(key: String, provider: String, fields: [JSONValue.Member], source: String) throws(LiteLLMImportError) {
        self.key = key
        self.provider = provider
        var model = key.lowercased()
        if let prefix = Self.keyPrefixes[provider], model.hasPrefix(prefix) {
            model = String(model.dropFirst(prefix.count))
        }
        guard !model.isEmpty else {
            throw LiteLLMImportError(source: source, entry: key, problem: "the model name is empty")
        }
        guard !model.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw LiteLLMImportError(source: source, entry: key, problem: "the model name has a control character")
        }
        self.model = model

        var seen: Set<String> = []
        for member in fields {
            let field = member.key
            if LiteLLMImport.isKnownNonPriceField(field) { continue }
            guard let slot = LiteLLMImport.slot(for: field) else {
                unknownFields.insert(field)
                continue
            }
            guard seen.insert(field).inserted else {
                throw LiteLLMImportError(source: source, entry: key, field: field, problem: "appears twice")
            }
            guard let price = try Self.price(member.value, key: key, field: field, source: source) else { continue }
            switch slot {
            case .standard(let name): prices[name] = price
            case .batch(let name): batch[name] = price
            case .serviceTier(let tier, let name): serviceTiers[tier, default: [:]][name] = price
            case .tier(let threshold, let name): tiers[threshold, default: [:]][name] = price
            case .tierBatch(let threshold, let name): tierBatch[threshold, default: [:]][name] = price
            case .tierServiceTier(let threshold, let tier, let name): tierServiceTiers[threshold, default: [:]][tier, default: [:]][name] = price
            }
        }
    }

    /// A price as the shortest decimal that round-trips as a `Double`; `nil` for `null`.
    static func price(_ value: JSONValue, key: String, field: String, source: String) throws(LiteLLMImportError) -> ExactDecimal? {
        func fail(_ problem: String) -> LiteLLMImportError {
            LiteLLMImportError(source: source, entry: key, field: field, problem: "\(InputEcho.short(value.serialized())) \(problem)")
        }
        let text: String
        switch value {
        case .null: return nil
        case .number(let number): text = number
        case .string(let string): text = string
        default: throw fail("is not a number")
        }
        guard isJSONNumber(text), let double = Double(text) else { throw fail("is not a number") }
        guard double.isFinite else { throw fail("is not a finite number") }
        if double == 0, hasNonzeroDigit(text) { throw fail("is too small to be told from zero") }
        // Double.description is the shortest text that reads back as the same Double.
        guard let price = ExactDecimal(double.description) else {
            throw fail("is outside the range of an exact decimal")
        }
        guard !price.isNegative else { throw fail("is negative") }
        return price
    }

    /// Whether `text` follows JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isJSONNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func isDigit(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= UInt8(ascii: "0") && bytes[at] <= UInt8(ascii: "9") }
        func digits() -> Bool {
            let start = index
            while isDigit(index) { index += 1 }
            return index > start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if !digits() {
            return false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return false }
        }
        return index == bytes.count
    }

    /// Whether the significand of number text (before any exponent) has a digit other than 0.
    static func hasNonzeroDigit(_ text: String) -> Bool {
        for byte in text.utf8 {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { return false }
            if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return true }
        }
        return false
    }

    /// The catalogue entry.
    func json(effectiveFrom: String, source: String) -> JSONValue {
        var members: [JSONValue.Member] = [
            .init(key: "provider", value: .string(provider)),
            .init(key: "model", value: .string(model)),
            .init(key: "effective_from", value: .string(effectiveFrom)),
            .init(key: "prices", value: Self.priceObject(prices)),
        ]
        if !batch.isEmpty {
            members.append(.init(key: "batch", value: Self.priceObject(batch)))
        }
        if !serviceTiers.isEmpty {
            members.append(.init(key: "service_tiers", value: Self.serviceTierObject(serviceTiers)))
        }
        let thresholds = Set(tiers.keys).union(tierBatch.keys).union(tierServiceTiers.keys)
        if !thresholds.isEmpty {
            let tiersJSON: [JSONValue] = thresholds.sorted().map { threshold in
                var members: [JSONValue.Member] = [
                    .init(key: "above_input_tokens", value: .number(threshold)),
                    .init(key: "prices", value: Self.priceObject(tiers[threshold] ?? [:])),
                ]
                if let batch = tierBatch[threshold] { members.append(.init(key: "batch", value: Self.priceObject(batch))) }
                if let byTier = tierServiceTiers[threshold] {
                    members.append(.init(key: "service_tiers", value: Self.serviceTierObject(byTier)))
                }
                return .object(members)
            }
            members.append(.init(key: "tiers", value: .array(tiersJSON)))
        }
        members.append(.init(key: "source", value: .string(source)))
        return .object(members)
    }

    /// Service-tier prices as an object of tier name → prices, in our tier order.
    static func serviceTierObject(_ tiers: [String: [String: ExactDecimal]]) -> JSONValue {
        .object(LiteLLMImport.serviceTierOrder.compactMap { name in
            tiers[name].map { JSONValue.Member(key: name, value: priceObject($0)) }
        })
    }

    /// Prices as an object of decimal strings, in our key order.
    static func priceObject(_ prices: [String: ExactDecimal]) -> JSONValue {
        .object(LiteLLMImport.priceKeyOrder.compactMap { key in
            prices[key].map { JSONValue.Member(key: key, value: .string($0.description)) }
        })
    }
}
