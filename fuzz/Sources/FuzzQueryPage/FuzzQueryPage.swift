// Fuzz target 2: the two JSON readers and the streaming Query-page decoder. Each input is a
// would-be JSON document / DynamoDB Query response body.
//
// - `JSONValue.parse` and a tree built here from `JSONScanner`'s pull API accept the same inputs
//   and give the same value (the scanner documents that it validates "as strictly as
//   `JSONValue.parse`"); an accepted value survives serialising (compact and pretty) and parsing.
// - `QueryPageDecoder.page` (streaming) agrees with a tree path built here on `JSONValue.parse`
//   and the library's `Item(wire:)`: whatever the streaming decoder accepts, the tree path
//   accepts with the same items, counts and key; whatever the tree path accepts, the streaming
//   decoder accepts too, except where it is documented stricter (Count/ScannedCount must be
//   non-negative integer text; NULL must hold true or false).
// - `QueryPageDecoder.decode` reading each item attribute by attribute (`WireItem.next`), and
//   stopping early, reports the same attributes and the same summary.
import DynamoDB
import ExactJSON
import FuzzSupport

public func fuzzQueryPage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let parsed = checkJSON(bytes)
    checkPage(bytes, parsed: parsed)
    return 0
}

// MARK: - JSON

/// A value read through `JSONScanner` alone.
func scannedValue(_ scanner: inout JSONScanner) throws(JSONParseError) -> JSONValue {
    switch scanner.peekKind() {
    case .object:
        try scanner.beginObject()
        var members: [JSONValue.Member] = []
        var state = JSONScanner.Members()
        while let key = try scanner.nextKey(&state) {
            let name = scanner.string(key)
            members.append(JSONValue.Member(key: name, value: try scannedValue(&scanner)))
        }
        return .object(members)
    case .array:
        try scanner.beginArray()
        var elements: [JSONValue] = []
        var state = JSONScanner.Members()
        while try scanner.nextElement(&state) { elements.append(try scannedValue(&scanner)) }
        return .array(elements)
    case .string:
        return .string(scanner.string(try scanner.readString()))
    case .number:
        return .number(scanner.string(try scanner.readNumber()))
    case .bool:
        return .bool(try scanner.readBool())
    case .null:
        try scanner.readNull()
        return .null
    case nil:
        // Let the scanner produce its own error for the byte (or the end).
        try scanner.skipValue()
        fail("skipValue accepted what peekKind could not classify")
    }
}

func checkJSON(_ bytes: [UInt8]) -> JSONValue? {
    let parsed: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in try JSONValue.parse(bytes) }
    let scanned: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(JSONParseError) -> JSONValue in
            var scanner = JSONScanner(buffer)
            let value = try scannedValue(&scanner)
            try scanner.finish()
            return value
        }
    }
    let skipped: Result<Void, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(JSONParseError) in
            var scanner = JSONScanner(buffer)
            try scanner.skipValue()
            try scanner.finish()
        }
    }
    switch (parsed, scanned) {
    case (.success(let a), .success(let b)):
        require(a == b, "parse and the scanner read different values from \(show(bytes))\n  parse:   \(a)\n  scanner: \(b)")
    case (.failure(let error), .success):
        fail("JSONValue.parse refused (\(error)) what JSONScanner read: \(show(bytes))")
    case (.success, .failure(let error)):
        fail("JSONScanner refused (\(error)) what JSONValue.parse read: \(show(bytes))")
    case (.failure(let a), .failure(let b)):
        require(a.offset >= 0 && a.offset <= bytes.count && b.offset >= 0 && b.offset <= bytes.count,
                "an error offset outside the input: \(a) / \(b) for \(bytes.count) bytes")
    }
    switch (parsed, skipped) {
    case (.success, .failure(let error)):
        fail("JSONScanner.skipValue refused (\(error)) what JSONValue.parse read: \(show(bytes))")
    case (.failure(let error), .success):
        fail("JSONScanner.skipValue accepted what JSONValue.parse refused (\(error)): \(show(bytes))")
    default:
        break
    }
    guard case .success(let value) = parsed else { return nil }
    for pretty in [false, true] {
        let text = value.serializedBytes(pretty: pretty)
        do {
            let again = try JSONValue.parse(text)
            require(again == value, "serialized (pretty: \(pretty)) as \(show(text)) but read back as \(again), from \(show(bytes))")
            require(again.serializedBytes(pretty: pretty) == text, "serialising is not stable for \(show(text))")
        } catch {
            fail("serialized (pretty: \(pretty)) to text JSONValue.parse refuses (\(error)): \(show(text))")
        }
    }
    return value
}

// MARK: - Query pages

/// A decoded page, comparable; an empty LastEvaluatedKey is no key (the decoder's documented rule).
struct Decoded: Equatable {
    var items: [Item]
    var count: Int
    var scannedCount: Int
    var lastEvaluatedKey: Item?
}

enum TreeOutcome {
    case decoded(Decoded)
    /// Accepted by the tree path, but only because it is laxer where the streaming decoder is
    /// documented to be strict.
    case laxOnly(Decoded, String)
    case refused(String)
}

/// Whether a number's text is what the streaming decoder accepts for Count and ScannedCount.
func isCountText(_ text: String) -> Bool {
    guard let value = Int(text) else { return false }
    return value >= 0
}

/// Whether an attribute value (wire JSON) holds a NULL whose value is not true or false anywhere.
func hasLaxNull(_ value: JSONValue) -> Bool {
    switch value {
    case .object(let members):
        return members.contains { member in
            (member.key == "NULL" && member.value.boolValue == nil) || hasLaxNull(member.value)
        }
    case .array(let elements):
        return elements.contains(where: hasLaxNull)
    default:
        return false
    }
}

/// The page as the tree path reads it. Duplicate members: every `Items` array in order (the
/// streaming decoder reads each), the last `Count`, `ScannedCount` and `LastEvaluatedKey`.
func treePage(_ json: JSONValue) -> TreeOutcome {
    guard case .object(let members) = json else { return .refused("not an object") }
    var items: [Item] = []
    var count: Int?
    var scanned: Int?
    var lastKey: Item?
    var lax: String?
    for member in members {
        switch member.key {
        case "Items":
            guard case .array(let elements) = member.value else { return .refused("Items is not an array") }
            for element in elements {
                guard case .object = element else { return .refused("an item is not an object") }
                do {
                    items.append(try Item(wire: element))
                } catch {
                    return .refused("item: \(error)")
                }
                if hasLaxNull(element) { lax = "a NULL that is not true or false" }
            }
        case "Count", "ScannedCount":
            guard case .number(let text) = member.value else { return .refused("\(member.key) is not a number") }
            if !isCountText(text) { lax = "\(member.key) \(text)" }
            let value = member.value.intValue ?? -1
            if member.key == "Count" { count = value } else { scanned = value }
        case "LastEvaluatedKey":
            guard case .object = member.value else { return .refused("LastEvaluatedKey is not an object") }
            do {
                let key = try Item(wire: member.value)
                lastKey = key.isEmpty ? nil : key
            } catch {
                return .refused("LastEvaluatedKey: \(error)")
            }
            if hasLaxNull(member.value) { lax = "a NULL that is not true or false" }
        default:
            continue
        }
    }
    let finalCount = count ?? items.count
    let decoded = Decoded(items: items, count: finalCount, scannedCount: scanned ?? finalCount, lastEvaluatedKey: lastKey)
    if let lax { return .laxOnly(decoded, lax) }
    return .decoded(decoded)
}

func checkPage(_ bytes: [UInt8], parsed: JSONValue?) {
    let streamed: Result<Decoded, WireDecodingError> = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(WireDecodingError) -> Decoded in
            let page = try QueryPageDecoder.page(buffer)
            return Decoded(items: page.items, count: page.count, scannedCount: page.scannedCount,
                           lastEvaluatedKey: page.lastEvaluatedKey.flatMap { $0.isEmpty ? nil : $0 })
        }
    }
    let tree: TreeOutcome = parsed.map(treePage) ?? .refused("not JSON")
    switch (streamed, tree) {
    case (.success(let a), .decoded(let b)), (.success(let a), .laxOnly(let b, _)):
        require(a == b, "the streaming decoder and the tree path differ on \(show(bytes))\n  streaming: \(a)\n  tree:      \(b)")
    case (.success(let a), .refused(let why)):
        fail("the streaming decoder accepted what the tree path refuses (\(why)): \(show(bytes))\n  streaming: \(a)")
    case (.failure(let error), .decoded(let b)):
        fail("the streaming decoder refused (\(error)) what the tree path reads: \(show(bytes))\n  tree: \(b)")
    case (.failure(let error), _):
        require(!error.description.isEmpty, "an empty error")
    }

    // Attribute by attribute, stopping after `limit` attributes of each item (the decoder
    // steps over the rest).
    guard case .success(let page) = streamed else { return }
    let limit = bytes.count % 4 == 0 ? Int.max : bytes.count % 4
    var seen = 0
    let summary: Result<QueryPageSummary, WireDecodingError> = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(WireDecodingError) -> QueryPageSummary in
            try QueryPageDecoder.decode(buffer) { (reader: inout WireItem) throws(WireDecodingError) in
                guard seen < page.items.count else { fail("more items streamed than the page has") }
                let item = page.items[seen]
                // name -> (type, S/N text, BOOL value) of its last occurrence
                var last: [String: (type: WireType, text: String?, flag: Bool)] = [:]
                var read = 0
                while read < limit, let attribute = try reader.next() {
                    read += 1
                    let name = reader.string(attribute.name)
                    require(item[name] != nil, "streamed attribute \(name.debugDescription) is not in item \(seen): \(item)")
                    last[name] = (attribute.type, attribute.text.map { reader.string($0) }, attribute.flag)
                }
                if limit == Int.max {
                    require(Set(last.keys) == Set(item.keys), "streamed names \(last.keys.sorted()) but the item has \(item.keys.sorted())")
                    for (name, attribute) in last {
                        switch (attribute.type, item[name]) {
                        case (.s, .s(let text)?), (.n, .n(let text)?):
                            require(attribute.text == text, "\(attribute.type) \(name.debugDescription): streamed \(String(describing: attribute.text)), item has \(text.debugDescription)")
                        case (.bool, .bool(let flag)?):
                            require(attribute.flag == flag, "BOOL \(name.debugDescription): streamed \(attribute.flag), item has \(flag)")
                        case (.null, .null?), (.b, .b?), (.m, .m?), (.l, .l?), (.ss, .ss?), (.ns, .ns?), (.bs, .bs?):
                            break
                        default:
                            fail("attribute \(name.debugDescription) streamed as \(attribute.type), decoded as \(String(describing: item[name]))")
                        }
                    }
                }
                seen += 1
            }
        }
    }
    switch summary {
    case .success(let summary):
        require(summary.itemsRead == page.items.count && seen == page.items.count,
                "streamed \(summary.itemsRead) items (\(seen) seen), the page has \(page.items.count)")
        require(summary.count == page.count && summary.scannedCount == page.scannedCount,
                "summary counts \(summary.count)/\(summary.scannedCount), page \(page.count)/\(page.scannedCount)")
        require(summary.lastEvaluatedKey.flatMap { $0.isEmpty ? nil : $0 } == page.lastEvaluatedKey,
                "summary key \(String(describing: summary.lastEvaluatedKey)), page \(String(describing: page.lastEvaluatedKey))")
    case .failure(let error):
        fail("reading \(limit == Int.max ? "every" : String(limit)) attribute(s) per item failed (\(error)) where page() succeeded: \(show(bytes))")
    }
}
