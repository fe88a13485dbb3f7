import Foundation
import GRDB
import IDCACore

/// The registry tables: residents as keyed hashes and ciphertext, organizations as public data.
public struct SQLiteRegistry: RegistryReader, RegistryWriter {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func resident(residentIDHash: String) async throws -> ResidentRecord? {
        try await database.read { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT name_hash, status, region_code, sealed_phone, sealed_identity FROM residents WHERE id_hash = ?"),
                arguments: [residentIDHash])
            else { return nil }
            return ResidentRecord(
                residentIDHash: residentIDHash,
                nameHash: row["name_hash"],
                status: ResidentStatus(rawValue: row["status"]) ?? .cancelled,
                regionCode: row["region_code"],
                sealedPhone: (row["sealed_phone"] as Data?).map { [UInt8]($0) },
                sealedIdentity: (row["sealed_identity"] as Data?).map { [UInt8]($0) })
        }
    }

    public func organization(_ key: OrganizationKey) async throws -> OrganizationRecord? {
        try await database.read { db in
            let row: Row?
            switch key {
            case .creditCode(let code):
                // Organizations registered before 2015 have no credit code in the registry; their
                // embedded organization code (already checked against the credit code) finds them.
                row = try Row.fetchOne(db, sql: "SELECT * FROM organizations WHERE credit_code = ?", arguments: [code.canonical])
                    ?? Row.fetchOne(db, sql: "SELECT * FROM organizations WHERE organization_code = ? AND credit_code IS NULL",
                                    arguments: [code.organizationCode.canonical])
            case .organizationCode(let code):
                row = try Row.fetchOne(db, sql: "SELECT * FROM organizations WHERE organization_code = ?", arguments: [code.canonical])
            }
            return row.map(SQLiteRegistry.organization(from:))
        }
    }

    static func organization(from row: Row) -> OrganizationRecord {
        OrganizationRecord(
            organizationCode: row["organization_code"],
            creditCode: row["credit_code"],
            name: row["name"],
            legalRepresentative: row["legal_representative"],
            status: OrganizationStatus(rawValue: row["status"]) ?? .cancelled)
    }

    /// One transaction for the whole import: if anything fails, or the process dies midway, the
    /// transaction never commits and the registry is exactly as before.
    public func importResidents(_ produce: (_ write: (ResidentRecord) throws -> Void) throws -> Void,
                                audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        try writeSynchronously { db in
            let imported = try SQLiteRegistry.withImportCache(db) { try importResidents(db, produce) }
            try SQLiteAuditLog.append([audit(imported)], in: db)
            return imported
        }
    }

    /// GRDB's synchronous write, which can run `produce` (not Sendable) on this thread: an import is
    /// its command's only work, so blocking the thread for it costs nothing.
    private func writeSynchronously<T>(_ body: (Database) throws -> T) throws -> T {
        try database.pool.write(body)
    }

    /// A big import touches index pages all over the B-tree (its keys are random hashes); with the
    /// default 2 MB page cache, SQLite spills and re-reads pages for most rows. A large cache for
    /// the length of the import keeps the working set in memory; the server's own use stays small.
    static func withImportCache<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        let previous = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
        try db.execute(sql: "PRAGMA cache_size = -524288")
        defer { try? db.execute(sql: "PRAGMA cache_size = \(previous)") }
        return try body()
    }

    private func importResidents(_ db: Database, _ produce: (_ write: (ResidentRecord) throws -> Void) throws -> Void) throws -> Int {
        let statement = try db.makeStatement(sql: """
            INSERT INTO residents (id_hash, name_hash, status, region_code, sealed_phone, sealed_identity) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id_hash) DO UPDATE SET name_hash = excluded.name_hash, status = excluded.status,
                region_code = excluded.region_code, sealed_phone = excluded.sealed_phone, sealed_identity = excluded.sealed_identity
            """)
        var count = 0
        try produce { record in
            try statement.execute(arguments: [
                record.residentIDHash, record.nameHash, record.status.rawValue, record.regionCode,
                record.sealedPhone.map { Data($0) }, record.sealedIdentity.map { Data($0) },
            ])
            count += 1
        }
        return count
    }

    public func importOrganizations(_ produce: (_ write: (OrganizationRecord) throws -> Void) throws -> Void,
                                    audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        let imported = try writeSynchronously { db in try SQLiteRegistry.withImportCache(db) {
            let statement = try db.makeStatement(sql: """
                INSERT INTO organizations (organization_code, credit_code, name, legal_representative, status) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (organization_code) DO UPDATE SET credit_code = excluded.credit_code, name = excluded.name,
                    legal_representative = excluded.legal_representative, status = excluded.status
                """)
            var count = 0
            try produce { record in
                try statement.execute(arguments: [
                    record.organizationCode, record.creditCode, record.name, record.legalRepresentative, record.status.rawValue,
                ])
                count += 1
            }
            try SQLiteAuditLog.append([audit(count)], in: db)
            return count
        } }
        return imported
    }

    public func residentCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM residents") ?? 0 }
    }

    public func organizationCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM organizations") ?? 0 }
    }
}
