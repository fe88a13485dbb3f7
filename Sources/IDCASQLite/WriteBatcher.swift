import GRDB
import IDCACore
import Synchronization

/// Group commit: concurrent writers queue their work, and one transaction carries a whole batch
/// with a single fsync.
///
/// With `synchronous = FULL` each commit costs a sync of the WAL; alone, that caps the server at a
/// few hundred commits a second. Here the first writer to arrive starts a batch; everything queued
/// while that batch's transaction runs goes into the next one. Each job runs inside its own
/// savepoint, so a job that throws rolls back alone and the rest of its batch still commits. No
/// caller hears of success before the batch's commit (and sync) has returned.
///
/// Jobs can also leave decisions to be counted in the statistics (`Batch.count`): the counts of the
/// jobs that succeeded are added up and each counter row is written once, at the end of the same
/// transaction. Most decisions of a batch fall on the same few counter rows, so this writes a
/// fraction of the rows that counting each decision on its own would.
final class WriteBatcher: Sendable {
    /// What a job can leave for the end of its batch's transaction.
    final class Batch {
        fileprivate(set) var decisions: [DecisionRecord] = []

        /// Counts `decision` in the statistics, if and only if the job succeeds.
        func count(_ decision: DecisionRecord) { decisions.append(decision) }
    }

    typealias Job = @Sendable (Database, Batch) throws -> Void

    private let pool: DatabasePool
    private let queue: GroupCommitQueue<Job>

    init(pool: DatabasePool) {
        self.pool = pool
        queue = GroupCommitQueue(maximumBatch: 512) { jobs in await WriteBatcher.commit(jobs, in: pool) }
    }

    /// Runs `work` in a batched transaction and returns its result once the batch is durable.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database, Batch) throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await queue.submit { db, batch in
            let value = try work(db, batch)
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }

    /// One transaction for the batch; each job in its own savepoint.
    private static func commit(_ jobs: [Job], in pool: DatabasePool) async -> [(any Error)?] {
        do {
            return try await pool.write { db in
                var outcomes: [(any Error)?] = []
                outcomes.reserveCapacity(jobs.count)
                var decisions: [DecisionRecord] = []
                for job in jobs {
                    let batch = Batch()
                    do {
                        try db.inSavepoint {
                            try job(db, batch)
                            return .commit
                        }
                        decisions += batch.decisions
                        outcomes.append(nil)
                    } catch {
                        outcomes.append(error)
                    }
                }
                // If this fails, the whole transaction fails and every job hears of it.
                try SQLiteStatistics.count(decisions, in: db)
                return outcomes
            }
        } catch {
            // The transaction itself failed (disk full, I/O error): nothing in it committed.
            return jobs.map { _ in error }
        }
    }
}
