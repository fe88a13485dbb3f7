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

    private struct Pending {
        var jobs: [(job: Job, done: CheckedContinuation<Void, any Error>)] = []
        var isDraining = false
    }

    private let pool: DatabasePool
    private let pending = Mutex(Pending())
    /// Bounds one transaction so that a burst cannot hold the write lock for long.
    private let maximumBatch = 512

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `work` in a batched transaction and returns its result once the batch is durable.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database, Batch) throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let job: Job = { db, batch in
                let value = try work(db, batch)
                result.withLock { $0 = value }
            }
            let startsDraining = pending.withLock { state -> Bool in
                state.jobs.append((job, continuation))
                if state.isDraining { return false }
                state.isDraining = true
                return true
            }
            if startsDraining {
                Task.detached { await self.drain() }
            }
        }
        return result.withLock { $0! }
    }

    private func drain() async {
        while true {
            let batch = pending.withLock { state -> [(job: Job, done: CheckedContinuation<Void, any Error>)] in
                let taken = Array(state.jobs.prefix(maximumBatch))
                state.jobs.removeFirst(taken.count)
                if taken.isEmpty { state.isDraining = false }
                return taken
            }
            if batch.isEmpty { return }
            let jobs = batch.map(\.job)
            let outcomes: [(any Error)?]
            do {
                outcomes = try await pool.write { db in
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
                for entry in batch { entry.done.resume(throwing: error) }
                continue
            }
            for (entry, outcome) in zip(batch, outcomes) {
                if let outcome { entry.done.resume(throwing: outcome) } else { entry.done.resume() }
            }
        }
    }
}
