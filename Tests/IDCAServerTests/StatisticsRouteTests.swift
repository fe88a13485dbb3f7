import Foundation
import HummingbirdTesting
import IDCACore
import IDCARegistry
import Testing

@Suite("GET /v1/statistics/applications")
struct StatisticsRouteTests {
    /// Six applications on 2026-11-29 (Shanghai): three approved, three rejected for three reasons.
    static func sendKnownApplications(_ client: some TestClientProtocol, site: SiteID) async throws {
        _ = try await client.apply(Fixture.zhangSan, site: site)
        _ = try await client.apply(Fixture.aili)
        _ = try await client.apply(Fixture.deceased)
        _ = try await client.apply(PersonClaim(name: "张三", residentID: "110105194912310020"))
        _ = try await client.applyOrganization()
        _ = try await client.applyOrganization(legalRepresentative: "冒名者")
    }

    @Test func countsMatchTheDecisionsInEveryBreakdown() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, _) = try await ca.addSite()
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            try await Self.sendKnownApplications(client, site: site.id)

            let total = try await client.call(.get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29", apiKey: auditorKey)
            #expect(total.status == .ok)
            #expect(total.headers[.contentType] == "application/json; charset=utf-8")
            let totals = try #require(total.object["totals"] as? [String: Any])
            #expect(totals["applications"] as? Int == 6)
            #expect(totals["approved"] as? Int == 3)
            #expect(totals["rejected"] as? Int == 3)
            #expect(totals["rejection_rate"] as? Double == 0.5)

            let byReason = try await client.call(.get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&group_by=subject_type,reason",
                                                 apiKey: auditorKey)
            let rows = try #require(byReason.object["rows"] as? [[String: Any]])
            let summary = rows.map { "\($0["subject_type"]!) \(($0["reason"] as? String) ?? "-") \($0["applications"]!)/\($0["rejected"]!)" }
            #expect(summary == [
                "individual checksum 1/1", "individual identity_inactive 1/1", "individual - 2/0",
                "organization legal_representative_mismatch 1/1", "organization - 1/0",
            ])

            let byProvince = try await client.call(.get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&group_by=province",
                                                   apiKey: auditorKey)
            let provinces = try #require(byProvince.object["rows"] as? [[String: Any]])
            #expect(provinces.map { $0["province"] as? String } == ["110000", "650000", nil])
            #expect(provinces.first?["province_name"] as? String == "北京市")
            #expect(provinces.map { $0["applications"] as? Int } == [4, 1, 1], "Beijing: 2 residents + the credit-coded organization twice")

            let bySite = try await client.call(.get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&group_by=site", apiKey: auditorKey)
            let sites = try #require(bySite.object["rows"] as? [[String: Any]])
            #expect(sites.map { $0["site"] as? String } == [site.id.rawValue, nil])
            #expect(sites.first?["site_name"] as? String == "测试微博")

            let outside = try await client.call(.get, "/v1/statistics/applications?from=2026-11-30&to=2026-12-31", apiKey: auditorKey)
            #expect((outside.object["rows"] as? [Any])?.isEmpty == true)
            #expect((outside.object["totals"] as? [String: Any])?["applications"] as? Int == 0)
        }
    }

    @Test func csvHasAHeaderSuppressionAndTheSameNumbers() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, _) = try await ca.addSite()
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            try await Self.sendKnownApplications(client, site: site.id)
            let csv = try await client.call(
                .get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&group_by=subject_type&format=csv&min_count=3", apiKey: auditorKey)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8; header=present")
            #expect(csv.headers[.contentDisposition]?.contains("attachment") == true)
            #expect(csv.text == """
                subject_type,applications,approved,rejected,rejection_rate\r
                individual,4,2,2,0.5\r
                organization,<3,<3,<3,\r

                """)
            let excel = try await client.call(
                .get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&format=csv&excel=true", apiKey: auditorKey)
            #expect(Array(excel.text.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])

            let suppressed = try await client.call(
                .get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&group_by=subject_type&min_count=3", apiKey: auditorKey)
            let rows = try #require(suppressed.object["rows"] as? [[String: Any]])
            #expect(rows[1]["suppressed"] as? Bool == true)
            #expect(rows[1]["applications"] is NSNull)
            #expect(rows[0]["suppressed"] as? Bool == false)
            #expect(rows[0]["applications"] as? Int == 4)
        }
    }

    @Test func periodsGroupDaysWeeksAndMonths() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            _ = try await client.apply(Fixture.zhangSan)            // Sunday 2026-11-29 (Shanghai)
            ca.clock.advance(by: 86_400)
            _ = try await client.apply(Fixture.aili)                // Monday 2026-11-30
            ca.clock.advance(by: 86_400 * 2)
            _ = try await client.apply(Fixture.deceased)            // Wednesday 2026-12-02
            let base = "/v1/statistics/applications?from=2026-11-01&to=2026-12-31&group_by=period&period="
            func labels(_ period: String) async throws -> [String] {
                let rows = try await client.call(.get, base + period, apiKey: auditorKey).object["rows"] as? [[String: Any]] ?? []
                return rows.map { "\($0["period"]!)=\($0["applications"]!)" }
            }
            #expect(try await labels("day") == ["2026-11-29=1", "2026-11-30=1", "2026-12-02=1"])
            #expect(try await labels("week") == ["2026-W48=1", "2026-W49=2"])
            #expect(try await labels("month") == ["2026-11=2", "2026-12=1"])
        }
    }

    @Test(arguments: [
        ("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-12-01&to=2026-11-01", "from"),
        ("group_by=country", "group_by"), ("group_by=reason,reason", "group_by"), ("group_by=reason,", "group_by"),
        ("period=year", "period"), ("format=xml", "format"), ("min_count=-1", "min_count"), ("min_count=many", "min_count"),
        ("from=2000-01-01&to=2026-11-29", "from"), ("excel=yes", "excel"),
    ])
    func badParametersAreRefusedByName(query: String, field: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let response = try await client.call(.get, "/v1/statistics/applications?" + query, apiKey: auditorKey)
            #expect(response.status == .badRequest)
            #expect(response.object["error"] as? String == "invalid_parameter")
            #expect(response.object["field"] as? String == field)
        }
    }

    @Test func theHTMLReportIsSelfContained() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let (site, _) = try await ca.addSite()
        let auditorKey = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            try await Self.sendKnownApplications(client, site: site.id)
            let html = try await client.call(.get, "/v1/statistics/applications?from=2026-11-29&to=2026-11-29&format=html", apiKey: auditorKey)
            #expect(html.status == .ok)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.text.hasPrefix("<!DOCTYPE html>"))
            #expect(html.text.contains("<svg"))
            #expect(html.text.contains("legal_representative_mismatch"))
            #expect(!html.text.contains("<script"))
            #expect(!html.text.contains("src=\"http"))
        }
    }
}
