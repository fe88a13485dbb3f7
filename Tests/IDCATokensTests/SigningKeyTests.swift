import IDCATokens
import Testing

/// RFC 8037 Appendix A test vectors.
private enum RFC8037 {
    static let d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    static let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    /// A.3: SHA-256 90facafe…282b4b89 of {"crv":"Ed25519","kty":"OKP","x":"11qY…URo"}.
    static let thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    /// A.4: {"alg":"EdDSA"} over "Example of Ed25519 signing".
    static let jws = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
        + "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
}

@Suite("Signing keys")
struct SigningKeyTests {
    @Test func rfc8037KeyDerivesTheExamplePublicKey() throws {
        let key = try TokenSigningKey(rawRepresentation: Base64URL.decode(RFC8037.d)!)
        #expect(Base64URL.encode(key.publicKey.rawRepresentation) == RFC8037.x)
    }

    @Test func rfc8037ThumbprintIsTheKeyID() throws {
        let key = try TokenVerificationKey(rawRepresentation: Base64URL.decode(RFC8037.x)!)
        #expect(key.keyID == RFC8037.thumbprint)
        #expect(try TokenSigningKey(rawRepresentation: Base64URL.decode(RFC8037.d)!).keyID == RFC8037.thumbprint)
    }

    @Test func rfc8037SignatureExampleVerifies() throws {
        let key = try TokenVerificationKey(rawRepresentation: Base64URL.decode(RFC8037.x)!)
        let parts = RFC8037.jws.split(separator: ".", omittingEmptySubsequences: false)
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        let signature = try #require(Base64URL.decode(parts[2]))
        #expect(String(decoding: Base64URL.decode(parts[0])!, as: UTF8.self) == #"{"alg":"EdDSA"}"#)
        #expect(String(decoding: Base64URL.decode(parts[1])!, as: UTF8.self) == "Example of Ed25519 signing")
        #expect(key.isValidSignature(signature, for: signingInput))

        // Our signature over the same input verifies too (compared by verifying, not by bytes:
        // some Ed25519 implementations randomise signatures).
        let signer = try TokenSigningKey(rawRepresentation: Base64URL.decode(RFC8037.d)!)
        #expect(key.isValidSignature(signer.sign(signingInput), for: signingInput))

        var tampered = signature
        tampered[0] ^= 1
        #expect(!key.isValidSignature(tampered, for: signingInput))
        #expect(!key.isValidSignature(signature, for: signingInput + [0]))
        #expect(!key.isValidSignature(Array(signature.dropLast()), for: signingInput))
    }

    @Test func rfc8037ExampleIsNotACertificationToken() throws {
        // Right key, valid signature, but no typ or kid: the verifier wants exactly its own header.
        let key = try TokenVerificationKey(rawRepresentation: Base64URL.decode(RFC8037.x)!)
        let verifier = TokenVerifier(keys: [key], issuer: "https://idca.test")
        #expect(verifier.verify(RFC8037.jws, now: 0, siteID: "s") == .failure(.malformed))
    }

    @Test func jwkHasExactlyTheSpecifiedMembers() throws {
        let key = try TokenVerificationKey(rawRepresentation: Base64URL.decode(RFC8037.x)!)
        #expect(key.jwkJSON == #"{"kty":"OKP","crv":"Ed25519","kid":"\#(RFC8037.thumbprint)","use":"sig","alg":"EdDSA","x":"\#(RFC8037.x)"}"#)
    }

    @Test func pemRoundTrips() throws {
        let key = TokenSigningKey.generate()
        let pem = key.pemRepresentation
        let lines = pem.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        #expect(lines[0] == "-----BEGIN PRIVATE KEY-----")
        #expect(lines[1].count == 64)
        #expect(lines[2] == "-----END PRIVATE KEY-----")
        #expect(lines[3] == "")
        let loaded = try TokenSigningKey(pemRepresentation: pem)
        #expect(loaded.publicKey == key.publicKey)
        #expect(loaded.pemRepresentation == pem)
        let message = Array("signed by the original".utf8)
        #expect(loaded.publicKey.isValidSignature(key.sign(message), for: message))
    }

    @Test func pemHasTheExpectedDERPrefix() throws {
        let seed = Base64URL.decode(RFC8037.d)!
        let key = try TokenSigningKey(rawRepresentation: seed)
        let body = key.pemRepresentation.split(separator: "\n")[1]
        // 302e020100300506032b657004220420 ‖ seed, in standard base64.
        let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
        let expected = Base64URL.encode(der).map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 }
        #expect(String(body) == String(expected))
    }

    @Test func pemAcceptsCRLFAndSurroundingText() throws {
        let key = TokenSigningKey.generate()
        let crlf = key.pemRepresentation.split(separator: "\n").joined(separator: "\r\n") + "\r\n"
        #expect(try TokenSigningKey(pemRepresentation: crlf).publicKey == key.publicKey)
        let annotated = "Generated for idca tests\n" + key.pemRepresentation + "\n"
        #expect(try TokenSigningKey(pemRepresentation: annotated).publicKey == key.publicKey)
    }

    @Test func pemAcceptsPKCS8Version2WithAMatchingPublicKey() throws {
        let seed = Base64URL.decode(RFC8037.d)!
        let x = Base64URL.decode(RFC8037.x)!
        // OneAsymmetricKey v2 (RFC 5958) as RFC 8410 §10.3 shows it: version 1, [1] publicKey.
        let v2: [UInt8] = [0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
            + seed + [0x81, 0x21, 0x00] + x
        #expect(try TokenSigningKey(pemRepresentation: pem(v2)).keyID == RFC8037.thumbprint)

        var mismatched = v2
        mismatched[mismatched.count - 1] ^= 1
        #expect(throws: KeyError.self) { try TokenSigningKey(pemRepresentation: pem(mismatched)) }
    }

    @Test(arguments: [
        ("", "empty"),
        ("not a key", "no PEM block"),
        ("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", "empty body"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMRESc\n", "no END line"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v_VpguoRK9JLsLMRESc VpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n", "base64url and spaces in the body"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMRESc\n-----END PUBLIC KEY-----\n", "mismatched END label"),
    ] as [(String, String)])
    func pemRejectsMalformedText(_ text: String, _ why: String) {
        #expect(throws: KeyError.self, "\(why)") { try TokenSigningKey(pemRepresentation: text) }
    }

    @Test func pemRejectsOtherKeyTypes() throws {
        let x25519: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x04, 0x22, 0x04, 0x20]
            + [UInt8](repeating: 7, count: 32)
        #expect(throws: KeyError.wrongKeyType("an X25519 key")) { try TokenSigningKey(pemRepresentation: pem(x25519)) }
        #expect(throws: KeyError.self) {
            try TokenSigningKey(pemRepresentation: "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
        }
        #expect(throws: KeyError.self) {
            try TokenSigningKey(pemRepresentation: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
        }
        let publicPEM = TokenSigningKey.generate().publicKey.pemRepresentation
        #expect(throws: KeyError.wrongKeyType("a public key")) { try TokenSigningKey(pemRepresentation: publicPEM) }
    }

    @Test(arguments: [
        ([0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 31), "seed too short"),
        ([0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 33), "seed too long"),
        ([0x30, 0x2E, 0x02, 0x01, 0x02, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 32), "version 3"),
        ([0x30, 0x30, 0x02, 0x01, 0x00, 0x30, 0x07, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x05, 0x00, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 32), "NULL parameters"),
        ([0x30, 0x81, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 32), "non-minimal length"),
        ([0x30, 0x80, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 32) + [0, 0], "indefinite length"),
        ([0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 32) + [0], "trailing byte"),
        ([0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + [UInt8](repeating: 1, count: 20), "truncated"),
        ([0x30, 0x00], "empty sequence"),
    ] as [([UInt8], String)])
    func derRejectsMalformedStructures(_ der: [UInt8], _ why: String) {
        #expect(throws: KeyError.self, "\(why)") { try TokenSigningKey(pemRepresentation: pem(der)) }
    }

    @Test func rawKeysMustBe32Bytes() {
        #expect(throws: KeyError.wrongLength(expected: 32, actual: 31)) { try TokenVerificationKey(rawRepresentation: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: KeyError.wrongLength(expected: 32, actual: 33)) { try TokenSigningKey(rawRepresentation: [UInt8](repeating: 0, count: 33)) }
        #expect(throws: Never.self) { try TokenVerificationKey(rawRepresentation: [UInt8](repeating: 0, count: 32)) }
    }

    @Test func publicKeyPEMRoundTrips() throws {
        let key = TokenSigningKey.generate().publicKey
        #expect(try TokenVerificationKey(pemRepresentation: key.pemRepresentation) == key)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"))
    }

    @Test func keysNeverShowTheirSecretInDescriptions() throws {
        let key = try TokenSigningKey(rawRepresentation: Base64URL.decode(RFC8037.d)!)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [String(describing: key), String(reflecting: key), "\(key)", dumped] {
            #expect(!text.contains(RFC8037.d))
            #expect(!text.contains("nWGxne"))
            #expect(text.contains(RFC8037.thumbprint))
        }
        #expect(!key.pemRepresentation.isEmpty)  // exported only on purpose
    }

    @Test func errorsDescribeTheProblemWithoutKeyMaterial() {
        let error = KeyError.insecurePermissions(path: "keys/token-signing.pem", mode: 0o644)
        #expect(error.description.contains("0644"))
        #expect(error.description.contains("chmod 600 keys/token-signing.pem"))
        #expect(KeyError.unreadableFile(path: "k", errno: 2).description.contains("No such file or directory"))
    }

    private func pem(_ der: [UInt8]) -> String {
        let body = Base64URL.encode(der).map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 }
        let padded = String(body) + String(repeating: "=", count: (4 - body.count % 4) % 4)
        return "-----BEGIN PRIVATE KEY-----\n\(padded)\n-----END PRIVATE KEY-----\n"
    }
}
