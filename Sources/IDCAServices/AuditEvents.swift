import IDCACore
import IDCARules
import IDCATokens

/// The audit events the services write, in one place, so that what an entry says about each kind
/// of act is decided once (Docs/AUDIT-LOG.md lists them).
extension AuditEvent {
    /// An application decided: the exact internal reason, and the keys statistics count it under,
    /// so that auditors can recount the statistics from the log.
    static func decided(_ decision: DecisionRecord) -> AuditEvent {
        var details: [(String, String)] = [("subject_type", decision.subjectType.rawValue)]
        if let region = decision.regionCode { details.append(("region", zeroPaddedDigits(region, width: 6))) }
        if let site = decision.site { details.append(("site", site.rawValue)) }
        if let rejection = decision.rejection {
            if rejection.reason != rejection.internalReason { details.append(("public_reason", rejection.reason)) }
            if let field = rejection.field { details.append(("field", field.rawValue)) }
        }
        return AuditEvent(
            .applicationDecided, time: decision.decidedAt, actor: .applicant, subject: decision.subjectReference ?? "",
            outcome: decision.isApproved ? "approved" : "rejected", reason: decision.rejection?.internalReason ?? "",
            object: decision.applicationID.rawValue, details: details)
    }

    /// The claims about to be signed, with the SHA-256 of the exact payload JSON.
    static func tokenPlanned(_ claims: CertificationClaims, payloadDigest: String, keyID: String, application: ApplicationID,
                             subject: String) -> AuditEvent {
        var details: [(String, String)] = [
            ("application", application.rawValue), ("kid", keyID), ("iat", String(claims.issuedAt)), ("exp", String(claims.expiresAt)),
            ("acr", claims.assurance), ("sub_type", claims.subjectType),
        ]
        if let audience = claims.audience { details.append(("aud", audience)) }
        details.append(("payload_sha256", payloadDigest))
        return AuditEvent(.tokenPlanned, time: claims.issuedAt, actor: .applicant, subject: subject, outcome: "planned",
                          object: claims.tokenID, details: details)
    }

    /// The token as signed: the SHA-256 of the compact JWS, which is all the ledger keeps of it.
    static func tokenIssued(_ token: IssuedToken, keyID: String, application: ApplicationID, time: Int64) -> AuditEvent {
        AuditEvent(.tokenIssued, time: time, actor: .applicant, subject: token.subjectReference, outcome: "issued",
                   object: token.tokenID, details: [("application", application.rawValue), ("kid", keyID), ("token_sha256", token.digest)])
    }

    /// A site's verify call and its answer. `reason` is the exact internal reason, which can be
    /// more precise than the site's answer (`unknown_token` is answered `invalid_signature`).
    static func verified(site: SiteID, time: Int64, subject: String = "", active: Bool, reason: String = "", tokenID: String,
                         details: [(String, String)] = []) -> AuditEvent {
        AuditEvent(.tokenVerified, time: time, actor: .site(site), subject: subject, outcome: active ? "active" : "inactive",
                   reason: reason, object: tokenID, details: details)
    }

    /// A code sent for an application (never the code, nor the phone number).
    static func possessionChallenged(_ challenge: PossessionChallenge) -> AuditEvent {
        AuditEvent(.possessionChallenged, time: challenge.createdAt, actor: .applicant, subject: challenge.subjectReference,
                   outcome: "sent", object: challenge.applicationID.rawValue,
                   details: [("expires", String(challenge.expiresAt)), ("attempts", String(challenge.attemptsLeft))])
    }

    /// The end of a challenge: `confirmed`, `expired` or `exhausted`, with the attempts left.
    static func possessionAnswered(_ challenge: PossessionChallenge, outcome: String, time: Int64) -> AuditEvent {
        AuditEvent(.possessionAnswered, time: time, actor: .applicant, subject: challenge.subjectReference, outcome: outcome,
                   object: challenge.applicationID.rawValue, details: [("attempts_left", String(challenge.attemptsLeft))])
    }
}
