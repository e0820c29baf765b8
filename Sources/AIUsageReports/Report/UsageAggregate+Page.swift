import DynamoDB

extension UsageAggregate {
    /// Folds every item of a Query response body into the aggregate, straight from its bytes
    /// (what `UsageFetcher` does with each page); unreadable items are counted as invalid, a
    /// malformed body is an error naming the item and the byte offset.
    @discardableResult
    public mutating func addPage(_ body: UnsafeBufferPointer<UInt8>) throws(WireDecodingError) -> QueryPageSummary {
        try QueryPageDecoder.decode(body) { (reader: inout WireItem) throws(WireDecodingError) in
            let fields = try ReportFields.read(&reader)
            fields.fold(into: &self, reader)
        }
    }
}
