import Foundation
import HummingbirdTesting
import IDCACore
import Testing

@Suite("Lawful disclosure and the impersonation report")
struct DisclosureRouteTests {
    @Test func twoDifferentAuditorsAreNeededToSeeWhoIsBehindAPseudonym() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, apiKey) = try await ca.addSite()
        let (requester, approver, bystander) = (try await ca.addAuditor(), try await ca.addAuditor(), try await ca.addAuditor())
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let pseudonym = try #require(try await client.verify(token, apiKey: apiKey).object["subject"] as? String)

            let body: [String: Any] = ["site": site.id.rawValue, "subject": pseudonym, "case": "（2026）京0105刑初123号"]
            let created = try await client.call(.post, "/v1/disclosures", json: body, apiKey: requester)
            #expect(created.status == .created)
            #expect(created.object["state"] as? String == "requested")
            #expect(created.headers[.cacheControl] == "no-store")
            let id = try #require(created.object["id"] as? String)

            let early = try await client.call(.get, "/v1/disclosures/\(id)/identity", apiKey: requester)
            #expect(early.status == .conflict)
            #expect(early.object["error"] as? String == "disclosure_not_approved")
            let own = try await client.call(.post, "/v1/disclosures/\(id)/approve", apiKey: requester)
            #expect(own.status == .forbidden)
            #expect(own.object["error"] as? String == "second_auditor_required")

            let approved = try await client.call(.post, "/v1/disclosures/\(id)/approve", apiKey: approver)
            #expect(approved.status == .ok)
            #expect(approved.object["state"] as? String == "approved")
            #expect(try await client.call(.post, "/v1/disclosures/\(id)/approve", apiKey: bystander).status == .conflict)

            let outsider = try await client.call(.get, "/v1/disclosures/\(id)/identity", apiKey: bystander)
            #expect(outsider.status == .forbidden)
            #expect(outsider.object["error"] as? String == "not_a_party")
            for key in [requester, approver] {
                let shown = try await client.call(.get, "/v1/disclosures/\(id)/identity", apiKey: key)
                #expect(shown.status == .ok)
                #expect(shown.object["resident_id"] as? String == Fixture.zhangSan.residentID)
                #expect(shown.object["name"] as? String == Fixture.zhangSan.name)
                #expect(shown.headers[.cacheControl] == "no-store")
            }
            let status = try await client.call(.get, "/v1/disclosures/\(id)", apiKey: bystander)
            #expect(status.object["state"] as? String == "approved")
            #expect(status.object["resident_id"] == nil && !status.text.contains(Fixture.zhangSan.name), "the status never shows the identity")
        }
        let kinds = try await SQLiteAuditLogReader(ca).entries().map(\.type).filter { $0.hasPrefix("disclosure.") }
        #expect(kinds == ["disclosure.requested", "disclosure.approved", "disclosure.shown", "disclosure.shown"])
        let log = try await SQLiteAuditLogReader(ca).entries()
        #expect(!log.contains { $0.detail.contains(Fixture.zhangSan.residentID) || $0.detail.contains(Fixture.zhangSan.name) })
    }

    @Test func requestsExpireAndBadRequestsAreRefused() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, apiKey) = try await ca.addSite()
        let (requester, approver) = (try await ca.addAuditor(), try await ca.addAuditor())
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.aili).object["token"] as? String)
            let pseudonym = try #require(try await client.verify(token, apiKey: apiKey).object["subject"] as? String)
            func request(_ body: [String: Any], key: String? = requester) async throws -> JSONResponse {
                try await client.call(.post, "/v1/disclosures", json: body, apiKey: key)
            }
            let good: [String: Any] = ["site": site.id.rawValue, "subject": pseudonym, "case": "CASE-1"]
            #expect(try await request(good, key: nil).status == .unauthorized)
            #expect(try await request(good, key: apiKey).status == .unauthorized, "a site key is not an auditor's")
            #expect(try await request(good.merging(["case": "two words"]) { $1 }).object["error"] as? String == "invalid_case")
            #expect(try await request(good.merging(["case": ""]) { $1 }).object["error"] as? String == "invalid_case")
            // Characters are scalars (as the document's maxLength counts them): one letter and 64
            // combining accents is 65, not 1. Found by the API fuzzing of issue 8.
            #expect(try await request(good.merging(["case": "a" + String(repeating: "\u{301}", count: 64)]) { $1 }).object["error"] as? String
                    == "invalid_case")
            #expect(try await request(good.merging(["case": "CASE-\u{202E}1"]) { $1 }).object["error"] as? String == "invalid_case",
                    "a direction override would make the log read differently from what is stored")
            #expect(try await request(good.merging(["case": String(repeating: "é", count: 64)]) { $1 }).object["error"] as? String
                    != "invalid_case", "64 precomposed characters are within the limit")
            #expect(try await request(good.merging(["site": "site_" + String(repeating: "z", count: 26)]) { $1 }).object["error"] as? String
                    == "site_not_found")
            #expect(try await request(good.merging(["subject": String(repeating: "a", count: 32)]) { $1 }).object["error"] as? String
                    == "subject_not_found")
            #expect(try await client.call(.get, "/v1/disclosures/dis_nonsense", apiKey: requester).status == .notFound)

            let id = try #require(try await request(good).object["id"] as? String)
            ca.clock.advance(by: 7 * 86_400)
            #expect(try await client.call(.get, "/v1/disclosures/\(id)", apiKey: approver).object["state"] as? String == "expired")
            let late = try await client.call(.post, "/v1/disclosures/\(id)/approve", apiKey: approver)
            #expect(late.status == .conflict)
            #expect(late.object["error"] as? String == "disclosure_expired")
        }
    }

    @Test func anOrganizationDisclosesWhoActedForIt() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, apiKey) = try await ca.addSite()
        let (requester, approver) = (try await ca.addAuditor(), try await ca.addAuditor())
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.applyOrganization().object["token"] as? String)
            let pseudonym = try #require(try await client.verify(token, apiKey: apiKey).object["subject"] as? String)
            let id = try #require(try await client.call(.post, "/v1/disclosures", json: ["site": site.id.rawValue, "subject": pseudonym, "case": "C-7"],
                                                        apiKey: requester).object["id"] as? String)
            _ = try await client.call(.post, "/v1/disclosures/\(id)/approve", apiKey: approver)
            let shown = try await client.call(.get, "/v1/disclosures/\(id)/identity", apiKey: approver)
            #expect(shown.object["subject_type"] as? String == "organization")
            #expect(shown.object["organization_name"] as? String == Fixture.organization.name)
            #expect(shown.object["name"] as? String == Fixture.operatorPerson.name)
            #expect(shown.object["resident_id"] as? String == Fixture.operatorPerson.residentID)
        }
    }

    @Test func theImpersonationReportFindsThePatternsWithoutPersonalData() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let auditor = try await ca.addAuditor()
        try await ca.application.test(.live) { client in
            #expect(try await client.applyOrganization().object["status"] as? String == "approved")
            #expect(try await client.applyOrganization(operatorPerson: Fixture.aili).object["status"] as? String == "approved")
            for _ in 0..<2 {
                #expect(try await client.apply(PersonClaim(name: "冒名者", residentID: Fixture.zhangSan.residentID)).object["reason"] as? String
                        == "registry_mismatch")
            }
            #expect(try await client.apply(Fixture.stranger).object["reason"] as? String == "registry_mismatch")

            let report = try await client.call(.get, "/v1/reports/impersonation?min_count=2", apiKey: auditor)
            #expect(report.status == .ok)
            #expect(report.headers[.cacheControl] == "no-store")
            let organizations = try #require(report.object["organizations"] as? [[String: Any]])
            #expect(organizations.count == 1)
            #expect(organizations.first?["operators"] as? Int == 2)
            let residents = try #require(report.object["residents"] as? [[String: Any]])
            #expect(residents.map { $0["name_mismatches"] as? Int } == [2], "the number used with a wrong name twice; the stranger once")
            let sources = try #require(report.object["sources"] as? [[String: Any]])
            #expect(sources.first?["rejected"] as? Int == 3)
            #expect(sources.first?["subjects"] as? Int == 3)
            for value in Fixture.personalValues + ["127.0.0.1"] { #expect(!report.text.contains(value)) }

            #expect(try await client.call(.get, "/v1/reports/impersonation").status == .unauthorized)
            #expect(try await client.call(.get, "/v1/reports/impersonation?min_count=0", apiKey: auditor).status == .badRequest)
            #expect(try await client.call(.get, "/v1/reports/impersonation?from=2026-13-01", apiKey: auditor).status == .badRequest)
            let quiet = try await client.call(.get, "/v1/reports/impersonation?min_count=5", apiKey: auditor)
            #expect((quiet.object["residents"] as? [Any])?.isEmpty == true)
        }
    }
}
