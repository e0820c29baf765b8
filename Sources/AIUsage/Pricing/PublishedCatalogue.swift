import DynamoDB

/// A price catalogue published to the usage table (`ai-usage pricing publish`), so every tracker
/// and CLI that reads it shares a price update without a redeploy.
///
/// | PK | SK | item |
/// |---|---|---|
/// | `PRICING#CATALOGUE` | `CURRENT` | the pointer: `version`, `entries` (count), `published_at` |
/// | `PRICING#VERSION#<version>` | `<provider>#<model>#<effective_from>` | one entry: `entry` (its JSON, as in a catalogue file) |
///
/// The entries are written first and the pointer last, so a reader sees the old version or the
/// new one whole, never a mix. The items carry no index keys: no report ever reads them.
/// Switched on with `AI_USAGE_PRICING_FROM_TABLE=on`; the table's catalogue is layered over the
/// built-in one, and `AI_USAGE_PRICING_FILE` over both.
public struct PublishedCatalogue: Sendable {
    public static let pointerPartition = "PRICING#CATALOGUE"
    public static let pointerSortKey = "CURRENT"
    public static let environmentVariable = "AI_USAGE_PRICING_FROM_TABLE"

    public static func versionPartition(_ version: String) -> String { "PRICING#VERSION#\(version)" }

    public let client: DynamoDBClient
    public let tableName: String

    public init(client: DynamoDBClient, tableName: String) {
        self.client = client
        self.tableName = tableName
    }

    /// Whether the environment asks for the table's catalogue (`on`, `true`, `1`); `nil` when
    /// the value is not understood.
    public static func isEnabled(_ environment: [String: String]) -> Bool? {
        switch environment[environmentVariable]?.lowercased() {
        case nil, "", "off", "false", "0": false
        case "on", "true", "1": true
        default: nil
        }
    }

    /// Writes `catalogue`'s entries under its version, then points `CURRENT` at it.
    public func publish(_ catalogue: PricingCatalogue, at now: UTCTimestamp = .now()) async throws(DynamoDBError) -> Int {
        let entries = catalogue.entries
        let partition = Self.versionPartition(catalogue.version)
        let items: [Item] = entries.map { entry in
            [
                "PK": .s(partition),
                "SK": .s("\(entry.provider)#\(entry.model)#\(entry.effectiveFrom.iso8601)"),
                "TYPE": .s("AIUsagePricingEntry"),
                "version": .s(catalogue.version),
                "entry": .s(CatalogueJSON.entryJSON(entry).serialized()),
            ]
        }
        let result = await client.batchWriteItem(tableName: tableName, requests: items.map { .put($0) })
        guard result.isComplete else {
            throw result.errors.first ?? DynamoDBError(kind: .service, code: "Unprocessed", message: "\(result.unprocessed.count) catalogue entries were left unwritten")
        }
        try await client.putItem(PutItemInput(tableName: tableName, item: [
            "PK": .s(Self.pointerPartition),
            "SK": .s(Self.pointerSortKey),
            "TYPE": .s("AIUsagePricingPointer"),
            "version": .s(catalogue.version),
            "entries": .number(entries.count),
            "published_at": .s(now.iso8601),
        ]))
        return entries.count
    }

    /// Why the published catalogue cannot be used.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The published catalogue, or `nil` when none was ever published.
    public func load() async throws -> PricingCatalogue? {
        let pointerPage = try await client.queryPage(QueryInput(
            tableName: tableName, keyConditionExpression: "PK = :p AND SK = :s",
            expressionAttributeValues: [":p": .s(Self.pointerPartition), ":s": .s(Self.pointerSortKey)], consistentRead: true
        ))
        guard let pointer = pointerPage.items.first else { return nil }
        guard let version = pointer["version"]?.string, let expected = pointer["entries"]?.numberText.flatMap({ Int($0) }) else {
            throw LoadError(description: "the published catalogue's pointer (PK \(Self.pointerPartition), SK CURRENT) has no version or entry count")
        }
        var entries: [JSONValue] = []
        var input = QueryInput(
            tableName: tableName, keyConditionExpression: "PK = :p",
            expressionAttributeValues: [":p": .s(Self.versionPartition(version))], consistentRead: true
        )
        repeat {
            let page = try await client.queryPage(input)
            for item in page.items {
                guard let text = item["entry"]?.string, let value = try? JSONValue.parse(Array(text.utf8)) else {
                    throw LoadError(description: "published catalogue \(version): item \(item["SK"]?.string ?? "?") has no readable entry")
                }
                entries.append(value)
            }
            input.exclusiveStartKey = page.lastEvaluatedKey
        } while input.exclusiveStartKey != nil
        guard entries.count == expected else {
            throw LoadError(description: "published catalogue \(version) has \(entries.count) entries, its pointer says \(expected): publish it again")
        }
        let document = JSONValue.object([
            "format": .string(CatalogueJSON.format), "version": .string(version), "entries": .array(entries),
        ])
        do {
            return try CatalogueJSON.read(document.serializedBytes(), source: "published catalogue \(version) in \(tableName)")
        } catch {
            throw LoadError(description: error.description)
        }
    }

    /// The catalogue a deployed process prices with: the built-in one, the table's (when
    /// `AI_USAGE_PRICING_FROM_TABLE` is on) over it, and `AI_USAGE_PRICING_FILE` over both.
    public static func effectiveCatalogue(environment: [String: String], client: DynamoDBClient?, tableName: String?) async throws -> PricingCatalogue {
        var base = PricingCatalogue.builtIn
        switch isEnabled(environment) {
        case nil:
            throw LoadError(description: "\(environmentVariable) must be on or off, got '\(InputEcho.short(environment[environmentVariable] ?? "", limit: 40))'")
        case true?:
            guard let client, let tableName else {
                throw LoadError(description: "\(environmentVariable) is on but no table is configured (DYNAMODB_TABLE_NAME)")
            }
            if let published = try await PublishedCatalogue(client: client, tableName: tableName).load() {
                base = published.layered(over: base)
            }
        case false?:
            break
        }
        return try PricingCatalogue.load(environment: environment, base: base)
    }
}
