import AIUsage
import AIUsageTracker
import ArgumentParser
import DynamoDB
import Foundation

/// Options shared by every command that talks to the table.
struct TableOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The DynamoDB table.", discussion: "Defaults to $DYNAMODB_TABLE_NAME.", valueName: "name"))
    var table: String?

    func tableName() throws -> String {
        if let table, !table.isEmpty {
            if let problem = DynamoDBConfiguration.tableNameProblem(table) { throw CLIError("--table \(problem)") }
            return table
        }
        if let name = ProcessInfo.processInfo.environment["DYNAMODB_TABLE_NAME"], !name.isEmpty {
            if let problem = DynamoDBConfiguration.tableNameProblem(name) { throw CLIError("DYNAMODB_TABLE_NAME \(problem)") }
            return name
        }
        throw CLIError("no table given: pass --table NAME or set DYNAMODB_TABLE_NAME")
    }

    /// `AI_USAGE_INDEX_SHARDS`, or a one-line error naming it.
    func sharding() throws -> IndexSharding {
        switch IndexSharding.fromEnvironment(ProcessInfo.processInfo.environment) {
        case .success(let value): return value
        case .failure(let problem): throw CLIError(problem.description)
        }
    }

    func client() throws -> DynamoDBClient {
        do {
            return try DynamoDBClient(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CLIError(error.message)
        }
    }
}

/// A one-line failure: printed to stderr as `ai-usage: <message>`, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning every failure into one clear line on stderr and exit status 1.
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            fail(error.message)
        } catch let error as DynamoDBError {
            fail(Self.explain(error))
        } catch {
            fail(String(describing: error))
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("ai-usage: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// The error plus a hint at the usual fix.
    static func explain(_ error: DynamoDBError) -> String {
        var text = error.description
        if error.isAuthenticationFailure {
            text += ". Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
        } else if error.kind == .transport, let endpoint = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL_DYNAMODB"] {
            text += ". Is the server at \(endpoint) (AWS_ENDPOINT_URL_DYNAMODB) running?"
        } else if error.code == "ResourceNotFoundException" {
            text += ". Create the table with 'ai-usage table create' or check DYNAMODB_TABLE_NAME / --table"
        }
        return text
    }
}

extension TableOptions {
    /// A tracker writing to the table, configured from the environment (spill file, pricing).
    func tracker() async throws -> Tracker {
        let environment = ProcessInfo.processInfo.environment
        if let problem = TrackerConfiguration.environmentProblems(environment).first { throw CLIError(problem) }
        let client = try client()
        return Tracker(
            sink: DynamoDBSink(client: client, tableName: try tableName()),
            configuration: .fromEnvironment(environment),
            calculator: CostCalculator(catalogue: try await catalogue()),
            budgetGate: DynamoDBBudgetGate(client: client, tableName: try tableName())
        )
    }

    /// The prices to use: built in, the table's published catalogue when
    /// AI_USAGE_PRICING_FROM_TABLE is on, and AI_USAGE_PRICING_FILE over them.
    func catalogue() async throws -> PricingCatalogue {
        let environment = ProcessInfo.processInfo.environment
        do {
            let enabled = PublishedCatalogue.isEnabled(environment) == true
            return try await PublishedCatalogue.effectiveCatalogue(
                environment: environment, client: enabled ? try client() : nil, tableName: enabled ? try tableName() : nil
            )
        } catch let error as PricingFileError {
            throw CLIError("\(error.description): fix the file, or unset AI_USAGE_PRICING_FILE to use the built-in prices")
        }
    }
}

/// Progress for long work: a redrawn line on a terminal, nothing in a pipe.
struct Progress {
    let total: Int
    let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private var lastDrawn = ContinuousClock.now - .seconds(1)

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    mutating func update(_ done: Int) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard done == total || now - lastDrawn >= .milliseconds(100) else { return }
        lastDrawn = now
        let percent = total == 0 ? 100 : done * 100 / total
        FileHandle.standardError.write(Data("\r\(label) \(done)/\(total) (\(percent)%)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
