import Foundation
import IDCACore
import IDCAPostgres
import IDCASQLite

/// One backend's implementation of every storage port, chosen by `--database`: a file path for the
/// embedded SQLite (the default), a `postgres://` URL for PostgreSQL. Everything above this sees
/// only the ports, so both backends run the same services.
struct Storage: Sendable {
    var registry: any RegistryReader & RegistryWriter
    var decisions: any DecisionLedger
    var tokens: any TokenLedger
    var sites: any SiteDirectory
    var auditLog: any AuditLog
    var auditors: any AuditorDirectory
    var statistics: any StatisticsReader
    var keys: any KeyRegister
    var certifications: any CertificationRegister
    var possession: any PossessionLedger
    var history: any ApplicationHistory
    var disclosures: any DisclosureLedger
    var isHealthy: @Sendable () async -> Bool
    /// Closes the database (connections, files); nothing may use the storage afterwards.
    var close: @Sendable () async -> Void
    /// Where the data is, without secrets: for logs and messages.
    var location: String
    var isPostgres: Bool

    enum Access {
        /// Creates the database if needed and brings its schema up to date.
        case create
        /// Like `create`, but refuses a database that does not exist yet: for commands that only
        /// change existing data, so that a mistyped location fails instead of starting an empty CA.
        case existing
        /// Reads only: no migration, no write (an auditor checking a copy).
        case readOnly
    }

    static func open(_ location: String, access: Access) async throws -> Storage {
        if PostgresBackend.isURL(location) {
            let database: PostgresBackend
            do {
                // A database with no idca schema is not "existing": that is checked before anything is migrated.
                database = try await PostgresBackend(url: location, readingOnly: access == .readOnly, requiringSchema: access != .create)
            } catch let failure as PostgresBackend.Unreachable {
                throw CommandFailure("\(failure).")
            } catch let failure as PostgresBackend.NoSchema {
                throw CommandFailure("\(failure).")
            } catch {
                let display = (try? PostgresLocation(url: location).display) ?? "the PostgreSQL URL"
                throw CommandFailure("cannot open the database \(display): \(PostgresBackend.describe(error))")
            }
            return Storage(
                registry: PostgresRegistry(database: database), decisions: PostgresDecisionLedger(database: database),
                tokens: PostgresTokenLedger(database: database), sites: PostgresSiteDirectory(database: database),
                auditLog: PostgresAuditLog(database: database), auditors: PostgresAuditorDirectory(database: database),
                statistics: PostgresStatistics(database: database), keys: PostgresKeyRegister(database: database),
                certifications: PostgresCertificationRegister(database: database),
                possession: PostgresPossessionLedger(database: database),
                history: PostgresApplicationHistory(database: database),
                disclosures: PostgresDisclosureLedger(database: database),
                isHealthy: { await database.isHealthy() }, close: { await database.close() },
                location: database.displayLocation, isPostgres: true)
        }
        if access != .create && !FileManager.default.fileExists(atPath: location) {
            throw CommandFailure("there is no database at \(location) (check --database or IDCA_DATABASE).")
        }
        let database: SQLiteDatabase
        do {
            database = access == .readOnly ? try SQLiteDatabase(readingOnly: location) : try SQLiteDatabase(path: location)
        } catch {
            throw CommandFailure("cannot open the database \(location)\(access == .readOnly ? " for reading" : ""): \(error)")
        }
        return Storage(
            registry: SQLiteRegistry(database: database), decisions: SQLiteDecisionLedger(database: database),
            tokens: SQLiteTokenLedger(database: database), sites: SQLiteSiteDirectory(database: database),
            auditLog: SQLiteAuditLog(database: database), auditors: SQLiteAuditorDirectory(database: database),
            statistics: SQLiteStatistics(database: database), keys: SQLiteKeyRegister(database: database),
            certifications: SQLiteCertificationRegister(database: database),
            possession: SQLitePossessionLedger(database: database),
            history: SQLiteApplicationHistory(database: database),
            disclosures: SQLiteDisclosureLedger(database: database),
            isHealthy: { await database.isHealthy() }, close: { try? database.pool.close() },
            location: location, isPostgres: false)
    }
}
