// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ai-usage",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ai-usage", targets: ["ai-usage"]),
        .executable(name: "bootstrap", targets: ["bootstrap"]),
        .library(name: "CurlHTTP", targets: ["CurlHTTP"]),
        .library(name: "SigV4", targets: ["SigV4"]),
        .library(name: "DynamoDB", targets: ["DynamoDB"]),
        .library(name: "AIUsage", targets: ["AIUsage"]),
        .library(name: "AIUsageTracker", targets: ["AIUsageTracker"]),
        .library(name: "AIUsageReports", targets: ["AIUsageReports"]),
        .library(name: "AIUsageBudgets", targets: ["AIUsageBudgets"]),
        .library(name: "AIUsageAPI", targets: ["AIUsageAPI"]),
        .library(name: "LambdaRuntime", targets: ["LambdaRuntime"]),
        .library(name: "LambdaEmulator", targets: ["LambdaEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CurlHTTP", dependencies: ["CCurl"], swiftSettings: strict),
        .target(
            name: "SigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // Exact decimals and the one JSON reader/writer: below DynamoDB so its wire decoding can use them.
        .target(name: "ExactJSON", swiftSettings: strict),
        .target(name: "DynamoDB", dependencies: ["CurlHTTP", "SigV4", "ExactJSON"], swiftSettings: strict),
        // The domain: metrics and their items, pricing, usage extraction, the table's key layout.
        .target(
            name: "AIUsage",
            dependencies: ["DynamoDB", "ExactJSON"],
            swiftSettings: strict,
            plugins: ["EmbedPricingCatalogue"]
        ),
        // Build time only: embeds pricing/catalogue.json (the built-in prices) in AIUsage.
        .executableTarget(name: "embed-pricing-catalogue", swiftSettings: strict),
        .plugin(name: "EmbedPricingCatalogue", capability: .buildTool(), dependencies: ["embed-pricing-catalogue"]),
        // The tracker and the tracked provider clients: the only part of the domain's users that needs CurlHTTP.
        .target(name: "AIUsageTracker", dependencies: ["AIUsage", "DynamoDB", "CurlHTTP"], swiftSettings: strict),
        // Reports: queries, the UsageSource seam, the streaming aggregate, rollups.
        .target(name: "AIUsageReports", dependencies: ["AIUsage", "DynamoDB"], swiftSettings: strict),
        // Budgets, threshold checks, the alert outbox and its delivery (signed webhooks, Slack).
        .target(
            name: "AIUsageBudgets",
            dependencies: ["AIUsageReports", "AIUsage", "DynamoDB", "CurlHTTP", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(name: "AIUsageAPI", dependencies: ["AIUsageBudgets", "AIUsageReports", "AIUsage", "DynamoDB", "CurlHTTP", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .target(name: "LambdaRuntime", dependencies: ["CurlHTTP"], swiftSettings: strict),
        // The Lambda entry point: no SwiftNIO, no ArgumentParser, no full Foundation.
        .target(name: "CMallocTuning"),
        .executableTarget(name: "bootstrap", dependencies: ["LambdaRuntime", "AIUsageAPI", "AIUsage", "CMallocTuning"], swiftSettings: strict),
        .target(
            name: "LambdaEmulator",
            dependencies: [
                "LambdaRuntime", "ExactJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ai-usage",
            dependencies: [
                "AIUsage", "AIUsageTracker", "AIUsageReports", "AIUsageBudgets", "AIUsageAPI", "DynamoDB", "CurlHTTP", "LambdaRuntime", "LambdaEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // `make bench`: figures for docs/benchmarks.md (never run by the tests).
        .executableTarget(
            name: "ai-usage-bench",
            dependencies: ["AIUsage", "AIUsageTracker", "AIUsageReports", "AIUsageAPI", "DynamoDB", "CurlHTTP", "LambdaRuntime", "LambdaEmulator"],
            swiftSettings: strict
        ),
        .target(name: "TestSupport", dependencies: ["ExactJSON"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "CurlHTTPTests", dependencies: ["CurlHTTP", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SigV4Tests",
            dependencies: ["SigV4"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DynamoDBTests",
            dependencies: ["DynamoDB", "CurlHTTP", "SigV4", "AIUsage", "AIUsageTracker", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AIUsageTests",
            dependencies: ["AIUsage", "AIUsageTracker", "AIUsageReports", "AIUsageBudgets", "DynamoDB", "CurlHTTP", "SigV4", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(name: "ExactJSONTests", dependencies: ["ExactJSON", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "AIUsageAPITests",
            dependencies: ["AIUsageAPI", "AIUsage", "AIUsageReports", "DynamoDB", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", "CurlHTTP", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "LambdaEmulatorTests",
            dependencies: ["LambdaEmulator", "LambdaRuntime", "CurlHTTP", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        // Needs a DynamoDB-compatible server: `make test` starts one and exports its endpoint.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["DynamoDB", "CurlHTTP", "SigV4", "AIUsage", "AIUsageTracker", "AIUsageReports", "AIUsageBudgets", "AIUsageAPI", "LambdaEmulator", "TestSupport"],
            swiftSettings: strict
        ),
    ]
)
