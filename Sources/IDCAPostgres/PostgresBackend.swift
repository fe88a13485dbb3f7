import Foundation
import IDCACore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A PostgreSQL database shared by any number of idca instances.
///
/// Every session runs with `synchronous_commit = on`, whatever the server's default: a commit is on
/// the server's disk before the service acknowledges the decision or redemption it carries (with it
/// off, a kill measured when this backend was specified lost 146 of 60,899 acknowledged commits:
/// tokens redeemable twice, audit entries gone). Throughput comes
/// from grouping concurrent writes into one transaction (`PostgresWriteBatcher`) and from a sized
/// connection pool, never from a weaker sync.
public final class PostgresBackend: Sendable {
    let client: PostgresClient
    let logger: Logger
    let batcher: PostgresWriteBatcher
    private let running: Task<Void, Never>
    /// Where the database is, without the password: for logs and messages.
    public let displayLocation: String
    /// Sites recently found by API key hash (`PostgresSiteDirectory`).
    let siteCredentials = SiteCredentialCache()

    /// Connects, and (unless `readingOnly`) brings the schema up to date under an advisory lock, so
    /// that instances starting together never both migrate. `readingOnly` sessions can write
    /// nothing (`default_transaction_read_only`) and run no migration; they throw
    /// `OutOfDateSchema` when the schema lacks `requiredMigration`. With `requiringSchema` (implied
    /// by `readingOnly`), a database without any idca schema throws `NoSchema` instead of being set up.
    public init(url: String, readingOnly: Bool = false, requiringSchema: Bool = false, requiredMigration: String = "0002_audit_statistics",
                logger: Logger = Logger(label: "idca.postgres")) async throws {
        let location = try PostgresLocation(url: url)
        // One plain connection first: its failure says what is wrong (refused, no such database, a
        // bad password), where the pool would only report that it gave up.
        do {
            let probe = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: location.connectionConfiguration, id: 0, logger: logger).get()
            try? await probe.close()
        } catch {
            throw Unreachable(location: location.display, reason: PostgresBackend.describe(error))
        }
        var configuration = location.configuration
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", "on"),
            ("application_name", "idca"),
            ("default_transaction_read_only", readingOnly ? "on" : "off"),
        ]
        configuration.options.maximumConnections = location.poolSize
        configuration.options.minimumConnections = min(2, location.poolSize - 1)
        // The pool's own chatter (a lease requested a moment before `run` starts, say) stays out of
        // the operator's output; every failure that matters reaches the caller as an error.
        var backgroundLogger = logger
        backgroundLogger.logLevel = .error
        let client = PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
        self.client = client
        self.logger = logger
        self.displayLocation = location.display
        self.batcher = PostgresWriteBatcher(client: client, logger: logger)
        running = Task { await client.run() }
        do {
            if readingOnly || requiringSchema {
                let applied = try await PostgresMigrations.applied(client, logger: logger)
                if applied.isEmpty { throw NoSchema(location: location.display) }
                if readingOnly && !applied.contains(requiredMigration) { throw OutOfDateSchema(migration: requiredMigration) }
            }
            if !readingOnly {
                try await PostgresMigrations.migrate(client, logger: logger)
            }
        } catch {
            running.cancel()
            await running.value
            throw error
        }
    }

    /// The server could not be reached or refused the connection.
    public struct Unreachable: Error, CustomStringConvertible {
        public let location: String
        public let reason: String
        public var description: String { "cannot connect to \(location): \(reason)" }
    }

    /// A database opened for reading that holds no idca schema at all.
    public struct NoSchema: Error, CustomStringConvertible {
        public let location: String
        public var description: String { "there is no idca database at \(location) (check --database or IDCA_DATABASE)" }
    }

    /// What went wrong, for an operator: the server's message and SQLSTATE, or the network's error.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            return (info[.message] ?? "the server refused") + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(describing: error.code)
    }

    /// A database opened for reading whose schema is older than what the reader needs.
    public struct OutOfDateSchema: Error, CustomStringConvertible {
        public let migration: String
        public var description: String {
            "the database's schema predates \(migration); any idca command that writes (idca serve, for one) upgrades it"
        }
    }

    /// Closes every connection; queries after this fail.
    public func close() async {
        running.cancel()
        await running.value
    }

    /// Whether the database answers queries: used by the health check.
    public func isHealthy() async -> Bool {
        let client = client, logger = logger
        return (try? await Self.withinDeadline {
            for try await value in try await client.query("SELECT 1", logger: logger).decode(Int32.self) { return value == 1 }
            return false
        }) == true
    }

    /// A read whose failures reach callers as `IDCAError.storage` (503), not as a bare 500, within
    /// `operationDeadline`.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = client
        return try await Self.storageFailures { try await Self.withinDeadline { try await body(client) } }
    }

    /// A batched, synced write, with failures mapped like `read`; the batch's transaction is bounded
    /// by the same deadline (`PostgresWriteBatcher`).
    func write<T: Sendable>(_ body: @escaping PostgresWriteBatcher.Job<T>) async throws -> T {
        try await Self.storageFailures { try await batcher.write(body) }
    }

    private static func storageFailures<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as PSQLError {
            throw IDCAError.storage(error)
        } catch let error as IDCAError {
            throw error
        } catch {
            // The pool's own failures (its circuit breaker, a cancelled lease) and the deadline.
            throw IDCAError.storage(pool: error)
        }
    }

    /// How long one read, or one write batch's transaction, may take before the caller is answered
    /// `503 storage_unavailable`. While PostgreSQL is unreachable the pool queues every request for a
    /// connection until its circuit breaker opens, a minute later; without this bound each request
    /// would hang that long (Docs/RELIABILITY.md, "Database outage"). Far above what any one query
    /// takes here: the reads are indexed, and a batch holds at most 512 jobs.
    static let operationDeadline: Duration = .seconds(10)

    /// Runs `operation`, answering `DeadlinePassed` when `operationDeadline` passes first. The
    /// operation is then cancelled but not waited for: a lease waiting in the pool's queue ends at
    /// once, but a query on a connection that died without a word from the network can wait on its
    /// socket far longer, and a structured task group would wait with it (seen: a write batch stuck
    /// past PostgreSQL's return, and every later write queued behind it).
    static func withinDeadline<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let race = DeadlineRace(continuation)
            let work = Task {
                do { _ = race.finish(.success(try await operation())) } catch { _ = race.finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: operationDeadline)
                if race.finish(.failure(DeadlinePassed())) { work.cancel() }
            }
        }
    }

    /// The continuation of `withinDeadline`, resumed once by whichever side finishes first.
    final class DeadlineRace<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<T, any Error>?>

        init(_ continuation: CheckedContinuation<T, any Error>) {
            self.continuation = Mutex(continuation)
        }

        /// Whether this call was the first, and so answered.
        func finish(_ result: Result<T, any Error>) -> Bool {
            guard let continuation = continuation.withLock({ $0.take() }) else { return false }
            continuation.resume(with: result)
            return true
        }
    }

    struct DeadlinePassed: Error, CustomStringConvertible {
        var description: String { "no answer from PostgreSQL within \(operationDeadline)" }
    }

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }
}

/// A `postgres://` URL as libpq reads it: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
/// the query parameters `sslmode` (`disable`, `prefer` — the default — or `require`), `host` (a
/// directory holding the server's Unix socket, which replaces the URL's host) and `pool_size`
/// (connections per instance, 1–200, default 16).
public struct PostgresLocation: Sendable {
    public var configuration: PostgresClient.Configuration
    /// The same, for a single connection.
    public var connectionConfiguration: PostgresConnection.Configuration
    public var poolSize: Int
    public var display: String

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(url: String) throws {
        guard PostgresBackend.isURL(url), let components = URLComponents(string: url) else {
            throw Invalid(description: "not a postgres:// URL")
        }
        let username = components.user?.removingPercentEncoding ?? "postgres"
        let password = components.password?.removingPercentEncoding
        let database = String(components.path.drop(while: { $0 == "/" })).removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["sslmode", "host", "pool_size"].contains(item.name) else {
                throw Invalid(description: "unknown URL parameter '\(item.name)' (known: sslmode, host, pool_size)")
            }
            parameters[item.name] = item.value ?? ""
        }
        let port = components.port ?? 5432
        poolSize = 16
        if let text = parameters["pool_size"] {
            guard let size = Int(text), (1...200).contains(size) else {
                throw Invalid(description: "pool_size must be a whole number from 1 to 200, not '\(text)'")
            }
            poolSize = size
        }
        if let socketDirectory = parameters["host"], socketDirectory.hasPrefix("/") {
            configuration = .init(unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: username, password: password,
                                  database: database)
            connectionConfiguration = .init(unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: username, password: password,
                                            database: database)
            display = "postgres://\(username)@[\(socketDirectory)]:\(port)/\(database ?? username)"
            return
        }
        let tls: PostgresClient.Configuration.TLS
        let connectionTLS: PostgresConnection.Configuration.TLS
        do {
            switch parameters["sslmode"] ?? "prefer" {
            case "disable":
                (tls, connectionTLS) = (.disable, .disable)
            case "prefer":
                (tls, connectionTLS) = (.prefer(.makeClientConfiguration()), .prefer(try NIOSSLContext(configuration: .makeClientConfiguration())))
            case "require":
                (tls, connectionTLS) = (.require(.makeClientConfiguration()), .require(try NIOSSLContext(configuration: .makeClientConfiguration())))
            case let other:
                throw Invalid(description: "sslmode must be disable, prefer or require, not '\(other)'")
            }
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(description: "cannot set up TLS: \(error)")
        }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        connectionConfiguration = .init(host: host, port: port, username: username, password: password, database: database, tls: connectionTLS)
        display = "postgres://\(username)@\(host):\(port)/\(database ?? username)"
    }
}

extension IDCAError {
    /// A storage failure: internal detail for the log, nothing for the client.
    static func storage(_ error: PSQLError) -> IDCAError {
        .storageUnavailable(detail: "PostgreSQL: \(error.code)" + (error.serverInfo?[.sqlState].map { " \($0)" } ?? ""))
    }

    /// A failure before any query ran: no connection within the deadline, or the pool refusing.
    static func storage(pool error: any Error) -> IDCAError {
        .storageUnavailable(detail: "PostgreSQL pool: \(error)")
    }
}
