import AIUsage
import DynamoDB

/// The attributes of one rollup-partition item that a report reads, as spans of the page: the
/// streaming counterpart of `RollupDay.add` and `RollupCodec.group`. Reading one allocates nothing.
struct RollupFields {
    var type: WireAttribute?
    var day: WireAttribute?
    var sortKey: WireAttribute?
    var digest: WireAttribute?
    // A dirty marker's.
    var token: WireAttribute?
    // A manifest's.
    var groups: WireAttribute?
    var summaryGroups: WireAttribute?
    var version: WireAttribute?
    var clearedToken: WireAttribute?
    // A group's dimensions.
    var date: WireAttribute?
    var service: WireAttribute?
    var model: WireAttribute?
    var operation: WireAttribute?
    var environment: WireAttribute?
    var userId: WireAttribute?
    var userIdCamel: WireAttribute?
    var indexedService: WireAttribute?
    // A group's sums (the report reads `hours` and `invalid_items`; the rest must be well formed).
    var inputTokens: WireAttribute?
    var outputTokens: WireAttribute?
    var errors: WireAttribute?
    var invalidItems: WireAttribute?
    var hours: WireAttribute?

    /// Reads the item's attributes, skipping those it does not need.
    static func read(_ item: inout WireItem) throws(WireDecodingError) -> RollupFields {
        var fields = RollupFields()
        while let attribute = try item.next() {
            let name = attribute.name
            switch name.hasEscapes ? item.string(name).utf8.count : name.count {
            case 2:
                if item.matches(name, "SK") { fields.sortKey = attribute }
            case 3:
                if item.matches(name, "day") { fields.day = attribute }
            case 4:
                if item.matches(name, "TYPE") { fields.type = attribute } else if item.matches(name, "date") { fields.date = attribute }
            case 5:
                if item.matches(name, "hours") { fields.hours = attribute } else if item.matches(name, "model") { fields.model = attribute } else if item.matches(name, "token") { fields.token = attribute }
            case 6:
                if item.matches(name, "digest") { fields.digest = attribute } else if item.matches(name, "errors") { fields.errors = attribute } else if item.matches(name, "userId") { fields.userIdCamel = attribute } else if item.matches(name, "groups") { fields.groups = attribute }
            case 7:
                if item.matches(name, "service") { fields.service = attribute } else if item.matches(name, "user_id") { fields.userId = attribute } else if item.matches(name, "version") { fields.version = attribute }
            case 9:
                if item.matches(name, "operation") { fields.operation = attribute }
            case 11:
                if item.matches(name, "environment") { fields.environment = attribute }
            case 12:
                if item.matches(name, "input_tokens") { fields.inputTokens = attribute }
            case 13:
                if item.matches(name, "output_tokens") { fields.outputTokens = attribute } else if item.matches(name, "invalid_items") { fields.invalidItems = attribute } else if item.matches(name, "cleared_token") { fields.clearedToken = attribute }
            case 14:
                if item.matches(name, "summary_groups") { fields.summaryGroups = attribute }
            case 15:
                if item.matches(name, "indexed_service") { fields.indexedService = attribute }
            default:
                break
            }
        }
        return fields
    }

    /// The kinds of rollup item.
    enum Kind { case dirty, manifest, group, other }

    func kind(_ item: WireItem) -> Kind {
        guard let type, type.type == .s, let span = type.text else { return .other }
        return ReportFields.withBytes(span, item) { bytes in
            if bytes.elementsEqual(RollupCodec.groupType.utf8) { return .group }
            if bytes.elementsEqual(RollupCodec.manifestType.utf8) { return .manifest }
            if bytes.elementsEqual("AIUsageRollupDirty".utf8) { return .dirty }
            return .other
        }
    }

    /// The text of an `S` (empty included), as `AttributeValue.string` reads it.
    static func string(_ value: WireAttribute?, _ item: WireItem) -> String? {
        guard let value, value.type == .s, let span = value.text else { return nil }
        return item.string(span)
    }

    /// Whether an `S` attribute holds exactly `bytes` (`nil`: absent or not an `S`).
    static func equals(_ value: WireAttribute?, _ bytes: [UInt8], _ item: WireItem) -> Bool {
        guard let value, value.type == .s, let span = value.text else { return false }
        return ReportFields.withBytes(span, item) { $0.elementsEqual(bytes) }
    }

    /// A non-negative integer `N` of 1 to 18 plain digits, as `RollupCodec.group` accepts
    /// (`Int(text)`, at least 0) less a sign; `nil` otherwise.
    static func count(_ value: WireAttribute?, _ item: WireItem) -> Int? {
        guard let value, value.type == .n, let span = value.text else { return nil }
        return ReportFields.withBytes(span, item) { ReportFields.plainCount($0) }
    }

    /// One entry of `hours`.
    struct HourSums {
        var hour: Int32
        var items: Int
        var calls: Int
        var tokens: Int
        var cost: ExactDecimal
        /// The calls without a price (0 when the entry does not say); at most `calls`.
        var unpriced = 0
    }

    /// Parses `hours` (`HH=items,calls,tokens,cost[,unpriced];…`, hours 00 … 24 each at most
    /// once, `unpriced` at most `calls`) straight from its bytes, handing each entry to `entry`;
    /// `false` when it is not well formed.
    static func parseHours(_ bytes: UnsafeBufferPointer<UInt8>, _ entry: (HourSums) -> Void) -> Bool {
        guard !bytes.isEmpty else { return true }
        var seen: UInt32 = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
            guard let sums = hourEntry(bytes[start..<end]), seen & (1 << UInt32(sums.hour)) == 0 else { return false }
            seen |= 1 << UInt32(sums.hour)
            entry(sums)
            start = end + 1
        }
        return true
    }

    /// `HH=items,calls,tokens,cost` or `HH=items,calls,tokens,cost,unpriced`.
    private static func hourEntry(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> HourSums? {
        guard let equals = text.firstIndex(of: UInt8(ascii: "=")), let hour = ReportFields.plainCount(text[text.startIndex..<equals]), hour <= 24 else { return nil }
        var start = equals + 1
        /// The count before the next comma, moving `start` past it.
        func field() -> Int? {
            guard let comma = text[start...].firstIndex(of: UInt8(ascii: ",")) else { return nil }
            defer { start = comma + 1 }
            return ReportFields.plainCount(text[start..<comma])
        }
        guard let items = field(), let calls = field(), let tokens = field() else { return nil }
        // The cost runs to the next comma, if any; the unpriced calls follow it.
        var costEnd = text.endIndex
        var unpriced = 0
        if let comma = text[start...].firstIndex(of: UInt8(ascii: ",")) {
            guard let count = ReportFields.plainCount(text[(comma + 1)...]), count <= calls else { return nil }
            costEnd = comma
            unpriced = count
        }
        guard let cost = ExactDecimal(utf8: UnsafeBufferPointer(rebasing: text[start..<costEnd])), !cost.isNegative else { return nil }
        return HourSums(hour: Int32(hour), items: items, calls: calls, tokens: tokens, cost: cost, unpriced: unpriced)
    }
}
