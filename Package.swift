// swift-tools-version:6.0
import PackageDescription

// Modules follow the CA's security contexts (Docs/ARCHITECTURE.md): a module that is not
// listed as a dependency cannot be imported, so this manifest is where the boundaries are enforced.
let package = Package(
    name: "idca",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "idca", targets: ["idca"]),
        // The libraries the parser fuzzers of Tests/Fuzz (a package of their own) link against.
        .library(name: "IDCARules", targets: ["IDCARules"]),
        .library(name: "IDCACore", targets: ["IDCACore"]),
        .library(name: "IDCARegistry", targets: ["IDCARegistry"]),
        .library(name: "IDCATokens", targets: ["IDCATokens"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // Pure identity rules: no I/O, no Foundation. The GB/T 2260 table is compiled in by the
        // plugin below, so no file is read at run time and the binary can be moved anywhere.
        .target(
            name: "IDCARules",
            plugins: ["EmbedTextResourcePlugin"]
        ),
        // Reproducible synthetic identities (valid numbers and their typical corruptions) for
        // tests, benchmarks and the demo registry.
        .target(
            name: "IDCASynthetic",
            dependencies: ["IDCARules"]
        ),
        .target(
            name: "IDCACommands",
            dependencies: [
                "IDCARules", "IDCACore", "IDCATokens", "IDCAAudit", "IDCAReports", "IDCASQLite", "IDCAPostgres", "IDCAServices",
                "IDCAHTTP", "IDCARegistry", "IDCASynthetic", "IDCANotify",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Domain types, reason codes, the decision pipeline's pure steps, and the ports (protocols)
        // that storage implements.
        .target(
            name: "IDCACore",
            dependencies: ["IDCARules"]
        ),
        // Signing keys, JWS issuing and strict verification, JWKS, pairwise pseudonyms, keyed
        // hashes and data encryption: everything that touches key material.
        .target(
            name: "IDCATokens",
            dependencies: ["IDCACore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The append-only hash chain, its canonical encoding, signed checkpoints and the chain
        // verifier. It reuses the tokens module's Ed25519 file format, behind its own key types.
        .target(
            name: "IDCAAudit",
            dependencies: ["IDCACore", "IDCATokens", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Statistics tables and their CSV / JSON / HTML renderings: pure, no I/O. The CSV comes
        // from the registry module's one RFC 4180 writer.
        .target(
            name: "IDCAReports",
            dependencies: ["IDCACore", "IDCARules", "IDCARegistry"]
        ),
        // The embedded SQLite backend of every core port (GRDB on the system libsqlite3). It links
        // audit entries into the chain inside the transactions of the changes they record.
        .target(
            name: "IDCASQLite",
            dependencies: ["IDCACore", "IDCAAudit", "IDCARules", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The PostgreSQL backend of the same ports (postgres-nio), for several idca instances on one
        // database: the audit chain is serialized by a locked head row, single use by one conditional
        // update, and registry imports stream through COPY.
        .target(
            name: "IDCAPostgres",
            dependencies: [
                "IDCACore", "IDCAAudit", "IDCARules",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Reading registry extracts (RFC 4180 CSV) into records, with every refused row reported.
        .target(
            name: "IDCARegistry",
            dependencies: ["IDCACore", "IDCARules"]
        ),
        // Orchestration: application → rules → registry → decision → record → token; redemption.
        .target(
            name: "IDCAServices",
            dependencies: ["IDCACore", "IDCARules", "IDCATokens", "IDCAAudit", "IDCAReports"]
        ),
        // Hummingbird routes, bodies, the one error→HTTP mapping, request logs and metrics, and the
        // applicant page and auditor dashboard (rule texts from IDCARules, charts from IDCAReports).
        // It sees services only — never keys or the database.
        .target(
            name: "IDCAHTTP",
            dependencies: [
                "IDCACore", "IDCAServices", "IDCARules", "IDCAReports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Adapters of the Notifier port: the development outbox file and the SMS gateway webhook.
        .target(
            name: "IDCANotify",
            dependencies: [
                "IDCACore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "idca",
            dependencies: ["IDCACommands"]
        ),
        .executableTarget(
            name: "idca-bench",
            dependencies: [
                "IDCARules", "IDCASynthetic", "IDCACore", "IDCASQLite", "IDCAServices", "IDCATokens", "IDCAAudit", "IDCAReports", "IDCANotify",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "EmbedTextResource",
            path: "Sources/BuildTools/EmbedTextResource"
        ),
        .plugin(
            name: "EmbedTextResourcePlugin",
            capability: .buildTool(),
            dependencies: ["EmbedTextResource"],
            path: "Sources/BuildTools/EmbedTextResourcePlugin"
        ),
        .testTarget(
            name: "IDCARulesTests",
            dependencies: ["IDCARules", "IDCASynthetic"]
        ),
        .testTarget(
            name: "IDCACoreTests",
            dependencies: ["IDCACore", "IDCARules"]
        ),
        .testTarget(
            name: "IDCARegistryTests",
            dependencies: ["IDCARegistry", "IDCACore", "IDCARules", "IDCASynthetic"]
        ),
        .testTarget(
            name: "IDCAServerTests",
            dependencies: [
                "IDCAHTTP", "IDCAServices", "IDCASQLite", "IDCAPostgres", "IDCATokens", "IDCAAudit", "IDCAReports", "IDCACore", "IDCARules", "IDCASynthetic",
                "IDCANotify",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "IDCAAuditTests",
            dependencies: ["IDCAAudit", "IDCACore"]
        ),
        .testTarget(
            name: "IDCAReportsTests",
            dependencies: ["IDCAReports", "IDCACore", "IDCARules", "IDCARegistry"]
        ),
        .testTarget(
            name: "IDCATokensTests",
            dependencies: ["IDCATokens", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "IDCACommandsTests",
            dependencies: ["IDCACommands", "IDCARules", "IDCASynthetic", "IDCACore", "IDCAAudit"]
        ),
    ]
)
