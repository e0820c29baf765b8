import ExactJSON

/// What a Query page says besides its items.
public struct QueryPageSummary: Sendable {
    /// `Count`: the items returned (after any filter).
    public var count: Int
    /// `ScannedCount`: the items evaluated before the filter.
    public var scannedCount: Int
    /// Send it back as `ExclusiveStartKey`; `nil` on the last page.
    public var lastEvaluatedKey: Item?
    /// The items handed to the caller.
    public var itemsRead: Int
}

/// Reads a Query response body straight from its bytes: each item is handed to the caller as a
/// `WireItem` while the page is being read, so no tree and no per-item dictionary is built. The
/// members `Items`, `Count`, `ScannedCount` and `LastEvaluatedKey` may come in any order; others
/// are skipped. A malformed body is an error naming its byte offset.
public enum QueryPageDecoder {
    /// Decodes `body`, calling `item` once per item in page order.
    public static func decode(
        _ body: UnsafeBufferPointer<UInt8>,
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) throws(WireDecodingError) -> QueryPageSummary {
        var scanner = JSONScanner(body)
        var summary = QueryPageSummary(count: 0, scannedCount: 0, lastEvaluatedKey: nil, itemsRead: 0)
        var count: Int?
        var scanned: Int?
        do {
            var members = JSONScanner.Members()
            guard scanner.peekKind() == .object else {
                throw scanner.error(.unexpectedCharacter, "a Query response is a JSON object")
            }
            try scanner.beginObject()
            while let key = try scanner.nextKey(&members) {
                if scanner.matches(key, "Items") {
                    guard scanner.peekKind() == .array else { throw scanner.error(.unexpectedCharacter, "Items must be an array") }
                    try scanner.beginArray()
                    var elements = JSONScanner.Members()
                    while try scanner.nextElement(&elements) {
                        guard scanner.peekKind() == .object else { throw scanner.error(.unexpectedCharacter, "each item must be an object") }
                        try scanner.beginObject()
                        var reader = WireItem(scanner: scanner)
                        do throws(WireDecodingError) {
                            try item(&reader)
                            try reader.skipRest()
                        } catch {
                            throw WireDecodingError("item \(summary.itemsRead + 1) of the page: \(error.description)")
                        }
                        scanner = reader.scanner
                        summary.itemsRead += 1
                    }
                } else if scanner.matches(key, "Count") {
                    count = try integer(&scanner, "Count")
                } else if scanner.matches(key, "ScannedCount") {
                    scanned = try integer(&scanner, "ScannedCount")
                } else if scanner.matches(key, "LastEvaluatedKey") {
                    guard scanner.peekKind() == .object else { throw scanner.error(.unexpectedCharacter, "LastEvaluatedKey must be an object") }
                    try scanner.beginObject()
                    var reader = WireItem(scanner: scanner)
                    var key: Item = [:]
                    try reader.decodeRest(into: &key)
                    scanner = reader.scanner
                    summary.lastEvaluatedKey = key.isEmpty ? nil : key
                } else {
                    try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch let error as JSONParseError {
            throw WireDecodingError(json: error)
        } catch let error as WireDecodingError {
            throw error
        } catch {
            throw WireDecodingError("\(error)")
        }
        summary.count = count ?? summary.itemsRead
        summary.scannedCount = scanned ?? summary.count
        return summary
    }

    /// Decodes a whole page into items (every type), for callers that want dictionaries.
    public static func page(_ body: UnsafeBufferPointer<UInt8>) throws(WireDecodingError) -> QueryPage {
        var items: [Item] = []
        let summary = try decode(body) { (reader: inout WireItem) throws(WireDecodingError) in
            var item: Item = [:]
            try reader.decodeRest(into: &item)
            items.append(item)
        }
        return QueryPage(items: items, count: summary.count, scannedCount: summary.scannedCount, lastEvaluatedKey: summary.lastEvaluatedKey)
    }

    private static func integer(_ scanner: inout JSONScanner, _ name: String) throws(JSONParseError) -> Int {
        let start = scanner.offset
        let span = try scanner.readNumber()
        guard let value = Int(scanner.string(span)), value >= 0 else {
            throw JSONParseError(kind: .invalidNumber, offset: start, message: "\(name) must be a non-negative integer")
        }
        return value
    }
}
