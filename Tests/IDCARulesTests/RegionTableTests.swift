import IDCARules
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("GB/T 2260 region table")
struct RegionTableTests {
    @Test func holdsTheWholeTable() {
        let table = RegionTable.standard
        #expect(table.regions.count == 7_212)
        #expect(table.regions.filter { $0.status == .current }.count == 3_517)
        #expect(table.regions.filter { $0.status == .historical }.count == 3_695)
    }

    @Test(arguments: [
        (110000, "北京市", Region.Status.current), (110101, "东城区", .current),
        (310115, "浦东新区", .current), (440305, "南山区", .current), (110103, "崇文区", .historical),
        (330113, "临平区", .current), (710000, "台湾省", .current), (810000, "香港特别行政区", .current),
    ])
    func spotChecks(code: Int, name: String, status: Region.Status) {
        let region = RegionTable.standard.region(code: code)
        #expect(region?.name == name)
        #expect(region?.status == status)
    }

    @Test func unknownAndOutOfRangeCodesAreNotFound() {
        for code in [0, 999_999, 110_199, -1, 1_000_000, Int.max] {
            #expect(!RegionTable.standard.contains(code: code))
            #expect(RegionTable.standard.region(code: code) == nil)
        }
    }

    /// The embedded copy must be the committed file, byte for byte (and the shared original, when present).
    @Test func embeddedTableIsTheResourceFile() throws {
        let resources = URLPath(#filePath).up(3).appending("Sources/IDCARules/Resources/regions.tsv")
        let committed = try #require(readFile(resources))
        let fromText = try RegionTable(tsv: committed)
        #expect(fromText.regions == RegionTable.standard.regions)
        let shared = URLPath(#filePath).up(4).appending("shared/data/regions.tsv")
        if let original = readFile(shared) {
            #expect(original == committed)
        }
    }

    @Test func rejectsMalformedTables() {
        #expect(throws: RegionTable.FormatError.self) { try RegionTable(tsv: "code\tname\n110000\t北京市\tcurrent") }
        #expect(throws: RegionTable.FormatError.self) { try RegionTable(tsv: "code\tname\tstatus\n11000\t北京市\tcurrent") }
        #expect(throws: RegionTable.FormatError.self) { try RegionTable(tsv: "code\tname\tstatus\n110000\t北京市\tgone") }
        #expect(throws: RegionTable.FormatError.self) { try RegionTable(tsv: "code\tname\tstatus\n110000\ta\tcurrent\n110000\tb\tcurrent") }
        #expect(throws: RegionTable.FormatError.self) { try RegionTable(tsv: "code\tname\tstatus\n１10000\ta\tcurrent") }
    }
}

/// A tiny path helper: this test target avoids Foundation like the module it tests.
struct URLPath {
    var components: [Substring]
    init(_ path: String) { components = path.split(separator: "/") }
    func up(_ levels: Int) -> URLPath { var copy = self; copy.components.removeLast(levels); return copy }
    func appending(_ tail: String) -> String { "/" + (components.map(String.init) + [tail]).joined(separator: "/") }
}

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
