import Foundation
import IDCATokens
import Testing

/// Keys must work with the operator's standard tool: `idca keys generate` output is read by
/// `openssl pkey`, and a key made by `openssl genpkey` can be used by idca.
@Suite("OpenSSL interoperability", .enabled(if: Tool.hasOpenSSL, "openssl is not installed; skipping the OpenSSL interop checks"))
struct OpenSSLInteropTests {
    private func openssl(_ arguments: [String], in directory: TemporaryDirectory) throws -> ToolRun {
        let run = try Tool.run(["openssl"] + arguments, in: directory.url)
        #expect(run.status == 0, "\(run)")
        return run
    }

    @Test func aKeyFromOpenSSLLoadsAndItsSignaturesVerifyBothWays() throws {
        let directory = try TemporaryDirectory()
        _ = try openssl(["genpkey", "-algorithm", "ed25519", "-out", "key.pem"], in: directory)
        _ = try openssl(["pkey", "-in", "key.pem", "-pubout", "-out", "public.pem"], in: directory)

        let key = try TokenSigningKey(pemRepresentation: String(contentsOfFile: directory.file("key.pem"), encoding: .utf8))
        let opensslPublic = try TokenVerificationKey(pemRepresentation: String(contentsOfFile: directory.file("public.pem"), encoding: .utf8))
        #expect(key.publicKey == opensslPublic)
        // We write the key back exactly as OpenSSL did.
        #expect(key.pemRepresentation == (try String(contentsOfFile: directory.file("key.pem"), encoding: .utf8)))

        let message = Array("idca interop message".utf8)
        try Data(message).write(to: directory.url.appendingPathComponent("message"))

        // OpenSSL signs, we verify.
        _ = try openssl(["pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "message", "-out", "openssl.sig"], in: directory)
        let opensslSignature = Array(try Data(contentsOf: directory.url.appendingPathComponent("openssl.sig")))
        #expect(key.publicKey.isValidSignature(opensslSignature, for: message))
        #expect(!key.publicKey.isValidSignature(opensslSignature, for: message + [0x21]))

        // We sign, OpenSSL verifies.
        try Data(key.sign(message)).write(to: directory.url.appendingPathComponent("ours.sig"))
        let verified = try openssl(["pkeyutl", "-verify", "-pubin", "-inkey", "public.pem", "-rawin", "-in", "message", "-sigfile", "ours.sig"], in: directory)
        #expect(verified.output.contains("Signature Verified Successfully"))

        // And a token signed with the OpenSSL-made key verifies.
        let token = TokenIssuer(signingKey: key).issue(Fixture.claims())
        let verifier = TokenVerifier(keys: [opensslPublic], issuer: Fixture.issuer)
        #expect((try? verifier.verify(token, now: Fixture.now, siteID: Fixture.site).get()) != nil)
    }

    @Test func aKeyWeWriteIsReadByOpenSSLPkey() throws {
        let directory = try TemporaryDirectory()
        let key = TokenSigningKey.generate()
        try KeyFile.write(key.pemRepresentation, to: directory.file("token-signing.pem"))

        let publicRun = try openssl(["pkey", "-in", "token-signing.pem", "-pubout"], in: directory)
        #expect(try TokenVerificationKey(pemRepresentation: publicRun.output) == key.publicKey)
        #expect(publicRun.output == key.publicKey.pemRepresentation)

        // `openssl pkey` re-emits the private key byte for byte: the format is exactly OpenSSL's.
        let privateRun = try openssl(["pkey", "-in", "token-signing.pem"], in: directory)
        #expect(privateRun.output == key.pemRepresentation)

        // A signature made by OpenSSL with our key verifies under our public key.
        let message = Array("signed by openssl with an idca key".utf8)
        try Data(message).write(to: directory.url.appendingPathComponent("message"))
        _ = try openssl(["pkeyutl", "-sign", "-inkey", "token-signing.pem", "-rawin", "-in", "message", "-out", "sig"], in: directory)
        #expect(key.publicKey.isValidSignature(Array(try Data(contentsOf: directory.url.appendingPathComponent("sig"))), for: message))
    }

    @Test func keysOfOtherTypesFromOpenSSLAreRefused() throws {
        let directory = try TemporaryDirectory()
        for (algorithm, file) in [("x25519", "x25519.pem"), ("ed448", "ed448.pem")] {
            _ = try openssl(["genpkey", "-algorithm", algorithm, "-out", file], in: directory)
            let text = try String(contentsOfFile: directory.file(file), encoding: .utf8)
            #expect(throws: KeyError.self, "\(algorithm)") { try TokenSigningKey(pemRepresentation: text) }
        }
        _ = try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "p256.pem"], in: directory)
        let ec = try String(contentsOfFile: directory.file("p256.pem"), encoding: .utf8)
        #expect(throws: KeyError.wrongKeyType("an EC key")) { try TokenSigningKey(pemRepresentation: ec) }
    }
}
