import ArgumentParser
import Foundation
import IDCACore
import IDCATokens
import Logging
import ServiceLifecycle

// Key rotation (Docs/KEY-ROTATION.md): `idca keys rotate`, `idca keys list`, `idca keys revoke`, and
// the refresher that makes a running `idca serve` follow the schedule.

extension KeyDirectory {
    /// The file of a token-signing key made by `idca keys rotate`: `token-signing-<kid>.pem`, beside
    /// the first key's `token-signing.pem`. The kid is base64url, so it is safe in a file name, and
    /// naming the file by it lets every node find the key the schedule names.
    static func rotatedSigningKeyFile(_ keyID: String) -> String { "token-signing-\(keyID).pem" }

    private static let rotatedPrefix = "token-signing-"
    private static let rotatedSuffix = ".pem"

    /// Every token-signing key in the directory: `token-signing.pem` and each
    /// `token-signing-<kid>.pem`, with a message for each file that cannot be used (unreadable, too
    /// open, or not the key its name says).
    func signingKeys() -> (keys: [TokenSigningKey], problems: [String]) {
        var keys: [TokenSigningKey] = []
        var problems: [String] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        for name in names where name == Self.signingKeyFile || (name.hasPrefix(Self.rotatedPrefix) && name.hasSuffix(Self.rotatedSuffix)) {
            let file = (path as NSString).appendingPathComponent(name)
            do {
                let key = try TokenSigningKey(pemRepresentation: KeyFile.read(file))
                if name != Self.signingKeyFile && name != Self.rotatedSigningKeyFile(key.keyID) {
                    // Refused: the schedule names keys by id, and a file under another key's name would
                    // make "is the next key here?" answer yes for the wrong key.
                    problems.append("\(file) holds the key \(key.keyID), not the one its name says")
                    continue
                }
                keys.append(key)
            } catch {
                problems.append("\(file): \(error)")
            }
        }
        return (keys, problems)
    }

    /// Writes a new token-signing key as `token-signing-<kid>.pem` (mode 0600, never replacing a file).
    func writeRotatedSigningKey(_ key: TokenSigningKey) throws -> String {
        let name = Self.rotatedSigningKeyFile(key.keyID)
        try KeyFile.write(key.pemRepresentation, to: (path as NSString).appendingPathComponent(name))
        return name
    }
}

/// A duration as operators write it: whole seconds (`600`), or a number with `s`, `m`, `h` or `d`
/// (`90s`, `10m`, `24h`, `7d`).
struct DurationSetting {
    static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 9, let value = Int64(digits) else { return nil }
        return value * unit
    }

    /// `86400` as `24h`, `600` as `10m`, `90` as `90s`.
    static func display(_ seconds: Int64) -> String {
        if seconds > 0 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds > 0 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0 && seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

extension Wiring {
    /// This node's token-signing keys and the database's schedule, as a ring the services follow.
    static func signingKeyRing(storage: Storage, keysDirectory: String, clock: any IDCACore.Clock) async throws -> SigningKeyRing {
        let keys = KeyDirectory(path: keysDirectory).signingKeys().keys
        return SigningKeyRing(schedule: try await storage.keys.signingSchedule(), privateKeys: keys, clock: clock)
    }

    /// The refresher `idca serve` runs beside the server.
    func signingKeyRefresher(keysDirectory: String, tokenLifetime: Int64, logger: Logger) -> SigningKeyRefresher {
        SigningKeyRefresher(ring: keyRing, register: storage.keys, directory: KeyDirectory(path: keysDirectory),
                            tokenLifetime: tokenLifetime, logger: logger)
    }

    /// `/healthz`: the database answers, and this node has a key it may sign with now (a node that
    /// cannot issue is taken out of the load balancer rather than answering 503 to applicants).
    func healthCheck(tokenLifetime: Int64) -> @Sendable () async -> Bool {
        let storage = storage
        let ring = keyRing
        return {
            guard await storage.isHealthy() else { return false }
            return ring.signing(tokenLifetime: tokenLifetime).issuer != nil
        }
    }
}

/// Re-reads the schedule and the key directory every few seconds while `idca serve` runs, so that
/// a rotation made on any machine, a revocation, and a key file copied here later all take effect
/// without a restart. The switch itself does not wait for it: the ring computes, from the schedule
/// it has and the clock, which key signs at each second. It reads once as soon as it starts, and
/// logs what this node signs with, each change, and every minute a problem that persists.
struct SigningKeyRefresher: Service {
    let ring: SigningKeyRing
    let register: any KeyRegister
    let directory: KeyDirectory
    let tokenLifetime: Int64
    let logger: Logger
    var interval: Duration = .seconds(5)
    /// How often a problem that persists is logged again.
    var repeatEvery: Int64 = 60

    /// One reading of the register and the directory.
    struct Reading {
        /// What this node can sign with now.
        var signing: SigningKeyRing.Signing
        /// Key files that cannot be used (unreadable, too open, or not the key their name says).
        var problems: [String]

        var needsOperator: Bool {
            guard problems.isEmpty, signing.missing.isEmpty else { return true }
            if case .onSchedule = signing.status { return false }
            return true
        }
    }

    @discardableResult
    func refresh() async throws -> Reading {
        let schedule = try await register.signingSchedule()
        let files = directory.signingKeys()
        ring.update(schedule: schedule, privateKeys: files.keys)
        return Reading(signing: ring.signing(tokenLifetime: tokenLifetime), problems: files.problems)
    }

    func run() async throws {
        var last: (status: SigningKeyRing.Status, missing: [String], problems: [String], time: Int64)?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let reading = try await refresh()
                let signing = reading.signing
                let missing = signing.missing.map(\.keyID)
                let changed = last.map { $0.status != signing.status || $0.missing != missing || $0.problems != reading.problems } ?? true
                // A key switch is logged once; a problem is repeated every `repeatEvery` seconds until fixed.
                if changed || (reading.needsOperator && signing.time - (last?.time ?? 0) >= repeatEvery) {
                    report(reading, logger: logger, keysDirectory: directory.path)
                    last = (signing.status, missing, reading.problems, signing.time)
                }
            } catch {
                // The ring keeps the schedule it has, which still switches keys on time.
                logger.warning("cannot re-read the key schedule", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}

/// Logs what a node can sign with: info when on schedule, loudly otherwise.
func report(_ reading: SigningKeyRefresher.Reading, logger: Logger, keysDirectory: String) {
    for problem in reading.problems {
        logger.warning("unusable token-signing key file ignored", metadata: ["problem": "\(problem)"])
    }
    let signing = reading.signing
    for key in signing.missing {
        logger.error("a scheduled token-signing key is missing on this node: copy keys/ from the node that ran idca keys rotate", metadata: [
            "key_id": "\(key.keyID)", "file": "\(keysDirectory)/\(KeyDirectory.rotatedSigningKeyFile(key.keyID))",
            "signs_from": "\(RFC3339.string(fromUnixSeconds: key.activatesAt))",
        ])
    }
    switch signing.status {
    case .onSchedule(let keyID):
        logger.info("signing key", metadata: ["signing_key_id": "\(keyID)"])
    case .behindSchedule(let keyID, let until):
        logger.error("signing with a retired key: the scheduled key's file is missing here; this node stops issuing when the retired key's window closes",
                     metadata: ["signing_key_id": "\(keyID)", "until": "\(RFC3339.string(fromUnixSeconds: until))"])
    case .unableToSign:
        logger.critical("no token-signing key held here may sign now: applications get 503 and /healthz reports unavailable until the scheduled key's file is copied here")
    }
}

extension KeysCommand {
    /// `idca keys rotate`: the next token-signing key, published now, signing after the delay.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the next token-signing key: published in the JWKS now, signing after a delay.",
            discussion: """
                Writes keys/token-signing-<kid>.pem and records the schedule in the database. Every instance publishes the new key at \
                once and signs with it from the activation time on; the keys signing until then retire at that instant and stay \
                published until every token they signed has expired. Copy keys/ to every node before the activation time. \
                One rotation at a time: a rotation is refused while another key waits to start signing. See Docs/KEY-ROTATION.md.
                """)

        @OptionGroup var storage: StorageOptions
        @Option(help: ArgumentHelp("Pre-publication delay: seconds, or a number with s, m, h or d; 10m–30d (env IDCA_KEY_PUBLICATION_DELAY; default 24h).",
                                   valueName: "duration"))
        var delay: String?
        @Option(help: ArgumentHelp("The longest token lifetime any instance uses, in seconds, 60–86400 (env IDCA_TOKEN_LIFETIME; default 3600): retired keys stay published this long, plus 60 s.",
                                   valueName: "seconds"))
        var tokenLifetime: Int?
        @Flag(help: "Sign with the new key at once, without pre-publication (after a key compromise). Sites that cached the JWKS refetch it on the unknown kid.")
        var emergency = false
        @Flag(help: "Print one JSON object.") var json = false

        /// The pre-publication delay, checked (fail closed: exit 2).
        func resolvedDelay() throws -> Int64 {
            if emergency {
                guard delay == nil else { throw ValidationError("--emergency signs at once; it cannot be combined with --delay.") }
                return 0
            }
            let text = delay ?? Environment.value("IDCA_KEY_PUBLICATION_DELAY") ?? DurationSetting.display(KeyRotationPolicy.defaultDelay)
            guard let seconds = DurationSetting.seconds(text) else {
                throw ValidationError("The pre-publication delay must be seconds or a number with s, m, h or d (such as 24h), not '\(text)'.")
            }
            guard seconds >= KeyRotationPolicy.minimumDelay else {
                throw ValidationError("""
                    A pre-publication delay of \(DurationSetting.display(seconds)) is too short: sites may cache the JWKS for \
                    \(KeyRotationPolicy.jwksMaxAge) s, so the delay must be at least \(DurationSetting.display(KeyRotationPolicy.minimumDelay)) \
                    (use --emergency to sign at once after a key compromise).
                    """)
            }
            guard seconds <= KeyRotationPolicy.maximumDelay else {
                throw ValidationError("A pre-publication delay of \(DurationSetting.display(seconds)) is longer than the \(DurationSetting.display(KeyRotationPolicy.maximumDelay)) allowed.")
            }
            return seconds
        }

        func resolvedLifetime() throws -> Int64 {
            try NumericSetting(name: "token lifetime in seconds", flag: tokenLifetime, environment: "IDCA_TOKEN_LIFETIME",
                               default: 3600, range: 60...86_400).value()
        }

        func validate() throws {
            _ = try resolvedDelay()
            _ = try resolvedLifetime()
        }

        func run() async throws {
            let delay = try resolvedDelay()
            let lifetime = try resolvedLifetime()
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let rotation: KeyRotation.Rotated
            do {
                rotation = try await KeyRotation(wiring: wiring, keysDirectory: storage.keysDirectory).rotate(delay: delay, longestLifetime: lifetime)
            } catch {
                await wiring.close()
                throw error
            }
            await wiring.close()
            if json {
                var object: [String: Any] = [
                    "key_id": rotation.key.keyID, "file": rotation.file, "keys": storage.keysDirectory,
                    "published_at": RFC3339.string(fromUnixSeconds: rotation.key.publishedAt),
                    "activates_at": RFC3339.string(fromUnixSeconds: rotation.key.activatesAt), "retiring": rotation.retiring,
                ]
                if !rotation.retiring.isEmpty { object["retired_keys_drop_at"] = RFC3339.string(fromUnixSeconds: rotation.dropsAt) }
                printJSON(object)
            } else {
                print("Created \(storage.keysDirectory)/\(rotation.file).")
                print("Token signing key \(rotation.key.keyID):")
                print("  published in the JWKS from \(RFC3339.string(fromUnixSeconds: rotation.key.publishedAt))")
                print("  signs from                 \(RFC3339.string(fromUnixSeconds: rotation.key.activatesAt))")
                for keyID in rotation.retiring {
                    print("Key \(keyID) retires then and leaves the JWKS at \(RFC3339.string(fromUnixSeconds: rotation.dropsAt)).")
                }
                print("Copy \(storage.keysDirectory)/ to every node before \(RFC3339.string(fromUnixSeconds: rotation.key.activatesAt)).")
            }
        }
    }

    /// `idca keys list`: every recorded key with its state and dates.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the CA's keys: token-signing keys with their state (next, signing, retired, expired, revoked) and dates.")

        @OptionGroup var storage: StorageOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let listing = try await KeyRotation(wiring: wiring, keysDirectory: storage.keysDirectory).list()
            await wiring.close()
            if json {
                printJSON(["keys": listing.map(\.json)])
            } else {
                for entry in listing { print(entry.line) }
            }
        }
    }

    /// `idca keys revoke KID`: stop publishing and trusting a token-signing key at once.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token-signing key: running instances stop publishing, trusting and signing with it within seconds.",
            discussion: "For a compromised key: first `idca keys rotate --emergency` (so that the CA keeps issuing), then revoke the old key, then delete its file on every node.")

        @OptionGroup var storage: StorageOptions
        @Argument(help: "The key id (kid).") var keyID: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let now = wiring.clock.now()
            let revoked = try await wiring.storage.keys.revoke(
                keyID: keyID, at: now,
                audit: AuditEvent(.keyRevoked, time: now, actor: commandLineOperator, outcome: "revoked", object: keyID))
            await wiring.close()
            guard revoked else { throw CommandFailure("no unrevoked token-signing key has the id '\(keyID)'.") }
            if json {
                printJSON(["key_id": keyID, "revoked": true])
            } else {
                print("\(keyID) revoked. Delete its file from every node's key directory.")
            }
        }
    }
}

/// The rotation and listing logic behind the commands, on an open wiring (also used in-process by tests).
struct KeyRotation {
    let wiring: Wiring
    let directory: KeyDirectory

    init(wiring: Wiring, keysDirectory: String) {
        self.wiring = wiring
        self.directory = KeyDirectory(path: keysDirectory)
    }

    struct Rotated {
        var key: ScheduledKey
        var file: String
        var retiring: [String]
        var dropsAt: Int64
    }

    /// Creates, writes and schedules the next token-signing key.
    func rotate(delay: Int64, longestLifetime: Int64) async throws -> Rotated {
        let now = wiring.clock.now()
        // Checked first for a clear message before a file is written; the register checks again
        // atomically, against another operator rotating at the same moment.
        if let pending = try await wiring.storage.keys.signingSchedule().first(where: { [.pending, .next].contains($0.state(at: now)) }) {
            throw Self.refusal(pending)
        }
        let key = TokenSigningKey.generate()
        let file = try directory.writeRotatedSigningKey(key)
        let scheduled = ScheduledKey(keyID: key.keyID, publicKey: key.publicKey.pemRepresentation, createdAt: now, publishedAt: now,
                                     activatesAt: now + delay)
        let dropsAt = KeyRotationPolicy.dropTime(retiredAt: scheduled.activatesAt, longestLifetime: longestLifetime,
                                                 leeway: TokenVerifier.defaultLeewaySeconds)
        let outcome: RotationOutcome
        do {
            outcome = try await wiring.storage.keys.scheduleRotation(
                scheduled, now: now, retiredKeysDropAt: dropsAt,
                audit: AuditEvent(.keyGenerated, time: now, actor: commandLineOperator, outcome: "generated", object: key.keyID,
                                  details: [("file", file), ("activates_at", String(scheduled.activatesAt))]))
        } catch {
            // Never recorded, so never used: the file would only be clutter.
            try? FileManager.default.removeItem(atPath: (directory.path as NSString).appendingPathComponent(file))
            throw error
        }
        switch outcome {
        case .alreadyPending(let pending):
            try? FileManager.default.removeItem(atPath: (directory.path as NSString).appendingPathComponent(file))
            throw Self.refusal(pending)
        case .scheduled(let retiring):
            return Rotated(key: scheduled, file: file, retiring: retiring, dropsAt: dropsAt)
        }
    }

    static func refusal(_ pending: ScheduledKey) -> CommandFailure {
        CommandFailure("""
            a rotation is already pending: key \(pending.keyID) is published and signs from \(RFC3339.string(fromUnixSeconds: pending.activatesAt)). \
            Wait until then, or revoke it (idca keys revoke \(pending.keyID)) and rotate again.
            """)
    }

    /// One key of `idca keys list`.
    struct Entry {
        var purpose: String
        var keyID: String
        var state: String
        var createdAt: Int64
        var schedule: ScheduledKey?
        /// For token-signing keys: whether this node's key directory holds the private key.
        var isHeld: Bool?

        var json: [String: Any] {
            var object: [String: Any] = ["purpose": purpose, "key_id": keyID, "state": state,
                                         "created_at": RFC3339.string(fromUnixSeconds: createdAt)]
            if let schedule {
                object["published_at"] = RFC3339.string(fromUnixSeconds: schedule.publishedAt)
                object["activates_at"] = RFC3339.string(fromUnixSeconds: schedule.activatesAt)
                if let retired = schedule.retiredAt { object["retired_at"] = RFC3339.string(fromUnixSeconds: retired) }
                if let drops = schedule.dropsAt { object["drops_at"] = RFC3339.string(fromUnixSeconds: drops) }
                if let revoked = schedule.revokedAt { object["revoked_at"] = RFC3339.string(fromUnixSeconds: revoked) }
            }
            if let isHeld { object["held_here"] = isHeld }
            return object
        }

        var line: String {
            var parts = [purpose.padding(toLength: 13, withPad: " ", startingAt: 0), keyID, state.padding(toLength: 8, withPad: " ", startingAt: 0)]
            if let schedule {
                parts.append("published \(RFC3339.string(fromUnixSeconds: schedule.publishedAt))")
                parts.append("signs \(RFC3339.string(fromUnixSeconds: schedule.activatesAt))")
                if let retired = schedule.retiredAt { parts.append("retires \(RFC3339.string(fromUnixSeconds: retired))") }
                if let drops = schedule.dropsAt { parts.append("drops \(RFC3339.string(fromUnixSeconds: drops))") }
                if let revoked = schedule.revokedAt { parts.append("revoked \(RFC3339.string(fromUnixSeconds: revoked))") }
            } else {
                parts.append("created \(RFC3339.string(fromUnixSeconds: createdAt))")
            }
            if let isHeld, !isHeld { parts.append("(file missing here)") }
            return parts.joined(separator: "  ")
        }
    }

    /// Every recorded key: token-signing keys with their schedule, then the others (`active` or `revoked`).
    func list() async throws -> [Entry] {
        let now = wiring.clock.now()
        let held = Set(directory.signingKeys().keys.map(\.keyID))
        var entries = try await wiring.storage.keys.signingSchedule().map { key in
            Entry(purpose: "token-signing", keyID: key.keyID, state: key.state(at: now).rawValue, createdAt: key.createdAt, schedule: key,
                  isHeld: held.contains(key.keyID))
        }
        // Enrolling nothing returns every recorded key.
        for key in try await wiring.storage.keys.enroll([]) where key.purpose != "token-signing" {
            entries.append(Entry(purpose: key.purpose, keyID: key.keyID, state: key.isRevoked ? "revoked" : "active", createdAt: key.createdAt))
        }
        return entries
    }
}
