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

extension PricingCatalogue {
    /// The environment variable that names a catalogue file layered over the built-in prices.
    public static let fileEnvironmentVariable = "AI_USAGE_PRICING_FILE"

    /// The catalogue to use: `base` (the built-in catalogue) with the file named by
    /// `AI_USAGE_PRICING_FILE` layered over it, or `base` itself when the variable is unset or
    /// empty. A file that cannot be read or is malformed is an error, never silently ignored.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        base: PricingCatalogue = .builtIn
    ) throws(PricingFileError) -> PricingCatalogue {
        guard let path = environment[fileEnvironmentVariable], !path.isEmpty else { return base }
        do {
            return try load(file: path, base: base)
        } catch {
            var named = error
            named.variable = fileEnvironmentVariable
            throw named
        }
    }

    /// `base` with the catalogue file at `path` layered over it.
    public static func load(file path: String, base: PricingCatalogue = .builtIn) throws(PricingFileError) -> PricingCatalogue {
        try read(file: path).layered(over: base)
    }

    /// The catalogue in the file at `path`, alone.
    public static func read(file path: String) throws(PricingFileError) -> PricingCatalogue {
        let bytes: [UInt8]
        switch readWholeFile(path) {
        case .success(let contents): bytes = contents
        case .failure(let reason): throw PricingFileError(path: path, problem: "cannot be read: \(reason.message)")
        }
        return try CatalogueJSON.read(bytes, source: path)
    }

    /// The bytes of a file, or the system's reason (`strerror`) why not.
    static func readWholeFile(_ path: String) -> Result<[UInt8], ReadFailure> {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(ReadFailure(errno: errno)) }
        defer { _ = close(descriptor) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(contents) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(errno: errno))
            }
            contents.append(contentsOf: buffer[0..<count])
        }
    }
}

/// The override format of earlier versions, still read: services → names → prices per million
/// tokens (or `per_call`), or `null` to remove a name. Each entry replaces the model's whole
/// history below it.
enum LegacyPricingFile {
    static func read(_ root: JSONValue, source: String, version: String) throws(PricingFileError) -> PricingCatalogue {
        func fail(_ problem: String) -> PricingFileError { PricingFileError(path: source, problem: problem) }
        guard case .object(let services) = root else {
            throw fail("the top level must be a JSON object")
        }
        var entries: [CatalogueEntry] = []
        var seenServices: Set<String> = []
        for member in services {
            let (rawService, serviceValue) = (member.key, member.value)
            let service = rawService.lowercased()
            guard seenServices.insert(service).inserted else { throw fail("service '\(service)' appears twice") }
            guard case .object(let names) = serviceValue else {
                throw fail("'\(rawService)' must be an object of models or operations")
            }
            var seenEntries: Set<String> = []
            for member in names {
                let (rawName, entryValue) = (member.key, member.value)
                let name = rawName.lowercased()
                let path = "\(service).\(rawName)"
                guard seenEntries.insert(name).inserted else { throw fail("'\(path)' appears twice") }
                var entry = CatalogueEntry(
                    provider: service, model: name, effectiveFrom: UTCTimestamp(microsecondsSinceEpoch: 0),
                    prices: PriceSet(), source: source, catalogueVersion: version, replacesHistory: true
                )
                switch try PriceEntry(entryValue, path: path, source: source) {
                case .removed: entry.isRemoval = true
                case .perCall(let price): entry.prices[.perCall] = price
                case .tokens(let prices): entry.prices = prices
                }
                entries.append(entry)
            }
        }
        return PricingCatalogue(version: version, entries: entries)
    }
}

/// `read(2)`, named apart from `PricingCatalogue.read(file:)`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

struct ReadFailure: Error {
    var message: String

    init(errno code: Int32) {
        message = strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}

/// One entry of a pricing file.
private enum PriceEntry {
    case removed
    case perCall(ExactDecimal)
    case tokens(PriceSet)

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
        var set = PriceSet([.input: input * perToken])
        let keys: [(String, PriceKey)] = [
            ("output_per_million", .output), ("cached_input_per_million", .cacheRead), ("cache_write_per_million", .cacheWrite5m),
            ("cache_write_1h_per_million", .cacheWrite1h), ("cache_read_per_million", .cacheRead),
        ]
        for (field, key) in keys {
            if let price = prices[field] { set[key] = price * perToken }
        }
        self = .tokens(set)
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
