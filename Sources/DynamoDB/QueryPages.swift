/// The pages of one Query, fetched lazily: each `next()` is one Query call, continuing from
/// the previous page's `LastEvaluatedKey`. Iteration ends after the page that has none.
/// A page may be empty while more follow (a filter can drop every item of a page).
public struct QueryPages: AsyncSequence, Sendable {
    public typealias Element = QueryPage

    let client: DynamoDBClient
    let input: QueryInput

    public struct AsyncIterator: AsyncIteratorProtocol {
        let client: DynamoDBClient
        var input: QueryInput
        var finished = false

        public mutating func next() async throws -> QueryPage? {
            guard !finished else { return nil }
            let page: QueryPage
            do {
                page = try await client.queryPage(input)
            } catch {
                finished = true
                throw error
            }
            if let key = page.lastEvaluatedKey {
                input.exclusiveStartKey = key
            } else {
                finished = true
            }
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, input: input)
    }

    /// Every item of every page, in order. Prefer iterating pages when the result may be large.
    public func allItems() async throws(DynamoDBError) -> [Item] {
        var items: [Item] = []
        var iterator = makeAsyncIterator()
        do {
            while let page = try await iterator.next() { items.append(contentsOf: page.items) }
        } catch let error as DynamoDBError {
            throw error
        } catch {
            throw DynamoDBError(kind: .invalidResponse, code: "UnexpectedError", message: "\(error)", operation: "Query")
        }
        return items
    }
}
