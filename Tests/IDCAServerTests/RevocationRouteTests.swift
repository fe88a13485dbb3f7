import Foundation
import GRDB
import HummingbirdTesting
import IDCACore
import IDCAServices
import Testing

@Suite("Revocation: verify, the sites' feed and subject status")
struct RevocationRouteTests {
    @Test func aRevokedCertificationStopsVerifyingAndItsSiteIsTold() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        let (_, otherKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let used = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let unused = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let pseudonym = try #require(try await client.verify(used, apiKey: apiKey).object["subject"] as? String)

            let stored = try await ca.database.pool.read { db in try String.fetchAll(db, sql: "SELECT pseudonym FROM site_accounts") }
            #expect(stored.count == 1 && !stored.contains(pseudonym), "the database keeps a keyed index, not the pseudonym sites know")
            let status = try await client.call(.get, "/v1/sites/me/subjects/\(pseudonym)", apiKey: apiKey)
            #expect(status.status == .ok)
            #expect(status.object["status"] as? String == "certified")
            #expect(status.object["accounts"] as? Int == 1)
            #expect(status.headers[.cacheControl] == "no-store")
            let empty = try await client.call(.get, "/v1/sites/me/revocations", apiKey: apiKey)
            #expect((empty.object["revocations"] as? [Any])?.isEmpty == true)
            #expect(empty.object["next_cursor"] as? String == "0")

            ca.clock.advance(by: 60)
            let revoked = try await ca.revocationService.revoke(.resident(Fixture.zhangSan.residentID), reason: .impersonation,
                                                                by: .operator("test"))
            #expect(revoked != nil)

            let refused = try await client.verify(unused, apiKey: apiKey)
            #expect(refused.object["active"] as? Bool == false)
            #expect(refused.object["reason"] as? String == "certification_revoked")

            let feed = try await client.call(.get, "/v1/sites/me/revocations?since=0", apiKey: apiKey)
            let entries = try #require(feed.object["revocations"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries.first?["subject"] as? String == pseudonym)
            #expect(entries.first?["reason"] as? String == "impersonation")
            #expect(entries.first?["subject_type"] as? String == "individual")
            let cursor = try #require(feed.object["next_cursor"] as? String)
            let after = try await client.call(.get, "/v1/sites/me/revocations?since=\(cursor)", apiKey: apiKey)
            #expect((after.object["revocations"] as? [Any])?.isEmpty == true, "the cursor moves past what was read")

            let now = try await client.call(.get, "/v1/sites/me/subjects/\(pseudonym)", apiKey: apiKey)
            #expect(now.object["status"] as? String == "revoked")
            #expect(now.object["reason"] as? String == "impersonation")

            // Nothing of it reaches a site that never redeemed a token of this subject.
            let other = try await client.call(.get, "/v1/sites/me/revocations", apiKey: otherKey)
            #expect((other.object["revocations"] as? [Any])?.isEmpty == true)
            let foreign = try await client.call(.get, "/v1/sites/me/subjects/\(pseudonym)", apiKey: otherKey)
            #expect(foreign.status == .notFound)
            #expect(foreign.object["error"] as? String == "subject_not_found")

            // A new certification after the revocation is a new one.
            ca.clock.advance(by: 60)
            let renewed = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            #expect(try await client.verify(renewed, apiKey: apiKey).object["active"] as? Bool == true)
            #expect(try await client.call(.get, "/v1/sites/me/subjects/\(pseudonym)", apiKey: apiKey).object["status"] as? String
                    == "certified")
        }
    }

    @Test func theSiteEndpointsRefuseBadCredentialsAndParameters() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        let auditor = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            for key in [nil, auditor, "idca_sk_nonsense"] {
                let feed = try await client.call(.get, "/v1/sites/me/revocations", apiKey: key)
                #expect(feed.status == .unauthorized)
                let subject = try await client.call(.get, "/v1/sites/me/subjects/\(String(repeating: "a", count: 32))", apiKey: key)
                #expect(subject.status == .unauthorized)
            }
            for query in ["since=-1", "since=abc", "limit=0", "limit=1001"] {
                let response = try await client.call(.get, "/v1/sites/me/revocations?\(query)", apiKey: apiKey)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.object["error"] as? String == "invalid_parameter")
            }
            for pseudonym in ["short", String(repeating: "A", count: 32), String(repeating: "a", count: 32)] {
                #expect(try await client.call(.get, "/v1/sites/me/subjects/\(pseudonym)", apiKey: apiKey).status == .notFound)
            }
        }
    }

    @Test func revokingNeedsAValidNumberAndSomethingToRevoke() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        await #expect(throws: IDCAError.self) {
            _ = try await ca.revocationService.revoke(.resident("110105194912310021"), reason: .impersonation, by: .operator("test"))
        }
        await #expect(throws: IDCAError.self) {
            _ = try await ca.revocationService.revoke(.organization("12345678-0"), reason: .impersonation, by: .operator("test"))
        }
        #expect(try await ca.revocationService.revoke(.resident(Fixture.aili.residentID), reason: .impersonation, by: .operator("test")) == nil,
                "never certified: nothing is recorded")
    }
}
