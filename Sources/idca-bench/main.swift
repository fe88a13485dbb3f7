// idca-bench: the benchmarks behind `make bench` (Docs/PERFORMANCE.md).
//
//   idca-bench rules [INPUTS]             validations per second for each kind, in-process
//   idca-bench corpus KIND LINES [SEED]   writes LINES generated candidates of KIND to stdout
//   idca-bench services [SECONDS]          the certification services in-process, 64 concurrent callers
//   idca-bench echo-server PORT           a bare Hummingbird JSON echo: the ceiling for server figures
//   idca-bench statistics [APPS] [DAYS]   statistics exports over APPS decisions (default 10M over 365 days)
//
// Inputs are generated with a fixed seed and packed into one byte array before timing, so the timed
// loop measures the rules and not the making of strings. Figures are the best of several rounds
// on one thread.
import IDCARules
import IDCASynthetic

#if canImport(Glibc)
import Glibc
#endif

let today = CivilDate(year: 2026, month: 11, day: 29)!
let context = ValidationContext(today: today)
let synthetic = SyntheticNumbers()

/// Candidates laid end to end in one buffer, so that reading them costs what reading a line would.
struct PackedInputs {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        ends.append(bytes.count)
    }
}

/// 1 in 10 candidates is corrupted the way people corrupt numbers (one wrong character), so the
/// figure includes the early exits as well as full validations.
func generate(kind: String, count: Int, seed: UInt64) -> [String] {
    var random = SeededGenerator(seed: seed)
    let births = CivilDate(year: 1930, month: 1, day: 1)!...today
    var inputs: [String] = []
    inputs.reserveCapacity(count)
    for index in 0..<count {
        var text: String
        switch kind {
        case "resident-id": text = synthetic.residentID(bornIn: births, using: &random)
        case "organization-code": text = synthetic.organizationCode(using: &random)
        default: text = synthetic.creditCode(using: &random)
        }
        if index % 10 == 9 {
            var characters = Array(text)
            let position = Int.random(in: 0..<characters.count, using: &random)
            characters[position] = characters[position] == "7" ? "8" : "7"
            text = String(characters)
        }
        inputs.append(text)
    }
    return inputs
}

func measure(_ label: String, inputs: Int, rounds: Int = 5, _ body: () -> Int) {
    var best = Duration.seconds(1_000)
    var checksum = 0
    for _ in 0..<rounds {
        let clock = ContinuousClock()
        let start = clock.now
        checksum = body()
        best = min(best, clock.now - start)
    }
    let seconds = best / .seconds(1)
    let rate = Double(inputs) / seconds
    let nanoseconds = seconds * 1e9 / Double(inputs)
    print("\(label.padding(45))\(format(rate / 1e6, 2).leftPadding(8)) M/s \(format(nanoseconds, 1).leftPadding(8)) ns/op   (valid: \(checksum))")
}

func benchmarkRules(count: Int) {
    print("identity rules, \(count) generated inputs per kind (90% valid), one thread, best of 5")
    for kind in ["resident-id", "organization-code", "credit-code"] {
        let strings = generate(kind: kind, count: count, seed: 2026)
        var packed = PackedInputs()
        for text in strings { packed.append(text) }

        func validCount<Number: IdentityNumber>(_: Number.Type) -> Int {
            packed.bytes.withUnsafeBufferPointer { buffer in
                var valid = 0
                var start = 0
                for end in packed.ends {
                    let candidate = UnsafeBufferPointer(rebasing: buffer[start..<end])
                    if Number.violation(in: candidate, context: context) == nil { valid += 1 }
                    start = end
                }
                return valid
            }
        }
        func validStrings<Number: IdentityNumber>(_: Number.Type) -> Int {
            var valid = 0
            for text in strings where Number.violation(in: text, context: context) == nil { valid += 1 }
            return valid
        }
        func parsed<Number: IdentityNumber>(_: Number.Type) -> Int {
            var valid = 0
            for text in strings where (try? Number(validating: text, context: context)) != nil { valid += 1 }
            return valid
        }

        switch kind {
        case "resident-id":
            measure("resident-id  violation(in: bytes)", inputs: count) { validCount(ResidentIDNumber.self) }
            measure("resident-id  violation(in: String)", inputs: count) { validStrings(ResidentIDNumber.self) }
            measure("resident-id  ResidentIDNumber(validating:)", inputs: count) { parsed(ResidentIDNumber.self) }
        case "organization-code":
            measure("organization-code  violation(in: bytes)", inputs: count) { validCount(OrganizationCode.self) }
            measure("organization-code  violation(in: String)", inputs: count) { validStrings(OrganizationCode.self) }
        default:
            measure("credit-code  violation(in: bytes)", inputs: count) { validCount(CreditCode.self) }
            measure("credit-code  violation(in: String)", inputs: count) { validStrings(CreditCode.self) }
        }
    }
}

/// Writes `lines` candidates; up to two million distinct ones are generated and then repeated, which
/// keeps making a 10-million-line file quick without changing what the validator sees per line.
func writeCorpus(kind: String, lines: Int, seed: UInt64) {
    let distinct = generate(kind: kind, count: min(lines, 2_000_000), seed: seed)
    var block: [UInt8] = []
    block.reserveCapacity(1 << 20)
    for index in 0..<lines {
        block.append(contentsOf: distinct[index % distinct.count].utf8)
        block.append(0x0A)
        if block.count >= 1 << 20 {
            writeAll(block)
            block.removeAll(keepingCapacity: true)
        }
    }
    writeAll(block)
}

/// Writes to descriptor 1 directly: the C `stdout` global is off limits under strict concurrency.
func writeAll(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(1, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { exit(1) }
            offset += written
        }
    }
}

func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = Int((value * scale).rounded())
    let whole = String(rounded / Int(scale))
    guard decimals > 0 else { return whole }
    let fraction = String(rounded % Int(scale))
    return whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "rules":
    benchmarkRules(count: arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000)
case "services":
    try await benchmarkServices(seconds: arguments.count > 1 ? Int(arguments[1]) ?? 5 : 5, concurrency: 64)
case "statistics":
    try await benchmarkStatistics(applications: arguments.count > 1 ? Int(arguments[1]) ?? 10_000_000 : 10_000_000,
                                  days: arguments.count > 2 ? Int(arguments[2]) ?? 365 : 365)
case "echo-server" where arguments.count >= 2:
    try await runEchoServer(port: Int(arguments[1]) ?? 8081)
case "corpus" where arguments.count >= 3:
    writeCorpus(kind: arguments[1], lines: Int(arguments[2]) ?? 0, seed: arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 1)
default:
    print("usage: idca-bench rules [INPUTS] | idca-bench corpus KIND LINES [SEED] | idca-bench services [SECONDS] | idca-bench echo-server PORT | idca-bench statistics [APPLICATIONS] [DAYS]")
    exit(2)
}
