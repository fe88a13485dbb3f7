import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IDCAHTTP
import NIOCore
import IDCACore
@testable import IDCAServices
import Testing

@Suite("Anti-enumeration budgets")
struct BudgetTests {
    @Test func aLockStartsAtTheFailureThatFillsTheWindowAndLastsItsDuration() {
        let day: Int64 = 86_400
        func until(_ failures: [Int64], now: Int64) -> Int64? {
            Budgets.lockedUntil(failures: failures, threshold: 3, window: day, lock: day, now: now)
        }
        #expect(until([300, 200], now: 400) == nil, "two failures are under the threshold")
        #expect(until([300, 200, 100], now: 400) == 300 + day)
        #expect(until([300, 200, 100], now: 300 + day) == nil, "the lock has ended")
        #expect(until([2 * day + 10, day + 5, 0], now: 2 * day + 20) == nil, "three failures spread over more than a window")
        #expect(until([5 * day, 10, 5, 0], now: 5 * day) == nil, "an old lock stays over")
        #expect(until([day + 50, 40, 30, 20], now: day + 60) == nil, "the old trio's lock ended at day + 40")
        #expect(until([day + 50, day + 40, day + 30, 20], now: day + 60) == day + 50 + day, "the newest trio decides")
    }

    @Test func anAddressBucketRefusesWhenEmptyAndRefillsOnMonotonicTime() {
        let monotonic = ManualMonotonic()
        let buckets = AddressBuckets(burst: 3, perMinute: 60, now: { monotonic.now() })
        for _ in 0..<3 { #expect(buckets.take("192.0.2.1") == .allowed) }
        #expect(buckets.take("192.0.2.1") == .refused(retryAfter: 1, first: true))
        #expect(buckets.take("192.0.2.1") == .refused(retryAfter: 1, first: false), "one audit entry per run of refusals")
        #expect(buckets.take("192.0.2.2") == .allowed, "each address has its own bucket")
        monotonic.advance(by: .seconds(1))
        #expect(buckets.take("192.0.2.1") == .allowed)
        #expect(buckets.take("192.0.2.1") == .refused(retryAfter: 1, first: true))
        monotonic.advance(by: .seconds(3600))
        for _ in 0..<3 { #expect(buckets.take("192.0.2.1") == .allowed, "refilled to its burst, not beyond") }
        #expect(buckets.take("192.0.2.1") != .allowed)
    }

    @Test func aResidentIDIsLockedAfterFailedMatchesWhetherOrNotItExists() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let borrowed = PersonClaim(name: "冒名者", residentID: Fixture.zhangSan.residentID)
            for person in [Fixture.stranger, borrowed] {
                for _ in 0..<5 {
                    let failed = try await client.apply(person)
                    #expect(failed.object["reason"] as? String == "registry_mismatch")
                }
                let locked = try await client.apply(person)
                #expect(locked.status == .tooManyRequests)
                #expect(locked.object["error"] as? String == "identity_locked")
                #expect(locked.headers[.retryAfter] == "86400")
            }
            // The rightful owner is locked too for the day: that is the price of the lock.
            #expect(try await client.apply(Fixture.zhangSan).object["error"] as? String == "identity_locked")
            #expect(try await client.apply(Fixture.aili).object["status"] as? String == "approved", "other people are not")

            ca.clock.advance(by: 86_400)
            #expect(try await client.apply(Fixture.zhangSan).object["status"] as? String == "approved", "the lock ends")
        }
        let refusals = try await SQLiteAuditLogReader(ca).entries().filter { $0.type == "budget.refused" }
        #expect(refusals.count == 3)
        #expect(refusals.allSatisfy { $0.reason == "identity_locked" && !$0.subject.isEmpty })
    }

    @Test func aResidentIDFailingAsAnOperatorIsLockedToo() async throws {
        let ca = try await TestCA(budgets: .init(residentFailures: 3, organizationFailures: 100))
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let impostor = PersonClaim(name: "冒名者", residentID: Fixture.zhangSan.residentID)
            for _ in 0..<3 {
                let refused = try await client.applyOrganization(operatorPerson: impostor)
                #expect(refused.object["reason"] as? String == "operator_rejected")
            }
            #expect(try await client.applyOrganization(operatorPerson: impostor).object["error"] as? String == "identity_locked",
                    "not through the same organization")
            #expect(try await client.applyOrganization(name: Fixture.oldOrganization.name, creditCode: nil,
                                                       organizationCode: Fixture.oldOrganization.organizationCode,
                                                       legalRepresentative: Fixture.oldOrganization.legalRepresentative,
                                                       operatorPerson: impostor).object["error"] as? String == "identity_locked",
                    "nor through another")
            #expect(try await client.apply(impostor).object["error"] as? String == "identity_locked", "nor as an individual")
            #expect(try await client.applyOrganization().object["status"] as? String == "approved", "the organization itself is not locked")
        }
    }

    @Test func anOrganizationIsLockedAfterItsOwnBudget() async throws {
        let ca = try await TestCA(budgets: .init(organizationFailures: 3))
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            for _ in 0..<3 {
                #expect(try await client.applyOrganization(legalRepresentative: "冒充者").object["reason"] as? String
                        == "legal_representative_mismatch")
            }
            let locked = try await client.applyOrganization()
            #expect(locked.status == .tooManyRequests)
            #expect(locked.object["error"] as? String == "organization_locked")
            #expect(try await client.apply(Fixture.zhangSan).object["status"] as? String == "approved")
        }
    }

    @Test func oneAddressIsLimitedOnALiveServer() async throws {
        let ca = try await TestCA(budgets: .init(addressBurst: 2, addressPerMinute: 1))
        defer { ca.remove() }
        try await ca.application.test(.live) { client in
            #expect(try await client.apply(Fixture.zhangSan).status == .created)
            #expect(try await client.apply(Fixture.zhangSan).status == .created)
            let limited = try await client.apply(Fixture.zhangSan)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.object["error"] as? String == "rate_limited")
            #expect(limited.headers[.retryAfter] == "60")
            ca.monotonic.advance(by: .seconds(60))
            #expect(try await client.apply(Fixture.zhangSan).status == .created)
            ca.clock.advance(by: 1_000_000)
            #expect(try await client.apply(Fixture.zhangSan).status == .tooManyRequests, "a wall-clock jump refills nothing")
        }
        let refusals = try await SQLiteAuditLogReader(ca).entries().filter { $0.type == "budget.refused" }
        #expect(refusals.map(\.reason) == ["rate_limited", "rate_limited"])
        #expect(refusals.allSatisfy { $0.detail.contains("source=") && !$0.detail.contains("127.0.0.1") }, "the address only as a keyed hash")
    }
}

@Suite("The client behind a trusted reverse proxy")
struct TrustedProxyTests {
    func post(_ client: some TestClientProtocol, forwardedFor: String?) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let forwardedFor, let name = HTTPField.Name("X-Forwarded-For") { headers[name] = forwardedFor }
        let body = try JSONSerialization.data(withJSONObject: ["subject_type": "individual", "name": Fixture.zhangSan.name,
                                                               "resident_id": Fixture.zhangSan.residentID])
        return try await client.execute(uri: "/v1/applications", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { $0.status }
    }

    @Test func behindATrustedProxyEachClientHasItsOwnBucket() async throws {
        let ca = try await TestCA(budgets: .init(addressBurst: 1, addressPerMinute: 1))
        defer { ca.remove() }
        var services = ca.services
        services.trustedProxies = try #require(TrustedProxies(["127.0.0.1"]))
        let application = buildApplication(services: services, settings: ServerSettings(host: "127.0.0.1", port: 0), logger: ca.logger)
        try await application.test(.live) { client in
            let first = try await post(client, forwardedFor: "198.51.100.7")
            #expect(first == .created)
            #expect(try await post(client, forwardedFor: "198.51.100.7") == .tooManyRequests)
            #expect(try await post(client, forwardedFor: "198.51.100.8") == .created, "another client behind the same proxy")
            #expect(try await post(client, forwardedFor: "203.0.113.1, 198.51.100.9") == .created,
                    "the nearest hop the trusted proxy saw, not what the client claimed before it")
            #expect(try await post(client, forwardedFor: "not an address") == .created, "a garbled header counts as the proxy itself")
            #expect(try await post(client, forwardedFor: nil) == .tooManyRequests, "…which now shares that bucket")
        }
    }

    @Test func withoutATrustedProxyTheHeaderIsIgnored() async throws {
        let ca = try await TestCA(budgets: .init(addressBurst: 1, addressPerMinute: 1))
        defer { ca.remove() }
        try await ca.application.test(.live) { client in
            let first = try await post(client, forwardedFor: "198.51.100.7")
            #expect(first == .created)
            #expect(try await post(client, forwardedFor: "198.51.100.8") == .tooManyRequests, "a client cannot pick its own bucket")
        }
        #expect(TrustedProxies(["10.0.0.5", "::1"]) != nil)
        #expect(TrustedProxies(["10.0.0.0/8"]) == nil)
        #expect(TrustedProxies(["proxy.example"]) == nil)
    }
}
