import Foundation
@testable import IDCACommands
import IDCACore
import IDCARules
import IDCATokens
import Testing

/// The import path the operator command and the demo seed share: what it stores, and that the
/// personal data it keeps is ciphertext that only the data key opens, bound to its row.
@Suite("Registry import")
struct RegistryImportTests {
    @Test func storesKeyedHashesAndSealedCopiesOnly() async throws {
        let directory = NSTemporaryDirectory() + "idca-import-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = try StorageOptions.parse(["--database", directory + "/db.sqlite", "--keys", directory + "/keys"])
        _ = try KeyDirectory(path: directory + "/keys").generateMissing()
        let wiring = try await Wiring.open(storage: storage)

        let csv = directory + "/residents.csv"
        try "resident_id,name,status,phone\n11010519491231002X,张三,active,13800138000\n110105194912310021,李四,active,\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let (report, _) = try await RegistryImporter(wiring: wiring, showsProgress: false).run(.residents, path: csv)
        #expect(report.imported == 1)
        #expect(report.rejected.map(\.reason) == ["checksum"])
        #expect(FileManager.default.fileExists(atPath: directory + "/residents.rejects.csv"))

        let number = try ResidentIDNumber(validating: "11010519491231002X", context: ValidationContext(today: CivilDate(year: 2026, month: 11, day: 29)!))
        let reference = wiring.identityHasher.residentReference(number)
        let record = try #require(try await wiring.registry.resident(residentIDHash: reference))
        #expect(record.nameHash == wiring.identityHasher.nameHash("张三"))
        #expect(record.regionCode == 110105)

        let sealer = DataSealer(key: wiring.keys.data)
        let identity = try sealer.open(try #require(record.sealedIdentity), associatedData: Array(("identity:" + reference).utf8))
        #expect(String(decoding: identity, as: UTF8.self) == "11010519491231002X\n张三")
        let phone = try sealer.open(try #require(record.sealedPhone), associatedData: Array(("phone:" + reference).utf8))
        #expect(String(decoding: phone, as: UTF8.self) == "13800138000")
        // Bound to row and purpose: the identity ciphertext does not open as a phone, nor under another row.
        #expect(throws: (any Error).self) { try sealer.open(record.sealedIdentity!, associatedData: Array(("phone:" + reference).utf8)) }
        #expect(throws: (any Error).self) { try sealer.open(record.sealedIdentity!, associatedData: Array("identity:other".utf8)) }
        #expect(throws: (any Error).self) { try DataSealer(key: SecretKey.generate()).open(record.sealedIdentity!, associatedData: Array(("identity:" + reference).utf8)) }

        await wiring.close()
        var stored = Data()
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: directory + "/db.sqlite" + suffix) { stored.append(data) }
        }
        for plaintext in ["11010519491231002X", "张三", "13800138000", "李四"] {
            #expect(stored.range(of: Data(plaintext.utf8)) == nil, "the database holds \(plaintext.prefix(2))…")
        }
    }
}
