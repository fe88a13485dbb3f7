// swift-tools-version:6.0
import PackageDescription

// Modules follow the CA's security contexts (Docs/ARCHITECTURE.md): a module that is not
// listed as a dependency cannot be imported, so this manifest is where the boundaries are enforced.
let package = Package(
    name: "idca",
    products: [
        .executable(name: "idca", targets: ["idca"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
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
                "IDCARules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Signing keys, JWS issuing and strict verification, JWKS, pairwise pseudonyms, keyed
        // hashes and data encryption: everything that touches key material.
        .target(
            name: "IDCATokens",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "idca",
            dependencies: ["IDCACommands"]
        ),
        .executableTarget(
            name: "idca-bench",
            dependencies: ["IDCARules", "IDCASynthetic"]
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
            name: "IDCATokensTests",
            dependencies: ["IDCATokens"]
        ),
        .testTarget(
            name: "IDCACommandsTests",
            dependencies: ["IDCACommands", "IDCARules", "IDCASynthetic"]
        ),
    ]
)
