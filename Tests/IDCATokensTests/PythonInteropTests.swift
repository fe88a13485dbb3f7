import Foundation
import IDCATokens
import Testing

/// A site verifies tokens offline with an ordinary JOSE library; these run Tests/Interop/verify_token.py
/// (joserfc) against our tokens, and our verifier against tokens made in Python.
@Suite(
    "Python joserfc interoperability",
    .enabled(if: Tool.hasJoserfc, "python3 with joserfc is not available (pip install joserfc); skipping the JOSE interop checks")
)
struct PythonInteropTests {
    private func script(_ arguments: [String], in directory: TemporaryDirectory) throws -> ToolRun {
        try Tool.run(["python3", Tool.interopScript] + arguments, in: directory.url)
    }

    /// Writes the JWKS and the token, and asks joserfc to verify at `now` for `site`.
    private func joserfcVerify(_ token: String, keys: [TokenVerificationKey], site: String = Fixture.site, now: Int64 = Fixture.now) throws -> ToolRun {
        let directory = try TemporaryDirectory()
        try JWKS.document(keys).write(toFile: directory.file("jwks.json"), atomically: true, encoding: .utf8)
        try token.write(toFile: directory.file("token"), atomically: true, encoding: .utf8)
        return try script(["verify", "jwks.json", "token", Fixture.issuer, site, String(now)], in: directory)
    }

    @Test func joserfcAcceptsOurTokensAndReadsTheSameClaims() throws {
        let key = TokenSigningKey.generate()
        let claims = Fixture.claims(audience: Fixture.site)
        let token = TokenIssuer(signingKey: key).issue(claims)
        let run = try joserfcVerify(token, keys: [TokenSigningKey.generate().publicKey, key.publicKey])
        #expect(run.status == 0, "\(run)")

        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        let header = try #require(decoded["header"] as? [String: String])
        #expect(header == ["alg": "EdDSA", "typ": "idca-cert+jwt", "kid": key.keyID])
        let payload = try #require(decoded["claims"] as? [String: Any])
        #expect(payload["iss"] as? String == claims.issuer)
        #expect(payload["jti"] as? String == claims.tokenID)
        #expect((payload["iat"] as? NSNumber)?.int64Value == claims.issuedAt)
        #expect((payload["nbf"] as? NSNumber)?.int64Value == claims.notBefore)
        #expect((payload["exp"] as? NSNumber)?.int64Value == claims.expiresAt)
        #expect(payload["sub_type"] as? String == claims.subjectType)
        #expect(payload["acr"] as? String == claims.assurance)
        #expect(payload["aud"] as? String == claims.audience)
        #expect(payload.count == 8)
    }

    @Test func joserfcRefusesWhatWeRefuse() throws {
        let key = TokenSigningKey.generate()
        let issuer = TokenIssuer(signingKey: key)
        // The same rules hold in the reference library: wrong key set, expiry, audience.
        #expect(try joserfcVerify(issuer.issue(Fixture.claims()), keys: [TokenSigningKey.generate().publicKey]).status == 1)
        #expect(try joserfcVerify(issuer.issue(Fixture.claims(expiresAt: Fixture.now - 61)), keys: [key.publicKey]).status == 1)
        #expect(try joserfcVerify(issuer.issue(Fixture.claims(audience: "site_b")), keys: [key.publicKey]).status == 1)
    }

    @Test func tokensForgedInPythonWithHS256AreRefused() throws {
        let directory = try TemporaryDirectory()
        let key = Fixture.signingKey
        try JWKS.document([key.publicKey]).write(toFile: directory.file("jwks.json"), atomically: true, encoding: .utf8)
        let run = try script(["forge-hs256", "jwks.json", Fixture.issuer, String(Fixture.now)], in: directory)
        #expect(run.status == 0, "\(run)")
        let forgeries = run.output.split(separator: "\n").map(String.init)
        #expect(forgeries.count == 6)
        for forged in forgeries {
            // Each claims to come from our published key, with valid-looking claims.
            let header = try #require(Base64URL.decode(forged.split(separator: ".")[0]))
            #expect(String(decoding: header, as: UTF8.self).contains(key.keyID))
            #expect(Fixture.verifier.verify(forged, now: Fixture.now, siteID: Fixture.site) == .failure(.malformed), "\(forged)")
        }
    }

    @Test func tokensSignedByJoserfcWithOurKeyAreAccepted() throws {
        let directory = try TemporaryDirectory()
        let key = TokenSigningKey.generate()
        try KeyFile.write(key.pemRepresentation, to: directory.file("key.pem"))
        let run = try script(["sign", "key.pem", key.keyID, Fixture.issuer, String(Fixture.now), Fixture.site], in: directory)
        #expect(run.status == 0, "\(run)")
        let token = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let verifier = TokenVerifier(keys: [key.publicKey], issuer: Fixture.issuer)
        let claims = try verifier.verify(token, now: Fixture.now, siteID: Fixture.site).get()
        #expect(claims.audience == Fixture.site)
        #expect(claims.subjectType == "individual")
        #expect(verifier.verify(token, now: Fixture.now, siteID: "site_b") == .failure(.wrongAudience))
    }
}
