import IDCACore
import Logging
import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL: concurrent writers queue their work, and one transaction — one
/// synced commit — carries a whole batch.
///
/// Every write that changes state also appends to the audit chain, and the chain must stay one
/// linear chain across instances; so each batch's transaction first takes the chain lock (a
/// transaction-level advisory lock), which serializes the batches of all instances. Holding it from
/// the start means that two batches never hold row locks at once, so they cannot deadlock (two
/// instances redeeming the same subjects in different orders otherwise wait a second for
/// PostgreSQL's deadlock detector).
///
/// Since the batches take turns, a batch must be short: the hot writes — decisions, tokens and
/// redemptions — are not run one statement per job but left to the batch (`Batch`), which writes
/// each kind with one set-based statement at the end. A batch of any size is then about ten round
/// trips: lock, redemptions, applications, tokens, audit head and entries, counters, commit.
///
/// A job that fails (or a set statement the server refuses) rolls the batch back; the jobs are then
/// run again one per transaction, so that the failure stays with its own job. Deadlocks and
/// serialization failures, which PostgreSQL resolves by aborting one side, are retried. No caller
/// hears of success before its transaction's COMMIT has returned (`GroupCommitQueue`).
final class PostgresWriteBatcher: Sendable {
    /// What a job leaves for the end of its batch's transaction.
    final class Batch: @unchecked Sendable {
        fileprivate(set) var audit: [AuditEvent] = []
        fileprivate(set) var decisions: [DecisionRecord] = []
        fileprivate(set) var issued: [(token: IssuedToken, application: ApplicationID, audit: [AuditEvent])] = []
        fileprivate(set) var redemptions: [PendingRedemption] = []

        /// Links `events` into the chain, at the end of this transaction.
        func append(_ events: [AuditEvent]) { audit += events }
        /// Records `decision` (its application row, its counters and `events`).
        func record(_ decision: DecisionRecord, audit events: [AuditEvent]) {
            decisions.append(decision)
            audit += events
        }
        /// Records a token issued for an approved application that has none yet.
        func recordIssued(_ token: IssuedToken, for application: ApplicationID, audit events: [AuditEvent]) {
            issued.append((token, application, events))
        }
        /// Redeems at the end of the transaction; the outcome is read once the batch has committed.
        func redeem(_ redemption: Redemption, pseudonym: @escaping @Sendable (String) -> String,
                    audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) -> PendingRedemption {
            let pending = PendingRedemption(redemption: redemption, pseudonym: pseudonym, audit: audit)
            redemptions.append(pending)
            return pending
        }
    }

    /// A redemption decided at the end of its batch.
    final class PendingRedemption: @unchecked Sendable {
        let redemption: Redemption
        let pseudonym: @Sendable (String) -> String
        let audit: @Sendable (RedemptionOutcome) -> AuditEvent
        fileprivate(set) var outcome: RedemptionOutcome?

        init(redemption: Redemption, pseudonym: @escaping @Sendable (String) -> String,
             audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) {
            self.redemption = redemption
            self.pseudonym = pseudonym
            self.audit = audit
        }
    }

    typealias Job<T> = @Sendable (PostgresConnection, Batch) async throws -> T

    /// A job's own failure, told apart from the transaction's.
    private struct JobFailure: Error {
        var underlying: any Error
    }

    /// Label ids known to be committed (`statistics_labels` rows are never changed or removed).
    final class Labels: Sendable {
        let ids = Mutex<[String: Int64]>([:])
    }

    private let queue: GroupCommitQueue<Job<Void>>

    init(client: PostgresClient, logger: Logger) {
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
                let learned = try await PostgresBackend.withinDeadline { try await client.withConnection { connection in
                    try await connection.transaction(logger: logger) { connection in
                        try await PostgresAuditLog.lockChain(connection, logger: logger)
                        let batch = Batch()
                        for job in jobs {
                            do {
                                try await job(connection, batch)
                            } catch let error as PSQLError where error.isTransient || error.serverInfo == nil {
                                throw error
                            } catch {
                                throw JobFailure(underlying: error)
                            }
                        }
                        do {
                            return try await flush(batch, on: connection, known: labels.ids.withLock { $0 }, logger: logger)
                        } catch let error as PSQLError where error.isTransient || error.serverInfo == nil {
                            throw error
                        } catch {
                            // A set statement refused (a duplicate id, a token for an application that
                            // is not approved): the jobs run again one by one to find whose it was.
                            throw JobFailure(underlying: error)
                        }
                    }
                } }
                if !learned.isEmpty { labels.ids.withLock { $0.merge(learned) { old, _ in old } } }
                return
            } catch let error as PSQLError where error.isTransient && attempt < maximumAttempts {
                logger.notice("retrying a write batch", metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")", "attempt": "\(attempt)"])
                attempt += 1
            }
        }
    }
}

extension PostgresWriteBatcher {
    /// Writes what the batch's jobs left, one statement per kind, in the transaction that holds the
    /// chain lock; returns the statistics labels it learned.
    fileprivate static func flush(_ batch: Batch, on connection: PostgresConnection, known: [String: Int64],
                                  logger: Logger) async throws -> [String: Int64] {
        if !batch.redemptions.isEmpty {
            let outcomes = try await PostgresTokenLedger.redeem(batch.redemptions.map(\.redemption), on: connection, logger: logger)
            var named: [(site: String, subject: String, pseudonym: String, type: String, certifiedAt: Int64)] = []
            for (pending, outcome) in zip(batch.redemptions, outcomes) {
                pending.outcome = outcome
                batch.append([pending.audit(outcome)])
                if case .redeemed(let token, _) = outcome {
                    named.append((pending.redemption.site.rawValue, token.subjectReference, pending.pseudonym(token.subjectReference),
                                  token.subjectType.rawValue, token.issuedAt))
                }
            }
            if !named.isEmpty {
                _ = try await connection.run(SQL.NameAccounts.self, logger: logger) { bindings in
                    bindings.append(named.map(\.site))
                    bindings.append(named.map(\.subject))
                    bindings.append(named.map(\.pseudonym))
                    bindings.append(named.map(\.type))
                    bindings.append(named.map(\.certifiedAt))
                }
            }
        }
        if !batch.decisions.isEmpty {
            try await PostgresDecisionLedger.insert(batch.decisions, on: connection, logger: logger)
        }
        if !batch.issued.isEmpty {
            try await PostgresDecisionLedger.insert(batch.issued.map { ($0.token, $0.application) }, on: connection, logger: logger)
            for entry in batch.issued { batch.append(entry.audit) }
        }
        try await PostgresAuditLog.append(batch.audit, on: connection, logger: logger)
        return try await PostgresStatistics.count(batch.decisions, on: connection, known: known, logger: logger)
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
