import Foundation
import Testing

/// `idca audit`, `idca auditors`, `idca stats export` and `idca demo traffic`, run as the operator
/// runs them, on a small demo CA.
@Suite("Audit and statistics commands", .serialized)
struct AuditCommandTests {
    /// A demo CA in a temporary directory, with the options every command needs.
    struct DemoCA {
        let directory: String
        var storage: [String] { ["--database", directory + "/idca.sqlite", "--keys", directory + "/keys"] }

        init(traffic: Int = 300) throws {
            directory = NSTemporaryDirectory() + "idca-audit-cli-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let keys = try Idca.run(["keys", "generate", "--database", directory + "/idca.sqlite", "--keys", directory + "/keys"])
            try #require(keys.status == 0, "\(keys)")
            let seeded = try Idca.run(["demo", "seed", "--residents", "1000", "--organizations", "100", "--traffic", String(traffic),
                                       "--output", directory + "/demo", "--database", directory + "/idca.sqlite", "--keys", directory + "/keys"],
                                      timeout: 120)
            try #require(seeded.status == 0, "\(seeded)")
        }

        func idca(_ arguments: [String]) throws -> Idca.Run {
            try Idca.run(arguments + storage, timeout: 120)
        }

        /// Runs SQL on the database with the sqlite3 shell, as someone with the file could; returns its status.
        @discardableResult
        func sqlite(_ sql: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [directory + "/idca.sqlite", sql]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }

        func tamper(_ sql: String) throws {
            let status = try sqlite(sql)
            try #require(status == 0, "sqlite3 \(sql)")
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func json(_ run: Idca.Run) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(run.stdout))) as? [String: Any] ?? [:]
    }

    @Test func anIntactLogVerifiesAndAnEditIsNamed() throws {
        let ca = try DemoCA()
        defer { ca.remove() }
        let intact = try ca.idca(["audit", "verify"])
        #expect(intact.status == 0, "\(intact)")
        #expect(intact.output.hasPrefix("The audit log is intact: "))

        let held = ca.directory + "/held.json"
        let checkpoint = try ca.idca(["audit", "checkpoint", "--output", held, "--json"])
        #expect(checkpoint.status == 0, "\(checkpoint)")
        let signed = Self.json(checkpoint)
        let sequence = try #require(signed["sequence"] as? Int)
        #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: held))) as? NSDictionary == signed as NSDictionary)

        // The schema refuses the edit; someone with the file drops the trigger first.
        #expect(try ca.sqlite("UPDATE audit_log SET reason = 'checksum' WHERE seq = 20") != 0)
        try ca.tamper("DROP TRIGGER audit_log_append_only_update; UPDATE audit_log SET reason = 'checksum' WHERE seq = 20")
        let broken = try ca.idca(["audit", "verify"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("BROKEN at entry 20"), "\(broken)")
        let report = Self.json(try ca.idca(["audit", "verify", "--json"]))
        #expect(report["intact"] as? Bool == false)
        #expect((report["first_break"] as? [String: Any])?["sequence"] as? Int == 20)
        #expect((report["first_break"] as? [String: Any])?["problem"] as? String == "hash_mismatch")
        #expect(sequence > 20)
    }

    @Test func truncationPastAHeldCheckpointIsCaught() throws {
        let ca = try DemoCA()
        defer { ca.remove() }
        let held = ca.directory + "/held.json"
        #expect(try ca.idca(["audit", "checkpoint", "--output", held]).status == 0)
        let sequence = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: held))) as? [String: Any])["sequence"] as! Int
        // Cut the log back and remove the stored checkpoints too: only the held file remembers.
        try ca.tamper("""
            DROP TRIGGER audit_log_append_only_delete; DROP TRIGGER audit_checkpoints_append_only_delete;
            DELETE FROM audit_log WHERE seq > \(sequence - 10); DELETE FROM audit_checkpoints;
            """)
        #expect(try ca.idca(["audit", "verify"]).status == 0, "without the held checkpoint the shorter log looks whole")
        let caught = try ca.idca(["audit", "verify", "--checkpoint", held, "--json"])
        #expect(caught.status == 1)
        let report = Self.json(caught)
        #expect((report["first_break"] as? [String: Any])?["sequence"] as? Int == sequence - 9)
        #expect(((report["first_break"] as? [String: Any])?["message"] as? String)?.contains("removed from the end") == true)
    }

    @Test func checkpointsNeedTheRightKeyAndAWellFormedFile() throws {
        let ca = try DemoCA(traffic: 20)
        defer { ca.remove() }
        let held = ca.directory + "/held.json"
        #expect(try ca.idca(["audit", "checkpoint", "--output", held]).status == 0)
        var forged = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: held))) as? [String: Any])
        forged["time"] = (forged["time"] as! Int) + 1
        try JSONSerialization.data(withJSONObject: forged).write(to: URL(fileURLWithPath: ca.directory + "/forged.json"))
        let refused = try ca.idca(["audit", "verify", "--checkpoint", ca.directory + "/forged.json"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("signature does not verify"), "\(refused)")

        try "not json".write(toFile: ca.directory + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try ca.idca(["audit", "verify", "--checkpoint", ca.directory + "/bad.json"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("cannot read the checkpoint file"))

        // An auditor with only the public key checks the same log.
        let publicKey = ca.directory + "/audit.pub.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["pkey", "-in", ca.directory + "/keys/audit-signing.pem", "-pubout", "-out", publicKey]
        try openssl.run()
        openssl.waitUntilExit()
        #expect(try ca.idca(["audit", "verify", "--public-key", publicKey, "--checkpoint", held]).status == 0)
        let tokenKey = ca.directory + "/token.pub.pem"
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        other.arguments = ["pkey", "-in", ca.directory + "/keys/token-signing.pem", "-pubout", "-out", tokenKey]
        try other.run()
        other.waitUntilExit()
        #expect(try ca.idca(["audit", "verify", "--public-key", tokenKey]).status == 1, "the token key does not sign checkpoints")
    }

    @Test func auditorsAreAddedOnceAndListed() throws {
        let ca = try DemoCA(traffic: 0)
        defer { ca.remove() }
        let added = try ca.idca(["auditors", "add", "--name", "审计员 甲", "--json"])
        #expect(added.status == 0)
        let object = Self.json(added)
        #expect(Set(object.keys) == ["auditor_id", "api_key"])
        #expect((object["auditor_id"] as? String)?.hasPrefix("aud_") == true)
        #expect((object["api_key"] as? String)?.count == 60)
        let listed = Self.json(try ca.idca(["auditors", "list", "--json"]))
        let auditors = try #require(listed["auditors"] as? [[String: Any]])
        #expect(auditors.map { $0["name"] as? String } == ["审计员 甲"])
        #expect(!String(decoding: try ca.idca(["auditors", "list", "--json"]).stdout, as: UTF8.self).contains("idca_ak_"), "keys are shown once")
        let empty = try ca.idca(["auditors", "add", "--name", "  "])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("auditor_name_invalid"))
    }

    @Test func statsExportMatchesTheDemoTraffic() throws {
        let ca = try DemoCA(traffic: 0)
        defer { ca.remove() }
        let sent = try ca.idca(["demo", "traffic", "--applications", "400", "--days", "10", "--data", ca.directory + "/demo", "--json"])
        #expect(sent.status == 0, "\(sent)")
        let traffic = Self.json(sent)
        let applications = try #require(traffic["applications"] as? Int)
        #expect(applications == 400)
        let decided = (traffic["approved"] as? Int ?? 0) + (traffic["rejected"] as? Int ?? 0)
        // Applicants with a phone on file who never enter their code leave no decision to count.
        #expect(decided + (traffic["abandoned"] as? Int ?? -1) + (traffic["locked"] as? Int ?? -1) == 400)
        #expect((traffic["abandoned"] as? Int ?? 0) > 0, "one in twenty applicants with a phone never answers")

        let exported = try ca.idca(["stats", "export", "--from", "2025-01-01", "--to", "2027-12-31", "--format", "json", "--group-by", "subject_type"])
        #expect(exported.status == 0, "\(exported)")
        let report = Self.json(exported)
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["applications"] as? Int == decided)
        #expect(totals["rejected"] as? Int == traffic["rejected"] as? Int)
        let organizations = try #require((report["rows"] as? [[String: Any]])?.first { $0["subject_type"] as? String == "organization" })
        #expect(organizations["rejected"] as? Int == traffic["organizations_rejected"] as? Int)

        let csv = try ca.idca(["stats", "export", "--from", "2025-01-01", "--to", "2027-12-31", "--group-by", "reason", "--excel"])
        #expect(Array(csv.stdout.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: csv.stdout.dropFirst(3), as: UTF8.self).hasPrefix("reason,applications,approved,rejected,rejection_rate\r\n"))

        let html = ca.directory + "/report.html"
        #expect(try ca.idca(["stats", "export", "--from", "2025-01-01", "--to", "2027-12-31", "--format", "html", "--output", html]).status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<svg") && !page.contains("<script"))

        let bad = try ca.idca(["stats", "export", "--group-by", "nation"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--group-by"), "\(bad)")
        #expect(try ca.idca(["stats", "export", "--from", "2026-02-30"]).status == 2)
    }

    @Test func damagedRowsAreBreaksNotCrashes() throws {
        let ca = try DemoCA(traffic: 20)
        defer { ca.remove() }
        try ca.tamper("DROP TRIGGER audit_log_append_only_update; UPDATE audit_log SET time = 'yesterday' WHERE seq = 7")
        let typed = try ca.idca(["audit", "verify"])
        #expect(typed.status == 1, "\(typed)")
        #expect(typed.stderr.contains("BROKEN at entry 7"))
        try ca.tamper("UPDATE audit_log SET time = 0 WHERE seq = 7")
        // A row slipped in below the first sequence number is not invisible either.
        try ca.tamper("INSERT INTO audit_log SELECT 0, time, type, actor, subject, outcome, reason, object, detail, prev_hash, hash FROM audit_log WHERE seq = 1")
        let below = try ca.idca(["audit", "verify", "--json"])
        #expect(below.status == 1)
        #expect((Self.json(below)["first_break"] as? [String: Any])?["sequence"] as? Int == 1)
    }

    @Test func aRevokedAuditorIsListedAndCannotBeRevokedTwice() throws {
        let ca = try DemoCA(traffic: 0)
        defer { ca.remove() }
        let id = try #require(Self.json(try ca.idca(["auditors", "add", "--name", "乙", "--json"]))["auditor_id"] as? String)
        let revoked = try ca.idca(["auditors", "revoke", id, "--json"])
        #expect(revoked.status == 0)
        #expect(Self.json(revoked)["revoked"] as? Bool == true)
        let auditors = try #require(Self.json(try ca.idca(["auditors", "list", "--json"]))["auditors"] as? [[String: Any]])
        #expect(auditors.first?["revoked_at"] is String)
        let again = try ca.idca(["auditors", "revoke", id])
        #expect(again.status == 1)
        #expect(again.stderr.contains("no active auditor"))
        #expect(try ca.idca(["auditors", "revoke", "aud_nope"]).status == 1)
    }

    @Test func keysGenerateWillNotReplaceTheAuditKeyOfALogWithCheckpoints() throws {
        let ca = try DemoCA(traffic: 0)
        defer { ca.remove() }
        #expect(try ca.idca(["audit", "checkpoint"]).status == 0)
        try FileManager.default.removeItem(atPath: ca.directory + "/keys/audit-signing.pem")
        let refused = try ca.idca(["keys", "generate"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("audit checkpoints"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: ca.directory + "/keys/audit-signing.pem"))
        let forced = try ca.idca(["keys", "generate", "--force-new-keys"])
        #expect(forced.status == 0)
        #expect(try ca.idca(["audit", "verify"]).status == 1, "the old checkpoints no longer verify, as the refusal warned")
    }

    @Test func verifyAndExportReadACopyWithoutChangingIt() throws {
        let ca = try DemoCA(traffic: 50)
        defer { ca.remove() }
        let copy = ca.directory + "/evidence.sqlite"
        try ca.tamper(".backup '\(copy)'")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy)
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        let verified = try Idca.run(["audit", "verify", "--database", copy, "--keys", ca.directory + "/keys"])
        #expect(verified.status == 0, "\(verified)")
        let exported = try Idca.run(["stats", "export", "--database", copy, "--keys", ca.directory + "/no-keys-needed", "--from", "2025-01-01"])
        #expect(exported.status == 0, "\(exported)")
        #expect(exported.output.hasPrefix("applications,approved,rejected,rejection_rate"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before, "checking the evidence must not change it")
        let wal = FileManager.default.contents(atPath: copy + "-wal") ?? Data()
        #expect(wal.isEmpty, "nothing was written beside it either")

        // A database from before the audit log is named as such, and left as it was.
        let old = ca.directory + "/old.sqlite"
        try ca.tamper(".backup '\(old)'")
        let oldDatabase = Process()
        oldDatabase.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        oldDatabase.arguments = [old, "DELETE FROM grdb_migrations WHERE identifier = '0002_audit_statistics'"]
        try oldDatabase.run()
        oldDatabase.waitUntilExit()
        let refused = try Idca.run(["audit", "verify", "--database", old, "--keys", ca.directory + "/keys"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("predates 0002_audit_statistics"), "\(refused)")
    }
}
