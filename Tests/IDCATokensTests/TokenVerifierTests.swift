import Crypto
import IDCATokens
import Testing

/// One row of the JOSE table: a token and what the verifier must say about it.
struct JOSECase: Sendable, CustomTestStringConvertible {
    let name: String
    let token: String
    /// `nil` means the token must be accepted.
    let expected: TokenRejection?

    var testDescription: String { name }

    init(_ name: String, _ token: String, _ expected: TokenRejection?) {
        self.name = name
        self.token = token
        self.expected = expected
    }
}

private typealias F = Fixture

/// Replaces the last character of a segment by another that decodes to the same bytes: the
/// classic "re-encoded" variant that a lax decoder accepts.
private func reencodedLastCharacter(_ segment: String) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    var characters = Array(segment)
    let value = alphabet.firstIndex(of: characters.removeLast())!
    // With 4 unused bits (length ≡ 2 mod 4) or 2 (≡ 3 mod 4), setting the lowest bit changes only unused bits.
    characters.append(alphabet[value | 1])
    return String(characters)
}

private func segments(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

private func hmacSHA256(key: [UInt8], message: String) -> [UInt8] {
    Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
}

/// Every header/structure rule, with the accept case it is paired with.
let structureCases: [JOSECase] = {
    let good = F.token()
    let parts = segments(good)
    let kid = F.signingKey.keyID
    let header = { (json: String) in F.token(header: json) }
    let hs256Header = F.b64(#"{"alg":"HS256","typ":"idca-cert+jwt","kid":"\#(kid)"}"#)
    let hs256Input = hs256Header + "." + F.b64(F.payload())
    let publicKey = F.signingKey.publicKey
    var flippedSignature = Base64URL.decode(parts[2])!
    flippedSignature[10] ^= 0x01
    var flippedPayload = Array(F.payload().utf8)
    flippedPayload[flippedPayload.count - 3] ^= 0x01  // a byte inside "registry"

    return [
        JOSECase("accept: a well-formed token", good, nil),
        JOSECase("accept: members in another order, with JSON whitespace",
                 F.token(header: #"{ "kid" : "\#(kid)", "typ":"idca-cert+jwt",  "alg":"EdDSA" }"#,
                         payload: "{\n" + F.payload().dropFirst()), nil),
        JOSECase("accept: escapes that spell the expected strings",
                 F.token(header: #"{"alg":"Ed\u0044SA","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), nil),

        // Segments.
        JOSECase("reject: empty string", "", .malformed),
        JOSECase("reject: two segments", parts[0] + "." + parts[1], .malformed),
        JOSECase("reject: four segments", good + "." + parts[2], .malformed),
        JOSECase("reject: five segments (JWE shape)", [parts[0], "", parts[1], "", parts[2]].joined(separator: "."), .malformed),
        JOSECase("reject: only dots", "..", .malformed),
        JOSECase("reject: padded header", parts[0] + "=." + parts[1] + "." + parts[2], .malformed),
        JOSECase("reject: padded signature", good + "==", .malformed),
        JOSECase("reject: padded payload", parts[0] + "." + parts[1] + "==." + parts[2], .malformed),
        JOSECase("reject: re-encoded signature (non-zero unused bits)",
                 parts[0] + "." + parts[1] + "." + reencodedLastCharacter(parts[2]), .malformed),
        JOSECase("reject: '+' from the standard alphabet", parts[0] + "." + parts[1] + ".+" + parts[2].dropFirst(), .malformed),
        JOSECase("reject: '/' from the standard alphabet", parts[0] + "./" + parts[1].dropFirst() + "." + parts[2], .malformed),
        JOSECase("reject: whitespace inside a segment", parts[0] + "." + parts[1] + " ." + parts[2], .malformed),
        JOSECase("reject: trailing newline", good + "\n", .malformed),
        JOSECase("reject: signature of 63 bytes", parts[0] + "." + parts[1] + "." + Base64URL.encode(Base64URL.decode(parts[2])!.dropLast()), .malformed),
        JOSECase("reject: signature of 65 bytes", parts[0] + "." + parts[1] + "." + Base64URL.encode(Base64URL.decode(parts[2])! + [0]), .malformed),
        JOSECase("reject: empty signature", parts[0] + "." + parts[1] + ".", .malformed),

        // alg.
        JOSECase("reject: alg none, no signature", F.b64(#"{"alg":"none","typ":"idca-cert+jwt","kid":"\#(kid)"}"#) + "." + parts[1] + ".", .malformed),
        JOSECase("reject: alg none, signed anyway", header(#"{"alg":"none","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg None", header(#"{"alg":"None","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg eddsa", header(#"{"alg":"eddsa","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg EDDSA", header(#"{"alg":"EDDSA","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg Ed25519", header(#"{"alg":"Ed25519","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg ES256", header(#"{"alg":"ES256","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg HS256, Ed25519-signed", header(#"{"alg":"HS256","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg HS256, HMAC keyed with the raw public key",
                 hs256Input + "." + Base64URL.encode(hmacSHA256(key: publicKey.rawRepresentation, message: hs256Input)), .malformed),
        JOSECase("reject: alg HS256, HMAC keyed with the public key PEM",
                 hs256Input + "." + Base64URL.encode(hmacSHA256(key: Array(publicKey.pemRepresentation.utf8), message: hs256Input)), .malformed),
        JOSECase("reject: alg HS256, HMAC keyed with the JWK",
                 hs256Input + "." + Base64URL.encode(hmacSHA256(key: Array(publicKey.jwkJSON.utf8), message: hs256Input)), .malformed),
        JOSECase("reject: alg EdDSA with a trailing space", header(#"{"alg":"EdDSA ","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg as an array", header(#"{"alg":["EdDSA"],"typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: alg missing", header(#"{"typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),

        // typ.
        JOSECase("reject: typ JWT", header(#"{"alg":"EdDSA","typ":"JWT","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: typ in upper case", header(#"{"alg":"EdDSA","typ":"IDCA-CERT+JWT","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: typ with application/ prefix", header(#"{"alg":"EdDSA","typ":"application/idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: typ missing", header(#"{"alg":"EdDSA","kid":"\#(kid)"}"#), .malformed),

        // crit and other members.
        JOSECase("reject: crit naming a claim", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","crit":["exp"]}"#), .malformed),
        JOSECase("reject: empty crit", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","crit":[]}"#), .malformed),
        JOSECase("reject: b64 false with crit", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","b64":false,"crit":["b64"]}"#), .malformed),
        JOSECase("reject: jku", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","jku":"https://evil.test/jwks"}"#), .malformed),
        JOSECase("reject: embedded jwk", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","jwk":\#(F.otherKey.publicKey.jwkJSON)}"#), .malformed),
        JOSECase("reject: x5u", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","x5u":"https://evil.test"}"#), .malformed),
        JOSECase("reject: cty", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","cty":"JWT"}"#), .malformed),

        // Duplicates.
        JOSECase("reject: duplicate alg in the header", header(#"{"alg":"EdDSA","alg":"none","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: duplicate alg, same value", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","alg":"EdDSA"}"#), .malformed),
        JOSECase("reject: duplicate kid spelled with an escape", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","\u006bid":"x"}"#), .malformed),
        JOSECase("reject: duplicate exp in the payload", F.token(payload: F.payload(adding: #","exp":9999999999"#)), .malformed),
        JOSECase("reject: duplicate aud in the payload", F.token(payload: F.payload(adding: #","aud":"site_a","aud":"site_b""#)), .malformed),

        // kid.
        JOSECase("reject: kid missing", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt"}"#), .malformed),
        JOSECase("reject: kid a number", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":123}"#), .malformed),
        JOSECase("reject: kid null", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":null}"#), .malformed),
        JOSECase("reject: kid an array", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":["\#(kid)"]}"#), .malformed),
        JOSECase("reject: kid an object", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":{"kid":"\#(kid)"}}"#), .malformed),
        JOSECase("reject: kid empty", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":""}"#), .unknownKey),
        JOSECase("reject: kid a path", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"../x"}"#), .unknownKey),
        JOSECase("reject: kid a file name", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"../../keys/token-signing.pem"}"#), .unknownKey),
        JOSECase("reject: kid 2,000 characters", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(String(repeating: "A", count: 2000))"}"#), .unknownKey),
        JOSECase("reject: kid 8,000 characters (over the length cap)", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(String(repeating: "A", count: 8000))"}"#), .malformed),
        JOSECase("reject: kid a prefix of the real one", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid.dropLast())"}"#), .unknownKey),
        JOSECase("reject: kid with a trailing NUL", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)\u0000"}"#), .unknownKey),
        JOSECase("reject: kid in upper case", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid.uppercased())"}"#), kid == kid.uppercased() ? nil : .unknownKey),
        JOSECase("reject: kid of a key the verifier does not have",
                 F.token(header: #"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(F.otherKey.keyID)"}"#, key: F.otherKey), .unknownKey),
        JOSECase("reject: kid of our key, signed by another key", F.token(key: F.otherKey), .invalidSignature),

        // Signature.
        JOSECase("reject: one flipped signature bit", parts[0] + "." + parts[1] + "." + Base64URL.encode(flippedSignature), .invalidSignature),
        JOSECase("reject: one flipped payload bit", parts[0] + "." + Base64URL.encode(flippedPayload) + "." + parts[2], .invalidSignature),
        JOSECase("reject: header re-serialized with whitespace",
                 F.b64(#"{"alg": "EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)"}"#) + "." + parts[1] + "." + parts[2], .invalidSignature),
        JOSECase("reject: signature of another token", segments(F.token(payload: F.payload(replacing: ["acr": #""other""#])))[0...1].joined(separator: ".") + "." + parts[2], .invalidSignature),
        JOSECase("reject: all-zero signature", parts[0] + "." + parts[1] + "." + Base64URL.encode([UInt8](repeating: 0, count: 64)), .invalidSignature),

        // JSON in the header.
        JOSECase("reject: header not JSON", header("EdDSA"), .malformed),
        JOSECase("reject: header a JSON array", header(#"["alg","EdDSA"]"#), .malformed),
        JOSECase("reject: header with trailing garbage", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)"}x"#), .malformed),
        JOSECase("reject: header with a byte-order mark", header("\u{FEFF}" + F.header), .malformed),
        JOSECase("reject: header with an invalid escape", header(#"{"alg":"Ed\DSA","typ":"idca-cert+jwt","kid":"\#(kid)"}"#), .malformed),
        JOSECase("reject: header with a lone surrogate", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\ud800"}"#), .malformed),
        JOSECase("reject: header with a trailing comma", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)",}"#), .malformed),
        JOSECase("reject: header with single quotes", header(#"{'alg':'EdDSA','typ':'idca-cert+jwt','kid':'\#(kid)'}"#), .malformed),
        JOSECase("reject: header deeply nested", header(#"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(kid)","x":\#(String(repeating: "[", count: 500))\#(String(repeating: "]", count: 500))}"#), .malformed),
    ]
}()

/// Every claim rule, with its accept case.
let claimCases: [JOSECase] = [
    JOSECase("accept: aud naming this site", F.token(payload: F.payload(adding: #","aud":"site_a""#)), nil),
    JOSECase("accept: no aud, any site", F.token(), nil),
    JOSECase("accept: organization", F.token(payload: F.payload(replacing: ["sub_type": #""organization""#])), nil),
    JOSECase("accept: exp 59 s ago (inside the leeway)", F.token(payload: F.payload(replacing: ["exp": "\(F.now - 59)"])), nil),
    JOSECase("accept: nbf 60 s ahead (at the leeway)", F.token(payload: F.payload(replacing: ["nbf": "\(F.now + 60)"])), nil),
    JOSECase("accept: largest Int64 exp", F.token(payload: F.payload(replacing: ["exp": "9223372036854775807"])), nil),
    JOSECase("accept: non-ASCII acr", F.token(payload: F.payload(replacing: ["acr": #""注册库""#])), nil),

    JOSECase("reject: exp exactly 60 s ago (at the leeway)", F.token(payload: F.payload(replacing: ["exp": "\(F.now - 60)"])), .expired),
    JOSECase("reject: exp long ago", F.token(payload: F.payload(replacing: ["exp": "0"])), .expired),
    JOSECase("reject: nbf 61 s ahead", F.token(payload: F.payload(replacing: ["nbf": "\(F.now + 61)"])), .notYetValid),
    JOSECase("reject: aud naming another site", F.token(payload: F.payload(adding: #","aud":"site_b""#)), .wrongAudience),
    JOSECase("reject: aud differing only in case", F.token(payload: F.payload(adding: #","aud":"SITE_A""#)), .wrongAudience),
    JOSECase("reject: aud as an array", F.token(payload: F.payload(adding: #","aud":["site_a"]"#)), .malformed),
    JOSECase("reject: aud null", F.token(payload: F.payload(adding: #","aud":null"#)), .malformed),

    JOSECase("reject: iat 1.0", F.token(payload: F.payload(replacing: ["iat": "\(F.now).0"])), .malformed),
    JOSECase("reject: exp 1e9 style", F.token(payload: F.payload(replacing: ["exp": "1.8e9"])), .malformed),
    JOSECase("reject: exp 1E10", F.token(payload: F.payload(replacing: ["exp": "1E10"])), .malformed),
    JOSECase("reject: nbf 1e0", F.token(payload: F.payload(replacing: ["nbf": "1e0"])), .malformed),
    JOSECase("reject: exp with a fraction", F.token(payload: F.payload(replacing: ["exp": "\(F.now + 3600).5"])), .malformed),
    JOSECase("reject: exp -0", F.token(payload: F.payload(replacing: ["exp": "-0"])), .malformed),
    JOSECase("reject: exp with a leading zero", F.token(payload: F.payload(replacing: ["exp": "0\(F.now + 3600)"])), .malformed),
    JOSECase("reject: exp beyond Int64", F.token(payload: F.payload(replacing: ["exp": "9223372036854775808"])), .malformed),
    JOSECase("reject: exp as a string", F.token(payload: F.payload(replacing: ["exp": "\"\(F.now + 3600)\""])), .malformed),
    JOSECase("reject: exp NaN", F.token(payload: F.payload(replacing: ["exp": "NaN"])), .malformed),
    JOSECase("reject: exp Infinity", F.token(payload: F.payload(replacing: ["exp": "Infinity"])), .malformed),
    JOSECase("reject: exp true", F.token(payload: F.payload(replacing: ["exp": "true"])), .malformed),

    JOSECase("reject: iss another issuer", F.token(payload: F.payload(replacing: ["iss": #""https://evil.test""#])), .malformed),
    JOSECase("reject: iss with a trailing slash", F.token(payload: F.payload(replacing: ["iss": #""https://idca.test/""#])), .malformed),
    JOSECase("reject: iss missing", F.token(payload: F.payload(replacing: ["iss": nil])), .malformed),
    JOSECase("reject: jti missing", F.token(payload: F.payload(replacing: ["jti": nil])), .malformed),
    JOSECase("reject: jti a number", F.token(payload: F.payload(replacing: ["jti": "12345"])), .malformed),
    JOSECase("reject: iat missing", F.token(payload: F.payload(replacing: ["iat": nil])), .malformed),
    JOSECase("reject: nbf missing", F.token(payload: F.payload(replacing: ["nbf": nil])), .malformed),
    JOSECase("reject: exp missing", F.token(payload: F.payload(replacing: ["exp": nil])), .malformed),
    JOSECase("reject: sub_type missing", F.token(payload: F.payload(replacing: ["sub_type": nil])), .malformed),
    JOSECase("reject: sub_type unknown", F.token(payload: F.payload(replacing: ["sub_type": #""person""#])), .malformed),
    JOSECase("reject: sub_type in upper case", F.token(payload: F.payload(replacing: ["sub_type": #""Individual""#])), .malformed),
    JOSECase("reject: acr missing", F.token(payload: F.payload(replacing: ["acr": nil])), .malformed),
    JOSECase("reject: unknown claim sub", F.token(payload: F.payload(adding: #","sub":"110105194912310021""#)), .malformed),
    JOSECase("reject: unknown claim name", F.token(payload: F.payload(adding: #","name":"张三""#)), .malformed),
    JOSECase("reject: payload a JSON array", F.token(payload: "[]"), .malformed),
    JOSECase("reject: payload empty", F.token(payload: ""), .malformed),
    JOSECase("reject: payload with trailing garbage", F.token(payload: F.payload() + "{}"), .malformed),
    JOSECase("reject: payload with a lone surrogate", F.token(payload: F.payload(replacing: ["acr": #""\udc00""#])), .malformed),
    JOSECase("reject: payload with an invalid escape", F.token(payload: F.payload(replacing: ["acr": #""\x41""#])), .malformed),
    JOSECase("reject: payload with a raw control character", F.token(payload: F.payload(replacing: ["acr": "\"a\u{01}b\""])), .malformed),
]

@Suite("Strict token verification (RFC 8725)")
struct TokenVerifierTests {
    @Test(arguments: structureCases)
    func structureAndHeader(_ row: JOSECase) {
        check(row)
    }

    @Test(arguments: claimCases)
    func claims(_ row: JOSECase) {
        check(row)
    }

    private func check(_ row: JOSECase, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = F.verifier.verify(row.token, now: F.now, siteID: F.site)
        switch (result, row.expected) {
        case (.success, nil): break
        case (.failure(let rejection), let expected?):
            #expect(rejection == expected, "\(row.name)", sourceLocation: sourceLocation)
        case (.success, let expected?):
            Issue.record("\(row.name): accepted, expected \(expected.rawValue)", sourceLocation: sourceLocation)
        case (.failure(let rejection), nil):
            Issue.record("\(row.name): rejected as \(rejection.rawValue), expected acceptance", sourceLocation: sourceLocation)
        }
    }

    @Test func issuedTokenRoundTripsItsClaims() throws {
        let claims = F.claims(audience: F.site)
        let token = TokenIssuer(signingKey: F.signingKey).issue(claims)
        #expect(try F.verifier.verify(token, now: F.now, siteID: F.site).get() == claims)
        #expect(F.verifier.verify(token, now: F.now, siteID: "site_b") == .failure(.wrongAudience))
    }

    @Test func headerAndPayloadAreExactlyAsSpecified() throws {
        let claims = CertificationClaims(
            issuer: F.issuer, tokenID: "tid", issuedAt: 1, notBefore: 2, expiresAt: 3,
            subjectType: "organization", assurance: "registry", audience: "s\"1"
        )
        let parts = segments(TokenIssuer(signingKey: F.signingKey).issue(claims))
        #expect(parts.count == 3)
        #expect(String(decoding: Base64URL.decode(parts[0])!, as: UTF8.self)
            == #"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(F.signingKey.keyID)"}"#)
        #expect(String(decoding: Base64URL.decode(parts[1])!, as: UTF8.self)
            == #"{"iss":"https://idca.test","jti":"tid","iat":1,"nbf":2,"exp":3,"sub_type":"organization","acr":"registry","aud":"s\"1"}"#)
        #expect(Base64URL.decode(parts[2])!.count == 64)

        var withoutAudience = claims
        withoutAudience.audience = nil
        let payload = segments(TokenIssuer(signingKey: F.signingKey).issue(withoutAudience))[1]
        #expect(!String(decoding: Base64URL.decode(payload)!, as: UTF8.self).contains("aud"))
    }

    @Test func tokensOfTheSamePersonShareNoContent() {
        // Two tokens with the same claims but fresh ids: nothing but the fixed header and issuer is shared.
        let issuer = TokenIssuer(signingKey: F.signingKey)
        let first = issuer.issue(F.claims())
        let second = issuer.issue(F.claims())
        #expect(first != second)
        #expect(tokenDigest(first) != tokenDigest(second))
    }

    @Test func newTokenIDsCarry128RandomBits() {
        let ids = (0..<1000).map { _ in CertificationClaims.newTokenID() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 22)
            #expect(Base64URL.decode(id)?.count == 16)
        }
    }

    @Test func keyRotationSelectsTheKeyByKid() {
        let verifier = TokenVerifier(keys: [F.otherKey.publicKey, F.signingKey.publicKey], issuer: F.issuer)
        for key in [F.signingKey, F.otherKey] {
            let token = TokenIssuer(signingKey: key).issue(F.claims())
            #expect((try? verifier.verify(token, now: F.now, siteID: F.site).get()) != nil)
        }
        let retired = TokenVerifier(keys: [F.otherKey.publicKey], issuer: F.issuer)
        #expect(retired.verify(TokenIssuer(signingKey: F.signingKey).issue(F.claims()), now: F.now, siteID: F.site) == .failure(.unknownKey))
    }

    @Test func theLeewayIsConfigurable() {
        let strict = TokenVerifier(keys: [F.signingKey.publicKey], issuer: F.issuer, leewaySeconds: 0)
        let atExpiry = F.token(payload: F.payload(replacing: ["exp": "\(F.now)"]))
        let oneSecondLeft = F.token(payload: F.payload(replacing: ["exp": "\(F.now + 1)"]))
        #expect(strict.verify(atExpiry, now: F.now, siteID: F.site) == .failure(.expired))
        #expect((try? strict.verify(oneSecondLeft, now: F.now, siteID: F.site).get()) != nil)
        let startsNextSecond = F.token(payload: F.payload(replacing: ["nbf": "\(F.now + 1)"]))
        #expect(strict.verify(startsNextSecond, now: F.now, siteID: F.site) == .failure(.notYetValid))
    }

    @Test func extremeClocksDoNotOverflow() {
        let token = F.token()
        #expect(F.verifier.verify(token, now: .max, siteID: F.site) == .failure(.expired))
        #expect(F.verifier.verify(token, now: .min, siteID: F.site) == .failure(.notYetValid))
        let forever = F.token(payload: F.payload(replacing: ["nbf": "-9223372036854775808", "exp": "9223372036854775807"]))
        #expect((try? F.verifier.verify(forever, now: .max, siteID: F.site).get()) != nil)
        #expect((try? F.verifier.verify(forever, now: .min, siteID: F.site).get()) != nil)
    }

    /// The first failing check decides, in the documented order.
    @Test(arguments: [
        ("unknown kid and a bad signature → unknown_key",
         F.token(header: #"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"nope"}"#, key: F.otherKey), TokenRejection.unknownKey),
        ("bad header and an unknown kid → malformed",
         F.token(header: #"{"alg":"HS256","typ":"idca-cert+jwt","kid":"nope"}"#), .malformed),
        ("bad signature and a malformed payload → invalid_signature",
         F.token(payload: "not json", key: F.otherKey), .invalidSignature),
        ("bad signature and expired → invalid_signature",
         F.token(payload: F.payload(replacing: ["exp": "0"]), key: F.otherKey), .invalidSignature),
        ("malformed payload and expired → malformed",
         F.token(payload: F.payload(replacing: ["exp": "0", "sub_type": #""x""#])), .malformed),
        ("expired and not yet valid → expired",
         F.token(payload: F.payload(replacing: ["exp": "0", "nbf": "\(F.now + 1000)"])), .expired),
        ("not yet valid and wrong audience → not_yet_valid",
         F.token(payload: F.payload(replacing: ["nbf": "\(F.now + 1000)"], adding: #","aud":"site_b""#)), .notYetValid),
        ("expired and wrong audience → expired",
         F.token(payload: F.payload(replacing: ["exp": "0"], adding: #","aud":"site_b""#)), .expired),
    ] as [(String, String, TokenRejection)])
    func checksRunInTheDocumentedOrder(_ name: String, _ token: String, _ expected: TokenRejection) {
        #expect(F.verifier.verify(token, now: F.now, siteID: F.site) == .failure(expected), "\(name)")
    }

    @Test func lengthIsCappedAt8KiB() throws {
        // Pad the jti until the token is exactly 8,192 bytes, then one byte more.
        func token(jtiLength: Int, headerSpaces: Int) -> String {
            let header = "{" + String(repeating: " ", count: headerSpaces) + F.header.dropFirst()
            return F.token(header: header, payload: F.payload(replacing: ["jti": "\"" + String(repeating: "j", count: jtiLength) + "\""]))
        }
        var atLimit: String?
        var overLimit: String?
        for spaces in 0..<3 {
            for length in 5_500..<6_500 {
                let candidate = token(jtiLength: length, headerSpaces: spaces)
                if candidate.utf8.count == TokenVerifier.maximumTokenLength { atLimit = atLimit ?? candidate }
                if candidate.utf8.count == TokenVerifier.maximumTokenLength + 1 { overLimit = overLimit ?? candidate }
            }
        }
        let accepted = try #require(atLimit)
        let refused = try #require(overLimit)
        #expect((try? F.verifier.verify(accepted, now: F.now, siteID: F.site).get()) != nil)
        #expect(F.verifier.verify(refused, now: F.now, siteID: F.site) == .failure(.malformed))
        #expect(F.verifier.verify(String(repeating: "A", count: 1_000_000), now: F.now, siteID: F.site) == .failure(.malformed))
    }

    @Test func theRejectionCodesAreFrozen() {
        #expect(TokenRejection.allCases.map(\.rawValue) == [
            "malformed", "invalid_signature", "unknown_key", "expired", "not_yet_valid", "wrong_audience",
        ])
    }

    @Test func digestIsSHA256HexOfTheExactToken() {
        #expect(tokenDigest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(tokenDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let token = F.token()
        #expect(tokenDigest(token) != tokenDigest(token + " "))
    }

    @Test func jwksListsEveryKey() {
        let document = JWKS.document([F.signingKey.publicKey, F.otherKey.publicKey])
        #expect(document == #"{"keys":["# + F.signingKey.publicKey.jwkJSON + "," + F.otherKey.publicKey.jwkJSON + "]}")
        #expect(JWKS.document([]) == #"{"keys":[]}"#)
    }

    /// Mutated and random inputs: the verifier never traps and never accepts anything but the
    /// original token. Seeded, so a failure reproduces.
    @Test func mutationsNeverCrashAndNeverVerify() {
        var random = SplitMix64(seed: 0x1dca)
        let original = TokenIssuer(signingKey: F.signingKey).issue(F.claims())
        let bytes = Array(original.utf8)
        let interesting: [UInt8] = Array(".=-_+/ \"{}[]:,\\A0".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for _ in 0..<3_000 {
            var mutated = bytes
            for _ in 0...(random.next() % 3) {
                let position = Int(random.next() % UInt64(mutated.count))
                switch random.next() % 4 {
                case 0: mutated[position] ^= UInt8(1 << (random.next() % 8))
                case 1: mutated.insert(interesting[Int(random.next() % UInt64(interesting.count))], at: position)
                case 2: mutated.remove(at: position)
                default: mutated = Array(mutated[..<position])
                }
                if mutated.isEmpty { mutated = [0x2E] }
            }
            let text = String(decoding: mutated, as: UTF8.self)
            if case .success = F.verifier.verify(text, now: F.now, siteID: F.site) {
                #expect(text == original, "a mutated token verified: \(text)")
            }
        }
        for _ in 0..<1_000 {
            let length = Int(random.next() % 600)
            let text = String(decoding: (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }, as: UTF8.self)
            if case .success = F.verifier.verify(text, now: F.now, siteID: F.site) {
                Issue.record("random input verified: \(text)")
            }
        }
    }
}

/// A small deterministic generator for the mutation test.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
