import Foundation
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
        do {
            database = try SQLiteDatabase(path: storage.databasePath)
        } catch {
            throw CommandFailure("cannot open the database \(storage.databasePath): \(error)")
        }
        identityHasher = IdentityHasher(indexKey: keys.index)
        registry = SQLiteRegistry(database: database)
        sites = SQLiteSiteDirectory(database: database)
        self.clock = clock
        self.random = random
    }

    var siteService: SiteService {
        SiteService(directory: sites, identityHasher: identityHasher, clock: clock, random: random)
    }

    func certificationService(settings: CertificationService.Settings) -> CertificationService {
        CertificationService(
            dependencies: .init(
                registry: registry, ledger: SQLiteDecisionLedger(database: database), sites: sites, identityHasher: identityHasher,
                issuer: TokenIssuer(signingKey: keys.signing), clock: clock, random: random),
            settings: settings)
    }

    func verificationService(issuerURL: String) -> VerificationService {
        VerificationService(
            verifier: TokenVerifier(keys: [keys.signing.publicKey], issuer: issuerURL),
            ledger: SQLiteTokenLedger(database: database), pseudonyms: PseudonymGenerator(key: keys.pseudonym), clock: clock)
    }
}
