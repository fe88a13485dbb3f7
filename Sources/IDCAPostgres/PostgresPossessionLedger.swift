import IDCACore
import PostgresNIO

/// Pending possession challenges (migration 0004). Spending an attempt is one conditional UPDATE,
/// so instances sharing the database never grant more attempts than allowed between them.
public struct PostgresPossessionLedger: PossessionLedger {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    static let columns = """
        application_id, subject_type, subject_ref, region_code, site_id, organization_name, operator_ref, source_ref, code_hash,
        destination, created_at, expires_at, attempts_left, state, recipient_ref
        """

    public func open(_ challenge: PossessionChallenge, audit: [AuditEvent]) async throws {
        try await database.write { connection, batch in
            try await connection.query("""
                INSERT INTO possession_challenges (application_id, subject_type, subject_ref, region_code, site_id, organization_name,
                                                   operator_ref, source_ref, code_hash, destination, created_at, expires_at, attempts_left,
                                                   recipient_ref)
                VALUES (\(challenge.applicationID.rawValue), \(challenge.subjectType.rawValue), \(challenge.subjectReference),
                        \(challenge.regionCode.map(Int64.init)), \(challenge.site?.rawValue), \(challenge.organizationName),
                        \(challenge.operatorReference), \(challenge.sourceReference), \(challenge.codeHash), \(challenge.destination),
                        \(challenge.createdAt), \(challenge.expiresAt), \(Int64(challenge.attemptsLeft)), \(challenge.recipientReference))
                """, logger: database.logger)
            batch.append(audit)
        }
    }

    public func challenge(_ id: ApplicationID) async throws -> PossessionChallenge? {
        try await database.read { client in
            let rows = try await client.query(
                "SELECT \(unescaped: Self.columns) FROM possession_challenges WHERE application_id = \(id.rawValue)", logger: database.logger)
            return try await rows.collect().first.map(Self.challenge(from:))
        }
    }

    public func spendAttempt(_ id: ApplicationID, at time: Int64) async throws -> PossessionChallenge? {
        // Not batched: it changes no audited state, and must not wait for the chain lock.
        try await database.read { client in
            let rows = try await client.query("""
                UPDATE possession_challenges SET attempts_left = attempts_left - 1
                WHERE application_id = \(id.rawValue) AND state = 'pending' AND attempts_left > 0 AND expires_at > \(time)
                RETURNING \(unescaped: Self.columns)
                """, logger: database.logger)
            return try await rows.collect().first.map(Self.challenge(from:))
        }
    }

    public func codesSent(to recipientReference: String, since: Int64, limit: Int) async throws -> [Int64] {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT created_at FROM possession_challenges WHERE recipient_ref = \(recipientReference) AND created_at >= \(since)
                ORDER BY created_at DESC LIMIT \(Int64(limit))
                """, logger: database.logger)
            var times: [Int64] = []
            for try await time in rows.decode(Int64.self) { times.append(time) }
            return times
        }
    }

    public func close(_ id: ApplicationID, decision: DecisionRecord, audit: [AuditEvent]) async throws -> Bool {
        try await database.write { connection, batch in
            let rows = try await connection.query("""
                UPDATE possession_challenges SET state = 'decided' WHERE application_id = \(id.rawValue) AND state = 'pending'
                RETURNING application_id
                """, logger: database.logger)
            guard try await rows.collect().count == 1 else { return false }
            batch.record(decision, audit: audit)
            return true
        }
    }

    static func challenge(from row: PostgresRow) throws -> PossessionChallenge {
        let cells = row.makeRandomAccess()
        return PossessionChallenge(
            applicationID: ApplicationID(uncheckedRawValue: try cells[0].decode(String.self)),
            subjectType: SubjectType(rawValue: try cells[1].decode(String.self)) ?? .individual,
            subjectReference: try cells[2].decode(String.self), regionCode: try cells[3].decode(Int64?.self).map(Int.init),
            site: try cells[4].decode(String?.self).flatMap(SiteID.init(rawValue:)), organizationName: try cells[5].decode(String?.self),
            operatorReference: try cells[6].decode(String?.self), sourceReference: try cells[7].decode(String?.self),
            codeHash: try cells[8].decode(String.self), recipientReference: try cells[14].decode(String.self), destination: try cells[9].decode(String.self),
            createdAt: try cells[10].decode(Int64.self), expiresAt: try cells[11].decode(Int64.self),
            attemptsLeft: Int(try cells[12].decode(Int64.self)), isPending: try cells[13].decode(String.self) == "pending")
    }
}
