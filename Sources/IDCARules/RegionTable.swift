/// One GB/T 2260 administrative division code and its name.
public struct Region: Sendable, Hashable, CustomStringConvertible {
    /// Whether the code is in use today or was abolished or renamed.
    public enum Status: String, Sendable, Hashable {
        case current
        case historical
    }

    /// The six-digit code as an integer (110105).
    public let code: Int
    /// The name under the newest list that has the code (朝阳区).
    public let name: String
    public let status: Status

    /// The code as six ASCII digits.
    public var codeString: String { zeroPaddedDigits(code, width: 6) }

    /// The code of the province-level division that contains this one (110105 → 110000).
    public var provinceCode: Int { code / 10_000 * 10_000 }

    public var description: String { "\(codeString) \(name)" }
}

/// The GB/T 2260 codes, current and historical, with constant-time lookup by code.
///
/// Identity numbers keep the address code they were issued under for life, so historical codes
/// count as known. No check is made that a code existed in a birth year: numbers are often issued
/// years after birth, under codes created later, so such a check would reject real people.
public struct RegionTable: Sendable {
    /// The table compiled into idca from `Sources/IDCARules/Resources/regions.tsv`.
    public static let standard: RegionTable = {
        do {
            return try RegionTable(tsv: embedded_regions)
        } catch {
            // The file is checked by the test suite; a broken copy is a build defect, not input.
            preconditionFailure("The embedded region table is malformed: \(error)")
        }
    }()

    /// A malformed line of a region TSV.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// One slot per possible six-digit code: 0 for unknown, otherwise index + 1 into `regions`.
    /// Two bytes a slot (2 MB in all) buys a lookup with no hashing and no string work.
    private let slots: [UInt16]
    /// Every region, in file order (sorted by code).
    public let regions: [Region]

    /// Parses `code<TAB>name<TAB>status` lines after a header line.
    public init(tsv: String) throws(FormatError) {
        var slots = [UInt16](repeating: 0, count: 1_000_000)
        var regions: [Region] = []
        var lineNumber = 0
        for line in tsv.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if lineNumber == 1 {
                guard line == "code\tname\tstatus" else {
                    throw FormatError(line: 1, problem: "expected the header code<TAB>name<TAB>status")
                }
                continue
            }
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else { throw FormatError(line: lineNumber, problem: "expected 3 fields") }
            guard fields[0].utf8.count == 6, fields[0].utf8.allSatisfy(isASCIIDigit), let code = Int(fields[0]) else {
                throw FormatError(line: lineNumber, problem: "code is not six digits")
            }
            guard !fields[1].isEmpty else { throw FormatError(line: lineNumber, problem: "empty name") }
            guard let status = Region.Status(rawValue: String(fields[2])) else {
                throw FormatError(line: lineNumber, problem: "status is neither current nor historical")
            }
            guard slots[code] == 0 else { throw FormatError(line: lineNumber, problem: "duplicate code \(fields[0])") }
            guard regions.count < Int(UInt16.max) else { throw FormatError(line: lineNumber, problem: "too many codes") }
            regions.append(Region(code: code, name: String(fields[1]), status: status))
            slots[code] = UInt16(regions.count)
        }
        self.slots = slots
        self.regions = regions
    }

    /// Whether `code` (0…999999) is a known division code, current or historical.
    @inlinable
    public func contains(code: Int) -> Bool { slotIndex(code) != nil }

    /// The region with this code, if known.
    public func region(code: Int) -> Region? {
        slotIndex(code).map { regions[$0] }
    }

    /// The province-level region containing `code`, if the table has it.
    public func province(containing code: Int) -> Region? {
        region(code: code / 10_000 * 10_000)
    }

    @usableFromInline
    func slotIndex(_ code: Int) -> Int? {
        guard code >= 0, code < slots.count else { return nil }
        let slot = slots[code]
        return slot == 0 ? nil : Int(slot) - 1
    }
}
