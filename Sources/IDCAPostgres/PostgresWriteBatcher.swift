import IDCACore
import Logging
import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL: concurrent writers queue their work, and one transaction — one
/// synced commit — carries a whole batch.
///
/// Every write that changes state also appends to the audit chain and most count decisions, and
/// both must serialize across instances (one linear chain; exact counters). So jobs only do their
/// own rows and leave their audit events and decisions to the batch (`Batch`); at the end of the
/// transaction the batch takes the chain lock, links every event after the head, adds up the
/// counters and commits. The lock is held for that end phase and the commit only, and one lock
/// covers a whole batch, so two instances take turns per batch, not per request.
///
/// A job that throws (or any failure inside a job) rolls the batch back; the jobs are then run
/// again one per transaction, so that the failure stays with its own job. Deadlocks and
/// serialization failures, which PostgreSQL resolves by aborting one side, are retried. No caller
/// hears of success before its transaction's COMMIT has returned (`GroupCommitQueue`).
final class PostgresWriteBatcher: Sendable {
    /// What a job leaves for the end of its batch's transaction.
    final class Batch: @unchecked Sendable {
        fileprivate(set) var audit: [AuditEvent] = []
        fileprivate(set) var decisions: [DecisionRecord] = []

        /// Links `events` into the chain, at the end of this transaction.
        func append(_ events: [AuditEvent]) { audit += events }
        /// Counts `decision` in the statistics, at the end of this transaction.
        func count(_ decision: DecisionRecord) { decisions.append(decision) }
    }

    typealias Job<T> = @Sendable (PostgresConnection, Batch) async throws -> T

    /// A job's own failure, told apart from the transaction's.
    private struct JobFailure: Error {
        var underlying: any Error
    }

    private let client: PostgresClient
    private let logger: Logger
    private let queue: GroupCommitQueue<Job<Void>>
    /// Label ids known to be committed (`statistics_labels` rows are never changed or removed).
    final class Labels: Sendable {
        let ids = Mutex<[String: Int64]>([:])
    }
    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        let labels = Labels()
        // Bounded so that a burst cannot hold the chain lock for long.
        queue = GroupCommitQueue(maximumBatch: 512) { jobs in
            await PostgresWriteBatcher.commitBatch(jobs, client: client, labels: labels, logger: logger)
        }
    }

    /// Runs `work` in a batched transaction and returns its result once that transaction has committed.
    func write<T: Sendable>(_ work: @escaping Job<T>) async throws -> T {
        let result = Mutex<T?>(nil)
        try await queue.submit { connection, batch in
            let value = try await work(connection, batch)
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }

    /// The whole batch in one transaction; if a job fails, each job again in its own.
    private static func commitBatch(_ jobs: [Job<Void>], client: PostgresClient, labels: Labels,
                                    logger: Logger) async -> [(any Error)?] {
        func outcome(_ jobs: [Job<Void>]) async -> (any Error)? {
            do {
                try await commit(jobs, client: client, labels: labels, logger: logger)
                return nil
            } catch let failure as JobFailure {
                return failure
            } catch {
                return error
            }
        }
        switch await outcome(jobs) {
        case nil:
            return jobs.map { _ in nil }
        case let failure as JobFailure where jobs.count == 1:
            return [failure.underlying]
        case is JobFailure:
            var outcomes: [(any Error)?] = []
            for job in jobs {
                let result = await outcome([job])
                outcomes.append((result as? JobFailure)?.underlying ?? result)
            }
            return outcomes
        case let failure?:
            // The transaction itself failed (connection lost, disk full): every job hears of it.
            return jobs.map { _ in failure }
        }
    }

    /// One transaction for `jobs`, retried while PostgreSQL reports a deadlock or a serialization failure.
    private static func commit(_ jobs: [Job<Void>], client: PostgresClient, labels: Labels, logger: Logger) async throws {
        let maximumAttempts = 5
        var attempt = 1
        while true {
            do {
                let learned = try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        let batch = Batch()
                        for job in jobs {
                            do {
                                try await job(connection, batch)
                            } catch let error as PSQLError where error.isTransient {
                                throw error
                            } catch {
                                throw JobFailure(underlying: error)
                            }
                        }
                        if !batch.audit.isEmpty || !batch.decisions.isEmpty {
                            try await PostgresAuditLog.lockChain(connection, logger: logger)
                        }
                        try await PostgresAuditLog.append(batch.audit, on: connection, logger: logger)
                        let learned = try await PostgresStatistics.count(batch.decisions, on: connection, known: labels.ids.withLock { $0 },
                                                                         logger: logger)
                        try await connection.query("COMMIT", logger: logger)
                        return learned
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
                if !learned.isEmpty { labels.ids.withLock { $0.merge(learned) { old, _ in old } } }
                return
            } catch let error as PSQLError where error.isTransient && attempt < maximumAttempts {
                logger.notice("retrying a write batch", metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")", "attempt": "\(attempt)"])
                attempt += 1
            }
        }
    }
}

extension PSQLError {
    /// A deadlock or serialization failure: PostgreSQL aborted this transaction so another could go
    /// on, and running it again is the documented remedy.
    var isTransient: Bool {
        guard let state = serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }
}
