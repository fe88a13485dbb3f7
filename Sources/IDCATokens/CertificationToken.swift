import Crypto
import IDCACore

/// The claims of a certification token.
///
/// Deliberately nothing about who the subject is: no name, number or stable identifier, so two
/// tokens of the same person cannot be linked by their content. The site learns the subject only
/// as a pairwise pseudonym, from the verify call.
public struct CertificationClaims: Sendable, Hashable {
    /// The values `sub_type` may take.
    public static let subjectTypes: Set<String> = ["individual", "organization"]

    /// `iss`: the configured issuer URL.
    public var issuer: String
    /// `jti`: ≥ 128 random bits, base64url; the handle under which the token is redeemed once.
    public var tokenID: String
    /// `iat`: issue time, seconds since the epoch.
    public var issuedAt: Int64
    /// `nbf`: not valid before, seconds since the epoch.
    public var notBefore: Int64
    /// `exp`: not valid at or after, seconds since the epoch.
    public var expiresAt: Int64
    /// `sub_type`: `"individual"` or `"organization"`.
    public var subjectType: String
    /// `acr`: the assurance reached, e.g. `"registry"`.
    public var assurance: String
    /// `aud`: the site id, only when the application named a site.
    public var audience: String?

    /// Claims with every member given explicitly; `audience` only when the application named a site.
    public init(
        issuer: String, tokenID: String, issuedAt: Int64, notBefore: Int64, expiresAt: Int64,
        subjectType: String, assurance: String, audience: String? = nil
    ) {
        self.issuer = issuer
        self.tokenID = tokenID
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.subjectType = subjectType
        self.assurance = assurance
        self.audience = audience
    }

    /// 16 random bytes from the system CSPRNG, base64url (22 characters).
    public static func newTokenID() -> String {
        Base64URL.encode(SystemRandom.bytes(16))
    }
}

/// Signs certification tokens: compact JWS with Ed25519 (RFC 7515, RFC 8037).
///
/// Either fixed to one key, or following a `SigningKeyRing` (key rotation): then `current()` is the
/// fixed issuer of this instant. Callers take `current()` once per token and use only that value,
/// so that what is planned, signed and recorded names one key.
public struct TokenIssuer: Sendable {
    private enum Source: Sendable {
        /// The header never changes for a key, so it is encoded once.
        case key(TokenSigningKey, encodedHeader: String)
        case ring(SigningKeyRing, tokenLifetime: Int64)
    }

    private let source: Source

    /// An issuer that signs with `signingKey` and names it in `kid`.
    public init(signingKey: TokenSigningKey) {
        let header = #"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"# + JSONWriter.quoted(signingKey.keyID) + "}"
        self.source = .key(signingKey, encodedHeader: Base64URL.encode(Array(header.utf8)))
    }

    /// An issuer that signs with whichever key `ring` schedules at the moment `current()` is called,
    /// for tokens living `tokenLifetime` seconds (a retired key never signs a token that would
    /// outlive its publication).
    public init(following ring: SigningKeyRing, tokenLifetime: Int64) {
        self.source = .ring(ring, tokenLifetime: tokenLifetime)
    }

    /// The issuer fixed to the key that signs now: this issuer itself when it is fixed to a key.
    /// Throws `signing_key_unavailable` (503) when a ring-following issuer has no key it may sign with.
    public func current() throws(IDCAError) -> TokenIssuer {
        switch source {
        case .key: return self
        case .ring(let ring, let lifetime): return try ring.currentIssuer(tokenLifetime: lifetime)
        }
    }

    private var fixed: (key: TokenSigningKey, encodedHeader: String) {
        switch source {
        case .key(let key, let encodedHeader): return (key, encodedHeader)
        case .ring:
            // A programming error, not a runtime condition: reading the key of a following issuer
            // twice could name one key and sign with another. Take `current()` first.
            preconditionFailure("a TokenIssuer following a key ring signs only through current()")
        }
    }

    /// The key id this issuer puts in every header.
    public var keyID: String { fixed.key.keyID }

    /// Compact JWS. Header exactly {"alg":"EdDSA","typ":"idca-cert+jwt","kid":"<keyID>"}; payload JSON members in the order iss, jti, iat, nbf, exp, sub_type, acr, aud (aud omitted when nil); integers as JSON integers.
    ///
    /// `claims.subjectType` must be one of `CertificationClaims.subjectTypes`: the verifier refuses
    /// anything else as malformed.
    public func issue(_ claims: CertificationClaims) -> String {
        let (signingKey, encodedHeader) = fixed
        let signingInput = encodedHeader + "." + Base64URL.encode(Array(payload(claims).utf8))
        return signingInput + "." + Base64URL.encode(signingKey.sign(Array(signingInput.utf8)))
    }

    /// The exact payload JSON `issue` signs for these claims: what the audit log records as
    /// planned before the signature exists.
    public func payload(_ claims: CertificationClaims) -> String {
        var payload = #"{"iss":"# + JSONWriter.quoted(claims.issuer)
        payload += #","jti":"# + JSONWriter.quoted(claims.tokenID)
        payload += #","iat":"# + String(claims.issuedAt)
        payload += #","nbf":"# + String(claims.notBefore)
        payload += #","exp":"# + String(claims.expiresAt)
        payload += #","sub_type":"# + JSONWriter.quoted(claims.subjectType)
        payload += #","acr":"# + JSONWriter.quoted(claims.assurance)
        if let audience = claims.audience {
            payload += #","aud":"# + JSONWriter.quoted(audience)
        }
        return payload + "}"
    }
}

/// Why a token was refused. Raw values are a frozen contract: they are the `reason` of the verify
/// API, and appear in audit entries and metrics.
public enum TokenRejection: String, Sendable, Error, CaseIterable {
    /// Not a well-formed idca certification token (structure, header or claims).
    case malformed
    /// The signature does not verify under the key the header names.
    case invalidSignature = "invalid_signature"
    /// The header names a key that is not published.
    case unknownKey = "unknown_key"
    /// `exp` has passed (beyond the leeway).
    case expired
    /// `nbf` is still in the future (beyond the leeway).
    case notYetValid = "not_yet_valid"
    /// The token names another site in `aud`.
    case wrongAudience = "wrong_audience"
}

/// Verifies certification tokens strictly, as RFC 8725 asks of a JWT consumer.
///
/// Accepts exactly what `TokenIssuer` produces, up to JSON whitespace and member order: three
/// canonical base64url segments, the header `alg` `EdDSA` / `typ` `idca-cert+jwt` / `kid` and
/// nothing else, a 64-byte signature by the named key, and the claim set with integer times.
/// Everything is checked on bytes, never on a second parser's view of the token, and the
/// algorithm is fixed here rather than taken from the header, so "alg confusion" has nothing to
/// work with. No input makes it trap.
public struct TokenVerifier: Sendable {
    /// Longest token accepted (8 KiB); real tokens are about 400 bytes.
    public static let maximumTokenLength = 8 * 1024
    /// The clock leeway on `exp` and `nbf` unless another is given (60 s); key rotation keeps a
    /// retired key published this much longer than its last token's lifetime.
    public static let defaultLeewaySeconds: Int64 = 60

    /// The trusted keys: fixed, or the ones a `SigningKeyRing` publishes at the verification's `now`.
    private enum Keys: Sendable {
        case fixed([[UInt8]: TokenVerificationKey])
        case ring(SigningKeyRing)
    }

    private let keys: Keys
    private let issuer: [UInt8]
    private let leewaySeconds: Int64

    /// A verifier that trusts `keys` (looked up by their `kid`), requires `iss` to equal `issuer`,
    /// and allows `leewaySeconds` of clock difference on `exp` and `nbf`.
    public init(keys: [TokenVerificationKey], issuer: String, leewaySeconds: Int64 = TokenVerifier.defaultLeewaySeconds) {
        precondition(leewaySeconds >= 0, "the clock leeway cannot be negative")
        // Keyed by the UTF-8 bytes of the id: Swift `String` equality is canonical equivalence, and
        // a kid must match only when it is spelled exactly the same.
        var keysByID: [[UInt8]: TokenVerificationKey] = [:]
        for key in keys { keysByID[Array(key.keyID.utf8)] = key }
        self.keys = .fixed(keysByID)
        self.issuer = Array(issuer.utf8)
        self.leewaySeconds = leewaySeconds
    }

    /// A verifier that trusts exactly the keys `ring` publishes at the moment of each verification
    /// (by the ring's clock: which keys the CA trusts is a fact of its present): a retired key while
    /// it is still published, never a revoked or dropped one.
    public init(following ring: SigningKeyRing, issuer: String) {
        self.keys = .ring(ring)
        self.issuer = Array(issuer.utf8)
        self.leewaySeconds = ring.leeway
    }

    private func key(_ keyID: [UInt8]) -> TokenVerificationKey? {
        switch keys {
        case .fixed(let keysByID): keysByID[keyID]
        case .ring(let ring): ring.snapshot().keysByID[keyID]
        }
    }

    /// Strict RFC 8725 verification. `siteID` is the verifying site; a token with `aud` must name it.
    ///
    /// Checks run in this order, and the first failure is the answer: structure and header
    /// (`malformed`), key (`unknown_key`), signature (`invalid_signature`), claims (`malformed`),
    /// then `expired`, `not_yet_valid`, `wrong_audience`. The payload is parsed only after the
    /// signature verified, so unauthenticated claims are never even read.
    public func verify(_ token: String, now: Int64, siteID: String) -> Result<CertificationClaims, TokenRejection> {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumTokenLength else { return .failure(.malformed) }

        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { return .failure(.malformed) }
        guard let headerBytes = decodeSegment(bytes[..<dots[0]]),
              let payloadBytes = decodeSegment(bytes[(dots[0] + 1)..<dots[1]]),
              let signature = decodeSegment(bytes[(dots[1] + 1)...]),
              signature.count == 64
        else { return .failure(.malformed) }

        guard let keyID = Self.checkHeader(headerBytes) else { return .failure(.malformed) }
        guard let key = key(keyID) else { return .failure(.unknownKey) }
        guard key.isValidSignature(signature, for: Array(bytes[..<dots[1]])) else { return .failure(.invalidSignature) }

        guard let claims = claims(from: payloadBytes) else { return .failure(.malformed) }
        // Saturating, so that no `now` or leeway can overflow (leeway ≥ 0 keeps both bounds in range).
        let expiredAtOrBefore = now < Int64.min + leewaySeconds ? Int64.min : now - leewaySeconds
        if claims.expiresAt <= expiredAtOrBefore { return .failure(.expired) }
        let latestValidStart = now > Int64.max - leewaySeconds ? Int64.max : now + leewaySeconds
        if claims.notBefore > latestValidStart { return .failure(.notYetValid) }
        if let audience = claims.audience, !audience.utf8.elementsEqual(siteID.utf8) {
            return .failure(.wrongAudience)
        }
        return .success(claims)
    }

    private func decodeSegment(_ segment: ArraySlice<UInt8>) -> [UInt8]? {
        // Base64URL.decode refuses padding, foreign characters and non-canonical trailing bits.
        Base64URL.decode(String(decoding: segment, as: UTF8.self))
    }

    /// The `kid` bytes when the header is exactly `alg` `EdDSA`, `typ` `idca-cert+jwt` and a string
    /// `kid`; `nil` for anything else (including `crit`, `jku`, `jwk`, `x5u` or any other member).
    private static func checkHeader(_ bytes: [UInt8]) -> [UInt8]? {
        guard let header = try? StrictJSONParser.parseObject(bytes), header.members.count == 3,
              case .string(let algorithm)? = header["alg"], algorithm.utf8.elementsEqual("EdDSA".utf8),
              case .string(let type)? = header["typ"], type.utf8.elementsEqual("idca-cert+jwt".utf8),
              case .string(let keyID)? = header["kid"]
        else { return nil }
        // Three members, no duplicates, and all three names found: there is nothing else.
        return Array(keyID.utf8)
    }

    /// The claims when the payload is exactly the claim set `TokenIssuer` writes; `nil` otherwise.
    private func claims(from bytes: [UInt8]) -> CertificationClaims? {
        guard let payload = try? StrictJSONParser.parseObject(bytes) else { return nil }
        var issuer: String?, tokenID: String?, subjectType: String?, assurance: String?, audience: String?
        var issuedAt: Int64?, notBefore: Int64?, expiresAt: Int64?
        for (name, value) in payload.members {
            switch (Claim(name), value) {
            case (.iss?, .string(let text)): issuer = text
            case (.jti?, .string(let text)): tokenID = text
            case (.iat?, .number(let number)): issuedAt = number.int64
            case (.nbf?, .number(let number)): notBefore = number.int64
            case (.exp?, .number(let number)): expiresAt = number.int64
            case (.subType?, .string(let text)): subjectType = text
            case (.acr?, .string(let text)): assurance = text
            case (.aud?, .string(let text)): audience = text
            default: return nil  // an unknown member, or a known one with the wrong type
            }
        }
        guard let issuer, issuer.utf8.elementsEqual(self.issuer),
              let tokenID, let issuedAt, let notBefore, let expiresAt, let assurance,
              let subjectType, CertificationClaims.subjectTypes.contains(where: { $0.utf8.elementsEqual(subjectType.utf8) })
        else { return nil }
        return CertificationClaims(
            issuer: issuer, tokenID: tokenID, issuedAt: issuedAt, notBefore: notBefore, expiresAt: expiresAt,
            subjectType: subjectType, assurance: assurance, audience: audience
        )
    }

    /// The claim names a certification token may carry, recognised by their exact bytes.
    private enum Claim: CaseIterable {
        case iss, jti, iat, nbf, exp, subType, acr, aud

        var name: String {
            switch self {
            case .iss: "iss"
            case .jti: "jti"
            case .iat: "iat"
            case .nbf: "nbf"
            case .exp: "exp"
            case .subType: "sub_type"
            case .acr: "acr"
            case .aud: "aud"
            }
        }

        init?(_ name: String) {
            guard let claim = Self.allCases.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else { return nil }
            self = claim
        }
    }
}

/// SHA-256 of the exact compact token, hex; stored at issue and required to match before a token is consumed.
///
/// Verification accepts exactly one spelling of a token already, and this makes it explicit: only
/// the very string that was issued can ever be redeemed.
public func tokenDigest(_ token: String) -> String {
    SHA256.hash(data: Array(token.utf8)).withUnsafeBytes { Hex.encode($0) }
}

/// The JSON Web Key Set published at `/.well-known/jwks.json`.
public enum JWKS {
    /// `{"keys":[…]}` with one public JWK per key, in the order given (current key first, then
    /// keys still valid for tokens issued before a rotation).
    public static func document(_ keys: [TokenVerificationKey]) -> String {
        #"{"keys":["# + keys.map(\.jwkJSON).joined(separator: ",") + "]}"
    }
}
