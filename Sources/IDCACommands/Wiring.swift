import Foundation
import IDCAAudit
import IDCACore
import IDCARules
import IDCAServices
import IDCATokens

/// Everything a command needs, built once from the storage options: the composition root shared
/// by `idca serve` and the operator commands.
struct Wiring {
    let storage: Storage
    let keys: KeyDirectory.Keys
    /// The token-signing keys' schedule and this node's private keys: what signs and what is published now (KeyRotation.swift).
    let keyRing: SigningKeyRing
    let identityHasher: IdentityHasher
    let clock: any IDCACore.Clock
    let random: any RandomSource

    /// `requireExistingDatabase` is for commands that only read or change existing data, so that a
    /// mistyped `--database` fails instead of silently creating an empty database.
    static func open(storage options: StorageOptions, requireExistingDatabase: Bool = false,
                     clock: any IDCACore.Clock = SystemTime(), random: any RandomSource = SystemRandomSource()) async throws -> Wiring {
        let keys = try KeyDirectory(path: options.keysDirectory).load()
        let storage = try await Storage.open(options.databasePath, access: requireExistingDatabase ? .existing : .create)
        do {
            try await enroll(keys, in: storage, keysDirectory: options.keysDirectory, now: clock.now())
            let keyRing = try await signingKeyRing(storage: storage, keysDirectory: options.keysDirectory, clock: clock)
            return Wiring(storage: storage, keys: keys, keyRing: keyRing, identityHasher: IdentityHasher(indexKey: keys.index),
                          clock: clock, random: random)
        } catch {
            await storage.close()
            throw error
        }
    }

    /// Records this instance's keys in the database and checks them against what is recorded: the
    /// index, pseudonym and data keys must be the very keys the stored hashes, pseudonyms and
    /// ciphertexts were made with (fail closed: with another index key every applicant would be
    /// "not found"). What is published and trusted is the key ring's business (`signingKeyRing`).
    static func enroll(_ keys: KeyDirectory.Keys, in storage: Storage, keysDirectory: String, now: Int64) async throws {
        let secrets: [(purpose: String, file: String, key: SecretKey)] = [
            ("index", KeyDirectory.indexKeyFile, keys.index), ("pseudonym", KeyDirectory.pseudonymKeyFile, keys.pseudonym),
            ("data", KeyDirectory.dataKeyFile, keys.data),
        ]
        let mine = [
            RecordedKey(purpose: "token-signing", keyID: keys.signing.keyID, publicKey: keys.signing.publicKey.pemRepresentation, createdAt: now),
            RecordedKey(purpose: "audit-signing", keyID: keys.audit.keyID, publicKey: keys.audit.publicKey.pemRepresentation, createdAt: now),
        ] + secrets.map { RecordedKey(purpose: $0.purpose, keyID: $0.key.fingerprint, publicKey: nil, createdAt: now) }
        let recorded = try await storage.keys.enroll(mine)
        for secret in secrets {
            if let other = recorded.first(where: { $0.purpose == secret.purpose }), other.keyID != secret.key.fingerprint {
                throw CommandFailure("""
                    \(keysDirectory)/\(secret.file) is not the key \(storage.location) was built with (fingerprint \(secret.key.fingerprint), \
                    recorded \(other.keyID)). Every instance on one database needs the same key files: copy them from the first instance.
                    """)
            }
        }
        for key in recorded where key.isRevoked && (key.keyID == keys.signing.keyID || key.keyID == keys.audit.keyID) {
            throw CommandFailure("""
                the \(key.purpose) key \(key.keyID) in \(keysDirectory)/ is revoked in \(storage.location); refusing to sign with it. \
                Move its file away and run `idca keys generate` for a new one.
                """)
        }
        // One audit key per CA: `idca audit verify` checks every checkpoint with it, so a node
        // signing with another would make the log look tampered with.
        if let other = recorded.first(where: { $0.purpose == "audit-signing" && !$0.isRevoked && $0.keyID != keys.audit.keyID }) {
            throw CommandFailure("""
                \(keysDirectory)/\(KeyDirectory.auditKeyFile) is not the audit key \(storage.location) uses (key id \(keys.audit.keyID), \
                recorded \(other.keyID)). Every instance on one database needs the same key files: copy them from the first instance.
                """)
        }
        // Fail closed at start on a recorded key that cannot be read: the ring would only leave it unpublished.
        for key in recorded where key.purpose == "token-signing" && key.keyID != keys.signing.keyID && !key.isRevoked {
            guard let pem = key.publicKey, let publicKey = try? TokenVerificationKey(pemRepresentation: pem), publicKey.keyID == key.keyID else {
                throw CommandFailure("the token-signing key \(key.keyID) recorded in \(storage.location) is damaged; refusing to start.")
            }
        }
    }

    var registry: any RegistryReader & RegistryWriter { storage.registry }
    var sites: any SiteDirectory { storage.sites }
    var auditLog: any AuditLog { storage.auditLog }

    func close() async { await storage.close() }

    var siteService: SiteService {
        SiteService(directory: storage.sites, identityHasher: identityHasher, clock: clock, random: random)
    }

    var auditService: AuditService {
        AuditService(log: storage.auditLog, clock: clock)
    }

    var auditorService: AuditorService {
        AuditorService(directory: storage.auditors, identityHasher: identityHasher, clock: clock, random: random)
    }

    var statisticsService: StatisticsService {
        StatisticsService(reader: storage.statistics, sites: storage.sites, clock: clock)
    }

    /// `clock` replaces the wiring's clock (demo traffic decides at simulated times).
    func certificationService(settings: CertificationService.Settings, notifier: any Notifier,
                              possession: PossessionCheck.Settings = .init(), budgets: Budgets.Settings = .init(),
                              clock: (any IDCACore.Clock)? = nil) -> CertificationService {
        CertificationService(
            dependencies: .init(
                registry: storage.registry, ledger: storage.decisions, sites: storage.sites, identityHasher: identityHasher,
                issuer: TokenIssuer(following: keyRing, tokenLifetime: settings.tokenLifetime), clock: clock ?? self.clock, random: random,
                possession: PossessionCheck(ledger: storage.possession, notifier: notifier, sealer: DataSealer(key: keys.data),
                                            settings: possession),
                budgets: Budgets(history: storage.history, settings: budgets), auditLog: storage.auditLog),
            settings: settings)
    }

    var disclosureService: DisclosureService {
        DisclosureService(dependencies: .init(
            ledger: storage.disclosures, certifications: storage.certifications, registry: storage.registry, sites: storage.sites,
            pseudonyms: PseudonymGenerator(key: keys.pseudonym), sealer: DataSealer(key: keys.data), auditLog: storage.auditLog,
            clock: clock, random: random))
    }

    var impersonationReportService: ImpersonationReportService {
        ImpersonationReportService(history: storage.history, clock: clock)
    }

    var revocationService: RevocationService {
        RevocationService(register: storage.certifications, identityHasher: identityHasher, pseudonyms: PseudonymGenerator(key: keys.pseudonym),
                          clock: clock)
    }

    func verificationService(issuerURL: String, clock: (any IDCACore.Clock)? = nil) -> VerificationService {
        VerificationService(
            verifier: TokenVerifier(following: keyRing, issuer: issuerURL),
            ledger: storage.tokens, auditLog: storage.auditLog, pseudonyms: PseudonymGenerator(key: keys.pseudonym),
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
