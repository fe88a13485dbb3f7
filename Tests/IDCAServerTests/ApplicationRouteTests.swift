import Foundation
import HummingbirdTesting
import IDCACore
import Testing

@Suite("POST /v1/applications and GET /v1/applications/{id}")
struct ApplicationRouteTests {
    @Test func anApprovedIndividualGetsATokenOnce() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let response = try await client.apply(Fixture.zhangSan)
            #expect(response.status == .created)
            #expect(response.object["status"] as? String == "approved")
            let id = try #require(response.object["application_id"] as? String)
            #expect(response.headers[.location] == "/v1/applications/\(id)")
            #expect((response.object["token"] as? String)?.split(separator: ".").count == 3)
            #expect(response.object["expires_at"] as? String == "2026-11-28T22:06:40Z")
            #expect(response.object["reason"] == nil)

            let again = try await client.call(.get, "/v1/applications/\(id)")
            #expect(again.status == .ok)
            #expect(again.object["status"] as? String == "approved")
            #expect(again.object["application_id"] as? String == id)
            #expect(again.object["token"] == nil, "the token is delivered once and never stored")
        }
    }

    @Test func minorityNamesMatchWhateverMiddleDotIsTyped() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            for dot in ["·", "•", "‧", "・"] {
                let typed = PersonClaim(name: " 艾力\(dot)买买提 ", residentID: Fixture.aili.residentID)
                let response = try await client.apply(typed)
                #expect(response.object["status"] as? String == "approved", "middle dot \(dot)")
            }
        }
    }

    /// The public answer for individuals is uniform; the recorded internal reason says which it was.
    @Test(arguments: [
        (Fixture.stranger, "registry_not_found"),
        (PersonClaim(name: "张三丰", residentID: Fixture.zhangSan.residentID), "registry_name_mismatch"),
        (Fixture.deceased, "identity_inactive"),
        (Fixture.cancelled, "identity_inactive"),
        (PersonClaim(name: "错名", residentID: Fixture.deceased.residentID), "identity_inactive"),
    ])
    func registryFailuresLookTheSame(person: PersonClaim, internalReason: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let response = try await client.apply(person)
            #expect(response.status == .created)
            #expect(response.object["status"] as? String == "rejected")
            #expect(response.object["reason"] as? String == "registry_mismatch")
            #expect(response.object["field"] as? String == "resident_id")
            #expect(Set(response.object.keys) == ["application_id", "status", "reason", "field", "message"])
            let id = try #require(ApplicationID(rawValue: response.object["application_id"] as? String ?? ""))
            let recorded = try await ca.ledger.decision(id)
            #expect(recorded?.rejection?.internalReason == internalReason)
            #expect(recorded?.rejection?.reason == "registry_mismatch")
        }
    }

    @Test(arguments: [
        (PersonClaim(name: "张三", residentID: "11010519491231002x"), "lowercase_x", "resident_id"),
        (PersonClaim(name: "张三", residentID: "110105194912310021"), "checksum", "resident_id"),
        (PersonClaim(name: "张三", residentID: "110105491231002"), "legacy_15", "resident_id"),
        (PersonClaim(name: "张三", residentID: ""), "empty", "resident_id"),
        (PersonClaim(name: "张三", residentID: "１１０１０５１９４９１２３１００２Ｘ"), "non_ascii", "resident_id"),
        (PersonClaim(name: "张三", residentID: Fixture.residentID("11010520261130002")), "birth_date_future", "resident_id"),
        (PersonClaim(name: "", residentID: Fixture.zhangSan.residentID), "name_invalid", "name"),
        (PersonClaim(name: "张\u{0007}三", residentID: Fixture.zhangSan.residentID), "name_invalid", "name"),
        (PersonClaim(name: String(repeating: "张", count: 65), residentID: Fixture.zhangSan.residentID), "name_invalid", "name"),
    ])
    func individualRuleFailuresNameTheirReasonAndField(person: PersonClaim, reason: String, field: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let response = try await client.apply(person)
            #expect(response.status == .created)
            #expect(response.object["status"] as? String == "rejected")
            #expect(response.object["reason"] as? String == reason)
            #expect(response.object["field"] as? String == field)
            #expect((response.object["message"] as? String)?.isEmpty == false)
            #expect(response.object["token"] == nil)
        }
    }

    @Test func organizationsAreApprovedByEitherCodeOrBoth() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let byCredit = try await client.applyOrganization()
            #expect(byCredit.object["status"] as? String == "approved", "\(byCredit.text)")
            let byBoth = try await client.applyOrganization(organizationCode: Fixture.organizationCode)
            #expect(byBoth.object["status"] as? String == "approved", "\(byBoth.text)")
            let byOrganizationCode = try await client.applyOrganization(
                name: "北京老字号(集团)有限公司", creditCode: nil, organizationCode: Fixture.oldOrganization.organizationCode,
                legalRepresentative: "周代表")
            #expect(byOrganizationCode.object["status"] as? String == "approved", "full-width and half-width parentheses compare equal")
            let spaced = try await client.applyOrganization(name: "北京某某 科技 有限公司")
            #expect(spaced.object["status"] as? String == "approved")
        }
    }

    @Test func organizationRejectionsNameTheirReason() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            func expect(_ response: JSONResponse, _ reason: String, _ field: String?, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(response.status == .created, sourceLocation: sourceLocation)
                #expect(response.object["status"] as? String == "rejected", sourceLocation: sourceLocation)
                #expect(response.object["reason"] as? String == reason, "\(response.text)", sourceLocation: sourceLocation)
                #expect(response.object["field"] as? String == field, sourceLocation: sourceLocation)
            }
            expect(try await client.applyOrganization(organizationCode: Fixture.oldOrganization.organizationCode), "organization_code_mismatch", "organization_code")
            expect(try await client.applyOrganization(creditCode: Fixture.creditCode(first17: "91110105" + Fixture.organizationCode(body: "55555555"))),
                   "organization_not_found", "credit_code")
            expect(try await client.applyOrganization(creditCode: nil, organizationCode: Fixture.organizationCode(body: "55555555")),
                   "organization_not_found", "organization_code")
            expect(try await client.applyOrganization(name: "北京某某技术有限公司"), "organization_name_mismatch", "organization_name")
            expect(try await client.applyOrganization(legalRepresentative: "周代表"), "legal_representative_mismatch", "legal_representative")
            expect(try await client.applyOrganization(name: Fixture.revokedOrganization.name, creditCode: nil,
                                                      organizationCode: Fixture.revokedOrganization.organizationCode, legalRepresentative: "吴董事"),
                   "organization_inactive", nil)
            expect(try await client.applyOrganization(operatorPerson: Fixture.stranger), "operator_rejected", "operator.resident_id")
            expect(try await client.applyOrganization(operatorPerson: Fixture.deceased), "operator_rejected", "operator.resident_id")
            expect(try await client.applyOrganization(operatorPerson: PersonClaim(name: "赵六", residentID: "44030519900101005x")),
                   "lowercase_x", "operator.resident_id")
            expect(try await client.applyOrganization(operatorPerson: PersonClaim(name: " ", residentID: Fixture.operatorPerson.residentID)),
                   "name_invalid", "operator.name")
            expect(try await client.applyOrganization(creditCode: "91110105123456788x"), "lowercase", "credit_code")
            expect(try await client.applyOrganization(creditCode: nil, organizationCode: "12345678-8"), "separator", "organization_code")
            expect(try await client.applyOrganization(name: "\u{3000}"), "name_invalid", "organization_name")
            expect(try await client.applyOrganization(legalRepresentative: ""), "name_invalid", "legal_representative")
        }
    }

    @Test(arguments: [
        ("not json", "malformed_json", nil),
        ("[]", "invalid_type", nil),
        (#"{"subject_type": "robot", "name": "x", "resident_id": "y"}"#, "invalid_subject_type", "subject_type"),
        (#"{"subject_type": "individual", "name": "张三"}"#, "missing_field", "resident_id"),
        (#"{"subject_type": "individual", "name": 7, "resident_id": "11010519491231002X"}"#, "invalid_type", "name"),
        (#"{"name": "张三", "resident_id": "11010519491231002X"}"#, "missing_field", "subject_type"),
        (#"{"subject_type": "organization", "organization_name": "x", "legal_representative": "y", "operator": {"name": "a", "resident_id": "b"}}"#, "missing_field", "credit_code"),
        (#"{"subject_type": "organization", "organization_name": "x", "credit_code": "c", "legal_representative": "y"}"#, "missing_field", "operator"),
        (#"{"subject_type": "organization", "organization_name": "x", "credit_code": "c", "legal_representative": "y", "operator": {"name": "a"}}"#, "missing_field", "operator.resident_id"),
        (#"{"subject_type": "individual", "name": "张三", "resident_id": "11010519491231002X", "site": "site_nope"}"#, "unknown_site", "site"),
        // Parsers disagree on which copy of a repeated member counts, so idca takes neither.
        (#"{"subject_type": "individual", "name": "张三", "resident_id": "000", "resident_id": "11010519491231002X"}"#, "malformed_json", nil),
        (#"{"subject_type": "individual", "name": "张三", "resident_id": "11010519491231002X", "resident_id": "000"}"#, "malformed_json", nil),
        (#"{"subject_type": "organization", "organization_name": "x", "credit_code": "c", "legal_representative": "y", "operator": {"name": "a", "name": "b", "resident_id": "c"}}"#, "malformed_json", nil),
        (#"{"subject_type": "individual", "name": "张三", "resident_id": "11010519491231002X", "site": "site_aaaaaaaaaaaaaaaaaaaaaaaaaa"}"#, "unknown_site", "site"),
    ] as [(String, String, String?)])
    func malformedRequestsAreNotApplications(body: String, error: String, field: String?) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let response = try await client.call(.post, "/v1/applications", raw: body)
            #expect(response.status == .badRequest)
            #expect(response.object["error"] as? String == error, "\(response.text)")
            #expect(response.object["field"] as? String == field)
            #expect((response.object["message"] as? String)?.isEmpty == false)
            #expect(response.object["application_id"] == nil)
        }
    }

    @Test func bodiesOver16KiBAreRefused() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let name = String(repeating: "a", count: 16 * 1024)
            let big = try await client.call(.post, "/v1/applications", json: ["subject_type": "individual", "name": name, "resident_id": "x"])
            #expect(big.status == .contentTooLarge)
            #expect(big.object["error"] as? String == "body_too_large")
            let small = try await client.call(.post, "/v1/applications", json: ["subject_type": "individual", "name": String(name.prefix(15 * 1024)), "resident_id": "x"])
            #expect(small.status == .created, "a body under the limit is an application")
        }
    }

    @Test func unknownApplicationsAre404() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            for id in ["app_aaaaaaaaaaaaaaaaaaaaaaaaaa", "nonsense", "app_"] {
                let response = try await client.call(.get, "/v1/applications/\(id)")
                #expect(response.status == .notFound)
                #expect(response.object["error"] as? String == "application_not_found")
            }
        }
    }

    @Test func applicationsNamingASiteOnlyForActiveSites() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, _) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            #expect(try await client.apply(Fixture.zhangSan, site: site.id).object["status"] as? String == "approved")
            _ = try await SQLiteSiteDirectoryAccess.suspend(ca, site.id)
            let refused = try await client.apply(Fixture.zhangSan, site: site.id)
            #expect(refused.status == .badRequest)
            #expect(refused.object["error"] as? String == "unknown_site")
        }
    }
}

import IDCASQLite

enum SQLiteSiteDirectoryAccess {
    static func suspend(_ ca: TestCA, _ id: SiteID, _ suspended: Bool = true) async throws -> Bool {
        try await ca.siteService.setSuspended(id, suspended, by: .operator("test"))
    }
}
