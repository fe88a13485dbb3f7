import Foundation
import HummingbirdTesting
import IDCACore
import Testing

@Suite("JWKS, health, metrics, privacy")
struct OperationsRouteTests {
    @Test func jwksPublishesTheSigningKeyWithCaching() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let response = try await client.call(.get, "/.well-known/jwks.json")
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "public, max-age=300")
            let keys = try #require(response.object["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys[0]["kty"] as? String == "OKP")
            #expect(keys[0]["crv"] as? String == "Ed25519")
            #expect(keys[0]["alg"] as? String == "EdDSA")
            #expect(keys[0]["use"] as? String == "sig")
            #expect(keys[0]["kid"] as? String == ca.signingKey.keyID)
            #expect(keys[0]["d"] == nil, "never the private part")
        }
    }

    @Test func healthReflectsTheDatabase() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let healthy = try await client.call(.get, "/healthz")
            #expect(healthy.status == .ok)
            #expect(healthy.object["status"] as? String == "ok")
            try ca.database.pool.close()
            let closed = try await client.call(.get, "/healthz")
            #expect(closed.status == .serviceUnavailable)
            // A database failure is a retryable 503 with nothing internal in it, never a decision.
            let refused = try await client.apply(Fixture.zhangSan)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.object["error"] as? String == "storage_unavailable")
            #expect(refused.object["application_id"] == nil)
        }
    }

    @Test func unknownPathsAndMethodsGetJSONErrors() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let missing = try await client.call(.get, "/v2/nothing")
            #expect(missing.status == .notFound)
            #expect(missing.object["error"] as? String == "not_found")
            #expect(missing.headers[.init("X-Request-ID")!] != nil)
        }
    }

    /// After a scripted run, neither the database files, the logs nor the metrics hold any
    /// plaintext resident ID or personal name used.
    @Test func noPlaintextPersonalDataIsKept() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        let metrics = try await ca.application.test(.router) { client in
            for person in [Fixture.zhangSan, Fixture.aili, Fixture.deceased, Fixture.cancelled, Fixture.stranger] {
                if let token = try await client.apply(person).object["token"] as? String {
                    _ = try await client.verify(token, apiKey: apiKey)
                }
                _ = try await client.apply(PersonClaim(name: person.name, residentID: person.residentID.lowercased()))
            }
            _ = try await client.applyOrganization()
            _ = try await client.applyOrganization(operatorPerson: Fixture.stranger)
            return try await client.call(.get, "/metrics").text
        }
        try ca.database.pool.close()
        var stored = Data()
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: ca.directory + "/idca.sqlite" + suffix) { stored.append(data) }
        }
        #expect(stored.count > 10_000)
        let logs = ca.logs.lines.withLock { $0.joined(separator: "\n") }
        #expect(logs.contains("/v1/applications"), "the request log is captured")
        for value in Fixture.personalValues {
            #expect(stored.range(of: Data(value.utf8)) == nil, "database holds \(value.prefix(3))…")
            #expect(!logs.contains(value), "logs hold \(value.prefix(3))…")
            #expect(!metrics.contains(value), "metrics hold \(value.prefix(3))…")
        }
        #expect(metrics.contains("idca_decisions_total"))
        #expect(metrics.contains("idca_verifications_total"))
        #expect(metrics.contains("idca_http_requests_total"))
    }
}
