import Foundation
@testable import IDCACommands
import IDCACore
import IDCANotify
import IDCAServices
import Testing

/// The lifecycle as operators and auditors drive it from the command line.
@Suite("Lifecycle commands")
struct LifecycleCommandTests {
    struct Workspace {
        let directory = NSTemporaryDirectory() + "idca-lifecycle-" + UUID().uuidString
        var storage: [String] { ["--database", directory + "/db.sqlite", "--keys", directory + "/keys"] }

        init() throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            _ = try KeyDirectory(path: directory + "/keys").generateMissing()
        }

        func wiring() async throws -> Wiring { try await Wiring.open(storage: try StorageOptions.parse(storage)) }

        func residents(_ rows: String) async throws -> (imported: Int, revoked: Int) {
            try "resident_id,name,status\n\(rows)".write(toFile: directory + "/residents.csv", atomically: true, encoding: .utf8)
            let (report, revoked) = try await RegistryImporter(wiring: try await wiring(), showsProgress: false).run(.residents, path: directory + "/residents.csv")
            return (report.imported, revoked)
        }

        func idca(_ arguments: [String], environment: [String: String] = [:]) throws -> Idca.Run {
            try Idca.run(arguments + storage, timeout: 120, environment: environment)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static let zhang = "11010519491231002X"

    @Test func anImportThatMarksACertifiedResidentDeceasedRevokesTheCertification() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(try await workspace.residents("\(Self.zhang),张三,active\n") == (1, 0))
        let wiring = try await workspace.wiring()
        let certification = wiring.certificationService(settings: .init(issuerURL: "https://idca.test"),
                                                        notifier: OutboxNotifier(path: workspace.directory + "/outbox.log"))
        let approved = try await certification.apply(.individual(PersonClaim(name: "张三", residentID: Self.zhang), site: nil))
        #expect(approved.status == .approved)

        #expect(try await workspace.residents("\(Self.zhang),张三,active\n") == (1, 0), "still active: nothing to revoke")
        #expect(try await workspace.residents("\(Self.zhang),张三,deceased\n") == (1, 1))
        #expect(try await workspace.residents("\(Self.zhang),张三,deceased\n") == (1, 0), "revoked once")
        let log = try await wiring.auditLog.entries(after: 0, limit: 1000)
        #expect(log.filter { $0.type == "certification.revoked" }.map(\.reason) == ["registry_inactive"])
    }

    @Test func revokeRefusesNonsenseAndSaysWhenThereIsNothingToRevoke() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        _ = try await workspace.residents("\(Self.zhang),张三,active\n")
        let nothing = try workspace.idca(["certifications", "revoke", "--resident-id", Self.zhang, "--reason", "impersonation", "--json"])
        #expect(nothing.status == 1)
        #expect(nothing.output.contains("\"revoked\":false"))
        #expect(try workspace.idca(["certifications", "revoke", "--resident-id", "110105194912310021", "--reason", "impersonation"]).status != 0)
        #expect(try workspace.idca(["certifications", "revoke", "--resident-id", Self.zhang, "--reason", "because"]).status == 2)
        #expect(try workspace.idca(["certifications", "revoke", "--reason", "impersonation"]).status == 2)
        #expect(try workspace.idca(["certifications", "revoke", "--resident-id", Self.zhang, "--organization-code", "123456788",
                                     "--reason", "impersonation"]).status == 2)

        let wiring = try await workspace.wiring()
        let certification = wiring.certificationService(settings: .init(issuerURL: "https://idca.test"),
                                                        notifier: OutboxNotifier(path: workspace.directory + "/outbox.log"))
        _ = try await certification.apply(.individual(PersonClaim(name: "张三", residentID: Self.zhang), site: nil))
        let revoked = try workspace.idca(["certifications", "revoke", "--resident-id", Self.zhang, "--reason", "impersonation", "--json"])
        #expect(revoked.status == 0, "\(revoked)")
        #expect(revoked.output.contains("\"revoked\":true"))
    }

    @Test func disclosureCommandsNeedAnAuditorKeyAndTwoAuditors() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        _ = try await workspace.residents("\(Self.zhang),张三,active\n")
        let wiring = try await workspace.wiring()
        let (site, apiKey) = try await wiring.siteService.add(name: "S", licence: "京ICP证000000号", by: .operator("test"))
        let certification = wiring.certificationService(settings: .init(issuerURL: "https://idca.test"),
                                                        notifier: OutboxNotifier(path: workspace.directory + "/outbox.log"))
        let token = try #require(try await certification.apply(.individual(PersonClaim(name: "张三", residentID: Self.zhang), site: nil)).token)
        guard case .active(let certified) = try await wiring.verificationService(issuerURL: "https://idca.test")
            .verify(token, for: try #require(try await wiring.siteService.authenticate(apiKey: apiKey))) else {
            Issue.record("the token verifies")
            return
        }
        let first = try await wiring.auditorService.add(name: "甲", by: .operator("test")).apiKey
        let second = try await wiring.auditorService.add(name: "乙", by: .operator("test")).apiKey

        let request = ["disclosure", "request", "--site", site.id.rawValue, "--subject", certified.subject, "--case", "CASE-9", "--json"]
        #expect(try workspace.idca(request).status != 0, "no IDCA_AUDITOR_KEY")
        #expect(try workspace.idca(request, environment: ["IDCA_AUDITOR_KEY": "idca_ak_wrong"]).status != 0)
        let made = try workspace.idca(request, environment: ["IDCA_AUDITOR_KEY": first])
        #expect(made.status == 0, "\(made)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])?["id"] as? String)

        #expect(try workspace.idca(["disclosure", "approve", id], environment: ["IDCA_AUDITOR_KEY": first]).status != 0, "not by the requester")
        #expect(try workspace.idca(["disclosure", "show", id], environment: ["IDCA_AUDITOR_KEY": first]).status != 0, "not before approval")
        #expect(try workspace.idca(["disclosure", "approve", id], environment: ["IDCA_AUDITOR_KEY": second]).status == 0)
        let shown = try workspace.idca(["disclosure", "show", id, "--json"], environment: ["IDCA_AUDITOR_KEY": first])
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.output.contains(Self.zhang) && shown.output.contains("张三"))
        let status = try workspace.idca(["disclosure", "status", id], environment: ["IDCA_AUDITOR_KEY": second])
        #expect(status.output.contains("approved") && !status.output.contains("张三"))

        let report = try workspace.idca(["reports", "impersonation"])
        #expect(report.status == 0, "\(report)")
        #expect(report.output.contains("\"organizations\":[]"))
        #expect(try workspace.idca(["reports", "impersonation", "--min-count", "0"]).status == 2)
        #expect(try workspace.idca(["reports", "impersonation", "--from", "2026-02-30"]).status == 2)
    }
}
