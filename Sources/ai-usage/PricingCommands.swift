import AIUsage
import ArgumentParser
import DynamoDB
import Foundation

struct PricingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pricing",
        abstract: "The price catalogue: import LiteLLM's price map, see what changes, show a model's price, publish.",
        discussion: """
            Prices are a catalogue of dated entries (docs/pricing.md): the built-in one, the one \
            published to the table (AI_USAGE_PRICING_FROM_TABLE=on) and the file named by \
            AI_USAGE_PRICING_FILE, each over the one before.
            """,
        subcommands: [PricingImportCommand.self, PricingDiffCommand.self, PricingShowCommand.self, PricingPublishCommand.self]
    )
}

/// What import and diff share: reading LiteLLM's map and the catalogue it goes into.
struct LiteLLMSource {
    var file: String
    var effectiveFrom: String?
    var version: String?

    var date: CivilDate {
        effectiveFrom.flatMap(CivilDate.init) ?? UTCTimestamp.now().civilDate
    }

    static func validate(effectiveFrom: String?) throws {
        if let effectiveFrom, CivilDate(effectiveFrom) == nil {
            throw ValidationError("--effective-from must be a real date as YYYY-MM-DD, got '\(effectiveFrom)'")
        }
    }

    /// LiteLLM's map as a catalogue of entries dated `date`.
    func read() throws -> (catalogue: PricingCatalogue, summary: LiteLLMImport.Summary) {
        let bytes: [UInt8]
        var isDirectory: ObjCBool = false
        let hint = "give the path of LiteLLM's model_prices_and_context_window.json (https://github.com/BerriAI/litellm)"
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw CLIError("'\(file)' does not exist: \(hint)")
        }
        guard !isDirectory.boolValue else { throw CLIError("'\(file)' is a directory: \(hint)") }
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw CLIError("cannot read '\(file)': \((error as NSError).localizedDescription); check its permissions")
        }
        let version = self.version ?? "litellm-\(date.text)"
        let converted: LiteLLMImport
        do {
            converted = try LiteLLMImport.convert(bytes, effectiveFrom: date.text, version: version, source: file)
        } catch {
            throw CLIError("\(error.description): nothing was imported; fix or re-download the file")
        }
        do {
            return (try CatalogueJSON.read(converted.catalogue.serializedBytes(), source: "\(file) (converted)"), converted.summary)
        } catch {
            throw CLIError("\(error.description): nothing was imported")
        }
    }

    /// The catalogue file's own entries (none when it does not exist yet).
    static func existing(_ path: String) throws -> PricingCatalogue? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let catalogue = try PricingCatalogue.read(file: path)
            if catalogue.version.hasPrefix("file-") && catalogue.entries.contains(where: \.replacesHistory) {
                throw CLIError("'\(path)' is a legacy override file (services → names → prices per million): import into a new catalogue file (--into NEW.json) and layer it with AI_USAGE_PRICING_FILE")
            }
            return catalogue
        } catch let error as PricingFileError {
            throw CLIError("\(error.description): fix it, or import into another file")
        }
    }

    /// The effective catalogue an import is compared with: built in, with the file over it.
    static func effective(_ existing: PricingCatalogue?) -> PricingCatalogue {
        existing.map { $0.layered(over: .builtIn) } ?? .builtIn
    }
}

struct PricingImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Merge LiteLLM's price map into a catalogue file.",
        discussion: """
            Reads FILE, LiteLLM's model_prices_and_context_window.json as published \
            (https://github.com/BerriAI/litellm, MIT), keeps its OpenAI, Anthropic and Google \
            (gemini) entries and converts their prices exactly (each float becomes the shortest \
            decimal that round-trips). Each entry whose prices differ from those in force on \
            --effective-from (built-in prices with the catalogue file over them) is added to the \
            catalogue file, dated --effective-from; equal prices add nothing, so the file keeps a \
            history and a monthly import adds only what changed. The file is written atomically \
            and read back before it replaces the old one. A malformed map is refused whole, naming \
            the entry, and the catalogue file is left untouched. Prints what was read, skipped, \
            added and changed, and the unknown fields it ignored.
            """
    )

    @Argument(help: "LiteLLM's model_prices_and_context_window.json.") var file: String
    @Option(help: "The catalogue file to merge into (default: $AI_USAGE_PRICING_FILE); created if missing.") var into: String?
    @Option(help: "The date the imported prices take effect, YYYY-MM-DD (default: today, UTC).") var effectiveFrom: String?
    @Option(name: .customLong("catalogue-version"), help: "The catalogue version written (default: litellm-<effective-from>).") var catalogueVersion: String?
    @Flag(help: "Print what would change; write nothing.") var dryRun = false

    func validate() throws {
        try LiteLLMSource.validate(effectiveFrom: effectiveFrom)
        if let catalogueVersion, catalogueVersion.isEmpty || catalogueVersion.count > 100 {
            throw ValidationError("--catalogue-version must be 1 to 100 characters")
        }
    }

    func run() async throws {
        try await reportingErrors {
            guard let target = into ?? ProcessInfo.processInfo.environment[PricingCatalogue.fileEnvironmentVariable], !target.isEmpty else {
                throw CLIError("name the catalogue file to merge into: pass --into FILE, or set AI_USAGE_PRICING_FILE")
            }
            let source = LiteLLMSource(file: file, effectiveFrom: effectiveFrom, version: catalogueVersion)
            let (imported, summary) = try source.read()
            let existing = try LiteLLMSource.existing(target)
            let date = source.date
            let merge = CatalogueMerge(
                imported: imported, effective: LiteLLMSource.effective(existing),
                effectiveFrom: UTCTimestamp(year: date.year, month: date.month, day: date.day)
            )
            for line in summary.lines { print(line) }
            for line in merge.lines { print(line) }
            guard !dryRun else {
                print("Dry run: \(target) is unchanged")
                return
            }
            guard !merge.changes.isEmpty else {
                print("Nothing to add: \(target) is unchanged")
                return
            }
            let version = catalogueVersion ?? "litellm-\(date.text)"
            let bytes = CatalogueJSON.json(version: version, entries: merge.merged(into: existing?.entries ?? [])).serializedBytes(pretty: true) + [UInt8(ascii: "\n")]
            do throws(PricingFileError) {
                _ = try CatalogueJSON.read(bytes, source: target)
            } catch {
                throw CLIError("the merged catalogue would not read back (\(error.description)); \(target) is unchanged")
            }
            try Self.writeAtomically(bytes, to: target)
            print("Wrote \(target): catalogue \(version), \(merge.added) models added, \(merge.changed) re-priced from \(date.text)")
        }
    }

    /// Writes through a temporary file in the same directory, flushed to disk, then renamed over
    /// `path` with rename(2): a reader sees the old catalogue or the new one, never a part, and a
    /// failure leaves `path` as it was. (Foundation's `replaceItemAt` is not used: on Linux it
    /// removed the original when replacing it.)
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(directory).\(name).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"
        func failure(_ what: String) -> CLIError {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return CLIError("cannot write '\(path)' (\(what): \(reason)); nothing was written: check that its directory exists and is writable")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("creating \(temporary)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { close(descriptor); throw failure("writing") }
            written += count
        }
        guard fsync(descriptor) == 0 else { close(descriptor); throw failure("flushing") }
        guard close(descriptor) == 0 else { throw failure("closing") }
        guard rename(temporary, path) == 0 else { throw failure("renaming over it") }
    }
}

struct PricingDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what importing LiteLLM's price map would change, without writing.",
        discussion: """
            Compares each OpenAI, Anthropic and Google entry of FILE with the entry in force on \
            --effective-from in the built-in catalogue with CATALOGUE over it, and prints one line \
            per new or re-priced model (old → new, per unit), then the counts, including the \
            models the file lacks (an import keeps them). Exit status 0 with or without changes.
            """
    )

    @Argument(help: "LiteLLM's model_prices_and_context_window.json.") var file: String
    @Option(help: "The catalogue file to compare with (default: $AI_USAGE_PRICING_FILE; none: the built-in prices).") var against: String?
    @Option(help: "The date the import would take effect, YYYY-MM-DD (default: today, UTC).") var effectiveFrom: String?
    @Flag(help: "Print JSON: the changes with their old and new entries.") var json = false

    func validate() throws {
        try LiteLLMSource.validate(effectiveFrom: effectiveFrom)
    }

    func run() async throws {
        try await reportingErrors {
            let source = LiteLLMSource(file: file, effectiveFrom: effectiveFrom, version: nil)
            let (imported, _) = try source.read()
            let target = against ?? ProcessInfo.processInfo.environment[PricingCatalogue.fileEnvironmentVariable]
            let existing = try target.flatMap { $0.isEmpty ? nil : try LiteLLMSource.existing($0) }
            let date = source.date
            let merge = CatalogueMerge(
                imported: imported, effective: LiteLLMSource.effective(existing),
                effectiveFrom: UTCTimestamp(year: date.year, month: date.month, day: date.day)
            )
            if json {
                let changes = JSONValue.array(merge.changes.map { change in
                    .object([
                        "provider": .string(change.new.provider), "model": .string(change.new.model),
                        "old": change.old.map(CatalogueJSON.entryJSON) ?? .null, "new": CatalogueJSON.entryJSON(change.new),
                    ])
                })
                print(JSONValue.object([
                    "effective_from": .string(date.text), "changes": changes, "added": .number(merge.added),
                    "changed": .number(merge.changed), "unchanged": .number(merge.unchanged), "not_in_file": .number(merge.notInImport),
                ]).serialized(pretty: true))
            } else {
                for line in merge.lines { print(line) }
            }
        }
    }
}

struct PricingShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the price a model name resolves to, and why.",
        discussion: """
            Resolves MODEL as a call would be priced (exact name; without a provider prefix or a \
            dated or -latest suffix; an alias) in --service or every service, and prints the entry \
            in force at --at: its prices per unit and per million tokens, batch, service-tier and \
            long-context prices, and the model's history. The catalogue is the built-in one with \
            AI_USAGE_PRICING_FILE over it (and the published one when AI_USAGE_PRICING_FROM_TABLE \
            is on). Exit status 1 when no service prices the name, with near names.
            """
    )

    @OptionGroup var table: TableOptions
    @Argument(help: "A model name as a response gives it (gpt-4o-2024-08-06, openai/gpt-4o, claude-sonnet-4-5-20250929) or a per-call operation.") var model: String
    @Option(help: "Only this service (openai, anthropic, google, google_places).") var service: String?
    @Option(help: "The time to price at: YYYY-MM-DD or an ISO 8601 timestamp (default: now).") var at: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let at, CatalogueJSON.parseDate(at) == nil {
            throw ValidationError("--at must be a date (YYYY-MM-DD) or an ISO 8601 timestamp, got '\(at)'")
        }
    }

    func run() async throws {
        var found = true
        try await reportingErrors {
            let catalogue = try await table.catalogue()
            let timestamp = at.flatMap(CatalogueJSON.parseDate) ?? UTCTimestamp.now()
            let report = ModelPriceReport(name: model, service: service, catalogue: catalogue, at: timestamp)
            if json {
                print(report.json.serialized(pretty: true))
            } else {
                for line in report.lines { print(line) }
            }
            found = !report.matches.isEmpty
        }
        if !found { throw ExitCode(1) }
    }
}
