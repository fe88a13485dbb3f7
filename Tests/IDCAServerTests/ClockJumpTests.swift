import Foundation
import HummingbirdTesting
import IDCACore
import Testing

/// The wall clock can jump (an NTP step, a virtual machine resumed, an operator's mistake). Whatever
/// it reads, a token is judged by its own `nbf`/`exp` against that reading with exactly the
/// documented 60 s leeway, a refusal never spends a token, a redemption is never undone, and the
/// address budget runs on monotonic time only (Docs/RELIABILITY.md, "Clock jumps").
@Suite("Clock jumps")
struct ClockJumpTests {
    static let lifetime: Int64 = 3600
    static let leeway: Int64 = 60

    /// Verification at wall-clock readings around a token's bounds: accepted exactly inside
    /// [nbf − leeway, exp + leeway), refused outside, in either direction of the jump.
    /// Seconds from issue at which a token is verified, and the reason expected (`nil`: active).
    static let readings: [(offset: Int64, reason: String?)] = [
        (lifetime + leeway - 1, nil),
        (lifetime + leeway, "expired"),
        (lifetime + 86_400 * 365, "expired"),
        (-leeway, nil),
        (-leeway - 1, "not_yet_valid"),
        (-86_400 * 365, "not_yet_valid"),
    ]

    @Test("expiry and not-before hold to the leeway whichever way the clock jumps", arguments: readings)
    func boundsHoldAcrossJumps(reading: (offset: Int64, reason: String?)) async throws {
        let (offset, reason) = reading
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            ca.clock.advance(by: offset)
            let answer = try await client.verify(token, apiKey: apiKey)
            #expect(answer.status == .ok)
            if let reason {
                #expect(answer.object["active"] as? Bool == false)
                #expect(answer.object["reason"] as? String == reason)
                // The clock steps back to the truth: the refusal spent nothing, and the token verifies once.
                ca.clock.advance(by: -offset)
                #expect(try await client.verify(token, apiKey: apiKey).object["active"] as? Bool == true)
            } else {
                #expect(answer.object["active"] as? Bool == true, "\(answer.object)")
            }
            #expect(try await client.verify(token, apiKey: apiKey).object["reason"] as? String == "token_already_used")
        }
    }

    @Test("a redemption survives any later jump: a clock stepped back never reopens a used token")
    func redemptionIsNotUndoneByAJumpBack() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            ca.clock.advance(by: 1800)
            #expect(try await client.verify(token, apiKey: apiKey).object["active"] as? Bool == true)
            for jump: Int64 in [-1800, -86_400, 86_400 * 30, -86_400 * 30] {
                ca.clock.advance(by: jump)
                let again = try await client.verify(token, apiKey: apiKey)
                #expect(again.object["active"] as? Bool == false)
                #expect(["token_already_used", "expired", "not_yet_valid"].contains(again.object["reason"] as? String ?? ""))
            }
            ca.clock.advance(by: 1800 - (ca.clock.now() - TestCA.start))
            #expect(try await client.verify(token, apiKey: apiKey).object["reason"] as? String == "token_already_used")
        }
    }

    @Test("far-off clock readings (1970, year 9999) are answered, not trapped on, and the audit chain still verifies")
    func extremeReadingsAreSafe() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (_, apiKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            let token = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            for reading: Int64 in [0, 253_402_300_799] {
                ca.clock.advance(by: reading - ca.clock.now())
                let answer = try await client.verify(token, apiKey: apiKey)
                #expect(answer.status == .ok)
                #expect(answer.object["reason"] as? String == (reading == 0 ? "not_yet_valid" : "expired"))
                let application = try await client.apply(Fixture.aili)
                #expect(application.status == .created, "an application is still decided at \(reading)")
                #expect(try await client.call(.get, "/healthz").status == .ok)
            }
        }
        let report = try await ca.services.audit.verify(key: ca.auditKey.publicKey, extra: [])
        #expect(report.isIntact, "the chain links entries, not times: a clock that runs backwards does not break it")
    }

    @Test("the address budget refills with monotonic time only: no wall-clock jump, forward or back, refills or drains it")
    func addressBudgetIgnoresWallClock() async throws {
        let ca = try await TestCA(budgets: .init(addressBurst: 2, addressPerMinute: 1))
        defer { ca.remove() }
        try await ca.application.test(.live) { client async throws in
            #expect(try await client.apply(Fixture.zhangSan).status == .created)
            #expect(try await client.apply(Fixture.zhangSan).status == .created)
            for jump: Int64 in [86_400, -86_400 * 2, 3600] {
                ca.clock.advance(by: jump)
                #expect(try await client.apply(Fixture.zhangSan).status == .tooManyRequests, "a wall-clock jump of \(jump) s refills nothing")
            }
            ca.monotonic.advance(by: .seconds(60))
            #expect(try await client.apply(Fixture.zhangSan).status == .created, "a minute of monotonic time refills one")
            #expect(try await client.apply(Fixture.zhangSan).status == .tooManyRequests)
        }
    }
}
