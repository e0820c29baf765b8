/// Waiting for tables to settle: CreateTable answers `CREATING` and DeleteTable `DELETING`
/// on real DynamoDB; local servers often answer `ACTIVE` at once.
extension DynamoDBClient {
    /// The outcome of `createTableIfMissing`.
    public struct CreateTableOutcome: Sendable {
        public var table: TableDescription
        /// `false` when the table already existed.
        public var created: Bool
    }

    /// Creates the table unless it exists (`ResourceInUseException` is not an error here),
    /// then waits until it is `ACTIVE`.
    public func createTableIfMissing(
        _ input: CreateTableInput,
        timeout: Duration = .seconds(300)
    ) async throws(DynamoDBError) -> CreateTableOutcome {
        var created = true
        do {
            _ = try await createTable(input)
        } catch where error.code == "ResourceInUseException" {
            created = false
        }
        let table = try await waitUntilActive(input.tableName, timeout: timeout)
        return CreateTableOutcome(table: table, created: created)
    }

    /// Polls DescribeTable until the table and all its indexes are `ACTIVE`.
    public func waitUntilActive(_ tableName: String, timeout: Duration = .seconds(300)) async throws(DynamoDBError) -> TableDescription {
        let deadline = ContinuousClock.now + timeout
        while true {
            let table = try await describeTable(tableName)
            let indexesActive = (table.globalSecondaryIndexes ?? []).allSatisfy { ($0.indexStatus ?? "ACTIVE") == "ACTIVE" }
            if table.tableStatus == "ACTIVE" && indexesActive { return table }
            guard ContinuousClock.now < deadline else {
                throw DynamoDBError(kind: .service, code: "WaiterTimeout", message: "table \(tableName) is still \(table.tableStatus ?? "unknown") after \(timeout)", operation: "DescribeTable")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Deletes the table and waits until DescribeTable no longer finds it.
    /// Returns `false` when there was no such table.
    @discardableResult
    public func deleteTableAndWait(_ tableName: String, timeout: Duration = .seconds(300)) async throws(DynamoDBError) -> Bool {
        do {
            _ = try await deleteTable(tableName)
        } catch where error.code == "ResourceNotFoundException" {
            return false
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let table = try await describeTable(tableName)
                // Some local servers keep answering ACTIVE for a deleted table's last description.
                if table.tableStatus != "DELETING" { try? await Task.sleep(for: .milliseconds(200)) }
            } catch where error.code == "ResourceNotFoundException" {
                return true
            }
            guard ContinuousClock.now < deadline else {
                throw DynamoDBError(kind: .service, code: "WaiterTimeout", message: "table \(tableName) still exists after \(timeout)", operation: "DescribeTable")
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
