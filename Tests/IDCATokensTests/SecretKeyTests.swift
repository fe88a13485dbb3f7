import IDCATokens
import Testing

@Suite("Symmetric keys, keyed hashes, pseudonyms, sealing")
struct SecretKeyTests {
    private static let keyA = try! SecretKey(rawRepresentation: [UInt8](repeating: 0x0A, count: 32))
    private static let keyB = try! SecretKey(rawRepresentation: [UInt8](repeating: 0x0B, count: 32))

    // MARK: SecretKey files

    @Test func fileContentsRoundTrip() throws {
        let key = SecretKey.generate()
        let text = key.fileContents
        #expect(text.count == 45)
        #expect(text.hasSuffix("=\n"))
        let reloaded = try SecretKey(fileContents: text)
        #expect(reloaded.fileContents == text)
        // Same key, same behaviour.
        #expect(KeyedHasher(key: reloaded).hash("x", domain: "d") == KeyedHasher(key: key).hash("x", domain: "d"))
    }

    @Test func fileContentsMatchOpenSSLRandBase64() throws {
        // `openssl rand -base64 32` prints 44 characters and a newline; 32 bytes of 0x0A encode as:
        #expect(Self.keyA.fileContents == "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo=\n")
        #expect(try SecretKey(fileContents: "  CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo=\r\n").fileContents == Self.keyA.fileContents)
    }

    @Test(arguments: [
        "", "\n", "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo", "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgp=",
        "CgoKCgoKCgoKCgoKCgoKCgoK CgoKCgoKCgoKCgoKCgoKCgo=", "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCg==",
        "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo=", "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo-",
        "-----BEGIN PRIVATE KEY-----",
    ])
    func fileContentsRejectAnythingElse(_ text: String) {
        #expect(throws: KeyError.self) { try SecretKey(fileContents: text) }
    }

    @Test func descriptionsAreRedacted() {
        var dumped = ""
        dump(Self.keyA, to: &dumped)
        for text in [String(describing: Self.keyA), String(reflecting: Self.keyA), dumped] {
            #expect(!text.contains("Cgo"))
            #expect(!text.contains("10, 10"))
        }
    }

    // MARK: KeyedHasher

    @Test func keyedHashIsHMACOfDomainNulValue() {
        // HMAC-SHA256(key = 32 × 0x0A, "resident_id\0" + "11010519491231002X"), computed independently
        // with Python: hmac.new(b"\n"*32, b"resident_id\x0011010519491231002X", "sha256").hexdigest()
        let hasher = KeyedHasher(key: Self.keyA)
        #expect(hasher.hash("11010519491231002X", domain: "resident_id")
            == "fb0c86b52723778774a2323a5bdc7212f540c33ae5d92aebafd8c792f8caea3c")
    }

    @Test func keyedHashesDifferByDomainKeyAndValue() {
        let hasher = KeyedHasher(key: Self.keyA)
        let value = "张三"
        let byName = hasher.hash(value, domain: "person_name")
        #expect(byName == hasher.hash(value, domain: "person_name"))
        #expect(byName != hasher.hash(value, domain: "resident_id"))
        #expect(byName != hasher.hash(value, domain: "api_key"))
        #expect(byName != KeyedHasher(key: Self.keyB).hash(value, domain: "person_name"))
        #expect(byName != hasher.hash("李四", domain: "person_name"))
        // The separator keeps domain and value apart: ("ab", "c") and ("a", "bc") differ.
        #expect(hasher.hash("c", domain: "ab") != hasher.hash("bc", domain: "a"))
        #expect(byName.count == 64)
        #expect(byName.allSatisfy { "0123456789abcdef".contains($0) })
    }

    // MARK: PseudonymGenerator

    @Test func pseudonymsAreStableAndWellFormed() {
        let generator = PseudonymGenerator(key: Self.keyA)
        let first = generator.pseudonym(subjectReference: "resident:abc", siteID: "site_a")
        #expect(first == generator.pseudonym(subjectReference: "resident:abc", siteID: "site_a"))
        #expect(first == PseudonymGenerator(key: Self.keyA).pseudonym(subjectReference: "resident:abc", siteID: "site_a"))
        #expect(first.count == 32)
        #expect(first.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
    }

    @Test func pseudonymMatchesTheSpecifiedConstruction() {
        // Python: base64.b32encode(hmac.new(b"\n"*32, b"idca-pseudonym-v1\x00resident:abc\x00site_a",
        //                                   "sha256").digest()[:20]).decode().lower()
        #expect(PseudonymGenerator(key: Self.keyA).pseudonym(subjectReference: "resident:abc", siteID: "site_a")
            == "urwwtd35dvl3x3nzfpknwoe4wx3dvock")
    }

    @Test func pseudonymsDifferAcrossSitesSubjectsAndKeys() {
        let generator = PseudonymGenerator(key: Self.keyA)
        let base = generator.pseudonym(subjectReference: "resident:abc", siteID: "site_a")
        #expect(base != generator.pseudonym(subjectReference: "resident:abc", siteID: "site_b"))
        #expect(base != generator.pseudonym(subjectReference: "resident:abd", siteID: "site_a"))
        #expect(base != PseudonymGenerator(key: Self.keyB).pseudonym(subjectReference: "resident:abc", siteID: "site_a"))
        // Moving text across the separator changes the value.
        #expect(generator.pseudonym(subjectReference: "ab", siteID: "c") != generator.pseudonym(subjectReference: "a", siteID: "bc"))

        var seen: Set<String> = []
        for subject in 0..<100 {
            for site in 0..<10 {
                seen.insert(generator.pseudonym(subjectReference: "resident:\(subject)", siteID: "site_\(site)"))
            }
        }
        #expect(seen.count == 1000)
    }

    // MARK: DataSealer

    @Test func sealRoundTrips() throws {
        let sealer = DataSealer(key: Self.keyA)
        let plaintext = Array("13800138000".utf8)
        let associated = Array("residents.phone:42".utf8)
        let sealed = sealer.seal(plaintext, associatedData: associated)
        #expect(sealed.count == plaintext.count + DataSealer.overhead)
        #expect(try sealer.open(sealed, associatedData: associated) == plaintext)
        #expect(try sealer.open(sealer.seal([], associatedData: []), associatedData: []) == [])
        // A fresh nonce each time: equal plaintexts do not produce equal ciphertexts.
        #expect(sealed != sealer.seal(plaintext, associatedData: associated))
        #expect(!sealed.starts(with: Array(plaintext.prefix(4))))
    }

    @Test func openDetectsEveryFlippedByte() throws {
        let sealer = DataSealer(key: Self.keyA)
        let sealed = sealer.seal(Array("secret".utf8), associatedData: [1, 2, 3])
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: DataSealer.OpenError.authenticationFailed) { try sealer.open(tampered, associatedData: [1, 2, 3]) }
        }
    }

    @Test func openRejectsWrongAssociatedDataKeyAndLength() throws {
        let sealer = DataSealer(key: Self.keyA)
        let sealed = sealer.seal(Array("secret".utf8), associatedData: Array("row:1".utf8))
        #expect(throws: DataSealer.OpenError.authenticationFailed) { try sealer.open(sealed, associatedData: Array("row:2".utf8)) }
        #expect(throws: DataSealer.OpenError.authenticationFailed) { try sealer.open(sealed, associatedData: []) }
        #expect(throws: DataSealer.OpenError.authenticationFailed) {
            try DataSealer(key: Self.keyB).open(sealed, associatedData: Array("row:1".utf8))
        }
        #expect(throws: DataSealer.OpenError.truncated) { try sealer.open(Array(sealed.prefix(27)), associatedData: Array("row:1".utf8)) }
        #expect(throws: DataSealer.OpenError.authenticationFailed) { try sealer.open(Array(sealed.dropLast()), associatedData: Array("row:1".utf8)) }
        #expect(throws: DataSealer.OpenError.authenticationFailed) { try sealer.open(sealed + [0], associatedData: Array("row:1".utf8)) }
    }
}
