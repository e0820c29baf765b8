/// The catalogue's JSON form (`docs/pricing.md`): reading it, strictly, and writing it.
///
/// ```json
/// {"format": "ai-usage-pricing/1", "version": "litellm-2026-12-05",
///  "entries": [{"provider": "openai", "model": "gpt-4o", "effective_from": "2026-12-05",
///               "prices": {"input": "0.0000025", "cache_read": "0.00000125", "output": "0.00001"},
///               "batch": {"input": "0.00000125", "output": "0.000005"},
///               "service_tiers": {"flex": {"input": "…"}},
///               "tiers": [{"above_input_tokens": 200000, "prices": {"input": "…"}}],
///               "aliases": ["chatgpt-4o-latest"], "source": "litellm"}]}
/// ```
///
/// A file without `"format"` is read as the legacy override format of earlier versions
/// (`{"openai": {"gpt-4o": {"input_per_million": "2.50", …}, "old-model": null}}`).
public enum CatalogueJSON {
    /// The value of `"format"`.
    public static let format = "ai-usage-pricing/1"

    static let entryFields: Set<String> = ["provider", "model", "effective_from", "prices", "batch", "service_tiers", "tiers", "aliases", "source", "note"]
    /// The fields of a long-context tier.
    static let tierFields: Set<String> = ["above_input_tokens", "prices", "batch", "service_tiers"]

    /// Reads a catalogue. `source` names the file in errors.
    public static func read(_ bytes: [UInt8], source: String) throws(PricingFileError) -> PricingCatalogue {
        func fail(_ problem: String) -> PricingFileError { PricingFileError(path: source, problem: problem) }
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw fail("is not valid JSON: \(error)")
        }
        guard case .object = root else {
            throw fail("the top level must be a JSON object: {\"format\": \"\(format)\", \"version\": …, \"entries\": […]}")
        }
        guard let formatValue = root["format"] else {
            return try LegacyPricingFile.read(root, source: source, version: "file-" + String(FNV1a.hex64(String(decoding: bytes, as: UTF8.self)).prefix(8)))
        }
        guard formatValue.stringValue == format else {
            throw fail("\"format\" is \(formatValue.serialized()); this version reads \"\(format)\"")
        }
        guard let version = root["version"]?.stringValue, !version.isEmpty, version.count <= 100 else {
            throw fail("\"version\" must be a non-empty string of at most 100 characters (it is what items record in priced_with)")
        }
        guard case .array(let values)? = root["entries"] else {
            throw fail("\"entries\" must be an array of entries")
        }
        var entries: [CatalogueEntry] = []
        var seen: Set<String> = []
        for (index, value) in values.enumerated() {
            let entry = try readEntry(value, index: index, version: version, source: source)
            let key = "\(entry.provider)/\(entry.model)@\(entry.effectiveFrom.iso8601)"
            guard seen.insert(key).inserted else {
                throw fail("entries[\(index)]: \(entry.provider)/\(entry.model) effective \(dateText(entry.effectiveFrom)) appears twice")
            }
            entries.append(entry)
        }
        return PricingCatalogue(version: version, entries: entries)
    }

    private static func readEntry(_ value: JSONValue, index: Int, version: String, source: String) throws(PricingFileError) -> CatalogueEntry {
        var path = "entries[\(index)]"
        func fail(_ problem: String) -> PricingFileError { PricingFileError(path: source, problem: "\(path): \(problem)") }
        guard case .object(let members) = value else { throw fail("must be an object") }
        for member in members where !entryFields.contains(member.key) {
            throw fail("unknown field '\(InputEcho.short(member.key, limit: 40))' (expected \(entryFields.sorted().joined(separator: ", ")))")
        }
        guard let provider = value["provider"]?.stringValue, !provider.isEmpty else { throw fail("\"provider\" must be a non-empty string") }
        guard let model = value["model"]?.stringValue, !model.isEmpty else { throw fail("\"model\" must be a non-empty string") }
        path += " (\(InputEcho.short(provider, limit: 30))/\(InputEcho.short(model, limit: 60)))"
        guard let dateValue = value["effective_from"]?.stringValue, let effectiveFrom = parseDate(dateValue) else {
            throw fail("\"effective_from\" must be a date (YYYY-MM-DD) or a UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)")
        }
        guard let pricesValue = value["prices"] else { throw fail("\"prices\" is missing") }
        let prices = try priceSet(pricesValue, path: "\(path).prices", source: source)
        guard !prices.isEmpty else { throw fail("\"prices\" is empty") }
        guard prices[.perCall] == nil || prices.prices.count == 1 else { throw fail("per_call cannot be combined with other prices") }
        guard prices[.perCall] != nil || prices[.input] != nil || prices[.perImage] != nil else {
            throw fail("\"prices\" needs input (token-priced), per_call or per_image")
        }
        let batch = try value["batch"].map { v throws(PricingFileError) in try priceSet(v, path: "\(path).batch", source: source) }
        let serviceTiers = try serviceTierSets(value["service_tiers"], path: path, source: source)
        var tiers: [PriceTier] = []
        if let tiersValue = value["tiers"] {
            guard case .array(let tierValues) = tiersValue else { throw fail("\"tiers\" must be an array") }
            for (tierIndex, tier) in tierValues.enumerated() {
                guard let threshold = tier["above_input_tokens"]?.intValue, threshold > 0 else {
                    throw fail("tiers[\(tierIndex)].above_input_tokens must be a positive integer")
                }
                let tierPath = "\(path).tiers[\(tierIndex)]"
                guard case .object(let tierMembers) = tier else { throw fail("tiers[\(tierIndex)] must be an object") }
                for member in tierMembers where !tierFields.contains(member.key) {
                    throw fail("tiers[\(tierIndex)]: unknown field '\(InputEcho.short(member.key, limit: 40))' (expected \(tierFields.sorted().joined(separator: ", ")))")
                }
                guard let tierPrices = tier["prices"] else { throw fail("tiers[\(tierIndex)].prices is missing") }
                let tierBatch = try tier["batch"].map { v throws(PricingFileError) in try priceSet(v, path: "\(tierPath).batch", source: source) }
                tiers.append(PriceTier(
                    aboveInputTokens: threshold, prices: try priceSet(tierPrices, path: "\(tierPath).prices", source: source),
                    batch: tierBatch, serviceTiers: try serviceTierSets(tier["service_tiers"], path: tierPath, source: source)
                ))
            }
            guard Set(tiers.map(\.aboveInputTokens)).count == tiers.count else { throw fail("two tiers have the same above_input_tokens") }
        }
        var aliases: [String] = []
        if let aliasValue = value["aliases"] {
            guard case .array(let items) = aliasValue, items.allSatisfy({ $0.stringValue.map { !$0.isEmpty } ?? false }) else {
                throw fail("\"aliases\" must be an array of non-empty strings")
            }
            aliases = items.compactMap(\.stringValue)
        }
        if let sourceValue = value["source"], sourceValue.stringValue == nil { throw fail("\"source\" must be a string") }
        return CatalogueEntry(
            provider: provider, model: model, effectiveFrom: effectiveFrom, prices: prices, batch: batch,
            serviceTiers: serviceTiers, tiers: tiers, aliases: aliases, source: value["source"]?.stringValue,
            catalogueVersion: version
        )
    }

    /// `service_tiers` of an entry or a tier at `path`: tier name (lower-cased) → prices; none when absent.
    static func serviceTierSets(_ value: JSONValue?, path: String, source: String) throws(PricingFileError) -> [String: PriceSet] {
        guard let value else { return [:] }
        guard case .object(let members) = value else {
            throw PricingFileError(path: source, problem: "\(path): \"service_tiers\" must be an object of tier name → prices")
        }
        var tiers: [String: PriceSet] = [:]
        for member in members {
            let name = member.key.lowercased()
            guard tiers[name] == nil else { throw PricingFileError(path: source, problem: "\(path).service_tiers: '\(InputEcho.short(member.key, limit: 40))' appears twice") }
            tiers[name] = try priceSet(member.value, path: "\(path).service_tiers.\(member.key)", source: source)
        }
        return tiers
    }

    /// An object of prices: known keys only; each a decimal string (or a JSON number), ≥ 0, exact.
    static func priceSet(_ value: JSONValue, path: String, source: String) throws(PricingFileError) -> PriceSet {
        guard case .object(let members) = value else {
            throw PricingFileError(path: source, problem: "\(path) must be an object of prices")
        }
        var set = PriceSet()
        for member in members {
            guard let key = PriceKey(rawValue: member.key) else {
                throw PricingFileError(path: source, problem: "\(path): unknown price '\(InputEcho.short(member.key, limit: 40))' (expected \(PriceKey.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard set[key] == nil else { throw PricingFileError(path: source, problem: "\(path).\(member.key) appears twice") }
            set[key] = try price(member.value, path: "\(path).\(member.key)", source: source)
        }
        return set
    }

    /// A non-negative price from a decimal string or a JSON number, exactly.
    static func price(_ value: JSONValue, path: String, source: String) throws(PricingFileError) -> ExactDecimal {
        let text: String
        switch value {
        case .number(let number): text = number
        case .string(let string): text = string
        default:
            throw PricingFileError(path: source, problem: "\(path) must be a decimal string, not \(InputEcho.short(value.serialized(), limit: 40))")
        }
        guard let price = ExactDecimal(text) else {
            throw PricingFileError(path: source, problem: "\(path): \(InputEcho.short(value.serialized(), limit: 40)) is not a decimal number")
        }
        guard price >= .zero else {
            throw PricingFileError(path: source, problem: "\(path): a price cannot be negative (\(InputEcho.short(text, limit: 40)))")
        }
        return price
    }

    /// `YYYY-MM-DD` (midnight UTC) or an ISO 8601 timestamp.
    public static func parseDate(_ text: String) -> UTCTimestamp? {
        if text.utf8.count == 10, let date = CivilDate(text) {
            return UTCTimestamp(year: date.year, month: date.month, day: date.day)
        }
        return UTCTimestamp(iso8601: text)
    }

    /// A date as the catalogue writes it: `YYYY-MM-DD` at midnight, else the full timestamp.
    public static func dateText(_ timestamp: UTCTimestamp) -> String {
        timestamp.microsecondsSinceEpoch % 86_400_000_000 == 0 ? timestamp.dateText : timestamp.iso8601
    }

    // MARK: - Writing

    /// The catalogue as JSON, entries by provider, model and date; prices as decimal strings.
    public static func json(version: String, entries: [CatalogueEntry]) -> JSONValue {
        .object([
            "format": .string(format),
            "version": .string(version),
            "entries": .array(entries.map(entryJSON)),
        ])
    }

    public static func entryJSON(_ entry: CatalogueEntry) -> JSONValue {
        var members: [JSONValue.Member] = [
            .init(key: "provider", value: .string(entry.provider)),
            .init(key: "model", value: .string(entry.model)),
            .init(key: "effective_from", value: .string(dateText(entry.effectiveFrom))),
            .init(key: "prices", value: pricesJSON(entry.prices)),
        ]
        if let batch = entry.batch { members.append(.init(key: "batch", value: pricesJSON(batch))) }
        if !entry.serviceTiers.isEmpty {
            members.append(.init(key: "service_tiers", value: serviceTiersJSON(entry.serviceTiers)))
        }
        if !entry.tiers.isEmpty {
            members.append(.init(key: "tiers", value: .array(entry.tiers.map { tier in
                var members: [JSONValue.Member] = [
                    .init(key: "above_input_tokens", value: .number(tier.aboveInputTokens)), .init(key: "prices", value: pricesJSON(tier.prices)),
                ]
                if let batch = tier.batch { members.append(.init(key: "batch", value: pricesJSON(batch))) }
                if !tier.serviceTiers.isEmpty { members.append(.init(key: "service_tiers", value: serviceTiersJSON(tier.serviceTiers))) }
                return .object(members)
            })))
        }
        if !entry.aliases.isEmpty { members.append(.init(key: "aliases", value: .array(entry.aliases.map(JSONValue.string)))) }
        if let source = entry.source { members.append(.init(key: "source", value: .string(source))) }
        return .object(members)
    }

    static func serviceTiersJSON(_ tiers: [String: PriceSet]) -> JSONValue {
        .object(tiers.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: pricesJSON($0.value)) })
    }

    static func pricesJSON(_ set: PriceSet) -> JSONValue {
        .object(set.prices.sorted { $0.key < $1.key }.map { .init(key: $0.key.rawValue, value: .string($0.value.description)) })
    }
}
