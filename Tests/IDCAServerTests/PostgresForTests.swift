import Foundation
import IDCAPostgres
import Logging
import PostgresNIO

/// PostgreSQL for the contract suite: a fresh database per test on the server that
/// `IDCA_TEST_POSTGRES_URL` names (Tests/Postgres/with_cluster.sh sets it), dropped afterwards.
enum PostgresForTests {
    static var url: String? { ProcessInfo.processInfo.environment["IDCA_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Whether the PostgreSQL cases run. `IDCA_REQUIRE_POSTGRES=1` without a URL makes them run and
    /// fail, so that a broken `make test` setup cannot pass by leaving PostgreSQL out.
    static var isConfigured: Bool { url != nil || ProcessInfo.processInfo.environment["IDCA_REQUIRE_POSTGRES"] == "1" }

    /// Migrations and the pool log at info; the tests want warnings only.
    static var quietLogger: Logger {
        var logger = Logger(label: "idca.postgres")
        logger.logLevel = .warning
        return logger
    }

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "IDCA_REQUIRE_POSTGRES=1 but IDCA_TEST_POSTGRES_URL is not set: run the tests through `make test`" }
    }

    struct TestDatabase: Sendable {
        let database: PostgresBackend
        let name: String
        let adminURL: String

        /// Closes the connections and drops the database, in the background (test cleanup is synchronous).
        func drop() {
            Task {
                await database.close()
                try? await PostgresForTests.admin(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

    static func makeDatabase() async throws -> TestDatabase {
        guard let url else { throw NotConfigured() }
        let name = "idca_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin(url, "CREATE DATABASE \(name)")
        return TestDatabase(database: try await PostgresBackend(url: urlOfDatabase(name, on: url), logger: quietLogger), name: name, adminURL: url)
    }

    /// `url` with its database replaced by `name`.
    static func urlOfDatabase(_ name: String, on url: String) -> String {
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return components.string!
    }

    /// Runs one statement on the server's maintenance database.
    static func admin(_ url: String, _ sql: String) async throws {
        let location = try PostgresLocation(url: url)
        let client = PostgresClient(configuration: location.configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "idca.tests"))
            group.cancelAll()
        }
    }
}
