import CurlHTTP
import ExactJSON

extension DynamoDBClient {
    /// One Query call whose items are handed to `item` while the response bytes are read (see
    /// `QueryPageDecoder`): no tree and no per-item dictionary. `received` learns the body's
    /// size before decoding starts.
    public func queryPage(
        _ input: QueryInput,
        received: (Int) -> Void = { _ in },
        item: (inout WireItem) throws(WireDecodingError) -> Void
    ) async throws(DynamoDBError) -> QueryPageSummary {
        let response = try await send("Query", input)
        received(response.body.count)
        let outcome = response.body.withUnsafeBufferPointer { buffer in
            Result { () throws(WireDecodingError) -> QueryPageSummary in try QueryPageDecoder.decode(buffer, item: item) }
        }
        switch outcome {
        case .success(let summary):
            return summary
        case .failure(let error):
            throw DynamoDBError(
                kind: .invalidResponse, code: "InvalidResponse", message: "cannot decode the Query response: \(error)",
                httpStatus: response.status, requestId: Self.requestId(response), operation: "Query"
            )
        }
    }
}
