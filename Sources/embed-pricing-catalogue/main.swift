// Build tool: writes a Swift file holding a JSON file's text as a raw string literal.
// Usage: embed-pricing-catalogue INPUT.json OUTPUT.swift (run by the EmbedPricingCatalogue plugin).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    let line = Array("embed-pricing-catalogue: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fail("usage: embed-pricing-catalogue INPUT.json OUTPUT.swift") }
guard let input = fopen(arguments[1], "rb") else { fail("cannot read \(arguments[1])") }
var bytes: [UInt8] = []
var buffer = [UInt8](repeating: 0, count: 65_536)
while true {
    let count = fread(&buffer, 1, buffer.count, input)
    if count == 0 { break }
    bytes.append(contentsOf: buffer[0..<count])
}
fclose(input)
let text = String(decoding: bytes, as: UTF8.self)
guard text.utf8.elementsEqual(bytes) else { fail("\(arguments[1]) is not UTF-8") }

// A raw-string delimiter longer than any run of '#' in the text.
var longestRun = 0
var run = 0
for character in text.utf8 {
    run = character == UInt8(ascii: "#") ? run + 1 : 0
    longestRun = max(longestRun, run)
}
let hashes = String(repeating: "#", count: longestRun + 1)
let source = """
// Generated at build time from pricing/catalogue.json by the EmbedPricingCatalogue plugin. Do not edit.
enum BuiltInCatalogueData {
    static let json = \(hashes)\"\"\"
\(text)
\"\"\"\(hashes)
}

"""
guard let output = fopen(arguments[2], "wb") else { fail("cannot write \(arguments[2])") }
let written = source.utf8.withContiguousStorageIfAvailable { fwrite($0.baseAddress, 1, $0.count, output) } ?? 0
guard written == source.utf8.count, fclose(output) == 0 else { fail("could not write \(arguments[2])") }
