import Foundation
import HummingbirdTesting
import IDCAAudit
import IDCACore
import IDCAServices
import IDCATokens
import Testing

@Suite("Audit log through the API")
struct AuditRouteTests {
    @Test func everyActIsLoggedWithItsExactReasonAndNoPersonalData() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, siteKey) = try await ca.addSite()
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            _ = try await client.apply(PersonClaim(name: "冒名者", residentID: Fixture.zhangSan.residentID))
            _ = try await client.apply(Fixture.deceased)
            _ = try await client.verify(token, apiKey: siteKey)
            _ = try await client.verify(token, apiKey: siteKey)
            _ = try await client.verify("not.a.token", apiKey: siteKey)

            let page = try await client.call(.get, "/v1/audit/entries?limit=1000", apiKey: auditorKey)
            #expect(page.status == .ok)
            let entries = try #require(page.object["entries"] as? [[String: Any]])
            let summary = entries.map { "\($0["type"]!) \($0["outcome"]!) \($0["reason"]!)" }
            #expect(summary == [
                "registry.imported imported ", "registry.imported imported ", "site.added added ", "auditor.added added ",
                "application.decided approved ", "token.planned planned ", "token.issued issued ",
                "application.decided rejected registry_name_mismatch",
                "application.decided rejected identity_inactive",
                "token.verified active ", "token.verified inactive token_already_used", "token.verified inactive malformed",
            ])
            #expect(entries[9]["actor"] as? String == "site:" + site.id.rawValue)
            #expect(entries[7]["actor"] as? String == "applicant")
            #expect((entries[7]["detail"] as? String)?.contains("public_reason=registry_mismatch") == true)
            // The planned entry's jti is the issued one's, and the issued digest is the token's.
            #expect(entries[5]["object"] as? String == entries[6]["object"] as? String)
            #expect((entries[6]["detail"] as? String)?.contains("token_sha256=" + tokenDigest(token)) == true)
            #expect(page.object["next_after"] is NSNull)
            #expect((page.object["head"] as? [String: Any])?["sequence"] as? Int == 12)
            for value in Fixture.personalValues { #expect(!page.text.contains(value), "the log shows \(value)") }
            #expect(!page.text.contains("审计员"), "auditor names stay out of the log")
        }
    }

    @Test func entriesPageByAfterAndLimit() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            for _ in 0..<3 { _ = try await client.apply(Fixture.deceased) }
            // 2 imports + auditor + 3 decisions = 6 entries.
            let first = try await client.call(.get, "/v1/audit/entries?limit=4", apiKey: auditorKey)
            #expect((first.object["entries"] as? [[String: Any]])?.map { $0["sequence"] as! Int } == [1, 2, 3, 4])
            #expect(first.object["next_after"] as? Int == 4)
            let second = try await client.call(.get, "/v1/audit/entries?after=4&limit=4", apiKey: auditorKey)
            #expect((second.object["entries"] as? [[String: Any]])?.map { $0["sequence"] as! Int } == [5, 6])
            #expect(second.object["next_after"] is NSNull)
            let firstEntries = try #require(first.object["entries"] as? [[String: Any]])
            let secondEntries = try #require(second.object["entries"] as? [[String: Any]])
            #expect(secondEntries[0]["prev_hash"] as? String == firstEntries[3]["hash"] as? String)
            let empty = try await client.call(.get, "/v1/audit/entries?after=6", apiKey: auditorKey)
            #expect((empty.object["entries"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: ["after=-1", "after=x", "limit=0", "limit=1001", "limit=1.5", "after=99999999999999999999"])
    func badPagingIsRefused(query: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let response = try await client.call(.get, "/v1/audit/entries?" + query, apiKey: auditorKey)
            #expect(response.status == .badRequest)
            #expect(response.object["error"] as? String == "invalid_parameter")
        }
    }

    @Test func onlyAuditorsReadTheLog() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, siteKey) = try await ca.addSite()
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            for path in ["/v1/audit/entries", "/v1/audit/checkpoints/latest", "/v1/statistics/applications"] {
                let anonymous = try await client.call(.get, path)
                #expect(anonymous.status == .unauthorized, "\(path)")
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
                #expect(anonymous.object["error"] as? String == "invalid_credentials")
                #expect(try await client.call(.get, path, apiKey: siteKey).status == .unauthorized, "a site key is not an auditor's: \(path)")
                #expect(try await client.call(.get, path, apiKey: "idca_ak_" + String(repeating: "a", count: 52)).status == .unauthorized)
                #expect(try await client.call(.get, path, apiKey: auditorKey).status != .unauthorized, "\(path)")
            }
            // And an auditor key does not verify tokens.
            #expect(try await client.verify("x.y.z", apiKey: auditorKey).status == .unauthorized)
            // A revoked key stops working at once.
            let auditor = try #require(try await ca.auditorService.auditors().first)
            #expect(try await ca.auditorService.revoke(auditor.id, by: .operator("test")))
            #expect(try await client.call(.get, "/v1/audit/entries", apiKey: auditorKey).status == .unauthorized)
            #expect(try await ca.auditorService.revoke(auditor.id, by: .operator("test")) == false)
        }
    }

    @Test func theLatestCheckpointIsSignedByTheAuditKey() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let auditorKey = try await ca.addAuditor()
        let audit = ca.services.audit
        try await ca.application.test(.router) { client in
            let none = try await client.call(.get, "/v1/audit/checkpoints/latest", apiKey: auditorKey)
            #expect(none.status == .notFound)
            #expect(none.object["error"] as? String == "no_checkpoint")

            _ = try await client.apply(Fixture.zhangSan)
            let signed = try #require(try await audit.checkpoint(with: ca.auditKey))
            #expect(try await audit.checkpoint(with: ca.auditKey) == nil, "nothing new to sign")
            let latest = try await client.call(.get, "/v1/audit/checkpoints/latest", apiKey: auditorKey)
            #expect(latest.status == .ok)
            let checkpoint = try JSONDecoder().decode(AuditCheckpoint.self, from: Data(latest.text.utf8))
            #expect(checkpoint == signed)
            #expect(checkpoint.sequence == 6, "two imports, the auditor, and the approval's three entries")
            #expect(ca.auditKey.publicKey.isValid(checkpoint))
            #expect(!AuditSigningKey.generate().publicKey.isValid(checkpoint))

            let report = try await audit.verify(key: ca.auditKey.publicKey, extra: [checkpoint])
            #expect(report.isIntact)
            #expect(report.entries == 6)
        }
    }
}
