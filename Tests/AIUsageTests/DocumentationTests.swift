import Foundation
import Testing

// Every repository path, `make` target and `ai-usage` command (with its options) that README.md,
// docs/*.md, events/README.md and scripts/README.md name must exist: in the tree, in the Makefile,
// in Sources/ai-usage. What is checked:
// - paths in inline code, fenced code blocks and links that start with Sources/, Tests/, scripts/,
//   docs/, events/ or .ci/, and the top-level Makefile, Package.swift and *.yaml/*.yml/*.toml
//   files. `*`, `?`, `…` and `<placeholder>` are wildcards that must match at least one file;
//   a trailing `:LINE` and trailing punctuation are dropped. Links resolve against the
//   document's own folder, and a `#fragment` must name a heading of the linked document.
// - `make T…` in code: every T is a rule of the Makefile.
// - `ai-usage SUB [SUB] --option` in code: SUB is a subcommand (as Sources/ai-usage declares it)
//   and each --option one of that command's options. `ai-usage` counts where it starts a command
//   (not after an option, as in `--stack-name ai-usage`), also as `.build/debug/ai-usage`.
// Paths outside the repository (`.build/`, `dist/`, `/tmp`) are not checked.

/// The repository this file lives in: Tests/AIUsageTests/DocumentationTests.swift → the root.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Documentation: every path, make target and ai-usage command it names exists")
struct DocumentationTests {
    @Test func documentsAreFound() throws {
        let documents = try DocCheck.documents(root: repositoryRoot)
        let names = documents.map(\.path)
        for expected in ["README.md", "docs/architecture.md", "events/README.md", "scripts/README.md"] {
            #expect(names.contains(expected), "\(expected) was not read")
        }
    }

    @Test func everyNamedPathExists() throws {
        let repository = try DocCheck.Repository(root: repositoryRoot)
        let documents = try DocCheck.documents(root: repositoryRoot)
        let problems = documents.flatMap { repository.pathProblems(in: $0) }
        #expect(problems.isEmpty, "paths the docs name that do not exist:\n\(DocCheck.report(problems))")
        // The extraction must be finding what the docs name, or the check above proves nothing.
        let named = documents.flatMap { repository.namedPaths(in: $0) }.map(\.path)
        #expect(named.contains("docs/architecture.md"), "README.md no longer names docs/architecture.md, or the extraction broke")
        #expect(named.count > 100, "only \(named.count) paths found in the docs")
    }

    @Test func everyNamedMakeTargetExists() throws {
        let repository = try DocCheck.Repository(root: repositoryRoot)
        let documents = try DocCheck.documents(root: repositoryRoot)
        #expect(repository.makeTargets.isSuperset(of: ["run", "test", "build", "package"]), "Makefile rules read: \(repository.makeTargets.sorted())")
        let problems = documents.flatMap { repository.makeProblems(in: $0) }
        #expect(problems.isEmpty, "make targets the docs name that the Makefile lacks:\n\(DocCheck.report(problems))")
    }

    @Test func everyNamedCommandAndOptionExists() throws {
        let repository = try DocCheck.Repository(root: repositoryRoot)
        let documents = try DocCheck.documents(root: repositoryRoot)
        #expect(repository.commands.root.subcommands.count >= 7, "subcommands read from Sources/ai-usage: \(repository.commands.root.subcommands.keys.sorted())")
        let problems = documents.flatMap { repository.commandProblems(in: $0).problems }
        #expect(problems.isEmpty, "ai-usage commands or options the docs name that Sources/ai-usage lacks:\n\(DocCheck.report(problems))")
    }

    @Test func everySubcommandIsDocumented() throws {
        let repository = try DocCheck.Repository(root: repositoryRoot)
        let documents = try DocCheck.documents(root: repositoryRoot)
        let named = Set(documents.flatMap { repository.commandProblems(in: $0).named })
        let undocumented = repository.commands.allPaths.filter { !named.contains($0) }
        #expect(undocumented.isEmpty, "subcommands no document shows as `ai-usage …`: \(undocumented.map { "ai-usage \($0)" })")
    }

    /// The checker itself, on a document written to trip it: it must find each stale name, and
    /// nothing in the lines that only look like names.
    @Test func checkerFindsStaleNamesAndOnlyThose() throws {
        let repository = try DocCheck.Repository(root: repositoryRoot)
        let text = """
            # Title

            Stale: `Sources/AIUsage/Money` and `Tests/NoSuchTests/A.swift:12`, see [it](docs/api.md) and
            [this](#no-such-heading) and [that](../README.md#no-such-heading) and [ok](#title).
            Fine: `Sources/ExactJSON/Money/ExactDecimal.swift:40`, `events/<file>.json`, `events/bad-*.json`,
            `Makefile`, `template.yaml`, `dist/ai-usage-lambda.zip`, `.build/debug/ai-usage`, `Tests/…`,
            a span over two lines: `DYNAMODB_TABLE_NAME=x
            ai-usage table create`, and [the API](api.md#the-answer-200) from docs/.
            Stale, over two lines: `make run
            no-such-target`. Missing too: `template.yml`, `events/bad-*.yaml`.

            ```sh
            make run test    # make nothing-here is a comment
            make build-AIUsageFunction ARTIFACTS_DIR=$(mktemp -d)
            make deploy-everything
            .build/debug/ai-usage invoke --pretty events/param-job-id.json | cut -c1-160
            ai-usage frobnicate --now
            ai-usage table create --table T && ai-usage table drop
            ai-usage seed --days 3 --per-day 20 --weeks 2
            ai-usage emulate --bootstrap .build/debug/bootstrap \\
                --env-vars env.json --listen 127.0.0.1:9000 --no-such-option
            aws cloudformation describe-stacks --stack-name ai-usage \\
              --query "Stacks[0]"
            ai-usage: 1 of 1 invocations did not succeed
            ai-usage tracker: spilled 10 metrics
            ai-usage-bench --runtime-only
            scripts/no-such-script --flag
            ```
            """
        let document = DocCheck.Document(path: "docs/checker-self-test.md", text: text)
        let paths = repository.pathProblems(in: document).map(\.description)
        #expect(paths.sorted() == [
            "docs/checker-self-test.md:3: `Sources/AIUsage/Money` does not exist",
            "docs/checker-self-test.md:3: `Tests/NoSuchTests/A.swift` does not exist",
            "docs/checker-self-test.md:10: `template.yml` does not exist",
            "docs/checker-self-test.md:10: `events/bad-*.yaml` matches no file",
            "docs/checker-self-test.md:27: `scripts/no-such-script` does not exist",
            "docs/checker-self-test.md:3: link `docs/api.md` → docs/docs/api.md: not a file here",
            "docs/checker-self-test.md:4: link `#no-such-heading`: docs/checker-self-test.md has no such heading",
            "docs/checker-self-test.md:4: link `../README.md#no-such-heading`: README.md has no such heading",
        ].sorted(), "path problems found: \(paths)")

        let targets = repository.makeProblems(in: document).map(\.description)
        #expect(targets.sorted() == [
            "docs/checker-self-test.md:10: `make no-such-target`: no such target in the Makefile",
            "docs/checker-self-test.md:15: `make deploy-everything`: no such target in the Makefile",
        ], "make problems found: \(targets)")

        let commands = repository.commandProblems(in: document)
        // Without the list of what there is, which changes as commands are added.
        let shown = commands.problems.map { $0.description.components(separatedBy: " (").first ?? "" }
        #expect(shown.sorted() == [
            "docs/checker-self-test.md:17: `ai-usage frobnicate`: no such subcommand",
            "docs/checker-self-test.md:18: `ai-usage table drop`: no such subcommand",
            "docs/checker-self-test.md:19: `ai-usage seed --weeks`: no such option",
            "docs/checker-self-test.md:20: `ai-usage emulate --no-such-option`: no such option",
        ], "command problems found: \(commands.problems.map(\.description))")
        #expect(Set(commands.named) == ["table", "table create", "invoke", "seed", "emulate"], "commands found: \(commands.named)")
    }
}

// MARK: - The checker

private enum DocCheck {
    struct Document: Sendable {
        var path: String   // relative to the repository root
        var text: String
    }

    struct Problem: CustomStringConvertible, Sendable {
        var document: String
        var line: Int
        var message: String
        var description: String { "\(document):\(line): \(message)" }
    }

    /// A piece of text that may name things, and the line it starts on.
    struct Snippet {
        enum Kind { case code, block, link }
        var line: Int
        var text: String
        var kind: Kind
    }

    struct NamedPath {
        var path: String
        var line: Int
    }

    static func report(_ problems: [Problem]) -> String {
        problems.map { "  \($0)" }.joined(separator: "\n")
    }

    /// README.md, every docs/*.md, events/README.md and scripts/README.md.
    static func documents(root: URL) throws -> [Document] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        return try (["README.md"] + docs + ["events/README.md", "scripts/README.md"]).map { path in
            Document(path: path, text: try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))
        }
    }

    // MARK: Markdown

    /// Inline code spans (which may run over lines), each line of fenced blocks (lines ending in
    /// `\` joined with the next), and link targets, in document order per kind.
    static func snippets(of text: String) -> [Snippet] {
        var result: [Snippet] = []
        var prose: [String] = []   // the document with fenced lines blanked, so line numbers hold
        var fence: String?
        var pending: (line: Int, text: String)?
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = fence {
                if trimmed.hasPrefix(open) && trimmed.allSatisfy({ $0 == open.first }) {
                    if let pending { result.append(Snippet(line: pending.line, text: pending.text, kind: .block)) }
                    pending = nil
                    fence = nil
                } else {
                    let start = pending?.line ?? index + 1
                    let piece = pending.map { $0.text + " " + trimmed } ?? line
                    if piece.hasSuffix("\\") {
                        pending = (start, String(piece.dropLast()))
                    } else {
                        result.append(Snippet(line: start, text: piece, kind: .block))
                        pending = nil
                    }
                }
                prose.append("")
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(while: { $0 == trimmed.first }))
                prose.append("")
                continue
            }
            prose.append(line)
        }
        let masked = Array(prose.joined(separator: "\n"))

        // Inline code: a run of n backticks up to the next run of exactly n.
        var outside: [Character] = []   // the prose without its code spans, for the links
        var index = 0
        var line = 1
        while index < masked.count {
            guard masked[index] == "`" else {
                if masked[index] == "\n" { line += 1 }
                outside.append(masked[index])
                index += 1
                continue
            }
            var run = 0
            while index + run < masked.count, masked[index + run] == "`" { run += 1 }
            var close = index + run
            var found: Int?
            while close < masked.count {
                if masked[close] == "`" {
                    var other = 0
                    while close + other < masked.count, masked[close + other] == "`" { other += 1 }
                    if other == run { found = close; break }
                    close += other
                } else {
                    close += 1
                }
            }
            guard let end = found else {
                outside.append(contentsOf: masked[index..<(index + run)])
                index += run
                continue
            }
            let content = String(masked[(index + run)..<end])
            result.append(Snippet(line: line, text: content, kind: .code))
            let breaks = content.filter { $0 == "\n" }.count
            line += breaks
            outside.append(contentsOf: Array(repeating: "\n", count: breaks))
            index = end + run
        }

        // Links: [text](target), outside code.
        let prosed = String(outside)
        for match in Pattern.matches(#"\]\(([^)\s]+)\)"#, in: prosed) {
            let before = prosed[prosed.startIndex..<match.whole.lowerBound]
            result.append(Snippet(line: before.filter { $0 == "\n" }.count + 1, text: match.group(1), kind: .link))
        }
        return result
    }

    /// GitHub's anchors for a document's headings: lower case, punctuation dropped, spaces → `-`.
    static func anchors(of text: String) -> Set<String> {
        var anchors: Set<String> = []
        var fenced = false
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { fenced.toggle(); continue }
            guard !fenced, line.hasPrefix("#") else { continue }
            let title = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
            let slug = title.lowercased().compactMap { character -> Character? in
                if character == " " { return "-" }
                if character.isLetter || character.isNumber || character == "-" || character == "_" { return character }
                return nil
            }
            anchors.insert(String(slug))
        }
        return anchors
    }

    // MARK: The repository

    struct Repository {
        let root: URL
        let makeTargets: Set<String>
        let commands: CommandTree

        init(root: URL) throws {
            self.root = root
            let makefile = try String(contentsOf: root.appendingPathComponent("Makefile"), encoding: .utf8)
            makeTargets = Self.rules(ofMakefile: makefile)
            let cliFolder = root.appendingPathComponent("Sources/ai-usage")
            let sources = try FileManager.default.contentsOfDirectory(atPath: cliFolder.path)
                .filter { $0.hasSuffix(".swift") }.sorted()
                .map { try String(contentsOf: cliFolder.appendingPathComponent($0), encoding: .utf8) }
            commands = try CommandTree(sources: sources)
        }

        /// The targets of the Makefile's rules (`a b: prerequisites`), not its variables (`A := b`).
        static func rules(ofMakefile text: String) -> Set<String> {
            var targets: Set<String> = []
            for match in Pattern.matches(#"(?m)^([A-Za-z0-9_.%/-]+(?:[ \t]+[A-Za-z0-9_.%/-]+)*)[ \t]*::?(?!=)"#, in: text) {
                for name in match.group(1).split(whereSeparator: { $0 == " " || $0 == "\t" }) where !name.hasPrefix(".") {
                    targets.insert(String(name))
                }
            }
            return targets
        }

        // MARK: Paths

        static let pathPattern = #"(?<![\w./$~@-])(?:(?:Sources|Tests|scripts|docs|events|\.ci)/[^\s`'"(),;|\[\]{}]*|(?:Makefile|Package\.swift|[\w.-]+\.(?:yaml|yml|toml))(?![\w/-]|\.\w))"#

        func namedPaths(in document: Document) -> [NamedPath] {
            var named: [NamedPath] = []
            for snippet in DocCheck.snippets(of: document.text) where snippet.kind != .link {
                for match in Pattern.matches(Self.pathPattern, in: snippet.text) {
                    let before = snippet.text[snippet.text.startIndex..<match.whole.lowerBound]
                    let line = snippet.line + before.filter { $0 == "\n" }.count
                    var path = match.group(0)
                    while let last = path.last, ".,:;!?".contains(last) { path.removeLast() }
                    if let suffix = path.range(of: #":[0-9]+(:[0-9]+)?$"#, options: .regularExpression) {
                        path.removeSubrange(suffix)
                    }
                    named.append(NamedPath(path: path, line: line))
                }
            }
            return named
        }

        func pathProblems(in document: Document) -> [Problem] {
            var problems: [Problem] = []
            for named in namedPaths(in: document) {
                let pattern = Self.wildcards(named.path)
                if pattern.contains(where: { $0 == "*" || $0 == "?" }) {
                    if !matchesSomething(pattern) {
                        problems.append(Problem(document: document.path, line: named.line, message: "`\(named.path)` matches no file"))
                    }
                } else if !FileManager.default.fileExists(atPath: root.appendingPathComponent(named.path).path) {
                    problems.append(Problem(document: document.path, line: named.line, message: "`\(named.path)` does not exist"))
                }
            }
            // Links resolve against the document's folder, as GitHub does.
            let folder = document.path.split(separator: "/").dropLast().joined(separator: "/")
            for snippet in DocCheck.snippets(of: document.text) where snippet.kind == .link {
                let target = snippet.text
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let file = String(parts[0])
                let fragment = parts.count > 1 ? String(parts[1]) : ""
                var linked = document.path
                if !file.isEmpty {
                    linked = Self.normalised(folder.isEmpty ? file : folder + "/" + file)
                    guard !linked.hasPrefix("../"), FileManager.default.fileExists(atPath: root.appendingPathComponent(linked).path) else {
                        problems.append(Problem(document: document.path, line: snippet.line, message: "link `\(target)` → \(linked): not a file here"))
                        continue
                    }
                }
                if !fragment.isEmpty, linked.hasSuffix(".md") {
                    let text = linked == document.path
                        ? document.text
                        : (try? String(contentsOf: root.appendingPathComponent(linked), encoding: .utf8)) ?? ""
                    if !DocCheck.anchors(of: text).contains(fragment.lowercased()) {
                        problems.append(Problem(document: document.path, line: snippet.line, message: "link `\(target)`: \(linked) has no such heading"))
                    }
                }
            }
            return problems
        }

        /// `<name>` and `…` stand for any text, as `*` does.
        static func wildcards(_ path: String) -> String {
            path.replacingOccurrences(of: #"<[^<>]*>"#, with: "*", options: .regularExpression)
                .replacingOccurrences(of: "…", with: "*")
        }

        static func normalised(_ path: String) -> String {
            var parts: [String] = []
            for part in path.split(separator: "/") {
                if part == "." { continue }
                if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
                parts.append(String(part))
            }
            return parts.joined(separator: "/")
        }

        /// Whether a path with `*`/`?` in any of its parts names at least one file or folder.
        func matchesSomething(_ pattern: String) -> Bool {
            var candidates = [""]
            for part in pattern.split(separator: "/").map(String.init) {
                var next: [String] = []
                for base in candidates {
                    let folder = base.isEmpty ? root : root.appendingPathComponent(base)
                    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
                    for entry in entries where Self.wildcard(part, matches: entry) {
                        next.append(base.isEmpty ? entry : base + "/" + entry)
                    }
                }
                candidates = next
            }
            return !candidates.isEmpty
        }

        static func wildcard(_ pattern: String, matches name: String) -> Bool {
            let p = Array(pattern), n = Array(name)
            func match(_ i: Int, _ j: Int) -> Bool {
                if i == p.count { return j == n.count }
                switch p[i] {
                case "*": return (j...n.count).contains { match(i + 1, $0) }
                case "?": return j < n.count && match(i + 1, j + 1)
                default: return j < n.count && p[i] == n[j] && match(i + 1, j + 1)
                }
            }
            return match(0, 0)
        }

        // MARK: make

        /// In code, the shell text before a ` #` comment.
        static func uncommented(_ text: String) -> String {
            guard let hash = text.range(of: #"(^|\s)#"#, options: .regularExpression) else { return text }
            return String(text[text.startIndex..<hash.lowerBound])
        }

        func makeProblems(in document: Document) -> [Problem] {
            var problems: [Problem] = []
            for snippet in DocCheck.snippets(of: document.text) where snippet.kind != .link {
                let text = Self.uncommented(snippet.text)
                for match in Pattern.matches(#"(?<![\w./$-])make[ \t\n]+([^`#;|&<>()]*)"#, in: text) {
                    let before = text[text.startIndex..<match.whole.lowerBound]
                    var line = snippet.line + before.filter { $0 == "\n" }.count
                    words: for row in match.group(1).split(separator: "\n", omittingEmptySubsequences: false) {
                        defer { line += 1 }
                        for word in row.split(whereSeparator: \.isWhitespace).map(String.init) {
                            if word.contains("=") || word.hasPrefix("-") { continue }   // VAR=value, -C dir
                            guard word.range(of: #"^[A-Za-z0-9][\w.-]*$"#, options: .regularExpression) != nil else { break words }
                            if !makeTargets.contains(word) {
                                problems.append(Problem(document: document.path, line: line, message: "`make \(word)`: no such target in the Makefile"))
                            }
                        }
                    }
                }
            }
            return problems
        }

        // MARK: ai-usage

        /// Problems with the `ai-usage` commands a document shows, and the command paths it shows
        /// (`table create`, `serve`, …).
        func commandProblems(in document: Document) -> (problems: [Problem], named: [String]) {
            var problems: [Problem] = []
            var named: [String] = []
            for snippet in DocCheck.snippets(of: document.text) where snippet.kind != .link {
                var text = Self.uncommented(snippet.text)
                // One shell command per piece: split at pipes, lists and substitutions.
                for separator in ["&&", "||", "$(", "|", ";", "&", "(", ")", "\n"] {
                    text = text.replacingOccurrences(of: separator, with: "\u{1}")
                }
                for piece in text.split(separator: "\u{1}", omittingEmptySubsequences: false) {
                    let words = piece.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                    guard let start = words.indices.first(where: { index in
                        let word = words[index].trimmingCharacters(in: CharacterSet(charactersIn: "'\"`"))
                        let isCommand = word == "ai-usage" || (word.hasSuffix("/ai-usage") && !word.hasPrefix("Sources/"))
                        return isCommand && (index == 0 || !words[index - 1].hasPrefix("-"))
                    }) else { continue }
                    var command = commands.root
                    var path: [String] = []
                    var index = start + 1
                    while index < words.count, !command.subcommands.isEmpty {
                        let word = words[index].trimmingCharacters(in: CharacterSet(charactersIn: "'\"`"))
                        guard word.range(of: #"^[a-z][a-z0-9-]*$"#, options: .regularExpression) != nil else { break }
                        guard let child = command.subcommands[word] else {
                            let shown = (["ai-usage"] + path + [word]).joined(separator: " ")
                            let parent = (["ai-usage"] + path).joined(separator: " ")
                            problems.append(Problem(document: document.path, line: snippetLine(snippet, piece),
                                                    message: "`\(shown)`: no such subcommand (\(parent) has: \(command.subcommands.keys.sorted().joined(separator: ", ")))"))
                            command = Command()
                            path = []
                            break
                        }
                        command = child
                        path.append(word)
                        index += 1
                    }
                    named += path.indices.map { path[...$0].joined(separator: " ") }   // `table create` shows `table` too
                    guard command.known else { continue }
                    while index < words.count {
                        let word = words[index].trimmingCharacters(in: CharacterSet(charactersIn: "[]'\"`,"))
                        index += 1
                        if word == "--" { break }
                        guard word.hasPrefix("--") else { continue }
                        let option = String(word.dropFirst(2).prefix(while: { $0 != "=" }))
                        if option != "help", !command.options.contains(option) {
                            let shown = (["ai-usage"] + path + ["--" + option]).joined(separator: " ")
                            problems.append(Problem(document: document.path, line: snippetLine(snippet, piece),
                                                    message: "`\(shown)`: no such option"))
                        }
                    }
                }
            }
            return (problems, named)
        }

        /// The line of a piece of a snippet (code spans may run over lines).
        private func snippetLine(_ snippet: Snippet, _ piece: Substring) -> Int {
            guard snippet.kind == .code, let range = snippet.text.range(of: String(piece)) else {
                return snippet.line
            }
            return snippet.line + snippet.text[snippet.text.startIndex..<range.lowerBound].filter { $0 == "\n" }.count
        }
    }

    // MARK: The CLI, as Sources/ai-usage declares it

    struct Command {
        var known = false
        var subcommands: [String: Command] = [:]
        var options: Set<String> = []
    }

    struct CommandTree {
        let root: Command

        /// Every command path under `ai-usage` (`table`, `table create`, `serve`, …).
        var allPaths: [String] {
            func walk(_ command: Command, _ prefix: [String]) -> [String] {
                command.subcommands.sorted { $0.key < $1.key }.flatMap { name, child in
                    [(prefix + [name]).joined(separator: " ")] + walk(child, prefix + [name])
                }
            }
            return walk(root, [])
        }

        /// Reads each type's `commandName:` (else its name in kebab case, as ArgumentParser does),
        /// `subcommands: [X.self, …]`, `@Option`/`@Flag` (`.customLong("x")`, else the property's
        /// name in kebab case) and `@OptionGroup var x: T`.
        init(sources: [String]) throws {
            struct Declared {
                var commandName: String?
                var subcommands: [String] = []
                var options: Set<String> = []
                var groups: [String] = []
            }
            var declared: [String: Declared] = [:]
            for source in sources {
                let starts = Pattern.matches(#"\b(?:struct|class|enum|actor|extension)\s+(\w+)"#, in: source)
                for (position, start) in starts.enumerated() {
                    let end = position + 1 < starts.count ? starts[position + 1].whole.lowerBound : source.endIndex
                    let body = String(source[start.whole.upperBound..<end])
                    var type = declared[start.group(1)] ?? Declared()
                    if let name = Pattern.matches(#"commandName:\s*"([^"]+)""#, in: body).first {
                        type.commandName = name.group(1)
                    }
                    for list in Pattern.matches(#"subcommands:\s*\[([^\]]*)\]"#, in: body) {
                        type.subcommands += Pattern.matches(#"(\w+)\.self"#, in: list.group(1)).map { $0.group(1) }
                    }
                    for group in Pattern.matches(#"@OptionGroup(?:\([^)]*\))?\s+var\s+\w+\s*:\s*(\w+)"#, in: body) {
                        type.groups.append(group.group(1))
                    }
                    for attribute in Pattern.matches(#"@(?:Option|Flag)\b"#, in: body) {
                        let rest = body[attribute.whole.upperBound...]
                        guard let variable = rest.range(of: #"\bvar\s+\w+"#, options: .regularExpression) else { continue }
                        let declaration = String(rest[rest.startIndex..<variable.lowerBound])
                        if let long = Pattern.matches(#"\.customLong\("([^"]+)""#, in: declaration).first {
                            type.options.insert(long.group(1))
                        } else {
                            let name = rest[variable].split(whereSeparator: \.isWhitespace).last.map(String.init) ?? ""
                            type.options.insert(CommandTree.kebab(name))
                        }
                    }
                    declared[start.group(1)] = type
                }
            }
            func options(of type: String, seen: Set<String> = []) -> Set<String> {
                guard let entry = declared[type], !seen.contains(type) else { return [] }
                return entry.groups.reduce(entry.options) { $0.union(options(of: $1, seen: seen.union([type]))) }
            }
            func command(_ type: String, seen: Set<String> = []) -> Command {
                var result = Command(known: true, options: options(of: type))
                for child in declared[type]?.subcommands ?? [] where !seen.contains(child) {
                    let name = declared[child]?.commandName ?? CommandTree.kebab(child)
                    result.subcommands[name] = command(child, seen: seen.union([type]))
                }
                return result
            }
            let roots = declared.filter { $0.value.commandName == "ai-usage" }.map(\.key)
            let rootType = try #require(roots.first, "no type in Sources/ai-usage has commandName: \"ai-usage\"")
            root = command(rootType)
        }

        /// `perDay` → `per-day`, `githubPR` → `github-pr`, `TableCommand` → `table-command`.
        static func kebab(_ name: String) -> String {
            let characters = Array(name)
            var result = ""
            for (index, character) in characters.enumerated() {
                if character.isUppercase, index > 0 {
                    let previous = characters[index - 1]
                    let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                    if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { result += "-" }
                }
                result += character.lowercased()
            }
            return result
        }
    }

    // MARK: Regular expressions (Foundation's: Swift's Regex has no lookbehind)

    enum Pattern {
        struct Match {
            var whole: Range<String.Index>
            var groups: [Range<String.Index>?]
            var text: String
            func group(_ index: Int) -> String {
                guard index < groups.count, let range = groups[index] else { return "" }
                return String(text[range])
            }
        }

        static func matches(_ pattern: String, in text: String) -> [Match] {
            guard let expression = try? NSRegularExpression(pattern: pattern) else {
                Issue.record("bad pattern: \(pattern)")
                return []
            }
            return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { result in
                guard let whole = Range(result.range, in: text) else { return nil }
                let groups = (0..<result.numberOfRanges).map { Range(result.range(at: $0), in: text) }
                return Match(whole: whole, groups: groups, text: text)
            }
        }
    }
}
