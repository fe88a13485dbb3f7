import IDCACore
import IDCAReports
import IDCARules
import Testing

// The renderings of IDCAReports, tested through what a reader sees: the HTML page, the CSV and
// JSON exports, and the reason explanations they print. Every overview is built from known
// `StatisticsCell`s, as the storage would return them.

/// 2026-11-01, the first day of every query here.
private let firstDay = CivilDate(year: 2026, month: 11, day: 1)!
private let secondDay = CivilDate(year: 2026, month: 11, day: 2)!
private let site = "site_aaaaaaaaaaaaaaaaaaaaaaaaaa"
/// An operator-chosen site name that would run a script, and break the markup, if not escaped.
private let hostileSiteName = "Bank & Trust <script>alert(1)</script>"

/// A consistent data set: 1,500 applications, 1,300 approved, 200 rejected; individuals 1,200
/// (100 rejected: checksum 60, registry_name_mismatch 40), organizations 300 (100 rejected:
/// organization_not_found 70, checksum 30).
///
/// With `withSmallGroups`, a province (新疆, 650000) and a reason (identity_inactive) get a group of
/// 3 applications each, which `minimumCount: 10` suppresses.
private func overview(minimumCount: Int = 0, withSmallGroups: Bool = false, reversed: Bool = false,
                      groupBy: [StatisticsDimension] = [.site]) -> StatisticsOverview {
    let query = StatisticsQuery(from: firstDay, to: CivilDate(year: 2026, month: 11, day: 3)!, groupBy: groupBy)
    let parts = StatisticsOverview.queries(for: query)
    var overTime = [
        StatisticsCell(periodStart: firstDay, applications: 700, approved: 700, rejected: 0),
        StatisticsCell(reason: "checksum", periodStart: firstDay, applications: 50, approved: 0, rejected: 50),
        StatisticsCell(reason: "registry_name_mismatch", periodStart: firstDay, applications: 20, approved: 0, rejected: 20),
        StatisticsCell(reason: "organization_not_found", periodStart: firstDay, applications: 30, approved: 0, rejected: 30),
        StatisticsCell(periodStart: secondDay, applications: 600, approved: 600, rejected: 0),
        StatisticsCell(reason: "checksum", periodStart: secondDay, applications: 40, approved: 0, rejected: 40),
        StatisticsCell(reason: "registry_name_mismatch", periodStart: secondDay, applications: 20, approved: 0, rejected: 20),
        StatisticsCell(reason: "organization_not_found", periodStart: secondDay, applications: 40, approved: 0, rejected: 40),
    ]
    let bySubjectType = [
        StatisticsCell(subjectType: .individual, applications: 1_200, approved: 1_100, rejected: 100),
        StatisticsCell(subjectType: .organization, applications: 300, approved: 200, rejected: 100),
    ]
    var byProvince = [
        StatisticsCell(province: 110000, applications: 600, approved: 560, rejected: 40),
        StatisticsCell(province: 440000, applications: 810, approved: 740, rejected: 70),
        StatisticsCell(applications: 90, approved: 0, rejected: 90),
    ]
    var byReason = [
        StatisticsCell(applications: 1_300, approved: 1_300, rejected: 0),
        StatisticsCell(reason: "checksum", applications: 90, approved: 0, rejected: 90),
        StatisticsCell(reason: "registry_name_mismatch", applications: 40, approved: 0, rejected: 40),
        StatisticsCell(reason: "organization_not_found", applications: 70, approved: 0, rejected: 70),
    ]
    var requested = [
        StatisticsCell(site: site, applications: 1_000, approved: 880, rejected: 120),
        StatisticsCell(site: "site_bbbbbbbbbbbbbbbbbbbbbbbbbb", applications: 495, approved: 420, rejected: 75),
        StatisticsCell(site: "site_cccccccccccccccccccccccccc", applications: 5, approved: 0, rejected: 5),
    ]
    if groupBy.isEmpty {
        requested = [StatisticsCell(applications: 1_500, approved: 1_300, rejected: 200)]
    }
    if withSmallGroups {
        overTime.append(StatisticsCell(reason: "identity_inactive", periodStart: CivilDate(year: 2026, month: 11, day: 3)!,
                                       applications: 3, approved: 0, rejected: 3))
        byProvince.append(StatisticsCell(province: 650000, applications: 3, approved: 0, rejected: 3))
        byReason.append(StatisticsCell(reason: "identity_inactive", applications: 3, approved: 0, rejected: 3))
    }
    func report(_ query: StatisticsQuery, _ cells: [StatisticsCell]) -> StatisticsReport {
        StatisticsReport(query: query, cells: reversed ? cells.reversed() : cells, minimumCount: minimumCount,
                         siteNames: [site: hostileSiteName, "site_bbbbbbbbbbbbbbbbbbbbbbbbbb": "政务服务平台"])
    }
    return StatisticsOverview(
        overTime: report(parts.overTime, overTime), bySubjectType: report(parts.bySubjectType, bySubjectType),
        byProvince: report(parts.byProvince, byProvince), byReason: report(parts.byReason, byReason),
        requested: report(query, requested), generatedAt: 1_796_027_400)
}

/// An overview of a range with no applications at all.
private func emptyOverview() -> StatisticsOverview {
    let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [.subjectType])
    let parts = StatisticsOverview.queries(for: query)
    return StatisticsOverview(
        overTime: StatisticsReport(query: parts.overTime, cells: []), bySubjectType: StatisticsReport(query: parts.bySubjectType, cells: []),
        byProvince: StatisticsReport(query: parts.byProvince, cells: []), byReason: StatisticsReport(query: parts.byReason, cells: []),
        requested: StatisticsReport(query: query, cells: []), generatedAt: 1_796_027_400)
}

/// Text as the page must print it (the page's escaping, restated independently).
private func escapedHTML(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}

/// Every `<svg …>…</svg>` element of the page, in order.
private func svgElements(_ html: String) -> [Substring] {
    var elements: [Substring] = []
    var rest = html[...]
    while let open = rest.firstRange(of: "<svg"), let close = rest[open.upperBound...].firstRange(of: "</svg>") {
        elements.append(rest[open.lowerBound..<close.upperBound])
        rest = rest[close.upperBound...]
    }
    return elements
}

private func occurrences(of needle: String, in html: String) -> Int { html.ranges(of: needle).count }

@Suite("HTML statistics report")
struct StatisticsHTMLTests {
    @Test func headlineFiguresAreTheTotals() {
        let html = overview().html()
        #expect(html.contains("<div class=\"value\">1,500</div>"))
        #expect(html.contains("<div class=\"value\">1,300</div>"))
        #expect(html.contains("<div class=\"value\">200</div>"))
        #expect(html.contains("<div class=\"value\">13.3%</div>"))
        #expect(html.contains("2026-11-01 – 2026-11-03"))
        #expect(html.contains("2026-11-30T08:30:00Z"))
        // Counts are grouped by thousands, never printed raw.
        #expect(!html.contains(">1500<"))
    }

    @Test func theTitleIsBilingual() {
        let html = overview().html()
        #expect(html.contains("<title>idca 认证申请统计 · Certification application statistics</title>"))
        #expect(html.contains("拒绝原因<span class=\"en\" lang=\"en\"><span class=\"sep\"> · </span>Rejection reasons</span>"))
    }

    @Test func everyReasonAppearsWithItsExplanation() {
        let html = overview().html()
        for code in ["checksum", "registry_name_mismatch", "organization_not_found"] {
            let explanation = ReasonExplanations.explanation(for: code)
            #expect(html.contains(escapedHTML(explanation.chinese)), "\(code)")
            #expect(html.contains(escapedHTML(explanation.english)), "\(code)")
        }
        // Shares of all rejections: 90 of 200.
        #expect(html.contains("<td class=\"num\">90</td><td class=\"num\">45.0%</td>"))
        // A reason that did not occur gets no row.
        #expect(!html.contains(escapedHTML(ReasonExplanations.explanation(for: "identity_inactive").english)))
    }

    @Test func anUnknownReasonCodeIsEscapedAndExplainedGenerically() {
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [.reason])
        let parts = StatisticsOverview.queries(for: query)
        let cells = [StatisticsCell(reason: "new<code>&", applications: 4, approved: 0, rejected: 4)]
        let timed = [StatisticsCell(reason: "new<code>&", periodStart: firstDay, applications: 4, approved: 0, rejected: 4)]
        let html = StatisticsOverview(
            overTime: StatisticsReport(query: parts.overTime, cells: timed),
            bySubjectType: StatisticsReport(query: parts.bySubjectType, cells: [StatisticsCell(subjectType: .individual, applications: 4, approved: 0, rejected: 4)]),
            byProvince: StatisticsReport(query: parts.byProvince, cells: [StatisticsCell(applications: 4, approved: 0, rejected: 4)]),
            byReason: StatisticsReport(query: parts.byReason, cells: cells), requested: StatisticsReport(query: query, cells: cells),
            generatedAt: 0).html()
        #expect(html.contains("new&lt;code&gt;&amp;"))
        #expect(!html.contains("new<code>&"))
        #expect(html.contains(escapedHTML(ReasonExplanations.explanation(for: "new<code>&").english)))
    }

    @Test func operatorChosenNamesAreEscaped() {
        let html = overview().html()
        #expect(html.contains("Bank &amp; Trust &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains(hostileSiteName))
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("政务服务平台"))
    }

    @Test func suppressedGroupsShowBelowKInTablesAndStayOutOfCharts() {
        let html = overview(minimumCount: 10, withSmallGroups: true).html()
        // The requested table: the 5-application site is hidden, its name column kept.
        #expect(html.contains("<code>site_cccccccccccccccccccccccccc</code></td><td></td><td class=\"num\">&lt;10</td>"))
        // The reason table and the list of all provinces name the small groups, with <k.
        #expect(html.contains("<code>identity_<wbr>inactive</code></td><td class=\"num\">&lt;10</td>"))
        #expect(html.contains("<td>新疆维吾尔自治区</td><td><code>650000</code></td><td class=\"num\">&lt;10</td>"))
        #expect(html.contains("Groups with fewer than 10 applications are suppressed"))
        let charts = svgElements(html)
        #expect(!charts.isEmpty)
        for chart in charts {
            #expect(!chart.contains("新疆"))
            #expect(!chart.contains("identity_inactive"))
        }
        // The totals still include them.
        #expect(html.contains("<div class=\"value\">1,500</div>"))
    }

    @Test func unsuppressedSmallGroupsAreDrawn() {
        let html = overview(minimumCount: 0, withSmallGroups: true).html()
        let charts = svgElements(html).joined()
        #expect(charts.contains("新疆维吾尔自治区"))
        #expect(charts.contains("identity_inactive"))
        #expect(!html.contains("&lt;10"))
        #expect(!html.contains("are suppressed"))
    }

    @Test func anEmptyRangeSaysSoInsteadOfDrawingEmptyCharts() {
        let html = emptyOverview().html()
        #expect(html.contains("No applications in this period."))
        #expect(!html.contains("<svg"))
        #expect(!html.contains("NaN"))
        #expect(!html.contains("Infinity") && !html.contains(">inf") && !html.contains("inf%"))
        // A rate of nothing is a dash, not 0.0% or a division by zero.
        #expect(html.contains("<div class=\"value\">—</div>"))
    }

    @Test func aRangeWithApplicationsHasNoEmptyNote() {
        let html = overview().html()
        #expect(!html.contains("No applications in this period."))
        #expect(html.contains("<svg"))
        #expect(!html.contains("NaN"))
    }

    @Test func everyGroupBelowKLeavesNothingToDrawButSaysWhy() {
        let html = overview(minimumCount: 100_000).html()
        #expect(!html.contains("<svg"))
        #expect(html.contains("is suppressed, so there is nothing to draw"))
        #expect(html.contains("<div class=\"value\">1,500</div>"))
        #expect(!html.contains("NaN"))
    }

    @Test(arguments: [false, true])
    func thePageIsSelfContained(empty: Bool) {
        let html = empty ? emptyOverview().html() : overview(minimumCount: 10, withSmallGroups: true).html()
        #expect(!html.contains("http://"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("//"), "no protocol-relative references either")
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
        #expect(!html.contains(" style=\""), "inline style attributes would need a laxer content security policy")
        #expect(occurrences(of: "<style>", in: html) == 1)
    }

    @Test(arguments: [false, true])
    func thePageIsWellFormed(empty: Bool) {
        let html = empty ? emptyOverview().html() : overview(minimumCount: 10, withSmallGroups: true).html()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-Hans\">"))
        #expect(html.hasSuffix("</html>\n"))
        for element in ["svg", "table", "section", "figure", "g", "text", "tr", "td", "th", "p", "ul", "li", "details"] {
            #expect(occurrences(of: "<\(element)>", in: html) + occurrences(of: "<\(element) ", in: html)
                == occurrences(of: "</\(element)>", in: html), "\(element)")
        }
        // Opened and closed in turn: no SVG inside another, none left open.
        var depth = 0
        var rest = html[...]
        while let tag = rest.firstRange(of: /<\/?svg[ >]/) {
            depth += rest[tag].hasPrefix("</") ? -1 : 1
            #expect(depth == 0 || depth == 1)
            rest = rest[tag.upperBound...]
        }
        #expect(depth == 0)
    }

    @Test func chartsAreLabelledForScreenReaders() {
        let html = overview().html()
        let charts = svgElements(html)
        // Over time (all, rejections alone), subject types, provinces: a wide and a narrow drawing each.
        #expect(charts.count == 8)
        for chart in charts {
            #expect(chart.contains("role=\"img\""))
            guard let labelled = chart.firstMatch(of: /aria-labelledby="([^"]+)" aria-describedby="([^"]+)"/) else {
                Issue.record("unlabelled chart")
                continue
            }
            #expect(chart.contains("<title id=\"\(labelled.1)\">"))
            #expect(chart.contains("<desc id=\"\(labelled.2)\">"))
        }
        let ids = html.matches(of: /\sid="([^"]+)"/).map { String($0.1) }
        #expect(Set(ids).count == ids.count, "ids are unique")
    }

    @Test func theUnknownProvinceIsNamedAndPlacedLast() {
        let html = overview().html()
        let wide = svgElements(html).first { $0.contains("province-wide") }
        guard let wide else {
            Issue.record("no province chart")
            return
        }
        #expect(wide.contains("未知 · unknown"))
        #expect(wide.contains("(refused before the number could be read)"))
        // Descending by rejections: 广东 (70) before 北京 (40), the unknown (90) after both.
        let guangdong = wide.firstRange(of: "广东省")!.lowerBound
        let beijing = wide.firstRange(of: "北京市")!.lowerBound
        let unknown = wide.firstRange(of: "未知")!.lowerBound
        #expect(guangdong < beijing)
        #expect(beijing < unknown)
    }

    @Test func manyProvincesShareAnOtherBar() {
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [])
        let parts = StatisticsOverview.queries(for: query)
        let codes = RegionTable.standard.regions.filter { $0.code % 10_000 == 0 }.map(\.code).prefix(31)
        let provinces = codes.enumerated().map { StatisticsCell(province: $0.element, applications: 100 + $0.offset, approved: 100, rejected: $0.offset) }
        let total = provinces.reduce(0) { $0 + $1.applications }
        let rejected = provinces.reduce(0) { $0 + $1.rejected }
        let html = StatisticsOverview(
            overTime: StatisticsReport(query: parts.overTime, cells: [StatisticsCell(periodStart: firstDay, applications: total, approved: 3_100, rejected: 0)]),
            bySubjectType: StatisticsReport(query: parts.bySubjectType, cells: [StatisticsCell(subjectType: .individual, applications: total, approved: 3_100, rejected: rejected)]),
            byProvince: StatisticsReport(query: parts.byProvince, cells: provinces),
            byReason: StatisticsReport(query: parts.byReason, cells: [StatisticsCell(reason: "checksum", applications: rejected, approved: 0, rejected: rejected)]),
            requested: StatisticsReport(query: query, cells: [StatisticsCell(applications: total, approved: 3_100, rejected: rejected)]),
            generatedAt: 0).html()
        let wide = svgElements(html).first { $0.contains("province-wide") }!
        #expect(wide.contains("其他 16 个省级行政区 · 16 other provinces"))
        #expect(occurrences(of: "<rect class=\"bar", in: String(wide)) == 16)
    }

    @Test func periodLabelsAreThinnedForLongRanges() {
        let from = CivilDate(year: 2026, month: 1, day: 1)!
        let to = CivilDate(year: 2026, month: 12, day: 31)!
        let query = StatisticsQuery(from: from, to: to, groupBy: [])
        let parts = StatisticsOverview.queries(for: query)
        var timed: [StatisticsCell] = []
        var day = from
        while day <= to {
            timed.append(StatisticsCell(periodStart: day, applications: 10, approved: 10, rejected: 0))
            day = day.next
        }
        let html = StatisticsOverview(
            overTime: StatisticsReport(query: parts.overTime, cells: timed),
            bySubjectType: StatisticsReport(query: parts.bySubjectType, cells: [StatisticsCell(subjectType: .individual, applications: 3_650, approved: 3_650, rejected: 0)]),
            byProvince: StatisticsReport(query: parts.byProvince, cells: [StatisticsCell(province: 110000, applications: 3_650, approved: 3_650, rejected: 0)]),
            byReason: StatisticsReport(query: parts.byReason, cells: [StatisticsCell(applications: 3_650, approved: 3_650, rejected: 0)]),
            requested: StatisticsReport(query: query, cells: [StatisticsCell(applications: 3_650, approved: 3_650, rejected: 0)]),
            generatedAt: 0).html()
        let charts = svgElements(html)
        let wide = charts.first { $0.contains("time-wide") }!
        let narrow = charts.first { $0.contains("time-narrow") }!
        let wideLabels = occurrences(of: "class=\"tickmark\"", in: String(wide))
        let narrowLabels = occurrences(of: "class=\"tickmark\"", in: String(narrow))
        #expect((4...14).contains(wideLabels))
        #expect((2...6).contains(narrowLabels))
        // Within one year the labels leave the year out.
        #expect(wide.contains(">01-01</text>"))
        // No rejections: no "rejections alone" chart and no province bars, but a note.
        #expect(!html.contains("rejections-wide"))
        #expect(html.contains("No rejections in this period."))
    }

    @Test func theSameOverviewGivesTheSameBytes() {
        #expect(overview().html() == overview().html())
        // The storage returns cells in no particular order; the page must not depend on it.
        #expect(overview(minimumCount: 10, withSmallGroups: true).html() == overview(minimumCount: 10, withSmallGroups: true, reversed: true).html())
    }

    @Test func differentFiguresGiveDifferentPages() {
        #expect(overview().html() != overview(withSmallGroups: true).html())
    }

    @Test func theFooterSaysHowToReproduceTheFigures() {
        let html = overview(minimumCount: 10).html()
        #expect(html.contains("idca stats export --format csv --from 2026-11-01 --to 2026-11-03 --min-count 10 --period day --group-by period,reason"))
        #expect(html.contains("idca stats export --format csv --from 2026-11-01 --to 2026-11-03 --min-count 10 --group-by site"))
        #expect(html.contains("counters updated in the same database transaction as each decision"))
        #expect(!overview().html().contains("--min-count"))
    }

    @Test func anUngroupedRequestShowsOnlyTheTotalsRow() {
        let html = overview(groupBy: []).html()
        #expect(html.contains("Not grouped."))
        #expect(html.contains("<tfoot><tr><td class=\"num\">1,500</td><td class=\"num\">1,300</td>"))
    }
}

@Suite("Reason explanations")
struct ReasonExplanationsTests {
    /// Every code that can be recorded as an internal reason, taken from the enums themselves.
    static let everyCode: [String] = DecisionReason.allCases.map(\.rawValue)
        + ResidentIDNumber.Violation.allCases.map(\.rawValue)
        + OrganizationCode.Violation.allCases.map(\.rawValue)
        + CreditCode.Violation.allCases.map(\.rawValue)

    static func isGeneric(_ explanation: (chinese: String, english: String)) -> Bool {
        explanation.english.contains("has no explanation") || explanation.chinese.contains("没有它的说明")
    }

    @Test(arguments: everyCode)
    func everyKnownCodeHasItsOwnExplanation(code: String) {
        let explanation = ReasonExplanations.explanation(for: code)
        #expect(!Self.isGeneric(explanation))
        #expect(explanation.chinese.count >= 10)
        #expect(explanation.english.count >= 20)
        // The page escapes them anyway; plain text keeps them readable in every rendering.
        #expect(!explanation.english.contains("<") && !explanation.chinese.contains("<"))
    }

    @Test(arguments: ["no_such_reason", "", "checksum2", "CHECKSUM"])
    func anUnknownCodeGetsAGenericExplanationNamingIt(code: String) {
        let explanation = ReasonExplanations.explanation(for: code)
        #expect(Self.isGeneric(explanation))
        #expect(explanation.english.contains("“\(code)”"))
        #expect(explanation.chinese.contains("“\(code)”"))
    }

    @Test func differentCodesAreExplainedDifferently() {
        let codes = Set(Self.everyCode)
        let english = Set(codes.map { ReasonExplanations.explanation(for: $0).english })
        let chinese = Set(codes.map { ReasonExplanations.explanation(for: $0).chinese })
        #expect(english.count == codes.count)
        #expect(chinese.count == codes.count)
    }

    @Test func explanationsSayWhatTheReasonMeansForTheAuthority() {
        #expect(ReasonExplanations.explanation(for: "checksum").english.contains("typing mistake"))
        #expect(ReasonExplanations.explanation(for: "organization_not_found").english.contains("stale registry data"))
        #expect(ReasonExplanations.explanation(for: "registry_name_mismatch").english.contains("impersonation"))
        #expect(!ReasonExplanations.explanation(for: "whitespace").english.contains("impersonation"))
    }
}

@Suite("CSV and JSON statistics exports")
struct StatisticsFormatsTests {
    /// Three groups: (individual, 北京市) 3 applications, 1 rejected; (individual, unknown) 2
    /// applications, suppressed under `minimumCount: 3`; (organization, unknown) 5, none rejected.
    /// Given in an order the report must not keep.
    static func report(minimumCount: Int = 3) -> StatisticsReport {
        let query = StatisticsQuery(from: firstDay, to: CivilDate(year: 2026, month: 11, day: 3)!, groupBy: [.subjectType, .province])
        return StatisticsReport(query: query, cells: [
            StatisticsCell(subjectType: .organization, applications: 5, approved: 5, rejected: 0),
            StatisticsCell(subjectType: .individual, applications: 2, approved: 1, rejected: 1),
            StatisticsCell(subjectType: .individual, province: 110000, applications: 3, approved: 2, rejected: 1),
        ], minimumCount: minimumCount)
    }

    static let csvText = "subject_type,province,province_name,applications,approved,rejected,rejection_rate\r\n"
        + "individual,110000,北京市,3,2,1,0.3333\r\n"
        + "individual,,,<3,<3,<3,\r\n"
        + "organization,,,5,5,0,0.0\r\n"

    @Test func csvHasAHeaderSuppressionAndCRLF() {
        #expect(String(decoding: Self.report().csv(), as: UTF8.self) == Self.csvText)
    }

    @Test func csvWithoutSuppressionPrintsEveryCount() {
        let text = String(decoding: Self.report(minimumCount: 0).csv(), as: UTF8.self)
        #expect(text.contains("individual,,,2,1,1,0.5\r\n"))
        #expect(!text.contains("<"))
    }

    @Test func csvForExcelStartsWithAByteOrderMark() {
        let bytes = Self.report().csv(excel: true)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(Array(bytes.dropFirst(3)) == Self.report().csv())
        #expect(Array(Self.report().csv().prefix(3)) != [0xEF, 0xBB, 0xBF])
    }

    @Test func csvQuotesSiteNamesThatNeedIt() {
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [.site])
        let report = StatisticsReport(query: query, cells: [
            StatisticsCell(site: "site_a", applications: 1, approved: 1, rejected: 0),
            StatisticsCell(site: "site_b", applications: 1, approved: 1, rejected: 0),
        ], siteNames: ["site_a": "A, B \"C\"", "site_b": "Plain"])
        #expect(String(decoding: report.csv(), as: UTF8.self) == "site,site_name,applications,approved,rejected,rejection_rate\r\n"
            + "site_a,\"A, B \"\"C\"\"\",1,1,0,0.0\r\n" + "site_b,Plain,1,1,0,0.0\r\n")
    }

    @Test func jsonHasNullCountsForSuppressedRows() {
        let expected = "{\"from\":\"2026-11-01\",\"to\":\"2026-11-03\",\"period\":\"day\",\"group_by\":[\"subject_type\",\"province\"],\"min_count\":3,\"rows\":["
            + "{\"subject_type\":\"individual\",\"province\":\"110000\",\"province_name\":\"北京市\",\"applications\":3,\"approved\":2,\"rejected\":1,\"rejection_rate\":0.3333,\"suppressed\":false},"
            + "{\"subject_type\":\"individual\",\"province\":null,\"province_name\":null,\"applications\":null,\"approved\":null,\"rejected\":null,\"rejection_rate\":null,\"suppressed\":true},"
            + "{\"subject_type\":\"organization\",\"province\":null,\"province_name\":null,\"applications\":5,\"approved\":5,\"rejected\":0,\"rejection_rate\":0.0,\"suppressed\":false}"
            + "],\"totals\":{\"applications\":10,\"approved\":8,\"rejected\":2,\"rejection_rate\":0.2}}"
        #expect(String(decoding: Self.report().json(), as: UTF8.self) == expected)
    }

    @Test func jsonWithoutSuppressionHasNoNulls() {
        let text = String(decoding: Self.report(minimumCount: 0).json(), as: UTF8.self)
        #expect(!text.contains("\"applications\":null"))
        #expect(!text.contains("\"suppressed\":true"))
        #expect(text.contains("\"applications\":2,\"approved\":1,\"rejected\":1,\"rejection_rate\":0.5,\"suppressed\":false"))
    }

    @Test func jsonEscapesNames() {
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [.site])
        let report = StatisticsReport(query: query, cells: [StatisticsCell(site: "site_a", applications: 1, approved: 1, rejected: 0)],
                                      siteNames: ["site_a": "Quote \" back\\slash\nline\u{1}"])
        #expect(String(decoding: report.json(), as: UTF8.self).contains("\"site_name\":\"Quote \\\" back\\\\slash\\nline\\u0001\""))
    }

    @Test(arguments: [
        (1, 3, "0.3333"), (2, 3, "0.6667"), (1, 8, "0.125"), (0, 5, "0.0"), (5, 5, "1.0"), (381, 1_000, "0.381"), (1, 10_000, "0.0001"),
        (1, 30_000, "0.0"),
    ])
    func rejectionRatesHaveAtMostFourDecimals(rejected: Int, applications: Int, expected: String) {
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [])
        let report = StatisticsReport(query: query, cells: [
            StatisticsCell(applications: applications, approved: applications - rejected, rejected: rejected),
        ])
        let csv = String(decoding: report.csv(), as: UTF8.self)
        #expect(csv == "applications,approved,rejected,rejection_rate\r\n\(applications),\(applications - rejected),\(rejected),\(expected)\r\n")
        #expect(String(decoding: report.json(), as: UTF8.self).hasSuffix("\"rejection_rate\":\(expected)}}"))
    }

    @Test func aRateOfNoApplicationsIsZeroNotNaN() {
        let counts = StatisticsReport.Counts(applications: 0, approved: 0, rejected: 0)
        #expect(counts.rejectionRate == 0)
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [])
        let json = String(decoding: StatisticsReport(query: query, cells: []).json(), as: UTF8.self)
        #expect(json.hasSuffix("\"rows\":[],\"totals\":{\"applications\":0,\"approved\":0,\"rejected\":0,\"rejection_rate\":0.0}}"))
        #expect(!json.contains("NaN"))
    }

    @Test func rowsAreSortedByKeysWithMissingValuesLast() {
        let query = StatisticsQuery(from: firstDay, to: firstDay, groupBy: [.reason, .province])
        let cells = [
            StatisticsCell(reason: nil, province: 110000, applications: 1, approved: 1, rejected: 0),
            StatisticsCell(reason: "length", province: nil, applications: 1, approved: 0, rejected: 1),
            StatisticsCell(reason: "checksum", province: 440000, applications: 1, approved: 0, rejected: 1),
            StatisticsCell(reason: "checksum", province: nil, applications: 1, approved: 0, rejected: 1),
            StatisticsCell(reason: "checksum", province: 110000, applications: 1, approved: 0, rejected: 1),
        ]
        let expected: [[String?]] = [["checksum", "110000"], ["checksum", "440000"], ["checksum", nil], ["length", nil], [nil, "110000"]]
        #expect(StatisticsReport(query: query, cells: cells).rows.map(\.keys) == expected)
        #expect(StatisticsReport(query: query, cells: cells.reversed()).rows.map(\.keys) == expected)
        #expect(StatisticsReport(query: query, cells: cells).csv() == StatisticsReport(query: query, cells: cells.reversed()).csv())
    }

    @Test func totalsIncludeSuppressedRows() {
        let report = Self.report()
        #expect(report.totals == StatisticsReport.Counts(applications: 10, approved: 8, rejected: 2))
        #expect(report.rows.filter(\.isSuppressed).count == 1)
        #expect(Self.report(minimumCount: 0).rows.filter(\.isSuppressed).isEmpty)
    }
}
