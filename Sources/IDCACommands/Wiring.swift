import Foundation
import IDCAAudit
import IDCACore
import IDCARules
import IDCASQLite
import IDCAServices
import IDCATokens

/// Everything a command needs, built once from the storage options: the composition root shared
/// by `idca serve` and the operator commands.
struct Wiring {
    let database: SQLiteDatabase
    let keys: KeyDirectory.Keys
    let identityHasher: IdentityHasher
    let registry: SQLiteRegistry
    let sites: SQLiteSiteDirectory
    let auditLog: SQLiteAuditLog
    let clock: any IDCACore.Clock
    let random: any RandomSource

    /// `requireExistingDatabase` is for commands that only read or change existing data, so that a
    /// mistyped `--database` fails instead of silently creating an empty database.
    init(storage: StorageOptions, requireExistingDatabase: Bool = false,
         clock: any IDCACore.Clock = SystemTime(), random: any RandomSource = SystemRandomSource()) throws {
        if requireExistingDatabase && !FileManager.default.fileExists(atPath: storage.databasePath) {
            throw CommandFailure("there is no database at \(storage.databasePath) (check --database or IDCA_DATABASE).")
        }
        keys = try KeyDirectory(path: storage.keysDirectory).load()
        database = try Wiring.openDatabase(storage)
        identityHasher = IdentityHasher(indexKey: keys.index)
        registry = SQLiteRegistry(database: database)
        sites = SQLiteSiteDirectory(database: database)
        auditLog = SQLiteAuditLog(database: database)
        self.clock = clock
        self.random = random
    }

    static func openDatabase(_ storage: StorageOptions) throws -> SQLiteDatabase {
        do {
            return try SQLiteDatabase(path: storage.databasePath)
        } catch {
            throw CommandFailure("cannot open the database \(storage.databasePath): \(error)")
        }
    }

    var siteService: SiteService {
        SiteService(directory: sites, identityHasher: identityHasher, clock: clock, random: random)
    }

    var auditService: AuditService {
        AuditService(log: auditLog, clock: clock)
    }

    var auditorService: AuditorService {
        AuditorService(directory: SQLiteAuditorDirectory(database: database), identityHasher: identityHasher, clock: clock, random: random)
    }

    var statisticsService: StatisticsService {
        StatisticsService(reader: SQLiteStatistics(database: database), sites: sites, clock: clock)
    }

    /// `clock` replaces the wiring's clock (demo traffic decides at simulated times).
    func certificationService(settings: CertificationService.Settings, clock: (any IDCACore.Clock)? = nil) -> CertificationService {
        CertificationService(
            dependencies: .init(
                registry: registry, ledger: SQLiteDecisionLedger(database: database), sites: sites, identityHasher: identityHasher,
                issuer: TokenIssuer(signingKey: keys.signing), clock: clock ?? self.clock, random: random),
            settings: settings)
    }

    func verificationService(issuerURL: String, clock: (any IDCACore.Clock)? = nil) -> VerificationService {
        VerificationService(
            verifier: TokenVerifier(keys: [keys.signing.publicKey], issuer: issuerURL),
            ledger: SQLiteTokenLedger(database: database), auditLog: auditLog, pseudonyms: PseudonymGenerator(key: keys.pseudonym),
            clock: clock ?? self.clock)
    }
}

/// The person at the command line, as the audit log names them: `operator:<login name>`.
/// The login name is what the operating system says, so it is as good as the machine's accounts.
/// The person behind `sudo` if any, else the login name the environment gives, else the account the
/// process runs as. Anything but letters, digits and `._-@` becomes `_`, so that a strange
/// environment cannot make the name read as something else.
var commandLineOperator: AuditActor {
    let name = Environment.value("SUDO_USER") ?? Environment.value("USER") ?? Environment.value("LOGNAME") ?? processAccountName() ?? "unknown"
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
    return .operator(String(name.prefix(64).map { allowed.contains($0) ? $0 : "_" }))
}
