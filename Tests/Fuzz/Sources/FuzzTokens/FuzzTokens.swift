// Fuzz target: the token module (IDCATokens): compact JWS parsing and strict verification against
// a key ring, and the small parsers beside it (base64url, hex, key files, sealed data).
//
// The key ring is fixed and test-only: six Ed25519 keys from fixed seeds below (never a key from
// keys/), in every state a schedule knows at the fixed instant `now` — signing, retired, next
// (published), revoked, dropped, pending — and the ring holds only the signing key's private half.
//
// The first input byte picks what the rest is fed to:
//   T  token text, verified by the ring's verifier and by a verifier fixed to two keys
//   M  a mutation of one of the tokens issued at start-up: index byte, then (kind, position,
//      value) triples — replace, insert, delete, flip a bit
//   P  a payload (claims JSON text) that the harness signs with the signing key, then verifies
//   H  a JWS header that the harness signs (over a good payload), then verifies
//   B  base64url text          X  hex text
//   K  key file text (PKCS#8 and SubjectPublicKeyInfo PEM, secret key files)
//   D  a mutation of a sealed value (as for M), opened with the data key
//
// Properties: a token verifies only if it is one of the tokens issued at start-up (the fuzzer
// cannot sign, so any other accepted token — a mutation, a re-encoding — is a forgery), and then
// with exactly the answer the issue-time claims call for; a signed payload or header gets exactly
// the answer a re-derivation from the documented rules (FuzzSupport/ReferenceJSON.swift for the
// JSON) calls for, and claims that verify re-issue and verify to the same claims; the decoders
// accept only canonical text and round-trip; a sealed value opens only unaltered.
//
// IDCA_FUZZ_WRITE_SEEDS=<dir> makes the binary write its seed inputs (the issued tokens among
// them) to <dir> and exit, instead of fuzzing: that is how Corpus/tokens was made.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import FuzzSupport
import IDCACore
import IDCATokens

// MARK: - The fixed ring

private let issuer = "https://idca.test"
private let site = "site_fuzz"
private let now: Int64 = 1_796_000_000
private let leeway = TokenVerifier.defaultLeewaySeconds

private struct FixedClock: IDCACore.Clock {
    func now() -> Int64 { FuzzTokens.now }
}

private enum FuzzTokens { static let now: Int64 = 1_796_000_000 }

/// Test-only Ed25519 seeds: 32 bytes each, a fixed pattern per key.
private func seed(_ number: Int) -> [UInt8] { (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ number &* 101 &+ 11) } }

private enum KeyRole: Int, CaseIterable {
    case signing, retired, next, revoked, dropped, pending

    var isPublished: Bool { self == .signing || self == .retired || self == .next }
}

private let keys: [TokenSigningKey] = KeyRole.allCases.map { try! TokenSigningKey(rawRepresentation: seed($0.rawValue)) }

private let schedule: [ScheduledKey] = KeyRole.allCases.map { role in
    let key = keys[role.rawValue].publicKey
    let pem = key.pemRepresentation
    switch role {
    case .signing: return ScheduledKey(keyID: key.keyID, publicKey: pem, createdAt: now - 2000, publishedAt: now - 2000, activatesAt: now - 1000)
    case .retired:
        return ScheduledKey(keyID: key.keyID, publicKey: pem, createdAt: now - 10_000, publishedAt: now - 10_000, activatesAt: now - 9000,
                            retiredAt: now - 1000, dropsAt: now + 5000)
    case .next: return ScheduledKey(keyID: key.keyID, publicKey: pem, createdAt: now - 100, publishedAt: now - 100, activatesAt: now + 1000)
    case .revoked:
        return ScheduledKey(keyID: key.keyID, publicKey: pem, createdAt: now - 10_000, publishedAt: now - 10_000, activatesAt: now - 9000,
                            revokedAt: now - 500)
    case .dropped:
        return ScheduledKey(keyID: key.keyID, publicKey: pem, createdAt: now - 20_000, publishedAt: now - 20_000, activatesAt: now - 19_000,
                            retiredAt: now - 9000, dropsAt: now - 100)
    case .pending: return ScheduledKey(keyID: key.keyID, publicKey: pem, createdAt: now, publishedAt: now + 500, activatesAt: now + 1500)
    }
}

private let ring = SigningKeyRing(schedule: schedule, privateKeys: [keys[KeyRole.signing.rawValue]], clock: FixedClock())
private let ringVerifier = TokenVerifier(following: ring, issuer: issuer)
/// Trusts the signing and the retired key only (as a site with a cached JWKS would).
private let fixedVerifier = TokenVerifier(keys: [keys[0].publicKey, keys[1].publicKey], issuer: issuer)
private let fixedTrust: Set<Int> = [KeyRole.signing.rawValue, KeyRole.retired.rawValue]

private func keyIndex(_ keyID: String) -> Int? { keys.firstIndex { $0.keyID.utf8.elementsEqual(keyID.utf8) } }

// MARK: - Tokens issued at start-up

private func claims(_ tokenID: String, iat: Int64 = now - 10, nbf: Int64 = now - 10, exp: Int64 = now + 600,
                    subjectType: String = "individual", assurance: String = "registry", audience: String? = nil,
                    issuer: String = issuer) -> CertificationClaims {
    CertificationClaims(issuer: issuer, tokenID: tokenID, issuedAt: iat, notBefore: nbf, expiresAt: exp,
                        subjectType: subjectType, assurance: assurance, audience: audience)
}

private let claimVariants: [CertificationClaims] = [
    claims("AAAAAAAAAAAAAAAAAAAAAA"),
    claims("BBBBBBBBBBBBBBBBBBBBBB", subjectType: "organization", assurance: "registry+possession", audience: site),
    claims("CCCCCCCCCCCCCCCCCCCCCC", audience: "site_other"),
    claims("DDDDDDDDDDDDDDDDDDDDDD", exp: now - leeway),  // expired at the leeway's edge
    claims("EEEEEEEEEEEEEEEEEEEEEE", exp: now - leeway + 1),  // still inside the leeway
    claims("FFFFFFFFFFFFFFFFFFFFFF", nbf: now + leeway + 1),  // not yet valid
    claims("GGGGGGGGGGGGGGGGGGGGGG", nbf: now + leeway),
    claims("HHHHHHHHHHHHHHHHHHHHHH", subjectType: "robot"),  // signed, but not a claim set idca issues
    claims("IIIIIIIIIIIIIIIIIIIIII", issuer: "https://other.test"),
    claims("JJJJJJJJJJJJJJJJJJJJJJ\u{2028}\"\\é", assurance: "a\u{0}b\u{7F}"),  // strings that need escaping
]

private struct Issued {
    let token: String
    let key: Int
    let claims: CertificationClaims
}

/// Every claim variant signed by every key (deterministic: Ed25519 signatures are).
private let issued: [Issued] = keys.indices.flatMap { key in
    claimVariants.map { Issued(token: TokenIssuer(signingKey: keys[key]).issue($0), key: key, claims: $0) }
}
private let issuedByToken: [String: Issued] = Dictionary(issued.map { ($0.token, $0) }, uniquingKeysWith: { first, _ in first })

/// What verification must answer for claims signed by a trusted key (or for `trusted` false).
private func expectedAnswer(_ claims: CertificationClaims, trusted: Bool) -> Result<CertificationClaims, TokenRejection> {
    guard trusted else { return .failure(.unknownKey) }
    guard claims.issuer.utf8.elementsEqual(issuer.utf8), ["individual", "organization"].contains(where: { $0.utf8.elementsEqual(claims.subjectType.utf8) })
    else { return .failure(.malformed) }
    if claims.expiresAt <= now - leeway { return .failure(.expired) }
    if claims.notBefore > now + leeway { return .failure(.notYetValid) }
    if let audience = claims.audience, !audience.utf8.elementsEqual(site.utf8) { return .failure(.wrongAudience) }
    return .success(claims)
}

private func sameClaims(_ lhs: CertificationClaims, _ rhs: CertificationClaims) -> Bool {
    func same(_ a: String?, _ b: String?) -> Bool { a.map { x in b.map { x.utf8.elementsEqual($0.utf8) } ?? false } ?? (b == nil) }
    return same(lhs.issuer, rhs.issuer) && same(lhs.tokenID, rhs.tokenID) && lhs.issuedAt == rhs.issuedAt && lhs.notBefore == rhs.notBefore
        && lhs.expiresAt == rhs.expiresAt && same(lhs.subjectType, rhs.subjectType) && same(lhs.assurance, rhs.assurance)
        && same(lhs.audience, rhs.audience)
}

private func same(_ lhs: Result<CertificationClaims, TokenRejection>, _ rhs: Result<CertificationClaims, TokenRejection>) -> Bool {
    switch (lhs, rhs) {
    case (.success(let a), .success(let b)): sameClaims(a, b)
    case (.failure(let a), .failure(let b)): a == b
    default: false
    }
}

private func describe(_ result: Result<CertificationClaims, TokenRejection>) -> String {
    switch result {
    case .success(let claims): "accepted \(claims)"
    case .failure(let rejection): rejection.rawValue
    }
}

// MARK: - Modes

/// Verifies `token` both ways; only start-up tokens may verify, and those exactly as expected.
private func verifyAny(_ token: String, context: @autoclosure () -> String) {
    let ringAnswer = ringVerifier.verify(token, now: now, siteID: site)
    let fixedAnswer = fixedVerifier.verify(token, now: now, siteID: site)
    if let known = issuedByToken[token] {
        let expectRing = expectedAnswer(known.claims, trusted: KeyRole(rawValue: known.key)!.isPublished)
        let expectFixed = expectedAnswer(known.claims, trusted: fixedTrust.contains(known.key))
        check(same(ringAnswer, expectRing), "ring verifier on an issued token (key \(known.key)): \(describe(ringAnswer)), expected \(describe(expectRing))")
        check(same(fixedAnswer, expectFixed), "fixed verifier on an issued token (key \(known.key)): \(describe(fixedAnswer)), expected \(describe(expectFixed))")
        return
    }
    for (name, answer) in [("ring", ringAnswer), ("fixed", fixedAnswer)] {
        if case .success(let claims) = answer {
            check(false, "FORGERY: the \(name) verifier accepted a token that was never issued (\(context())): \"\(escaped(token))\" → \(claims)")
        }
        // Whatever the rejection, it must not be one that needs a valid signature first.
        if case .failure(let reason) = answer, reason != .malformed && reason != .unknownKey && reason != .invalidSignature {
            check(false, "the \(name) verifier judged the claims (\(reason.rawValue)) of a token that was never issued: \"\(escaped(token))\"")
        }
    }
}

private func fuzzToken(_ bytes: [UInt8]) {
    verifyAny(String(decoding: bytes, as: UTF8.self), context: "token text")
}

/// Applies (kind, position, value) triples to `original`.
private func mutate(_ original: [UInt8], _ operations: [UInt8]) -> [UInt8] {
    var bytes = original
    var index = 0
    while index + 3 <= operations.count {
        let (kind, position, value) = (operations[index] % 4, Int(operations[index + 1]) | Int(operations[index] >> 2) << 8, operations[index + 2])
        index += 3
        switch kind {
        case 0: if !bytes.isEmpty { bytes[position % bytes.count] = value }
        case 1: bytes.insert(value, at: position % (bytes.count + 1))
        case 2: if !bytes.isEmpty { bytes.remove(at: position % bytes.count) }
        default: if !bytes.isEmpty { bytes[position % bytes.count] ^= 1 << (value % 8) }
        }
    }
    return bytes
}

private func fuzzMutation(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    let original = issued[Int(first) % issued.count]
    let mutated = mutate(Array(original.token.utf8), Array(bytes.dropFirst()))
    verifyAny(String(decoding: mutated, as: UTF8.self), context: "mutation of issued token \(Int(first) % issued.count)")
}

private let goodHeader = #"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(keys[0].keyID)"}"#

private func signed(header: [UInt8], payload: [UInt8], key: TokenSigningKey = keys[0]) -> String {
    let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
    return input + "." + Base64URL.encode(key.sign(Array(input.utf8)))
}

/// The claims a payload must yield, re-derived with the reference JSON reader; nil means malformed.
private func referenceClaims(_ payload: [UInt8]) -> CertificationClaims? {
    guard case .object(let members)? = ReferenceJSON.parse(payload) else { return nil }
    var strings: [String: String] = [:]
    var numbers: [String: Int64?] = [:]
    for member in members {
        // Names are matched byte for byte, as the verifier does.
        guard let name = ["iss", "jti", "sub_type", "acr", "aud", "iat", "nbf", "exp"].first(where: { $0.utf8.elementsEqual(member.name.utf8) })
        else { return nil }
        switch (["iat", "nbf", "exp"].contains(name), member.value) {
        case (false, .string(let text)): strings[name] = text
        case (true, .number(let literal)): numbers[name] = .some(ReferenceJSON.integer(literal))
        default: return nil
        }
    }
    guard let iss = strings["iss"], iss.utf8.elementsEqual(issuer.utf8), let jti = strings["jti"], let acr = strings["acr"],
          let subjectType = strings["sub_type"], ["individual", "organization"].contains(where: { $0.utf8.elementsEqual(subjectType.utf8) }),
          let iat = numbers["iat"] ?? nil, let nbf = numbers["nbf"] ?? nil, let exp = numbers["exp"] ?? nil
    else { return nil }
    return CertificationClaims(issuer: iss, tokenID: jti, issuedAt: iat, notBefore: nbf, expiresAt: exp, subjectType: subjectType,
                               assurance: acr, audience: strings["aud"])
}

private func fuzzPayload(_ payload: [UInt8]) {
    let token = signed(header: Array(goodHeader.utf8), payload: payload)
    let answer = ringVerifier.verify(token, now: now, siteID: site)
    let expected: Result<CertificationClaims, TokenRejection> = referenceClaims(payload).map { expectedAnswer($0, trusted: true) } ?? .failure(.malformed)
    check(same(answer, expected), "signed payload \"\(escaped(payload))\": \(describe(answer)), expected \(describe(expected))")
    check(same(fixedVerifier.verify(token, now: now, siteID: site), answer), "the fixed verifier disagrees on payload \"\(escaped(payload))\"")
    guard case .success(let claims) = answer else { return }
    // What verifies must re-issue to a token that verifies to the same claims.
    let reissued = TokenIssuer(signingKey: keys[0]).issue(claims)
    let again = ringVerifier.verify(reissued, now: now, siteID: site)
    check(same(again, answer), "re-issued claims verify as \(describe(again)), first as \(describe(answer))")
    check(isStrictJSON(Array(TokenIssuer(signingKey: keys[0]).payload(claims).utf8)), "the issuer wrote a payload the strict parser refuses")
}

private let goodPayload = Array(TokenIssuer(signingKey: keys[0]).payload(claimVariants[0]).utf8)

private func fuzzHeader(_ header: [UInt8]) {
    let token = signed(header: header, payload: goodPayload)
    let answer = ringVerifier.verify(token, now: now, siteID: site)
    var expected: Result<CertificationClaims, TokenRejection> = .failure(.malformed)
    if let value = ReferenceJSON.parse(header), case .object(let members) = value, members.count == 3,
       case .string(let alg)? = value["alg"], alg.utf8.elementsEqual("EdDSA".utf8),
       case .string(let typ)? = value["typ"], typ.utf8.elementsEqual("idca-cert+jwt".utf8),
       case .string(let kid)? = value["kid"] {
        if let key = keyIndex(kid), KeyRole(rawValue: key)!.isPublished {
            expected = key == KeyRole.signing.rawValue ? .success(claimVariants[0]) : .failure(.invalidSignature)
        } else {
            expected = .failure(.unknownKey)
        }
    }
    check(same(answer, expected), "signed header \"\(escaped(header))\": \(describe(answer)), expected \(describe(expected))")
}

private func fuzzBase64URL(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = Base64URL.decode(text) {
        check(Base64URL.encode(decoded) == text, "base64url \"\(escaped(bytes))\" decodes but is not the canonical encoding")
    }
    let encoded = Base64URL.encode(bytes)
    check(Base64URL.decode(encoded) == bytes, "base64url round trip of \"\(escaped(bytes))\"")
    check(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"), "base64url output uses padding or the standard alphabet")
}

private func fuzzHex(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = Hex.decode(text) {
        check(Hex.encode(decoded) == text, "hex \"\(escaped(bytes))\" decodes but is not canonical lower-case hex")
    }
    check(Hex.decode(Hex.encode(bytes)) == bytes, "hex round trip")
}

private func fuzzKeyFiles(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let key = try? TokenSigningKey(pemRepresentation: text) {
        let again = try? TokenSigningKey(pemRepresentation: key.pemRepresentation)
        check(again?.keyID == key.keyID, "a private key does not survive its own PEM")
        let message = Array("idca".utf8)
        check(key.publicKey.isValidSignature(key.sign(message), for: message), "a parsed private key signs what its public key refuses")
        check(!key.description.contains(text) && !String(reflecting: key).contains("PRIVATE"), "a private key's description shows its text")
    }
    if let key = try? TokenVerificationKey(pemRepresentation: text) {
        let again = try? TokenVerificationKey(pemRepresentation: key.pemRepresentation)
        check(again == key && again?.keyID == key.keyID, "a public key does not survive its own PEM")
        check(!key.isValidSignature(Array(repeating: 0, count: 64), for: bytes), "an all-zero signature verifies")
    }
    if let key = try? SecretKey(fileContents: text) {
        let again = try? SecretKey(fileContents: key.fileContents)
        check(again?.fingerprint == key.fingerprint, "a secret key does not survive its own file format")
    }
    if bytes.count == 32 {
        // Any 32 bytes: a public key or not, checking a signature must not trap.
        if let key = try? TokenVerificationKey(rawRepresentation: bytes) {
            _ = key.isValidSignature(Array(bytes + bytes), for: bytes)
        }
    }
}

private let dataKey = try! SecretKey(rawRepresentation: seed(99))
private let sealer = DataSealer(key: dataKey)
private let associatedData = Array("residents/phone/42".utf8)
private let sealedPlaintext = Array("13800138000".utf8)
private let sealedValue = sealer.seal(sealedPlaintext, associatedData: associatedData)

private func fuzzSealed(_ bytes: [UInt8]) {
    let mutated = mutate(sealedValue, bytes)
    let opened = try? sealer.open(mutated, associatedData: associatedData)
    if mutated == sealedValue {
        check(opened == sealedPlaintext, "an unaltered sealed value does not open")
    } else {
        check(opened == nil, "FORGERY: an altered sealed value opened: \(escaped(mutated)) → \(opened.map(escaped) ?? "")")
    }
    check((try? sealer.open(sealedValue, associatedData: bytes)) == nil || bytes == associatedData,
          "a sealed value opened under other associated data")
}

// MARK: - Seeds

private func writeSeeds(to directory: String) {
    func write(_ name: String, _ mode: Character, _ payload: [UInt8]) {
        let data = Data([UInt8(ascii: mode.unicodeScalars.first!)] + payload)
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: data)
    }
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    // The signing key's and the retired key's tokens, and one of every other key.
    for (number, entry) in issued.enumerated() where entry.key <= 1 || entry.claims.tokenID.hasPrefix("A") {
        write(String(format: "token-k%d-%02d", entry.key, number), "T", Array(entry.token.utf8))
    }
    write("mutation-flip-signature", "M", [0, 3, 0xFF, 2])
    write("mutation-reencode-last", "M", [0, 0, 0xFF, UInt8(ascii: "B")])
    write("payload-good", "P", goodPayload)
    write("payload-aud", "P", Array(TokenIssuer(signingKey: keys[0]).payload(claimVariants[1]).utf8))
    write("payload-spaced", "P", Array(#"{ "exp" : 1796000600, "nbf":1796000000,"iat":1796000000, "iss":"https:\/\/idca.test","jti":"x","acr":"registry","sub_type":"individual" }"#.utf8))
    write("payload-float-time", "P", Array(#"{"iss":"https://idca.test","jti":"x","iat":1796000000,"nbf":1796000000,"exp":1.7960006e9,"sub_type":"individual","acr":"registry"}"#.utf8))
    write("header-good", "H", Array(goodHeader.utf8))
    write("header-retired-kid", "H", Array(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(keys[1].keyID)"}"#.utf8))
    write("header-escaped", "H", Array(#"{"kid":"\#(keys[0].keyID)","typ":"idca-cert\u002bjwt","alg":"Ed\u0044SA"}"#.utf8))
    write("header-none", "H", Array(#"{"alg":"none","typ":"idca-cert+jwt","kid":"\#(keys[0].keyID)"}"#.utf8))
    write("base64url", "B", Array("eyJhbGciOiJFZERTQSJ9".utf8))
    write("hex", "X", Array("00ff7e80".utf8))
    write("key-private-pem", "K", Array(keys[5].pemRepresentation.utf8))
    write("key-public-pem", "K", Array(keys[5].publicKey.pemRepresentation.utf8))
    write("key-secret", "K", Array(try! SecretKey(rawRepresentation: seed(98)).fileContents.utf8))
    write("sealed-flip", "D", [3, 20, 0])
    write("sealed-none", "D", [])
}

// MARK: - Entry points

nonisolated(unsafe) private let modes: [(UInt8, ([UInt8]) -> Void)] = [
    (UInt8(ascii: "T"), fuzzToken), (UInt8(ascii: "M"), fuzzMutation), (UInt8(ascii: "P"), fuzzPayload),
    (UInt8(ascii: "H"), fuzzHeader), (UInt8(ascii: "B"), fuzzBase64URL), (UInt8(ascii: "X"), fuzzHex),
    (UInt8(ascii: "K"), fuzzKeyFiles), (UInt8(ascii: "D"), fuzzSealed),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokens(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let mode = modes.first { $0.0 == selector } ?? modes[Int(selector) % modes.count]
    mode.1(Array(input.dropFirst()))
    return 0
}

@_cdecl("FuzzTokens_main")
public func fuzzTokensMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    if let directory = getenv("IDCA_FUZZ_WRITE_SEEDS") {
        writeSeeds(to: String(cString: directory))
        return 0
    }
    // The ring and the start-up tokens must be what the comments say before any input counts.
    check(ring.snapshot().published.map(\.keyID) == [keys[0].keyID, keys[2].keyID, keys[1].keyID], "the test ring publishes other keys")
    check(isStrictJSON(Array(ring.jwks.utf8)), "the JWKS document is not strict JSON")
    check(issuedByToken.count == issued.count, "two start-up tokens are the same")
    return runFuzzer(argc, argv, fuzzTokens)
}
