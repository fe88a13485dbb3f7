import IDCAAudit
import IDCACore
import Testing

/// The chain and its verifier, on entries in memory: every kind of tampering an auditor must catch.
@Suite("Audit chain")
struct AuditChainTests {
    static let key = AuditSigningKey.generate()

    /// A log of `count` linked entries.
    static func log(_ count: Int) -> [AuditEntry] {
        var head = AuditHead.genesis
        return (1...count).map { index in
            let entry = AuditChain.link(AuditEvent(
                .applicationDecided, time: 1_795_900_000 + Int64(index), actor: .applicant, subject: "ref\(index)",
                outcome: index % 3 == 0 ? "rejected" : "approved", reason: index % 3 == 0 ? "checksum" : "",
                object: "app_\(index)", details: [("subject_type", "individual")]), after: head)
            head = AuditHead(sequence: entry.sequence, hash: entry.hash)
            return entry
        }
    }

    /// Recomputes every hash from `start` on, as someone with write access to the database could.
    static func relinked(_ entries: [AuditEntry], from start: Int = 0) -> [AuditEntry] {
        var entries = entries
        for index in start..<entries.count {
            entries[index].sequence = Int64(index + 1)
            entries[index].prevHash = index == 0 ? AuditHead.genesis.hash : entries[index - 1].hash
            entries[index].hash = AuditChain.expectedHash(of: entries[index])!
        }
        return entries
    }

    static func verify(_ entries: [AuditEntry], checkpoints: [AuditCheckpoint] = [], key: AuditVerificationKey = key.publicKey)
        -> AuditChainVerifier.Report {
        var verifier = AuditChainVerifier(checkpoints: checkpoints, key: key)
        for entry in entries where !verifier.check(entry) { break }
        return verifier.finish()
    }

    static func checkpoint(of entries: [AuditEntry], at sequence: Int) -> AuditCheckpoint {
        key.checkpoint(AuditHead(sequence: Int64(sequence), hash: entries[sequence - 1].hash), time: 1_795_990_000)
    }

    @Test func anUntouchedLogVerifies() {
        let entries = Self.log(20)
        let report = Self.verify(entries, checkpoints: [Self.checkpoint(of: entries, at: 10), Self.checkpoint(of: entries, at: 20)])
        #expect(report.isIntact)
        #expect(report.entries == 20)
        #expect(report.checkpoints == 2)
        #expect(report.head == AuditHead(sequence: 20, hash: entries[19].hash))
        #expect(Self.verify([]).isIntact, "an empty log is intact")
    }

    @Test func theHashCoversEveryField() {
        let entry = Self.log(1)[0]
        let edits: [(String, (inout AuditEntry) -> Void)] = [
            ("time", { $0.time += 1 }), ("type", { $0.type = "token.issued" }), ("actor", { $0.actor = "site:x" }),
            ("subject", { $0.subject = "ref2" }), ("outcome", { $0.outcome = "rejected" }), ("reason", { $0.reason = "x" }),
            ("object", { $0.object = "app_2" }), ("detail", { $0.detail += " x=1" }),
            ("sequence", { $0.sequence = 2 }), ("prev_hash", { $0.prevHash = String(repeating: "1", count: 64) }),
        ]
        for (name, edit) in edits {
            var changed = entry
            edit(&changed)
            #expect(AuditChain.expectedHash(of: changed) != entry.hash, "\(name) is not covered")
        }
        #expect(AuditChain.expectedHash(of: entry) == entry.hash)
    }

    @Test func fieldBoundariesCannotBeShifted() {
        // Moving text from one field into the next must change the hash (the length prefixes).
        var left = Self.log(1)[0]
        left.reason = "ab"
        left.object = "c"
        var right = left
        right.reason = "a"
        right.object = "bc"
        #expect(AuditChain.expectedHash(of: left) != AuditChain.expectedHash(of: right))
    }

    @Test func anEditedEntryIsNamed() {
        var entries = Self.log(10)
        entries[4].reason = "registry_name_mismatch"
        #expect(Self.verify(entries).firstBreak == .init(sequence: 5, problem: .hashMismatch))
    }

    @Test func aDeletedEntryIsNamed() {
        var entries = Self.log(10)
        entries.remove(at: 6)
        #expect(Self.verify(entries).firstBreak == .init(sequence: 7, problem: .sequenceGap(found: 8)))
        // Renumbered to hide the gap, the next entry no longer links.
        for index in 6..<entries.count { entries[index].sequence -= 1 }
        #expect(Self.verify(entries).firstBreak?.sequence == 7)
        #expect(Self.verify(entries).firstBreak?.problem == .unlinked)
    }

    @Test func anInsertedEntryIsNamed() {
        var entries = Self.log(10)
        var forged = entries[2]
        forged.object = "app_forged"
        entries.insert(forged, at: 3)
        for index in 3..<entries.count { entries[index].sequence = Int64(index + 1) }
        let report = Self.verify(entries)
        #expect(report.firstBreak?.sequence == 4)
        #expect(report.firstBreak?.problem == .unlinked)
    }

    @Test func reorderedEntriesAreNamed() {
        var entries = Self.log(10)
        entries.swapAt(3, 4)
        #expect(Self.verify(entries).firstBreak == .init(sequence: 4, problem: .sequenceGap(found: 5)))
        // With their sequence numbers swapped back, the chain no longer links.
        entries[3].sequence = 4
        entries[4].sequence = 5
        #expect(Self.verify(entries).firstBreak == .init(sequence: 4, problem: .unlinked))
    }

    @Test func aRewrittenChainIsCaughtByACheckpoint() {
        let original = Self.log(20)
        let held = Self.checkpoint(of: original, at: 15)
        var edited = original
        edited[9].reason = "checksum"
        let rewritten = Self.relinked(edited, from: 9)
        #expect(Self.verify(rewritten).isIntact, "without a checkpoint a full rewrite is self-consistent")
        #expect(Self.verify(rewritten, checkpoints: [held]).firstBreak == .init(sequence: 15, problem: .contradictsCheckpoint))
        // A checkpoint before the edit proves nothing about it: the chain is intact up to there.
        #expect(Self.verify(rewritten, checkpoints: [Self.checkpoint(of: original, at: 5)]).isIntact)
    }

    @Test func truncationPastAHeldCheckpointIsCaught() {
        let entries = Self.log(20)
        let held = Self.checkpoint(of: entries, at: 18)
        let truncated = Array(entries.prefix(12))
        let report = Self.verify(truncated, checkpoints: [held])
        #expect(report.firstBreak == .init(sequence: 13, problem: .truncated(checkpointSequence: 18, entries: 12)))
        #expect(Self.verify(truncated, checkpoints: [Self.checkpoint(of: entries, at: 12)]).isIntact,
                "cutting only entries after the newest checkpoint is what checkpoints cannot see")
    }

    @Test func forgedOrForeignCheckpointsAreRefused() {
        let entries = Self.log(10)
        var forged = Self.checkpoint(of: entries, at: 10)
        forged.time += 1
        #expect(Self.verify(entries, checkpoints: [forged]).firstBreak == .init(sequence: 10, problem: .badCheckpointSignature))
        let other = AuditSigningKey.generate()
        let foreign = other.checkpoint(AuditHead(sequence: 10, hash: entries[9].hash), time: 1)
        #expect(Self.verify(entries, checkpoints: [foreign]).firstBreak?.problem == .badCheckpointSignature,
                "a checkpoint by another key is not this CA's")
        #expect(Self.verify(entries, checkpoints: [Self.checkpoint(of: entries, at: 10)], key: other.publicKey).firstBreak?.problem
                == .badCheckpointSignature)
    }

    @Test func aDamagedPrevHashIsABreakNotACrash() {
        var entries = Self.log(3)
        entries[1].prevHash = "not hex"
        #expect(Self.verify(entries).firstBreak == .init(sequence: 2, problem: .unlinked))
        entries = Self.log(3)
        entries[0].prevHash = "zz" + String(repeating: "0", count: 62)
        #expect(AuditChain.expectedHash(of: entries[0]) == nil)
    }

    @Test func canonicalBytesAreAsDocumented() {
        // Docs/AUDIT-LOG.md: domain, prev_hash, u64 sequence, i64 time, then seven length-prefixed UTF-8 fields.
        let entry = AuditEntry(sequence: 1, time: 2, type: "t", actor: "a", subject: "", outcome: "o", reason: "", object: "审",
                               detail: "k=v", prevHash: AuditHead.genesis.hash, hash: "")
        var expected = Array("idca-audit-v1".utf8) + [0] + [UInt8](repeating: 0, count: 32)
        expected += [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 2]
        for field in ["t", "a", "", "o", "", "审", "k=v"] {
            expected += [0, 0, 0, UInt8(field.utf8.count)] + Array(field.utf8)
        }
        #expect(AuditChain.canonicalBytes(of: entry, previous: [UInt8](repeating: 0, count: 32)) == expected)
    }
}
