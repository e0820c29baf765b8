// swift-tools-version:6.1
//
// Coverage-guided fuzz targets (libFuzzer) for ai-usage; `make fuzz` (scripts/fuzz) builds and runs
// them. Every module, the root package's included, is compiled by scripts/fuzz with AddressSanitizer
// and SanitizerCoverage (-Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=...); only the
// fuzz executables below link libFuzzer, so the root package's build-tool plugin executable
// (embed-pricing-catalogue) stays an ordinary program and still runs during the build. SwiftPM
// points each executable's `main` at its main.swift, which hands over to libFuzzer's driver
// (FuzzSupport.runLibFuzzer).
import PackageDescription

let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// libFuzzer's runtime and ASan's, linked into the fuzz executables only.
let libFuzzer: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

/// The root package's identity: SwiftPM names a path dependency after its directory, which is
/// whatever the clone is called (the repository is `ai-usage` inside, `main` here).
let root = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "ai-usage").lowercased()

func product(_ name: String) -> Target.Dependency { .product(name: name, package: root) }

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies + ["FuzzSupport"], swiftSettings: settings, linkerSettings: libFuzzer)
}

let package = Package(
    name: "ai-usage-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.1"),
        // Already a dependency of the root package (SigV4): an HMAC written out in the SigV4 target.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // Shared helpers: the invariant check that reports a failure to libFuzzer.
        .target(name: "FuzzSupport", swiftSettings: settings),
        // 1. Lambda event decoding, the query-string parser, and the whole handler over an in-memory DynamoDB.
        fuzzTarget("FuzzEvent", [product("AIUsageAPI"), product("AIUsage"), product("DynamoDB"), product("CurlHTTP"), product("SigV4")]),
        // 2. The streaming Query-page decoder against the tree path, and JSONValue.parse against JSONScanner.
        fuzzTarget("FuzzQueryPage", [product("DynamoDB")]),
        // 3. ExactDecimal parsing, text and checked arithmetic against a BigInt reference. (ExactJSON is
        //    no product of the root package: DynamoDB's brings its module, as for FuzzQueryPage.)
        fuzzTarget("FuzzDecimal", [product("DynamoDB"), .product(name: "BigInt", package: "BigInt")]),
        // 4. SigV4 canonicalisation of arbitrary paths, queries and headers.
        fuzzTarget("FuzzSigV4", [product("SigV4"), .product(name: "Crypto", package: "swift-crypto")]),
        // 5. The emulator's Runtime API, raw bytes over loopback TCP to one live sandbox.
        fuzzTarget("FuzzRuntimeAPI", [product("LambdaEmulator")]),
    ]
)
