import ArgumentParser
import IDCACore
import IDCAHTTP
import IDCAServices
import IDCATokens
import Logging

/// `idca serve`: the certification authority's HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API (applications, token verification, JWKS, health, metrics).",
        discussion: "Every setting is also read from an IDCA_… environment variable; a flag wins over the environment. See Docs/CONFIGURATION.md.")

    @OptionGroup var storage: StorageOptions
    @OptionGroup var possession: PossessionOptions
    @OptionGroup var budgets: BudgetOptions
    @OptionGroup var connections: ConnectionOptions
    @Option(help: ArgumentHelp("Address to listen on (env IDCA_HOST; default 127.0.0.1).", valueName: "host")) var host: String?
    @Option(help: ArgumentHelp("Port to listen on (env IDCA_PORT; default 8080; 0 picks a free port).", valueName: "port")) var port: Int?
    @Option(help: ArgumentHelp("The iss claim of issued tokens: this CA's public URL (env IDCA_ISSUER; default http://HOST:PORT).", valueName: "url")) var issuer: String?
    @Option(help: ArgumentHelp("Token lifetime in seconds, 60–86400 (env IDCA_TOKEN_LIFETIME; default 3600).", valueName: "seconds")) var tokenLifetime: Int?
    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (env IDCA_LOG_LEVEL; default info).", valueName: "level")) var logLevel: String?
    @Option(help: ArgumentHelp("Sign an audit checkpoint after this many new entries, 1–1000000 (env IDCA_AUDIT_CHECKPOINT_ENTRIES; default 1000).", valueName: "n"))
    var auditCheckpointEntries: Int?
    @Option(help: ArgumentHelp("…or after this many seconds with new entries, 1–86400 (env IDCA_AUDIT_CHECKPOINT_INTERVAL; default 60).", valueName: "seconds"))
    var auditCheckpointInterval: Int?

    /// The settings, read once and checked before anything starts (fail closed on a bad value).
    struct Resolved {
        var host: String
        var port: Int
        var issuer: String
        var tokenLifetime: Int64
        var logLevel: Logger.Level
        var checkpointEntries: Int64
        var checkpointInterval: Int64
    }

    func resolved() throws -> Resolved {
        let host = self.host ?? Environment.value("IDCA_HOST") ?? "127.0.0.1"
        let portText = self.port.map(String.init) ?? Environment.value("IDCA_PORT") ?? "8080"
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("The port must be a number between 0 and 65535, not '\(portText)'.")
        }
        let lifetime = try NumericSetting(name: "token lifetime in seconds", flag: tokenLifetime, environment: "IDCA_TOKEN_LIFETIME",
                                          default: 3600, range: 60...86_400).value()
        let levelText = logLevel ?? Environment.value("IDCA_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("Unknown log level '\(levelText)'.")
        }
        // With port 0 the real port is known only after binding; the issuer must not name port 0.
        let issuer = self.issuer ?? Environment.value("IDCA_ISSUER") ?? (port == 0 ? "http://\(host)" : "http://\(host):\(port)")
        guard issuer.hasPrefix("https://") || issuer.hasPrefix("http://") else {
            throw ValidationError("The issuer must be an http(s) URL, not '\(issuer)'.")
        }
        let entries = try NumericSetting(name: "audit checkpoint entries", flag: auditCheckpointEntries, environment: "IDCA_AUDIT_CHECKPOINT_ENTRIES",
                                         default: 1000, range: 1...1_000_000).value()
        let interval = try NumericSetting(name: "audit checkpoint interval", flag: auditCheckpointInterval,
                                          environment: "IDCA_AUDIT_CHECKPOINT_INTERVAL", default: 60, range: 1...86_400).value()
        return Resolved(host: host, port: port, issuer: issuer, tokenLifetime: lifetime, logLevel: level,
                        checkpointEntries: entries, checkpointInterval: interval)
    }

    func validate() throws {
        _ = try resolved()
    }

    func run() async throws {
        let settings = try resolved()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.logLevel
            return handler
        }
        let logger = Logger(label: "idca")
        let wiring = try await Wiring.open(storage: storage)
        let database = wiring.storage
        let possession = try self.possession.resolved()
        var services = HTTPServices(
            certification: wiring.certificationService(settings: .init(issuerURL: settings.issuer, tokenLifetime: settings.tokenLifetime),
                                                       notifier: possession.notifier(logger: logger), possession: possession.settings,
                                                       budgets: try budgets.resolved()),
            verification: wiring.verificationService(issuerURL: settings.issuer),
            sites: wiring.siteService,
            audit: wiring.auditService,
            auditors: wiring.auditorService,
            statistics: wiring.statisticsService,
            revocations: wiring.revocationService,
            disclosures: wiring.disclosureService,
            impersonation: wiring.impersonationReportService,
            jwks: { wiring.keyRing.jwks },
            isHealthy: wiring.healthCheck(tokenLifetime: settings.tokenLifetime))
        services.auditChainCheck = AuditChainCheck(audit: wiring.auditService, key: wiring.keys.audit.publicKey)
        services.trustedProxies = try budgets.trustedProxies()
        let checkpointer = AuditCheckpointer(
            audit: wiring.auditService, key: wiring.keys.audit, entries: settings.checkpointEntries,
            interval: settings.checkpointInterval, clock: wiring.clock, logger: logger)
        logger.info("starting", metadata: [
            "database": "\(database.location)", "issuer": "\(settings.issuer)",
            "audit_key_id": "\(wiring.keys.audit.keyID)",
        ])
        if database.isPostgres && self.issuer == nil && Environment.value("IDCA_ISSUER") == nil {
            // Tokens name their issuer, and every instance checks it: instances on one database that
            // default to their own http://HOST:PORT would refuse each other's tokens.
            logger.warning("the issuer defaults to this instance's own address; give every instance on a shared database the same --issuer (IDCA_ISSUER), the public URL sites reach")
        }
        var limits = try connections.resolved()
        let allowed = fitConnectionsToDescriptorLimit(limits.maximumConnections)
        if allowed < limits.maximumConnections {
            logger.warning("the open-file limit (ulimit -n) allows fewer connections than --max-connections; using the lower figure",
                           metadata: ["max_connections": "\(allowed)"])
            limits.maximumConnections = allowed
        }
        let application = buildApplication(
            services: services, settings: ServerSettings(host: settings.host, port: settings.port, limits: limits), logger: logger,
            additionalServices: [checkpointer, wiring.signingKeyRefresher(keysDirectory: storage.keysDirectory, tokenLifetime: settings.tokenLifetime, logger: logger)],
            onServerRunning: { port in logger.info("listening", metadata: ["address": "\(settings.host):\(port)"]) })
        // SIGTERM and SIGINT drain in-flight requests; then the database is closed cleanly.
        do {
            try await application.runService()
        } catch {
            await database.close()
            let reason = "\(error)".contains("Address already in use") ? "the address is already in use" : "\(error)"
            throw CommandFailure("cannot serve on \(settings.host):\(settings.port): \(reason). Choose another --port (or IDCA_PORT, or make run PORT=…).")
        }
        // Every request has drained: sign the final head, so that the log as it stands at shutdown is
        // covered by a checkpoint.
        // If the database cannot take it (a full disk, PostgreSQL gone), the entries stay unsigned until
        // the next start's checkpointer signs them: nothing is lost, but the exit status says so.
        let finalCheckpoint: Result<AuditCheckpoint?, any Error>
        do {
            finalCheckpoint = .success(try await wiring.auditService.checkpoint(with: wiring.keys.audit))
        } catch {
            finalCheckpoint = .failure(error)
        }
        await database.close()
        switch finalCheckpoint {
        case .success(let checkpoint?):
            logger.info("audit checkpoint", metadata: ["sequence": "\(checkpoint.sequence)", "hash": "\(checkpoint.hash)"])
        case .success(nil):
            break
        case .failure(let error):
            logger.error("the final audit checkpoint was not written; the next start signs the head", metadata: ["error": "\(error)"])
            throw CommandFailure("stopped without the final audit checkpoint: \(error)")
        }
        logger.info("stopped")
    }
}
