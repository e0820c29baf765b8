/// What `ai-usage pricing show MODEL` prints: the entry a name resolves to in each service that
/// prices it, and why, with the model's history.
public struct ModelPriceReport: Sendable {
    /// One service's answer.
    public struct Match: Sendable, Hashable {
        public var provider: String
        public var resolution: PricingCatalogue.Resolution
        /// The entry in force at the time asked; `nil` before the model's first price.
        public var entry: CatalogueEntry?
        public var history: [CatalogueEntry]
    }

    public var name: String
    /// The service asked about; `nil`: every service.
    public var service: String?
    public var at: UTCTimestamp
    public var matches: [Match]
    /// When nothing matched: catalogue models that share the longest start with the name (at most 5).
    public var nearNames: [String]

    /// Resolves `name` in `service` (or every service) of `catalogue`, at `timestamp`.
    public init(name: String, service: String?, catalogue: PricingCatalogue, at timestamp: UTCTimestamp) {
        self.name = name
        self.service = service?.lowercased()
        self.at = timestamp
        let providers = service.map { [$0.lowercased()] } ?? catalogue.providers
        matches = providers.compactMap { provider in
            guard let resolution = catalogue.resolve(name, provider: provider) else { return nil }
            return Match(
                provider: provider, resolution: resolution,
                entry: catalogue.entry(provider: provider, model: resolution.model, at: timestamp),
                history: catalogue.history(provider: provider, model: resolution.model)
            )
        }
        nearNames = matches.isEmpty ? Self.nearNames(name.lowercased(), providers: providers, catalogue: catalogue) : []
    }

    static func nearNames(_ name: String, providers: [String], catalogue: PricingCatalogue) -> [String] {
        let candidates = catalogue.entries.filter { providers.contains($0.provider) }.map { "\($0.provider)/\($0.model)" }
        func shared(_ candidate: String) -> Int {
            let model = candidate.split(separator: "/", maxSplits: 1).last.map(String.init) ?? candidate
            return zip(model, name).prefix { $0 == $1 }.count
        }
        let scored = Set(candidates).map { ($0, shared($0)) }.filter { $0.1 >= 3 }
        guard let best = scored.map(\.1).max() else { return [] }
        return scored.filter { $0.1 == best }.map(\.0).sorted().prefix(5).map { $0 }
    }

    /// The report as text.
    public var lines: [String] {
        guard !matches.isEmpty else {
            var lines = ["no price for '\(InputEcho.short(name, limit: 80))' in \(service.map { "service '\($0)'" } ?? "any service")"]
            if !nearNames.isEmpty { lines.append("near names: \(nearNames.joined(separator: ", "))") }
            lines.append("add a price: ai-usage pricing import (LiteLLM's map), or an entry in the AI_USAGE_PRICING_FILE catalogue (docs/pricing.md)")
            return lines
        }
        var lines: [String] = []
        for match in matches {
            lines.append("\(match.provider): \(match.resolution.explanation)")
            guard let entry = match.entry else {
                let first = match.history.first.map { CatalogueJSON.dateText($0.effectiveFrom) } ?? "?"
                lines.append("  no price in force at \(at.iso8601): its first price takes effect \(first)")
                continue
            }
            lines.append("  in force at \(at.iso8601): effective \(CatalogueJSON.dateText(entry.effectiveFrom)), catalogue \(entry.catalogueVersion)\(entry.source.map { ", source \($0)" } ?? "")")
            lines.append("  prices (USD per unit; per 1M tokens):")
            lines += Self.priceLines(entry.prices, indent: "    ")
            if let batch = entry.batch { lines.append("  batch:"); lines += Self.priceLines(batch, indent: "    ") }
            for (tier, prices) in entry.serviceTiers.sorted(by: { $0.key < $1.key }) {
                lines.append("  service tier \(tier):")
                lines += Self.priceLines(prices, indent: "    ")
            }
            for tier in entry.tiers {
                lines.append("  above \(tier.aboveInputTokens) tokens of context (the whole request):")
                lines += Self.priceLines(tier.prices, indent: "    ")
                if let batch = tier.batch { lines.append("    batch:"); lines += Self.priceLines(batch, indent: "      ") }
                for (name, prices) in tier.serviceTiers.sorted(by: { $0.key < $1.key }) {
                    lines.append("    service tier \(name):")
                    lines += Self.priceLines(prices, indent: "      ")
                }
            }
            if !entry.aliases.isEmpty { lines.append("  aliases: \(entry.aliases.joined(separator: ", "))") }
            lines.append("  history:")
            for past in match.history {
                lines.append("    \(CatalogueJSON.dateText(past.effectiveFrom))  \(past.prices.text)  (\(past.catalogueVersion))")
            }
        }
        return lines
    }

    static func priceLines(_ prices: PriceSet, indent: String) -> [String] {
        prices.prices.sorted { $0.key < $1.key }.map { key, price in
            let perMillion = key == .perCall || key == .perImage ? "" : "  (\(price * ExactDecimal(1_000_000)) per 1M)"
            return "\(indent)\(key.rawValue.padding(16))\(price)\(perMillion)"
        }
    }

    /// The report as JSON.
    public var json: JSONValue {
        .object([
            "name": .string(name),
            "at": .string(at.iso8601),
            "matches": .array(matches.map { match in
                var members: [JSONValue.Member] = [
                    .init(key: "provider", value: .string(match.provider)),
                    .init(key: "model", value: .string(match.resolution.model)),
                    .init(key: "rule", value: .string(match.resolution.rule.rawValue)),
                    .init(key: "explanation", value: .string(match.resolution.explanation)),
                ]
                if let entry = match.entry {
                    members.append(.init(key: "entry", value: CatalogueJSON.entryJSON(entry)))
                    members.append(.init(key: "catalogue_version", value: .string(entry.catalogueVersion)))
                }
                members.append(.init(key: "history", value: .array(match.history.map(CatalogueJSON.entryJSON))))
                return .object(members)
            }),
            "near_names": .array(nearNames.map(JSONValue.string)),
        ])
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
