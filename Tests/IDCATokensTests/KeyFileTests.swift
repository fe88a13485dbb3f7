import Foundation
import IDCATokens
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Key files")
struct KeyFileTests {
    @Test func writeCreatesMode0600AndReadsBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("token-signing.pem")
        let pem = TokenSigningKey.generate().pemRepresentation
        // A permissive umask must not widen the mode.
        let previous = umask(0)
        defer { umask(previous) }
        try KeyFile.write(pem, to: path)
        #expect(fileMode(path) == 0o600)
        #expect(try KeyFile.read(path) == pem)
        // No temporary file is left beside the key.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["token-signing.pem"])
    }

    @Test func writeRefusesToOverwriteUnlessReplacing() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("pseudonym.key")
        let first = SecretKey.generate().fileContents
        let second = SecretKey.generate().fileContents
        try KeyFile.write(first, to: path)
        #expect(throws: KeyError.fileExists(path: path)) { try KeyFile.write(second, to: path) }
        #expect(try KeyFile.read(path) == first)
        try KeyFile.write(second, to: path, replacing: true)
        #expect(try KeyFile.read(path) == second)
        #expect(fileMode(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["pseudonym.key"])
    }

    @Test func replacingTightensALooseExistingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("index.key")
        _ = FileManager.default.createFile(atPath: path, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644])
        try KeyFile.write(SecretKey.generate().fileContents, to: path, replacing: true)
        #expect(fileMode(path) == 0o600)
    }

    @Test func writeIntoAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("missing/key.pem")
        #expect(throws: KeyError.unwritableFile(path: path, errno: ENOENT)) { try KeyFile.write("x", to: path) }
    }

    @Test(arguments: [0o600, 0o400] as [UInt32])
    func readAcceptsOwnerOnlyModes(_ mode: UInt32) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("key")
        try KeyFile.write("contents\n", to: path)
        #expect(chmod(path, mode_t(mode)) == 0)
        #expect(try KeyFile.read(path) == "contents\n")
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o606, 0o610, 0o601, 0o620, 0o602, 0o777] as [UInt32])
    func readRefusesModesOpenToGroupOrOthers(_ mode: UInt32) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("key")
        try KeyFile.write("contents\n", to: path)
        #expect(chmod(path, mode_t(mode)) == 0)
        #expect(throws: KeyError.insecurePermissions(path: path, mode: mode)) { try KeyFile.read(path) }
    }

    @Test func readChecksTheTargetOfASymlink() throws {
        let directory = try TemporaryDirectory()
        let target = directory.file("target")
        let link = directory.file("link")
        try KeyFile.write("secret\n", to: target)
        #expect(symlink(target, link) == 0)
        #expect(try KeyFile.read(link) == "secret\n")
        #expect(chmod(target, 0o644) == 0)
        #expect(throws: KeyError.insecurePermissions(path: link, mode: 0o644)) { try KeyFile.read(link) }
    }

    @Test func readReportsMissingDirectoryAndOversizedFiles() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("absent")
        #expect(throws: KeyError.unreadableFile(path: missing, errno: ENOENT)) { try KeyFile.read(missing) }
        #expect(throws: KeyError.notARegularFile(path: directory.path)) { try KeyFile.read(directory.path) }

        let large = directory.file("large")
        try KeyFile.write(String(repeating: "A", count: KeyFile.maximumSize + 1), to: large)
        #expect(throws: KeyError.fileTooLarge(path: large, limit: KeyFile.maximumSize)) { try KeyFile.read(large) }

        let binary = directory.file("binary")
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0xFF, 0xFE]), attributes: [.posixPermissions: 0o600])
        #expect(throws: KeyError.notText(path: binary)) { try KeyFile.read(binary) }
    }

    @Test func aKeyWrittenAndReadBackStillSigns() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("token-signing.pem")
        let key = TokenSigningKey.generate()
        try KeyFile.write(key.pemRepresentation, to: path)
        let loaded = try TokenSigningKey(pemRepresentation: KeyFile.read(path))
        let token = TokenIssuer(signingKey: loaded).issue(Fixture.claims())
        let verifier = TokenVerifier(keys: [key.publicKey], issuer: Fixture.issuer)
        #expect((try? verifier.verify(token, now: Fixture.now, siteID: Fixture.site).get()) != nil)
    }
}
