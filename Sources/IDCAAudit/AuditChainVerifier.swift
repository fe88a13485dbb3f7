import IDCACore

/// Walks the log in sequence order and finds the first place where it is not what was appended.
///
/// The chain alone catches an entry edited, removed, inserted or moved by someone who did not
/// recompute the hashes after it. Checkpoints catch the rest: whoever can write the database can
/// recompute every hash, but not sign a checkpoint; an entry whose hash differs from a checkpoint
/// of its sequence, or a log shorter than a checkpoint, has been rewritten.
public struct AuditChainVerifier: Sendable {
    /// What is wrong at the first break.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// The entry at this place has another sequence number: entries removed, inserted or moved.
        case sequenceGap(found: Int64)
        /// `prev_hash` is not the previous entry's hash.
        case unlinked
        /// The stored hash is not the hash of the entry's fields: the entry was edited.
        case hashMismatch
        /// The entry's hash differs from a signed checkpoint of the same sequence: the log was rewritten.
        case contradictsCheckpoint
        /// A checkpoint covers entries the log no longer has: the log was truncated.
        case truncated(checkpointSequence: Int64, entries: Int64)
        /// A checkpoint's signature does not verify under the audit key.
        case badCheckpointSignature

        /// A machine-readable name, as `--json` and Tests/Audit/verify_chain.py write it.
        public var code: String {
            switch self {
            case .sequenceGap: "sequence_gap"
            case .unlinked: "unlinked"
            case .hashMismatch: "hash_mismatch"
            case .contradictsCheckpoint: "contradicts_checkpoint"
            case .truncated: "truncated"
            case .badCheckpointSignature: "bad_checkpoint_signature"
            }
        }

        public var description: String {
            switch self {
            case .sequenceGap(let found): "the entry found here has sequence \(found): entries were removed, inserted or reordered"
            case .unlinked: "its prev_hash is not the hash of the entry before it"
            case .hashMismatch: "its hash does not match its contents: the entry was edited"
            case .contradictsCheckpoint: "its hash differs from the signed checkpoint of this sequence: the log was rewritten"
            case .truncated(let sequence, let entries):
                "a signed checkpoint covers \(sequence) entries but the log has only \(entries): entries were removed from the end"
            case .badCheckpointSignature: "the checkpoint's signature does not verify under the audit key"
            }
        }
    }

    /// The first break: the sequence number where the log stops being trustworthy, and why.
    public struct Break: Sendable, Hashable, CustomStringConvertible {
        public var sequence: Int64
        public var problem: Problem
        public var description: String { "entry \(sequence): \(problem)" }

        public init(sequence: Int64, problem: Problem) {
            self.sequence = sequence
            self.problem = problem
        }
    }

    /// What a walk found.
    public struct Report: Sendable, Hashable {
        public var entries: Int64
        public var checkpoints: Int
        public var head: AuditHead
        public var firstBreak: Break?
        public var isIntact: Bool { firstBreak == nil }
    }

    private var expected: AuditHead = .genesis
    private var checkpointHashes: [Int64: String] = [:]
    private var highestCheckpoint: Int64 = 0
    private var checkpointCount = 0
    public private(set) var firstBreak: Break?

    /// A verifier holding `checkpoints` (stored ones and any an auditor brought), each checked
    /// against `key` before the walk.
    public init(checkpoints: [AuditCheckpoint], key: AuditVerificationKey) {
        for checkpoint in checkpoints.sorted(by: { $0.sequence < $1.sequence }) {
            guard key.isValid(checkpoint) else {
                firstBreak = firstBreak ?? Break(sequence: checkpoint.sequence, problem: .badCheckpointSignature)
                continue
            }
            if let known = checkpointHashes[checkpoint.sequence], known != checkpoint.hash {
                // Two validly signed checkpoints disagree: the key signed two histories.
                firstBreak = firstBreak ?? Break(sequence: checkpoint.sequence, problem: .contradictsCheckpoint)
            }
            checkpointHashes[checkpoint.sequence] = checkpoint.hash
            highestCheckpoint = max(highestCheckpoint, checkpoint.sequence)
            checkpointCount += 1
        }
    }

    /// Checks the next entry; returns false once a break has been found (later entries prove nothing).
    @discardableResult
    public mutating func check(_ entry: AuditEntry) -> Bool {
        guard firstBreak == nil else { return false }
        let sequence = expected.sequence + 1
        if entry.sequence != sequence {
            firstBreak = Break(sequence: sequence, problem: .sequenceGap(found: entry.sequence))
        } else if entry.prevHash != expected.hash {
            firstBreak = Break(sequence: sequence, problem: .unlinked)
        } else if AuditChain.expectedHash(of: entry) != entry.hash {
            firstBreak = Break(sequence: sequence, problem: .hashMismatch)
        } else if let signed = checkpointHashes[sequence], signed != entry.hash {
            firstBreak = Break(sequence: sequence, problem: .contradictsCheckpoint)
        }
        guard firstBreak == nil else { return false }
        expected = AuditHead(sequence: entry.sequence, hash: entry.hash)
        return true
    }

    /// The result once every entry has been checked.
    public func finish() -> Report {
        var found = firstBreak
        if found == nil, highestCheckpoint > expected.sequence {
            found = Break(sequence: expected.sequence + 1,
                          problem: .truncated(checkpointSequence: highestCheckpoint, entries: expected.sequence))
        }
        return Report(entries: expected.sequence, checkpoints: checkpointCount, head: expected, firstBreak: found)
    }
}
