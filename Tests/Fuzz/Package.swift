// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for idca (issue #8): build and run them with Tests/Fuzz/run.sh.
//
// The idca package is used through its library products, by path. IDCA_FUZZ_ROOT may point at
// another checkout of it (for trying the targets against a branch without touching this one).
let idcaRoot = Context.environment["IDCA_FUZZ_ROOT"] ?? "../.."

/// Each fuzz target: its harness is compiled for libFuzzer (coverage and AddressSanitizer, no
/// `main`: it is a library whose `<Target>_main` starts libFuzzer's driver), and linked with the
/// libFuzzer and AddressSanitizer runtimes. The idca modules get the same instrumentation from
/// run.sh's `-Xswiftc` flags.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzDriver", "FuzzSupport"] + products.map { .product(name: $0, package: "idca") },
        swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])],
        linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
    )
}

let package = Package(
    name: "idca-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "idca", path: idcaRoot),
    ],
    targets: [
        // The declaration of libFuzzer's LLVMFuzzerRunDriver, for Swift.
        .target(name: "FuzzDriver"),
        // What the targets share: the driver glue, property checks, and plain re-implementations
        // (identity rules, RFC 4180 reader, RFC 8259 reader) to compare idca's answers with.
        .target(
            name: "FuzzSupport",
            dependencies: ["FuzzDriver", .product(name: "IDCARules", package: "idca")]
        ),
        fuzzTarget("FuzzIdentityRules", ["IDCARules", "IDCACore"]),
        fuzzTarget("FuzzRegistryCSV", ["IDCARegistry", "IDCACore", "IDCARules"]),
        fuzzTarget("FuzzTokens", ["IDCATokens", "IDCACore"]),
        fuzzTarget("FuzzStrictJSON", ["IDCATokens"]),
    ]
)
