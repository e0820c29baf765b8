#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pricing override file that could not be used. `description` names the file and the problem,
/// e.g. `pricing file '/etc/prices.json': openai.gpt-4o.input_per_million: "2,50" is not a decimal number`.
public struct PricingFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or other source) the prices came from.
    public var path: String
    /// What is wrong with it.
    public var problem: String
    /// The environment variable that named the file, when one did.
    public var variable: String?

    public init(path: String, problem: String, variable: String? = nil) {
        self.path = path
        self.problem = problem
        self.variable = variable
    }

    public var description: String {
        "\(variable.map { "\($0): " } ?? "")pricing file '\(InputEcho.short(path, limit: 120))': \(problem)"
    }
}

extension PricingTable {
    /// The environment variable that names a JSON file overriding or extending the built-in prices.
    public static let fileEnvironmentVariable = "AI_USAGE_PRICING_FILE"

    /// The table to use: `base` (the built-in table) with the file named by
    /// `AI_USAGE_PRICING_FILE` applied, or `base` itself when the variable is unset or empty.
    /// A file that cannot be read or is malformed is an error, never silently ignored.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        base: PricingTable = .builtIn
    ) throws(PricingFileError) -> PricingTable {
        guard let path = environment[fileEnvironmentVariable], !path.isEmpty else { return base }
        do {
            return try load(file: path, base: base)
        } catch {
            var named = error
            named.variable = fileEnvironmentVariable
            throw named
        }
    }

    /// `base` with the pricing file at `path` applied.
    public static func load(file path: String, base: PricingTable = .builtIn) throws(PricingFileError) -> PricingTable {
        let bytes: [UInt8]
        switch readWholeFile(path) {
        case .success(let contents): bytes = contents
        case .failure(let reason): throw PricingFileError(path: path, problem: "cannot be read: \(reason.message)")
        }
        return try base.applying(pricingJSON: bytes, source: path)
    }

    /// The bytes of a file, or the system's reason (`strerror`) why not.
    private static func readWholeFile(_ path: String) -> Result<[UInt8], ReadFailure> {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(ReadFailure(errno: errno)) }
        defer { _ = close(descriptor) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(contents) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(errno: errno))
            }
            contents.append(contentsOf: buffer[0..<count])
        }
    }

    /// This table with the prices of a pricing file's JSON applied. Format (`docs/pricing.md`):
    ///
    /// ```json
    /// {
    ///   "openai": {
    ///     "gpt-4o": {"input_per_million": "2.50", "cached_input_per_million": "1.25", "output_per_million": "10.00"},
    ///     "gpt-3.5-turbo": null
    ///   },
    ///   "anthropic": {
    ///     "claude-x": {"input_per_million": 3, "output_per_million": 15, "cache_write_per_million": "3.75", "cache_read_per_million": "0.30"}
    ///   },
    ///   "google_places": {"place_details": {"per_call": "0.017"}}
    /// }
    /// ```
    ///
    /// Each entry replaces the entry of the same name (case-insensitive) entirely; `null` removes
    /// it; a new service or name extends the table. Prices are JSON numbers or decimal strings,
    /// read exactly (never through a binary floating-point value).
    public func applying(pricingJSON bytes: [UInt8], source: String) throws(PricingFileError) -> PricingTable {
        func fail(_ problem: String) -> PricingFileError { PricingFileError(path: source, problem: problem) }
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw fail("is not valid JSON: \(error)")
        }
        guard case .object(let services) = root else {
            throw fail("the top level must be a JSON object of services, e.g. {\"openai\": {\"gpt-4o\": {…}}}")
        }
        var table = self
        var seenServices: Set<String> = []
        for member in services {
            let (rawService, serviceValue) = (member.key, member.value)
            let service = rawService.lowercased()
            guard seenServices.insert(service).inserted else { throw fail("service '\(service)' appears twice") }
            guard case .object(let entries) = serviceValue else {
                throw fail("'\(rawService)' must be an object of models or operations")
            }
            var pricing = table.services[service] ?? ServicePricing()
            var seenEntries: Set<String> = []
            for member in entries {
                let (rawName, entryValue) = (member.key, member.value)
                let name = rawName.lowercased()
                let path = "\(service).\(rawName)"
                guard seenEntries.insert(name).inserted else { throw fail("'\(path)' appears twice") }
                pricing.models[name] = nil
                pricing.operations[name] = nil
                switch try PriceEntry(entryValue, path: path, source: source) {
                case .removed: break
                case .perCall(let price): pricing.operations[name] = price
                case .tokens(let price): pricing.models[name] = price
                }
            }
            table.services[service] = pricing
        }
        return table
    }
}

private struct ReadFailure: Error {
    var message: String

    init(errno code: Int32) {
        message = strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}

/// One entry of a pricing file.
private enum PriceEntry {
    case removed
    case perCall(ExactDecimal)
    case tokens(TokenPrice)

    static let tokenFields = [
        "input_per_million", "output_per_million", "cached_input_per_million",
        "cache_write_per_million", "cache_write_1h_per_million", "cache_read_per_million",
    ]

    init(_ value: JSONValue, path: String, source: String) throws(PricingFileError) {
        func fail(_ problem: String) -> PricingFileError { PricingFileError(path: source, problem: problem) }
        if case .null = value {
            self = .removed
            return
        }
        guard case .object(let members) = value else {
            throw fail("\(path) must be an object of prices (or null to remove it)")
        }
        var prices: [String: ExactDecimal] = [:]
        for member in members {
            let (field, fieldValue) = (member.key, member.value)
            guard field == "per_call" || Self.tokenFields.contains(field) else {
                throw fail("\(path): unknown field '\(field)' (expected per_call, or \(Self.tokenFields.joined(separator: ", ")))")
            }
            guard prices[field] == nil else { throw fail("\(path).\(field) appears twice") }
            prices[field] = try Self.price(fieldValue, path: "\(path).\(field)", source: source)
        }
        if let perCall = prices["per_call"] {
            guard prices.count == 1 else {
                throw fail("\(path): per_call cannot be combined with token prices")
            }
            self = .perCall(perCall)
            return
        }
        guard let input = prices["input_per_million"] else {
            throw fail("\(path) needs input_per_million (token-priced) or per_call (priced per call)")
        }
        let perToken = PriceUnit.perMillion
        self = .tokens(TokenPrice(
            inputPerToken: input * perToken,
            outputPerToken: prices["output_per_million"].map { $0 * perToken },
            cachedInputPerToken: prices["cached_input_per_million"].map { $0 * perToken },
            cacheWritePerToken: prices["cache_write_per_million"].map { $0 * perToken },
            cacheWrite1hPerToken: prices["cache_write_1h_per_million"].map { $0 * perToken },
            cacheReadPerToken: prices["cache_read_per_million"].map { $0 * perToken }
        ))
    }

    /// A non-negative price from a JSON number or a decimal string, exactly.
    static func price(_ value: JSONValue, path: String, source: String) throws(PricingFileError) -> ExactDecimal {
        let text: String
        switch value {
        case .number(let number): text = number
        case .string(let string): text = string
        default:
            throw PricingFileError(path: source, problem: "\(path) must be a number or a decimal string, not \(value.serialized())")
        }
        guard let price = ExactDecimal(text) else {
            throw PricingFileError(path: source, problem: "\(path): \(value.serialized()) is not a decimal number")
        }
        guard price >= .zero else {
            throw PricingFileError(path: source, problem: "\(path): a price cannot be negative (\(text))")
        }
        return price
    }
}
