import Synchronization

/// The queue behind group commit, shared by the storage backends: concurrent writers submit jobs,
/// and one transaction — one synced commit — carries a whole batch of them.
///
/// The first job to arrive starts a drain; everything submitted while a batch commits goes into
/// the next one (at most `maximumBatch`, so that a burst cannot hold the write lock for long). No
/// submitter hears of success before its batch's `commit` has returned and reported success for
/// its job: that is what lets the services acknowledge a decision or a redemption.
public final class GroupCommitQueue<Job: Sendable>: Sendable {
    /// Commits a batch; returns one outcome per job, in order (nil: committed).
    public typealias Commit = @Sendable (_ jobs: [Job]) async -> [(any Error)?]

    private typealias Entry = (job: Job, done: CheckedContinuation<Void, any Error>)

    private struct Pending {
        var entries: [Entry] = []
        var isDraining = false
    }

    private let pending = Mutex(Pending())
    private let maximumBatch: Int
    private let commit: Commit

    public init(maximumBatch: Int, commit: @escaping Commit) {
        self.maximumBatch = maximumBatch
        self.commit = commit
    }

    /// Returns once `job` has committed with its batch, or throws what its commit reported.
    public func submit(_ job: Job) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startsDraining = pending.withLock { state -> Bool in
                state.entries.append((job, continuation))
                if state.isDraining { return false }
                state.isDraining = true
                return true
            }
            if startsDraining {
                Task.detached { await self.drain() }
            }
        }
    }

    private func drain() async {
        while true {
            let batch = pending.withLock { state -> [Entry] in
                let taken = Array(state.entries.prefix(maximumBatch))
                state.entries.removeFirst(taken.count)
                if taken.isEmpty { state.isDraining = false }
                return taken
            }
            if batch.isEmpty { return }
            let outcomes = await commit(batch.map(\.job))
            for (index, entry) in batch.enumerated() {
                if index < outcomes.count, let failure = outcomes[index] {
                    entry.done.resume(throwing: failure)
                } else if index < outcomes.count {
                    entry.done.resume()
                } else {
                    entry.done.resume(throwing: MissingOutcome())
                }
            }
        }
    }

    /// A commit that reported fewer outcomes than jobs: those jobs fail rather than hang.
    struct MissingOutcome: Error {}
}
