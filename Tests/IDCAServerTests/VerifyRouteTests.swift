import Foundation
import HummingbirdTesting
import IDCACore
import Testing

@Suite("POST /v1/tokens/verify")
struct VerifyRouteTests {
    @Test func aTokenVerifiesOnceThenIsUsed() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let first = try await client.verify(token, apiKey: apiKey)
            #expect(first.status == .ok)
            #expect(first.object["active"] as? Bool == true)
            #expect(first.object["subject_type"] as? String == "individual")
            #expect(first.object["acr"] as? String == "registry")
            #expect(first.object["certified_at"] as? String == "2026-11-28T21:06:40Z")
            #expect(first.object["accounts_for_subject"] as? Int == 1)
            let subject = try #require(first.object["subject"] as? String)
            #expect(subject.count == 32)
            #expect(subject.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
            #expect(first.object["organization_name"] == nil)

            let second = try await client.verify(token, apiKey: apiKey)
            #expect(second.status == .ok)
            #expect(second.object["active"] as? Bool == false)
            #expect(second.object["reason"] as? String == "token_already_used")
            #expect(Set(second.object.keys) == ["active", "reason"])
        }
    }

    @Test func pseudonymsAreStablePerSiteAndDifferAcrossSites() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, keyA) = try await ca.addSite()
        let (_, keyB) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            func subject(_ person: PersonClaim, _ apiKey: String) async throws -> String? {
                let token = try #require(try await client.apply(person).object["token"] as? String)
                return try await client.verify(token, apiKey: apiKey).object["subject"] as? String
            }
            let a1 = try await subject(Fixture.zhangSan, keyA)
            let a2 = try await subject(Fixture.zhangSan, keyA)
            let b1 = try await subject(Fixture.zhangSan, keyB)
            let other = try await subject(Fixture.aili, keyA)
            #expect(a1 != nil && a1 == a2, "same person, same site: same pseudonym")
            #expect(a1 != b1, "two sites get unlinkable values")
            #expect(a1 != other)
        }
    }

    @Test func twoTokensOfOnePersonAreNotLinkableByContent() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let one = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let two = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let claims = [one, two].map { token -> [String: Any] in
                let payload = String(token.split(separator: ".")[1])
                var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                while base64.count % 4 != 0 { base64 += "=" }
                return (try? JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!)) as? [String: Any] ?? [:]
            }
            #expect(Set(claims[0].keys) == ["iss", "jti", "iat", "nbf", "exp", "sub_type", "acr"])
            #expect(claims[0]["jti"] as? String != claims[1]["jti"] as? String)
            for value in claims.flatMap({ $0.values }).map({ "\($0)" }) {
                #expect(!Fixture.personalValues.contains { value.contains($0) })
            }
        }
    }

    @Test func theAccountLimitKeepsTheTokenUnconsumed() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, strictKey) = try await ca.addSite(maxAccounts: 1)
        let (_, otherKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let first = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            #expect(try await client.verify(first, apiKey: strictKey).object["active"] as? Bool == true)
            let second = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let limited = try await client.verify(second, apiKey: strictKey)
            #expect(limited.object["active"] as? Bool == false)
            #expect(limited.object["reason"] as? String == "account_limit_reached")
            // Not consumed: another site can still redeem it.
            let elsewhere = try await client.verify(second, apiKey: otherKey)
            #expect(elsewhere.object["active"] as? Bool == true)
            #expect(elsewhere.object["accounts_for_subject"] as? Int == 1)
        }
    }

    @Test func audienceExpiryAndForgeryAreRefused() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (siteA, keyA) = try await ca.addSite()
        let (_, keyB) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let forA = try #require(try await client.apply(Fixture.zhangSan, site: siteA.id).object["token"] as? String)
            #expect(try await client.verify(forA, apiKey: keyB).object["reason"] as? String == "wrong_audience")
            #expect(try await client.verify(forA, apiKey: keyA).object["active"] as? Bool == true)

            let expiring = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            ca.clock.advance(by: 3600 + 60)
            #expect(try await client.verify(expiring, apiKey: keyA).object["reason"] as? String == "expired")

            #expect(try await client.verify("not.a.token", apiKey: keyA).object["reason"] as? String == "malformed")
            var parts = expiring.split(separator: ".").map(String.init)
            parts[2] = String(parts[2].reversed())
            let reason = try await client.verify(parts.joined(separator: "."), apiKey: keyA).object["reason"] as? String
            #expect(reason == "invalid_signature" || reason == "malformed")
        }
    }

    @Test func organizationsShowTheirPublicName() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.applyOrganization().object["token"] as? String)
            let verified = try await client.verify(token, apiKey: apiKey)
            #expect(verified.object["active"] as? Bool == true)
            #expect(verified.object["subject_type"] as? String == "organization")
            #expect(verified.object["organization_name"] as? String == Fixture.organization.name)
        }
    }

    @Test func credentialsAndSuspension() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let missing = try await client.call(.post, "/v1/tokens/verify", json: ["token": token])
            #expect(missing.status == .unauthorized)
            #expect(missing.object["error"] as? String == "invalid_credentials")
            let wrongKey = "idca_sk_" + String(repeating: "a", count: 52)
            #expect(try await client.verify(token, apiKey: wrongKey).status == .unauthorized)
            #expect(try await client.verify(token, apiKey: "garbage").status == .unauthorized)

            #expect(try await SQLiteSiteDirectoryAccess.suspend(ca, site.id))
            let suspended = try await client.verify(token, apiKey: apiKey)
            #expect(suspended.status == .forbidden)
            #expect(suspended.object["error"] as? String == "site_suspended")

            #expect(try await SQLiteSiteDirectoryAccess.suspend(ca, site.id, false))
            #expect(try await client.verify(token, apiKey: apiKey).object["active"] as? Bool == true, "nothing was consumed while suspended")

            let malformed = try await client.call(.post, "/v1/tokens/verify", raw: "{\"tok\": 1}", apiKey: apiKey)
            #expect(malformed.status == .badRequest)
            #expect(malformed.object["error"] as? String == "missing_field")
        }
    }

    /// Single use is decided by the database: of many simultaneous verifies, exactly one wins.
    @Test func concurrentVerifiesRedeemExactlyOnce() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite(maxAccounts: 10)
        try await ca.application.test(.router) { client in
            for _ in 0..<5 {
                let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
                let results = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<24 {
                        group.addTask {
                            let response = try await client.verify(token, apiKey: apiKey)
                            return response.object["active"] as? Bool == true ? "active" : response.object["reason"] as? String ?? response.text
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(results.filter { $0 == "active" }.count == 1, "\(Set(results))")
                #expect(results.filter { $0 == "token_already_used" }.count == 23)
            }
        }
    }
}
