import Foundation
import Hummingbird
import HummingbirdTesting
import IDCACore
import IDCANotify
import IDCAServices
import IDCASQLite
import Logging
import Synchronization
import Testing

@Suite("Possession check: codes sent to the phone on file")
struct PossessionRouteTests {
    @Test func theRightCodeApprovesAtTheHigherAssurance() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let applied = try await client.apply(Fixture.withPhone)
            #expect(applied.status == .created)
            #expect(applied.object["status"] as? String == "pending_possession")
            #expect(applied.object["token"] == nil)
            let possession = try #require(applied.object["possession"] as? [String: Any])
            #expect(possession["destination"] as? String == "*******5678")
            #expect(possession["attempts_left"] as? Int == 5)
            #expect(possession["channel"] as? String == "sms")
            #expect(possession["expires_at"] as? String == "2026-11-28T21:11:40Z")
            let id = try #require(applied.object["application_id"] as? String)
            #expect(try await client.call(.get, "/v1/applications/\(id)").object["status"] as? String == "pending_possession")

            let outbox = try String(contentsOfFile: ca.outbox, encoding: .utf8)
            #expect(!outbox.contains(Fixture.phone), "the outbox masks the phone number")
            let code = try #require(ca.code(for: id))

            let confirmed = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": code])
            #expect(confirmed.status == .ok)
            #expect(confirmed.object["status"] as? String == "approved")
            let token = try #require(confirmed.object["token"] as? String)
            let verified = try await client.verify(token, apiKey: apiKey)
            #expect(verified.object["active"] as? Bool == true)
            #expect(verified.object["acr"] as? String == "registry+possession")

            let again = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": code])
            #expect(again.status == .conflict)
            #expect(again.object["error"] as? String == "application_not_pending")
            #expect(try await client.call(.get, "/v1/applications/\(id)").object["status"] as? String == "approved")
        }
        let entries = try await SQLiteAuditLogReader(ca).types()
        #expect(entries.contains("possession.challenged") && entries.contains("possession.answered"))
        #expect(entries.filter { $0 == "application.decided" }.count == 1, "one decision, recorded at the confirmation")
    }

    @Test func wrongCodesCountDownThenRefuse() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let id = try #require(try await client.apply(Fixture.withPhone).object["application_id"] as? String)
            let code = try #require(ca.code(for: id))
            let wrong = code == "000000" ? "000001" : "000000"
            for left in stride(from: 4, through: 1, by: -1) {
                let answer = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": wrong])
                #expect(answer.status == .ok)
                #expect(answer.object["status"] as? String == "pending_possession")
                #expect(answer.object["reason"] as? String == "possession_code_wrong")
                #expect(answer.object["field"] as? String == "code")
                #expect((answer.object["possession"] as? [String: Any])?["attempts_left"] as? Int == left)
            }
            let last = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": wrong])
            #expect(last.object["status"] as? String == "rejected")
            #expect(last.object["reason"] as? String == "possession_attempts_exhausted")
            let late = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": code])
            #expect(late.status == .conflict, "the right code after five wrong ones is too late")
        }
        let answers = try await SQLiteAuditLogReader(ca).entries().filter { $0.type == "possession.answered" }.map(\.outcome)
        #expect(answers == ["wrong", "wrong", "wrong", "wrong", "exhausted"], "every wrong code is on the record")
    }

    @Test func aRegistryChangeWhileTheCodeIsOnItsWayRefuses() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let id = try #require(try await client.apply(Fixture.withPhone).object["application_id"] as? String)
            try await ca.setResidentStatus(Fixture.withPhone, .deceased)
            let answer = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": try #require(ca.code(for: id))])
            #expect(answer.object["status"] as? String == "rejected")
            #expect(answer.object["reason"] as? String == "registry_mismatch")
            #expect(answer.object["token"] == nil)
        }
    }

    @Test func aPendingApplicationWhoseCodeExpiredIsShownDecided() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let id = try #require(try await client.apply(Fixture.withPhone).object["application_id"] as? String)
            ca.clock.advance(by: 300)
            let shown = try await client.call(.get, "/v1/applications/\(id)")
            #expect(shown.object["status"] as? String == "rejected")
            #expect(shown.object["reason"] as? String == "possession_code_expired")
            #expect(try await client.call(.get, "/v1/applications/\(id)").object["reason"] as? String == "possession_code_expired")
        }
    }

    @Test func onePhoneReceivesAFewCodesAnHourAtMost() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            for _ in 0..<3 { #expect(try await client.apply(Fixture.withPhone).object["status"] as? String == "pending_possession") }
            let refused = try await client.apply(Fixture.withPhone)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.object["error"] as? String == "too_many_codes")
            #expect(refused.headers[.retryAfter] == "3600")
            #expect(try await client.apply(Fixture.zhangSan).object["status"] as? String == "approved", "other people are not affected")
            ca.clock.advance(by: 3600)
            #expect(try await client.apply(Fixture.withPhone).object["status"] as? String == "pending_possession")
        }
        let refusals = try await SQLiteAuditLogReader(ca).entries().filter { $0.type == "budget.refused" }
        #expect(refusals.map(\.reason) == ["too_many_codes"])
    }

    @Test func anExpiredCodeRefusesAndMalformedOnesSpendNothing() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let id = try #require(try await client.apply(Fixture.withPhone).object["application_id"] as? String)
            let code = try #require(ca.code(for: id))
            for malformed in ["12345", "1234567", "12a456", "１２３４５６", ""] {
                let answer = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": malformed])
                #expect(answer.status == .badRequest, "\(malformed)")
                #expect(answer.object["error"] as? String == "invalid_code")
            }
            #expect((try await client.call(.get, "/v1/applications/\(id)").object["possession"] as? [String: Any])?["attempts_left"] as? Int == 5)
            #expect(try await client.call(.post, "/v1/applications/\(id)/confirm", raw: "{}").object["error"] as? String == "missing_field")

            ca.clock.advance(by: 301)
            let expired = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": code])
            #expect(expired.object["status"] as? String == "rejected")
            #expect(expired.object["reason"] as? String == "possession_code_expired")

            let unknown = try await client.call(.post, "/v1/applications/app_\(String(repeating: "a", count: 26))/confirm", json: ["code": code])
            #expect(unknown.status == .notFound)
            #expect(try await client.call(.post, "/v1/applications/nonsense/confirm", json: ["code": code]).status == .notFound)
            let direct = try #require(try await client.apply(Fixture.zhangSan).object["application_id"] as? String)
            #expect(try await client.call(.post, "/v1/applications/\(direct)/confirm", json: ["code": code]).status == .conflict,
                    "an application approved without a code is not waiting for one")
        }
    }

    @Test func withoutAPhoneTheSettingDecides() async throws {
        let lenient = try await TestCA()
        defer { lenient.remove() }
        try await lenient.application.test(.router) { client in
            let approved = try await client.apply(Fixture.zhangSan)
            #expect(approved.object["status"] as? String == "approved")
        }
        let strict = try await TestCA(possession: .init(withoutPhone: .reject))
        defer { strict.remove() }
        try await strict.application.test(.router) { client in
            let refused = try await client.apply(Fixture.zhangSan)
            #expect(refused.object["status"] as? String == "rejected")
            #expect(refused.object["reason"] as? String == "possession_unavailable")
            #expect(try await client.apply(Fixture.withPhone).object["status"] as? String == "pending_possession")
            // A registry failure is still answered as one, not as a missing phone.
            #expect(try await client.apply(Fixture.stranger).object["reason"] as? String == "registry_mismatch")
        }
    }

    @Test func anOrganizationsOperatorProvesPossession() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let applied = try await client.applyOrganization(operatorPerson: Fixture.operatorWithPhone)
            #expect(applied.object["status"] as? String == "pending_possession")
            #expect((applied.object["possession"] as? [String: Any])?["destination"] as? String == "*******1111")
            let id = try #require(applied.object["application_id"] as? String)
            let confirmed = try await client.call(.post, "/v1/applications/\(id)/confirm", json: ["code": try #require(ca.code(for: id))])
            let token = try #require(confirmed.object["token"] as? String)
            let verified = try await client.verify(token, apiKey: apiKey)
            #expect(verified.object["subject_type"] as? String == "organization")
            #expect(verified.object["acr"] as? String == "registry+possession")
            #expect(verified.object["organization_name"] as? String == Fixture.organization.name)
        }
    }

    @Test func aFailingGatewayIsARetryableErrorOnTheRecord() async throws {
        // A real webhook notifier aimed at a loopback port nothing listens on.
        let closed = WebhookNotifier(settings: .init(url: "http://127.0.0.1:9/sms", timeout: .seconds(2), retries: 1),
                                     logger: Logger(label: "test"))
        let ca = try await TestCA(notifier: closed)
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let applied = try await client.apply(Fixture.withPhone)
            #expect(applied.status == .serviceUnavailable)
            #expect(applied.object["error"] as? String == "possession_delivery_failed")
            #expect(applied.headers[.retryAfter] == "60")
        }
        let decided = try await SQLiteAuditLogReader(ca).entries().filter { $0.type == "application.decided" }
        #expect(decided.map(\.reason) == ["possession_undelivered"], "the failure is a recorded decision, not a silent loss")
    }

    @Test func theWebhookPostsTheCodeToTheGateway() async throws {
        let received = Mutex<[(authorization: String?, body: Data)]>([])
        let failuresLeft = Mutex(1)
        let router = Router()
        router.post("/sms") { request, context -> HTTPResponse.Status in
            let body = Data(buffer: try await request.body.collect(upTo: 4096))
            let authorization = request.headers[.authorization]
            received.withLock { $0.append((authorization, body)) }
            // The first call fails as an overloaded gateway would; the notifier must try again.
            return failuresLeft.withLock { left in
                defer { left -= 1 }
                return left > 0 ? .serviceUnavailable : .accepted
            }
        }
        let gateway = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await gateway.test(.live) { client in
            let notifier = WebhookNotifier(
                settings: .init(url: "http://127.0.0.1:\(client.port!)/sms", bearerToken: "gateway-secret", timeout: .seconds(5), retries: 2),
                logger: Logger(label: "test"))
            let id = ApplicationID.generate(using: SystemRandomSource())
            try await notifier.send(PossessionMessage(phone: Fixture.phone, code: "042917", applicationID: id, expiresAt: TestCA.start + 300))
            let calls = received.withLock { $0 }
            #expect(calls.count == 2)
            #expect(calls.last?.authorization == "Bearer gateway-secret")
            let body = try #require(try JSONSerialization.jsonObject(with: calls.last?.body ?? Data()) as? [String: Any])
            #expect(body["to"] as? String == Fixture.phone)
            #expect((body["text"] as? String)?.contains("042917") == true)
            #expect(body["application_id"] as? String == id.rawValue)

            // A gateway that refuses the request outright (4xx) is not asked again.
            let refusing = WebhookNotifier(settings: .init(url: "http://127.0.0.1:\(client.port!)/missing", retries: 2), logger: Logger(label: "test"))
            await #expect(throws: WebhookNotifier.Failure.self) {
                try await refusing.send(PossessionMessage(phone: Fixture.phone, code: "000000", applicationID: id, expiresAt: 0))
            }
            #expect(received.withLock { $0.count } == 2)
        }
    }
}

/// Reads the test CA's audit log.
struct SQLiteAuditLogReader {
    let ca: TestCA
    init(_ ca: TestCA) { self.ca = ca }

    func entries() async throws -> [AuditEntry] {
        try await IDCASQLite.SQLiteAuditLog(database: ca.database).entries(after: 0, limit: 10_000)
    }

    func types() async throws -> [String] { try await entries().map(\.type) }
}
