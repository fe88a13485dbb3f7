import IDCACore
import Logging
import PostgresNIO

/// The statements on the hot paths — every application, every verification, every batch — as
/// prepared statements: each connection parses and plans them once, instead of on every call
/// (postgres-nio prepares on first use per connection and keeps them). Each is a marker type
/// naming its SQL; `Prepared` carries the values.
protocol PreparedSQL {
    static var sql: String { get }
}

struct Prepared<Statement: PreparedSQL>: PostgresPreparedStatement {
    static var sql: String { Statement.sql }
    static var name: String { "idca." + String(describing: Statement.self) }
    typealias Row = PostgresRow

    var bindings: PostgresBindings

    init(_ values: (inout PostgresBindings) -> Void) {
        var bindings = PostgresBindings()
        values(&bindings)
        self.bindings = bindings
    }

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension PostgresConnection {
    /// Runs a prepared statement and returns its rows, read in full.
    func run<Statement: PreparedSQL>(_ statement: Statement.Type, logger: Logger,
                                     _ values: (inout PostgresBindings) -> Void = { _ in }) async throws -> [PostgresRow] {
        try await run(Prepared<Statement>(values), logger: logger)
    }
}

extension PostgresConnection {
    /// `body` in one transaction: committed if it returns, rolled back if it throws, and its error
    /// rethrown as it is (postgres-nio's `withTransaction` wraps errors, and the callers here tell a
    /// job's failure, a transient conflict and a lost connection apart).
    func transaction<T>(_ begin: PostgresQuery = "BEGIN", logger: Logger, isolation: isolated (any Actor)? = #isolation,
                        _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query(begin, logger: logger)
        do {
            let value = try await body(self)
            try await query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

extension PostgresClient {
    /// Runs a prepared statement on a pooled connection and returns its rows, read in full.
    func run<Statement: PreparedSQL>(_ statement: Statement.Type, logger: Logger,
                                     _ values: (inout PostgresBindings) -> Void = { _ in }) async throws -> [PostgresRow] {
        let statement = Prepared<Statement>(values)
        return try await withConnection { connection in try await connection.run(statement, logger: logger) }
    }
}

extension PostgresConnection {
    fileprivate func run<Statement: PreparedSQL>(_ statement: Prepared<Statement>, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

enum SQL {
    enum ChainLock: PreparedSQL {
        static let sql = "SELECT pg_advisory_xact_lock(\(PostgresAuditLog.chainLock))"
    }

    enum ChainHead: PreparedSQL {
        static let sql = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
    }

    enum AppendAudit: PreparedSQL {
        static let sql = """
            INSERT INTO audit_log (seq, time, type, actor, subject, outcome, reason, object, detail, prev_hash, hash)
            SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[],
                                 $9::TEXT[], $10::TEXT[], $11::TEXT[])
            """
    }

    enum Resident: PreparedSQL {
        static let sql = "SELECT name_hash, status, region_code, sealed_phone, sealed_identity FROM residents WHERE id_hash = $1"
    }

    enum OrganizationByCreditCode: PreparedSQL {
        // Organizations registered before 2015 have no credit code in the registry; their embedded
        // organization code (already checked against the credit code) finds them.
        static let sql = """
            SELECT organization_code, credit_code, name, legal_representative, status FROM organizations
            WHERE credit_code = $1 OR (organization_code = $2 AND credit_code IS NULL)
            ORDER BY credit_code IS NULL LIMIT 1
            """
    }

    enum OrganizationByCode: PreparedSQL {
        static let sql = """
            SELECT organization_code, credit_code, name, legal_representative, status FROM organizations WHERE organization_code = $1
            """
    }

    enum SiteByKeyHash: PreparedSQL {
        static let sql = "SELECT id, name, licence, max_accounts, suspended, created_at FROM sites WHERE api_key_hash = $1"
    }

    /// NULLs travel as empty strings (and -1 for the region), which no stored value is.
    enum InsertApplications: PreparedSQL {
        static let sql = """
            INSERT INTO applications (id, subject_type, status, reason, internal_reason, field, message, site_id,
                                      region_code, subject_ref, decided_at, operator_ref, source_ref)
            SELECT id, subject_type, status, NULLIF(reason, ''), NULLIF(internal_reason, ''), NULLIF(field, ''), NULLIF(message, ''),
                   NULLIF(site_id, ''), NULLIF(region_code, -1), NULLIF(subject_ref, ''), decided_at, NULLIF(operator_ref, ''),
                   NULLIF(source_ref, '')
            FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::BIGINT[],
                        $10::TEXT[], $11::BIGINT[], $12::TEXT[], $13::TEXT[])
                AS x(id, subject_type, status, reason, internal_reason, field, message, site_id, region_code, subject_ref, decided_at,
                     operator_ref, source_ref)
            """
    }

    /// Each token is stored only for an approved application that has no token yet; the caller
    /// compares the rows returned with the tokens sent.
    enum InsertTokens: PreparedSQL {
        static let sql = """
            WITH x AS (
                SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[],
                                     $9::BIGINT[], $10::BIGINT[])
                    AS x(id, digest, application_id, subject_type, subject_ref, audience, assurance, organization_name, issued_at, expires_at)
            ), claimed AS (
                UPDATE applications SET token_id = x.id FROM x
                WHERE applications.id = x.application_id AND applications.status = 'approved' AND applications.token_id IS NULL
                RETURNING applications.id
            )
            INSERT INTO tokens (id, digest, application_id, subject_type, subject_ref, audience, assurance, organization_name,
                                issued_at, expires_at)
            SELECT x.id, x.digest, x.application_id, x.subject_type, x.subject_ref, NULLIF(x.audience, ''), x.assurance,
                   NULLIF(x.organization_name, ''), x.issued_at, x.expires_at
            FROM x JOIN claimed ON claimed.id = x.application_id RETURNING id
            """
    }

    /// In order: a later redemption of the same token sees the earlier one (`idca_redeem` is
    /// volatile, so each call sees what the previous calls did).
    enum Redeem: PreparedSQL {
        static let sql = """
            SELECT r.* FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[])
                WITH ORDINALITY AS x(token, digest, site, maximum, at, n)
            CROSS JOIN LATERAL idca_redeem(x.token, x.digest, x.site, x.maximum, x.at) AS r
            ORDER BY x.n
            """
    }

    /// The pseudonym, the subject type and the certification time of each account a batch's
    /// redemptions counted (what `GET /v1/sites/me/subjects/{pseudonym}` reads).
    enum NameAccounts: PreparedSQL {
        static let sql = """
            UPDATE site_accounts SET pseudonym = x.pseudonym, subject_type = x.subject_type,
                                     certified_at = GREATEST(COALESCE(site_accounts.certified_at, 0), x.certified_at)
            FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[]) AS x(site_id, subject_ref, pseudonym, subject_type, certified_at)
            WHERE site_accounts.site_id = x.site_id AND site_accounts.subject_ref = x.subject_ref
            """
    }

    /// Every counter table in one statement: per table, arrays of its key columns then the three
    /// counts, in `StatisticsTables.tables` order (an empty array adds nothing).
    enum CountDecisions: PreparedSQL {
        static let sql: String = {
            var parameter = 0
            let parts = StatisticsTables.tables.enumerated().map { index, table -> String in
                let columns = table.keyColumns + ["applications", "approved", "rejected"]
                let arrays = columns.map { _ -> String in
                    parameter += 1
                    return "$\(parameter)::BIGINT[]"
                }
                return "t\(index) AS (INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) "
                    + "SELECT * FROM unnest(\(arrays.joined(separator: ", "))) "
                    + "ON CONFLICT (\(table.primaryKey.joined(separator: ", "))) DO UPDATE SET "
                    + "applications = \(table.name).applications + excluded.applications, "
                    + "approved = \(table.name).approved + excluded.approved, rejected = \(table.name).rejected + excluded.rejected)"
            }
            return "WITH " + parts.joined(separator: ", ") + " SELECT 1"
        }()
    }
}
