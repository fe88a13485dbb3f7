import IDCACore
import IDCARules

extension StatisticsOverview {
    /// The overview as one self-contained HTML5 document: an inline style sheet and inline SVG
    /// charts drawn here, no scripts and no external references, so the file can be mailed,
    /// archived and opened offline or under any content security policy.
    ///
    /// Headings are bilingual (Chinese first). Suppressed groups show `<k` in the tables and are
    /// left out of the charts; the headline figures are the totals, which include them. Every text
    /// from the data (site names come from operators) is escaped. The output is deterministic: the
    /// same overview gives the same bytes.
    public func html() -> String {
        var page = StatisticsPage(overview: self)
        page.render()
        return page.output
    }

    /// The same report without the document around it — the header, charts, tables and footer
    /// that `html()` puts in its `<main>` — for a page that brings its own document and loads
    /// `statisticsStyleSheet` as a file (the auditor dashboard, under a policy without inline styles).
    public func htmlContent() -> String {
        var page = StatisticsPage(overview: self)
        page.renderContent()
        return page.output
    }

    /// The style sheet `html()` inlines, for pages that show `htmlContent()`.
    public static var statisticsStyleSheet: String { styleSheet }
}

// MARK: - The page

/// Writes the document top to bottom into `output`.
private struct StatisticsPage {
    let overview: StatisticsOverview
    var output = ""

    init(overview: StatisticsOverview) {
        self.overview = overview
        output.reserveCapacity(64 * 1024)
    }

    /// The reader's table carries the same dates and the same suppression as every chart, and its
    /// totals are the ones a CSV export of it would print.
    var query: StatisticsQuery { overview.requested.query }
    var minimumCount: Int { overview.requested.minimumCount }
    var totals: StatisticsReport.Counts { overview.requested.totals }

    mutating func render() {
        output += "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n"
        output += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        output += "<title>idca 认证申请统计 · Certification application statistics</title>\n"
        output += "<style>\n" + styleSheet + "</style>\n</head>\n<body>\n<main>\n"
        renderContent()
        output += "</main>\n</body>\n</html>\n"
    }

    mutating func renderContent() {
        renderHeader()
        if totals.applications == 0 {
            output += "<p class=\"empty\">本期间没有认证申请。<span lang=\"en\">No applications in this period.</span></p>\n"
        } else {
            let series = ReasonSeries(overview: overview)
            renderOverTime(series: series)
            renderSubjectTypes()
            renderProvinces()
            renderReasons(series: series)
            renderRequested()
        }
        renderFooter()
    }

    // MARK: Header

    mutating func renderHeader() {
        output += "<header>\n<h1>idca 认证申请统计<span class=\"en\" lang=\"en\">Certification application statistics</span></h1>\n"
        output += "<dl class=\"meta\">\n"
        output += metaItem(heading("日期", "Dates"),
                           "\(query.from) – \(query.to) <span class=\"muted\">Asia/Shanghai</span>")
        output += metaItem(heading("统计周期", "Period"), periodName(query.period))
        output += metaItem(heading("生成时间", "Generated"), htmlEscaped(RFC3339.string(fromUnixSeconds: overview.generatedAt)))
        if minimumCount > 0 {
            output += metaItem(heading("最小计数", "Minimum count"), grouped(minimumCount))
        }
        output += "</dl>\n"
        if minimumCount > 0 {
            let k = grouped(minimumCount)
            output += "<p class=\"note\">申请数少于 \(k) 的分组已隐藏计数（表中显示 &lt;\(k)），图表不含这些分组；总计包含全部申请。"
            output += "<span lang=\"en\">Groups with fewer than \(k) applications are suppressed: the tables show &lt;\(k) "
            output += "and the charts leave them out. The totals include every application.</span></p>\n"
        }
        output += "</header>\n"
        output += "<section class=\"figures\" aria-label=\"总计 · Totals\">\n"
        output += figure(heading("申请", "Applications"), grouped(totals.applications))
        output += figure(heading("通过", "Approved"), grouped(totals.approved))
        output += figure(heading("拒绝", "Rejected"), grouped(totals.rejected))
        output += figure(heading("拒绝率", "Rejection rate"), percent(totals.rejected, of: totals.applications), accent: true)
        output += "</section>\n"
    }

    func metaItem(_ term: String, _ value: String) -> String {
        "<div><dt>\(term)</dt><dd>\(value)</dd></div>\n"
    }

    func figure(_ label: String, _ value: String, accent: Bool = false) -> String {
        "<div class=\"figure\(accent ? " accent" : "")\"><div class=\"value\">\(value)</div><div class=\"label\">\(label)</div></div>\n"
    }

    func periodName(_ period: StatisticsPeriod) -> String {
        switch period {
        case .day: heading("按日", "by day")
        case .week: heading("按周（ISO 周，周一至周日）", "by ISO week, Monday to Sunday")
        case .month: heading("按月", "by month")
        }
    }

    // MARK: Chart 1: applications over time

    mutating func renderOverTime(series: ReasonSeries) {
        let data = OverTimeData(report: overview.overTime, series: series)
        output += "<section>\n<h2>\(heading("申请量随时间变化", "Applications over time"))</h2>\n"
        let unit: (String, String) = switch query.period {
        case .day: ("每列为一天", "One column per day")
        case .week: ("每列为一周", "One column per week")
        case .month: ("每列为一个月", "One column per month")
        }
        output += "<p class=\"lede\">\(unit.0)：被拒绝的申请按原因堆叠在底部，其上为通过的申请。"
        output += "<span lang=\"en\">\(unit.1): rejections stacked by reason at the bottom, approved applications above them.</span></p>\n"
        guard data.hasValues else {
            output += suppressedNote()
            output += "</section>\n"
            return
        }
        output += "<ul class=\"legend\">\n"
        for (index, code) in series.colored.enumerated() {
            output += "<li><span class=\"swatch r\(index)\"></span><code>\(htmlEscaped(code))</code></li>\n"
        }
        if !series.others.isEmpty {
            output += "<li><span class=\"swatch other\"></span>其他 \(series.others.count) 种原因 "
            output += "<span lang=\"en\">\(series.others.count) other reason\(series.others.count == 1 ? "" : "s")</span></li>\n"
        }
        output += "<li><span class=\"swatch approved\"></span>通过 <span lang=\"en\">approved</span></li>\n"
        output += "</ul>\n<figure class=\"chart\">\n"
        output += ColumnChart(data: data, series: series, period: query.period, includesApproved: true, width: 912, height: 300, id: "time-wide")
            .svg(cssClass: "wide")
        output += ColumnChart(data: data, series: series, period: query.period, includesApproved: true, width: 360, height: 220, id: "time-narrow")
            .svg(cssClass: "narrow")
        output += "</figure>\n"
        // Rejections are a small part of each column; on their own scale the mix of reasons and
        // its changes (a registry gone stale, a form that stopped trimming spaces) become visible.
        guard data.rejected.contains(where: { $0.contains { $0 > 0 } }) else {
            output += "</section>\n"
            return
        }
        output += "<h3>\(heading("其中被拒绝的申请", "Rejections alone"))</h3>\n"
        output += "<figure class=\"chart\">\n"
        output += ColumnChart(data: data, series: series, period: query.period, includesApproved: false, width: 912, height: 200, id: "rejections-wide")
            .svg(cssClass: "wide")
        output += ColumnChart(data: data, series: series, period: query.period, includesApproved: false, width: 360, height: 160, id: "rejections-narrow")
            .svg(cssClass: "narrow")
        output += "</figure>\n</section>\n"
    }

    // MARK: Chart 2: rejection rate by subject type

    mutating func renderSubjectTypes() {
        let report = overview.bySubjectType
        let key = report.query.groupBy.firstIndex(of: .subjectType)
        output += "<section>\n<h2>\(heading("各类主体的拒绝率", "Rejection rate by subject type"))</h2>\n"
        output += "<p class=\"lede\">条长为被拒绝申请占该类申请的比例。<span lang=\"en\">Bar length is the share of that type's applications that were rejected.</span></p>\n"
        var bars: [Bar] = []
        for row in report.rows {
            guard let counts = row.counts, counts.applications > 0 else { continue }
            let type = key.flatMap { row.keys[$0] }
            let name = subjectName(type)
            let rate = percent(counts.rejected, of: counts.applications)
            bars.append(Bar(
                label: name.chinese + " · " + name.english, code: nil,
                fraction: Double(counts.rejected) / Double(counts.applications),
                value: rate, detail: "拒绝 rejected \(grouped(counts.rejected)) / \(grouped(counts.applications))",
                tooltip: "\(name.chinese) \(name.english): \(grouped(counts.rejected)) / \(grouped(counts.applications)) 拒绝 rejected (\(rate))"))
        }
        guard !bars.isEmpty else {
            output += suppressedNote()
            output += "</section>\n"
            return
        }
        let title = "各类主体的拒绝率 · Rejection rate by subject type"
        let description = bars.map(\.tooltip).joined(separator: "; ") + "."
        output += "<figure class=\"chart\">\n"
        for (width, variant) in [(912.0, "wide"), (360.0, "narrow")] {
            output += BarChart(bars: bars, width: width, showsTrack: true, id: "type-\(variant)", title: title, description: description)
                .svg(cssClass: variant)
        }
        output += "</figure>\n</section>\n"
    }

    func subjectName(_ type: String?) -> (chinese: String, english: String) {
        switch type {
        case SubjectType.individual.rawValue: ("个人", "Individuals")
        case SubjectType.organization.rawValue: ("机构", "Organizations")
        case nil: ("未知", "Unknown")
        case let other?: (other, other)
        }
    }

    // MARK: Chart 3: rejections by province

    /// Provinces shown by name in the chart; the rest share one "other" bar, so that 35 provinces
    /// still give a chart a person can read.
    static let provinceBars = 15

    mutating func renderProvinces() {
        let report = overview.byProvince
        let key = report.query.groupBy.firstIndex(of: .province)
        output += "<section>\n<h2>\(heading("各省拒绝数", "Rejections by province"))</h2>\n"
        output += "<p class=\"lede\">按被拒绝申请数从多到少排列，括号内为该省的拒绝率。"
        output += "<span lang=\"en\">Sorted by rejected applications; in brackets, the province's rejection rate.</span></p>\n"
        struct Province {
            var name: String
            var code: String?
            var counts: StatisticsReport.Counts
        }
        var provinces: [Province] = []
        for row in report.rows {
            guard let counts = row.counts else { continue }
            let code = key.flatMap { row.keys[$0] }
            let name = code == nil ? "未知 · unknown" : (key.flatMap { row.labels[$0] } ?? code!)
            provinces.append(Province(name: name, code: code, counts: counts))
        }
        // Descending by rejections; equal counts keep the report's order (by code, unknown last).
        provinces = provinces.enumerated().sorted { lhs, rhs in
            lhs.element.counts.rejected != rhs.element.counts.rejected
                ? lhs.element.counts.rejected > rhs.element.counts.rejected : lhs.offset < rhs.offset
        }.map(\.element)
        guard provinces.contains(where: { $0.counts.rejected > 0 }) else {
            output += provinces.isEmpty ? suppressedNote()
                : "<p class=\"chart-note\">本期间没有被拒绝的申请。<span lang=\"en\">No rejections in this period.</span></p>\n"
            output += "</section>\n"
            return
        }
        // Named provinces first, largest first; a lone leftover is shown by name rather than as
        // "1 other". The sum of the rest and the unknown province come last, apart: they are not
        // provinces to compare, and often larger than any one (rule failures carry no province).
        let named = provinces.filter { $0.code != nil }
        let shown = named.count <= Self.provinceBars + 1 ? named : Array(named.prefix(Self.provinceBars))
        let rest = named.dropFirst(shown.count)
        let unknown = provinces.first { $0.code == nil }
        let largest = Double(max(1, shown.first?.counts.rejected ?? max(unknown?.counts.rejected ?? 1, rest.map(\.counts.rejected).reduce(0, +))))
        func bar(name: String, code: String?, counts: StatisticsReport.Counts, showsRate: Bool = true) -> Bar {
            let rate = percent(counts.rejected, of: counts.applications)
            return Bar(label: name, code: code, fraction: Double(counts.rejected) / largest,
                       value: grouped(counts.rejected), detail: showsRate ? "(\(rate))" : "",
                       tooltip: "\(name)\(code.map { " " + $0 } ?? ""): \(grouped(counts.rejected)) 拒绝 rejected / "
                           + "\(grouped(counts.applications)) 申请 applications (\(rate))")
        }
        var bars = shown.map { bar(name: $0.name, code: $0.code, counts: $0.counts) }
        if !rest.isEmpty {
            var sum = StatisticsReport.Counts(applications: 0, approved: 0, rejected: 0)
            for province in rest {
                sum.applications += province.counts.applications
                sum.approved += province.counts.approved
                sum.rejected += province.counts.rejected
            }
            var other = bar(name: "其他 \(rest.count) 个省级行政区 · \(rest.count) other provinces", code: nil, counts: sum)
            other.startsGroup = !bars.isEmpty
            other.isAggregate = true
            bars.append(other)
        }
        if let unknown {
            // Mostly refusals before a number was read, whose rate (100 %) says nothing; only an
            // organization registered without a credit code is approved with no province.
            var bar = bar(name: unknown.name, code: nil, counts: unknown.counts, showsRate: unknown.counts.approved > 0)
            bar.note = "(refused before the number could be read)"
            bar.tooltip = "未知 · unknown (refused before the number could be read): \(grouped(unknown.counts.rejected)) 拒绝 rejected"
            bar.startsGroup = !bars.isEmpty && rest.isEmpty
            bar.isAggregate = true
            bars.append(bar)
        }
        let title = "各省拒绝数 · Rejections by province"
        let description = "Horizontal bars, largest province first. " + bars.map(\.tooltip).joined(separator: "; ") + "."
        output += "<figure class=\"chart\">\n"
        for (width, variant) in [(912.0, "wide"), (360.0, "narrow")] {
            output += BarChart(bars: bars, width: width, showsTrack: false, id: "province-\(variant)", title: title, description: description)
                .svg(cssClass: variant)
        }
        output += "</figure>\n"
        // Every province, suppressed ones included, for readers who need the ones behind "other".
        output += "<details>\n<summary>\(heading("全部省份", "All provinces"))</summary>\n<div class=\"scroll\"><table>\n"
        output += "<thead><tr><th>\(heading("省份", "Province"))</th><th>\(heading("代码", "Code"))</th>"
        output += "<th class=\"num\">\(heading("申请", "Applications"))</th><th class=\"num\">\(heading("拒绝", "Rejected"))</th>"
        output += "<th class=\"num\">\(heading("拒绝率", "Rate"))</th></tr></thead>\n<tbody>\n"
        var hidden: [(name: String, code: String)] = []
        for row in report.rows where row.counts == nil {
            let code = key.flatMap { row.keys[$0] }
            hidden.append((code == nil ? "未知 · unknown" : (key.flatMap { row.labels[$0] } ?? ""), code ?? ""))
        }
        for province in provinces {
            output += "<tr><td>\(htmlEscaped(province.name))</td>"
            output += "<td><code>\(htmlEscaped(province.code ?? "—"))</code></td>"
            output += "<td class=\"num\">\(grouped(province.counts.applications))</td><td class=\"num\">\(grouped(province.counts.rejected))</td>"
            output += "<td class=\"num\">\(percent(province.counts.rejected, of: province.counts.applications))</td></tr>\n"
        }
        let k = "&lt;" + grouped(report.minimumCount)
        for province in hidden {
            output += "<tr class=\"suppressed\"><td>\(htmlEscaped(province.name))</td><td><code>\(htmlEscaped(province.code))</code></td>"
            output += "<td class=\"num\">\(k)</td><td class=\"num\">\(k)</td><td class=\"num\">—</td></tr>\n"
        }
        output += "</tbody>\n</table></div>\n</details>\n</section>\n"
    }

    // MARK: Table: rejection reasons

    mutating func renderReasons(series: ReasonSeries) {
        let report = overview.byReason
        output += "<section>\n<h2>\(heading("拒绝原因", "Rejection reasons"))</h2>\n"
        output += "<p class=\"lede\">每项拒绝只计首个未通过的规则；说明指出该原因对认证机构意味着什么。"
        output += "<span lang=\"en\">Each rejection counts under the first rule it failed; the explanations say what the reason suggests for the authority.</span></p>\n"
        guard let key = report.query.groupBy.firstIndex(of: .reason) else {
            output += "</section>\n"
            return
        }
        let reasons = report.rows.filter { $0.keys[key] != nil && ($0.counts.map { $0.rejected > 0 } ?? true) }
        guard !reasons.isEmpty else {
            output += "<p class=\"chart-note\">本期间没有被拒绝的申请。<span lang=\"en\">No rejections in this period.</span></p>\n</section>\n"
            return
        }
        let ordered = reasons.enumerated().sorted { lhs, rhs in
            switch (lhs.element.counts, rhs.element.counts) {
            case let (left?, right?) where left.rejected != right.rejected: left.rejected > right.rejected
            case (.some, nil): true
            case (nil, .some): false
            default: lhs.offset < rhs.offset
            }
        }.map(\.element)
        output += "<div class=\"scroll\"><table class=\"reasons\">\n<thead><tr><th>\(heading("原因与说明", "Reason and explanation"))</th>"
        output += "<th class=\"num\">\(heading("拒绝数", "Rejections"))</th><th class=\"num\">\(heading("占拒绝", "Share"))</th></tr></thead>\n"
        let k = "&lt;" + grouped(report.minimumCount)
        for row in ordered {
            let code = row.keys[key]!
            let explanation = ReasonExplanations.explanation(for: code)
            let swatch = series.colorClass(of: code)
            // The explanation has a row of its own under the figures, so that on a phone it gets
            // the full width instead of a narrow column beside them; one body per reason keeps
            // the two rows on one printed page.
            output += "<tbody>\n"
            output += row.isSuppressed ? "<tr class=\"code suppressed\">" : "<tr class=\"code\">"
            // Long codes may break after an underscore on a phone, never inside a word.
            let breakable = code.split(separator: "_", omittingEmptySubsequences: false).map { htmlEscaped(String($0)) }.joined(separator: "_<wbr>")
            output += "<td><span class=\"swatch \(swatch)\"></span><code>\(breakable)</code></td>"
            if let counts = row.counts {
                output += "<td class=\"num\">\(grouped(counts.rejected))</td><td class=\"num\">\(percent(counts.rejected, of: report.totals.rejected))</td></tr>\n"
            } else {
                output += "<td class=\"num\">\(k)</td><td class=\"num\">—</td></tr>\n"
            }
            output += "<tr class=\"explanation\"><td colspan=\"3\"><p class=\"zh\">\(htmlEscaped(explanation.chinese))</p>"
            output += "<p class=\"en\" lang=\"en\">\(htmlEscaped(explanation.english))</p></td></tr>\n</tbody>\n"
        }
        output += "<tfoot><tr><td>\(heading("全部拒绝", "All rejections"))</td><td class=\"num\">\(grouped(report.totals.rejected))</td>"
        output += "<td class=\"num\">\(percent(report.totals.rejected, of: report.totals.rejected))</td></tr></tfoot>\n</table></div>\n</section>\n"
    }

    // MARK: Table: the requested breakdown

    mutating func renderRequested() {
        let report = overview.requested
        let columns = report.columns
        output += "<section>\n<h2>\(heading("所选分组", "Requested breakdown"))</h2>\n"
        if report.keyColumns.isEmpty {
            output += "<p class=\"lede\">未分组。<span lang=\"en\">Not grouped.</span></p>\n"
        } else {
            let names = report.keyColumns.map { "<code>\(htmlEscaped($0))</code>" }.joined(separator: ", ")
            output += "<p class=\"lede\">按 \(names) 分组。<span lang=\"en\">Grouped by \(names).</span></p>\n"
        }
        output += "<div class=\"scroll\"><table class=\"breakdown\">\n<thead><tr>"
        for column in columns {
            output += "<th>\(columnHeading(column.name))</th>"
        }
        output += "<th class=\"num\">\(heading("申请", "Applications"))</th><th class=\"num\">\(heading("通过", "Approved"))</th>"
        output += "<th class=\"num\">\(heading("拒绝", "Rejected"))</th><th class=\"num\">\(heading("拒绝率", "Rejection rate"))</th></tr></thead>\n"
        if !columns.isEmpty {
            output += "<tbody>\n"
            let k = "&lt;" + grouped(report.minimumCount)
            for row in report.rows {
                output += row.isSuppressed ? "<tr class=\"suppressed\">" : "<tr>"
                for column in columns {
                    let dimension = report.query.groupBy[column.key]
                    if column.isLabel {
                        output += "<td>\(htmlEscaped(row.labels[column.key] ?? ""))</td>"
                    } else if let value = row.keys[column.key] {
                        output += dimension == .period ? "<td class=\"nowrap\">\(htmlEscaped(value))</td>" : "<td><code>\(htmlEscaped(value))</code></td>"
                    } else {
                        output += "<td class=\"muted\">\(missingKey(dimension))</td>"
                    }
                }
                if let counts = row.counts {
                    output += "<td class=\"num\">\(grouped(counts.applications))</td><td class=\"num\">\(grouped(counts.approved))</td>"
                    output += "<td class=\"num\">\(grouped(counts.rejected))</td><td class=\"num\">\(percent(counts.rejected, of: counts.applications))</td></tr>\n"
                } else {
                    output += "<td class=\"num\">\(k)</td><td class=\"num\">\(k)</td><td class=\"num\">\(k)</td><td class=\"num\">—</td></tr>\n"
                }
            }
            output += "</tbody>\n"
        }
        output += "<tfoot><tr>"
        if !columns.isEmpty {
            output += "<td colspan=\"\(columns.count)\">\(heading("合计", "Total"))</td>"
        }
        let total = report.totals
        output += "<td class=\"num\">\(grouped(total.applications))</td><td class=\"num\">\(grouped(total.approved))</td>"
        output += "<td class=\"num\">\(grouped(total.rejected))</td><td class=\"num\">\(percent(total.rejected, of: total.applications))</td></tr></tfoot>\n"
        output += "</table></div>\n</section>\n"
    }

    func columnHeading(_ name: String) -> String {
        switch name {
        case "subject_type": heading("主体类型", "Subject type")
        case "reason": heading("原因", "Reason")
        case "period": heading("期间", "Period")
        case "province": heading("省级代码", "Province code")
        case "province_name": heading("省份", "Province")
        case "site": heading("站点", "Site")
        case "site_name": heading("站点名称", "Site name")
        default: "<code>\(htmlEscaped(name))</code>"
        }
    }

    /// What a missing key means in each dimension (Statistics.swift: no reason for approvals, no
    /// province before the number could be read, no site named).
    func missingKey(_ dimension: StatisticsDimension) -> String {
        switch dimension {
        case .reason: heading("通过", "approved")
        case .province: heading("未知", "unknown")
        case .site: heading("无", "none")
        case .subjectType, .period: "—"
        }
    }

    // MARK: Footer

    mutating func renderFooter() {
        output += "<footer>\n<h2>\(heading("如何复现", "Reproducing these figures"))</h2>\n"
        output += "<p>本报告的每个数字都可以用同一日期范围的导出复现，例如："
        output += "<span lang=\"en\">Every figure here can be reproduced with an export of the same dates, for example:</span></p>\n<pre>"
        var common = "--from \(query.from) --to \(query.to)"
        if minimumCount > 0 { common += " --min-count \(minimumCount)" }
        let period = " --period \(query.period.rawValue)"
        var commands = [
            "idca stats export --format csv \(common)\(period) --group-by period,reason",
            "idca stats export --format csv \(common) --group-by subject_type",
            "idca stats export --format csv \(common) --group-by province",
            "idca stats export --format csv \(common) --group-by reason",
        ]
        let requested = query.groupBy.map(\.rawValue).joined(separator: ",")
        commands.append("idca stats export --format csv \(common)" + (query.groupBy.contains(.period) ? period : "")
            + (requested.isEmpty ? "" : " --group-by \(requested)"))
        var seen: [String] = []
        for command in commands where !seen.contains(command) { seen.append(command) }
        output += seen.map(htmlEscaped).joined(separator: "\n") + "</pre>\n"
        output += "<p>计数来自与每项决定在同一数据库事务中更新的计数器，因此与决定记录不会不一致；生成本报告不扫描申请记录。"
        output += "<span lang=\"en\">The counts come from counters updated in the same database transaction as each decision, "
        output += "so they cannot disagree with the decisions they count; making this report reads no applications.</span></p>\n"
        output += "</footer>\n"
    }

    /// Said in place of a chart with nothing left to draw once small groups are suppressed.
    func suppressedNote() -> String {
        guard minimumCount > 1 else {
            return "<p class=\"chart-note\">没有可作图的数据。<span lang=\"en\">There is nothing to draw.</span></p>\n"
        }
        return "<p class=\"chart-note\">所有分组的申请数都少于 \(grouped(minimumCount))，已隐藏，无法作图。"
            + "<span lang=\"en\">Every group has fewer than \(grouped(minimumCount)) applications and is suppressed, so there is nothing to draw.</span></p>\n"
    }
}

/// A heading in both languages: the Chinese, then the English set off as secondary.
private func heading(_ chinese: String, _ english: String) -> String {
    // The separator is its own element so that where the English goes on a line of its own
    // (table headings, figure labels) the style sheet can drop it.
    "\(htmlEscaped(chinese))<span class=\"en\" lang=\"en\"><span class=\"sep\"> · </span>\(htmlEscaped(english))</span>"
}

// MARK: - Reasons and their colours

/// Which reasons get a colour of their own: the most frequent ones, by the reason table's counts
/// (its groups are the largest, so the least suppressed), then by the over-time counts. The chart
/// and the table share this so a colour means one reason on the whole page.
private struct ReasonSeries {
    /// Six Okabe–Ito colours (`.r0` … `.r5` in the style sheet) are as many as stay distinguishable
    /// for colour-blind readers; the rest share "other".
    static let colors = 6

    let colored: [String]
    let others: [String]
    private let indexByCode: [String: Int]

    init(overview: StatisticsOverview) {
        var primary: [String: Int] = [:]
        if let key = overview.byReason.query.groupBy.firstIndex(of: .reason) {
            for row in overview.byReason.rows {
                if let code = row.keys[key], let counts = row.counts { primary[code, default: 0] += counts.rejected }
            }
        }
        var secondary: [String: Int] = [:]
        if let key = overview.overTime.query.groupBy.firstIndex(of: .reason) {
            for row in overview.overTime.rows {
                if let code = row.keys[key], let counts = row.counts { secondary[code, default: 0] += counts.rejected }
            }
        }
        // Sorted, never in dictionary order: the output must not change from run to run.
        let codes = Set(primary.keys).union(secondary.keys)
            .filter { (primary[$0] ?? 0) > 0 || (secondary[$0] ?? 0) > 0 }
            .sorted { lhs, rhs in
                let left = (primary[lhs] ?? -1, secondary[lhs] ?? 0), right = (primary[rhs] ?? -1, secondary[rhs] ?? 0)
                return left != right ? left > right : lhs < rhs
            }
        let colored = Array(codes.prefix(Self.colors))
        self.colored = colored
        others = Array(codes.dropFirst(colored.count))
        indexByCode = Dictionary(uniqueKeysWithValues: colored.enumerated().map { ($0.element, $0.offset) })
    }

    /// The series a reason is stacked in: its own, or the last one ("other").
    func seriesIndex(of code: String) -> Int { indexByCode[code] ?? colored.count }

    /// The style sheet class of a reason's colour.
    func colorClass(of code: String) -> String { indexByCode[code].map { "r\($0)" } ?? "other" }

    /// How many rejection series are stacked: the colored reasons, then "other".
    var seriesCount: Int { colored.count + 1 }
}

// MARK: - Chart 1 data and drawing

/// The over-time report as columns: one per period of the query, including periods without
/// applications, so that gaps show as gaps.
private struct OverTimeData {
    var periods: [String] = []
    var approved: [Int] = []
    /// `rejected[period][series]`: the colored reasons, then "other".
    var rejected: [[Int]] = []
    /// Suppressed groups are not drawn; this says whether anything is left.
    var hasValues = false

    init(report: StatisticsReport, series: ReasonSeries) {
        let periodKey = report.query.groupBy.firstIndex(of: .period)
        let reasonKey = report.query.groupBy.firstIndex(of: .reason)
        // Every period of the range, then any the rows name that the range did not (the labels
        // sort chronologically as text: 2026-11-29, 2026-W48, 2026-11).
        var labels: [String] = []
        let query = report.query
        if query.from <= query.to {
            let last = min(query.to.daysSinceUnixEpoch, query.from.daysSinceUnixEpoch + StatisticsQuery.maximumDays)
            var day = query.from.daysSinceUnixEpoch
            while day <= last {
                let label = query.period.label(startingAt: query.period.start(of: CivilDate(daysSinceUnixEpoch: day)))
                if labels.last != label { labels.append(label) }
                day += 1
            }
        }
        var known = Set(labels)
        for row in report.rows {
            if let label = periodKey.flatMap({ row.keys[$0] }), row.counts != nil, !known.contains(label) {
                known.insert(label)
                labels.append(label)
            }
        }
        periods = labels.sorted()
        let index = Dictionary(uniqueKeysWithValues: periods.enumerated().map { ($0.element, $0.offset) })
        approved = Array(repeating: 0, count: periods.count)
        rejected = Array(repeating: Array(repeating: 0, count: series.seriesCount), count: periods.count)
        for row in report.rows {
            guard let counts = row.counts, let label = periodKey.flatMap({ row.keys[$0] }), let period = index[label] else { continue }
            approved[period] += counts.approved
            if counts.rejected > 0 {
                // A rejection counted without a reason cannot be attributed; it goes to "other".
                let code = reasonKey.flatMap { row.keys[$0] }
                rejected[period][code.map(series.seriesIndex(of:)) ?? series.seriesCount - 1] += counts.rejected
            }
            if counts.applications > 0 { hasValues = true }
        }
    }
}

/// Stacked columns with a value axis and thinned period labels: rejections by reason from the
/// baseline up (the top reason lowest, where lengths compare best), then approvals if included.
private struct ColumnChart {
    let data: OverTimeData
    let series: ReasonSeries
    let period: StatisticsPeriod
    let includesApproved: Bool
    let width: Double
    let height: Double
    let id: String

    var title: String {
        includesApproved ? "申请量随时间变化 · Applications over time" : "被拒绝的申请随时间变化 · Rejections over time"
    }

    func svg(cssClass: String) -> String {
        let count = data.periods.count
        let totals = (0..<count).map { data.rejected[$0].reduce(0, +) + (includesApproved ? data.approved[$0] : 0) }
        let largest = totals.max() ?? 0
        let narrow = width < 500
        let scale = NiceScale(maximum: largest, ticks: narrow ? 3 : 4)
        let longestTick = scale.ticks.map { grouped($0).count }.max() ?? 1
        let left = Double(longestTick) * 7.2 + 10, right = 6.0, top = 10.0, bottom = 26.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let slot = plotWidth / Double(max(count, 1))
        // Thin gaps separate columns while there is room; hundreds of periods touch.
        let gap = slot >= 4 ? slot * 0.22 : 0
        let base = top + plotHeight
        func y(_ value: Int) -> Double { base - Double(value) / Double(scale.maximum) * plotHeight }

        var svg = "<svg class=\"\(cssClass)\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" "
        svg += "aria-labelledby=\"\(id)-title\" aria-describedby=\"\(id)-desc\">\n"
        svg += "<title id=\"\(id)-title\">\(htmlEscaped(title))</title>\n"
        // Columns thinner than two units would blur into noise; a stacked area shows the same sums.
        let dense = slot < 2
        svg += "<desc id=\"\(id)-desc\">\(htmlEscaped(description(totals: totals, dense: dense)))</desc>\n"
        for tick in scale.ticks {
            let at = number(y(tick))
            svg += "<line class=\"\(tick == 0 ? "baseline" : "grid")\" x1=\"\(number(left))\" x2=\"\(number(width - right))\" y1=\"\(at)\" y2=\"\(at)\"/>"
            svg += "<text class=\"tick\" x=\"\(number(left - 6))\" y=\"\(at)\" dy=\"0.32em\" text-anchor=\"end\">\(grouped(tick))</text>\n"
        }
        // One path per series rather than one element per segment: the file stays small with
        // hundreds of periods. Layer edges come from running sums, so rounding never opens a gap.
        var layers = data.rejected.isEmpty ? [] : (0..<series.seriesCount).map { index in
            (index < series.colored.count ? "r\(index)" : "other", data.rejected.map { $0[index] })
        }
        if includesApproved { layers.append(("approved", data.approved)) }
        var below = Array(repeating: 0, count: count)
        for (cssClass, values) in layers where values.contains(where: { $0 > 0 }) {
            let above = zip(below, values).map { $0 + $1 }
            var path = ""
            if dense {
                for period in 0..<count {
                    let x = period == 0 ? left : (period == count - 1 ? left + plotWidth : left + (Double(period) + 0.5) * slot)
                    path += (period == 0 ? "M" : "L") + number(x) + " " + number(y(above[period]))
                }
                for period in (0..<count).reversed() {
                    let x = period == 0 ? left : (period == count - 1 ? left + plotWidth : left + (Double(period) + 0.5) * slot)
                    path += "L" + number(x) + " " + number(y(below[period]))
                }
                path += "Z"
            } else {
                for period in 0..<count where values[period] > 0 {
                    let x = left + Double(period) * slot + gap / 2
                    path += "M\(number(x)) \(number(y(above[period])))h\(number(slot - gap))V\(number(y(below[period])))h\(number(gap - slot))z"
                }
            }
            svg += "<path class=\"\(cssClass)\" d=\"\(path)\"/>\n"
            below = above
        }
        // Hover details for pointers; a phone has none, so the narrow variant goes without.
        if !narrow && !dense {
            for period in 0..<count where totals[period] > 0 {
                svg += "<rect class=\"hit\" x=\"\(number(left + Double(period) * slot))\" y=\"\(number(top))\" width=\"\(number(slot))\" "
                svg += "height=\"\(number(plotHeight))\"><title>\(htmlEscaped(tooltip(period)))</title></rect>\n"
            }
        }
        // Period labels: a natural step (a week, a quarter, a year) that leaves room between them.
        let labels = data.periods.map(shortLabel)
        let labelWidth = Double(labels.map(\.count).max() ?? 1) * 7 + 18
        let room = max(1, Int(plotWidth / labelWidth))
        let needed = (count + room - 1) / room
        let steps: [Int] = switch period {
        case .day: [1, 2, 7, 14, 28, 56, 91, 182, 364, 728]
        case .week: [1, 2, 4, 8, 13, 26, 52, 104, 260]
        case .month: [1, 2, 3, 6, 12, 24, 60, 120]
        }
        let step = steps.first { $0 >= needed } ?? needed
        for index in stride(from: 0, to: count, by: max(step, 1)) {
            let center = left + (Double(index) + 0.5) * slot
            let half = Double(labels[index].count) * 3.5
            // Keep the end labels inside the drawing.
            let anchor = center - half < 0 ? "start" : (center + half > width ? "end" : "middle")
            let x = anchor == "start" ? max(0, center - 3) : (anchor == "end" ? width : center)
            svg += "<line class=\"tickmark\" x1=\"\(number(center))\" x2=\"\(number(center))\" y1=\"\(number(base))\" y2=\"\(number(base + 4))\"/>"
            svg += "<text class=\"tick\" x=\"\(number(x))\" y=\"\(number(base + 18))\" text-anchor=\"\(anchor)\">\(htmlEscaped(labels[index]))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Within one year the year is in the header, so day and week labels drop it.
    func shortLabel(_ label: String) -> String {
        guard period != .month, let first = data.periods.first, let last = data.periods.last,
              first.prefix(4) == last.prefix(4), label.count > 5 else { return label }
        return String(label.dropFirst(5))
    }

    func tooltip(_ period: Int) -> String {
        let rejected = data.rejected[period].reduce(0, +)
        let total = data.approved[period] + rejected
        var lines = ["\(data.periods[period]): \(grouped(total)) 申请 applications",
                     "通过 approved \(grouped(data.approved[period]))",
                     "拒绝 rejected \(grouped(rejected)) (\(percent(rejected, of: total)))"]
        for (index, value) in data.rejected[period].enumerated() where value > 0 {
            let name = index < series.colored.count ? series.colored[index] : "其他 other"
            lines.append("  \(name) \(grouped(value))")
        }
        return lines.joined(separator: "\n")
    }

    func description(totals: [Int], dense: Bool) -> String {
        let unit = switch period {
        case .day: "day"
        case .week: "week"
        case .month: "month"
        }
        var text = dense ? "Stacked areas, a point per \(unit)" : "Stacked columns, one per \(unit)"
        text += ", \(data.periods.first ?? "") to \(data.periods.last ?? "") (\(data.periods.count) \(unit)\(data.periods.count == 1 ? "" : "s")). "
        text += "Rejections from the baseline up by reason: " + series.colored.joined(separator: ", ")
        if !series.others.isEmpty { text += " and \(series.others.count) other reasons" }
        text += includesApproved ? "; approved applications above them." : "."
        if let busiest = totals.indices.max(by: { totals[$0] < totals[$1] || (totals[$0] == totals[$1] && $0 > $1) }) {
            text += " The most \(includesApproved ? "applications" : "rejections"), \(grouped(totals[busiest])), were in \(data.periods[busiest])."
        }
        return text
    }
}

/// A value axis from zero to a round number, with round steps (1, 2 or 5 times a power of ten).
private struct NiceScale {
    let maximum: Int
    let ticks: [Int]

    init(maximum value: Int, ticks wanted: Int) {
        var step = 1
        search: for magnitude in sequence(first: 1, next: { $0 <= Int.max / 100 ? $0 * 10 : nil }) {
            for factor in [1, 2, 5] where factor * magnitude * wanted >= value {
                step = factor * magnitude
                break search
            }
        }
        let top = max(step, (value + step - 1) / step * step)
        maximum = top
        ticks = Array(stride(from: 0, through: top, by: step))
    }
}

// MARK: - Charts 2 and 3: horizontal bars

/// One bar: its label above it, its value after its end.
private struct Bar {
    var label: String
    /// A machine code shown after the label in grey (a province's division code).
    var code: String?
    /// Bar length as a share of the full length; above 1 the bar is drawn full length with a break.
    var fraction: Double
    /// Printed after the bar's end, in bold.
    var value: String
    /// Printed after the value, in grey (for the track style, at the right of the label line).
    var detail: String
    var tooltip: String
    /// Draws a rule above the bar, setting it and those after it apart from those before.
    var startsGroup = false
    /// Drawn in grey: a sum of several groups, or the unknown group, rather than one to compare.
    var isAggregate = false
    /// A grey aside after the label, on a line of its own in narrow charts.
    var note: String?
}

/// Horizontal bars with their labels above them, which leaves the full width to long names (and
/// to phones). With `showsTrack` each bar sits in a full-length track, for rates out of 100 %.
private struct BarChart {
    let bars: [Bar]
    let width: Double
    let showsTrack: Bool
    let id: String
    let title: String
    let description: String

    static let rowHeight = 38.0
    static let barHeight = 13.0

    func svg(cssClass: String) -> String {
        // Groups after the first are set off by a little extra space and a rule.
        let groupGap = 8.0
        let narrow = width < 500
        let noteLine = 17.0
        let height = Double(bars.count) * Self.rowHeight + Double(bars.filter(\.startsGroup).count) * groupGap
            + (narrow ? Double(bars.filter { $0.note != nil }.count) * noteLine : 0) + 2
        // Room after the longest bar for its value, unless the bar sits in a track.
        let valueRoom = showsTrack ? 0 : min(140, width * 0.3)
        let length = width - valueRoom
        var svg = "<svg class=\"\(cssClass)\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" "
        svg += "aria-labelledby=\"\(id)-title\" aria-describedby=\"\(id)-desc\">\n"
        svg += "<title id=\"\(id)-title\">\(htmlEscaped(title))</title>\n<desc id=\"\(id)-desc\">\(htmlEscaped(description))</desc>\n"
        var next = 0.0
        for bar in bars {
            let top = next + (bar.startsGroup ? groupGap : 0)
            let labelY = top + 15
            let barY = top + 21 + (narrow && bar.note != nil ? noteLine : 0)
            next = barY - 21 + Self.rowHeight
            let fraction = bar.fraction.isFinite ? max(0, bar.fraction) : 0
            // A nonzero value always shows at least a sliver.
            let barLength = fraction > 0 ? max(2, min(1, fraction) * length) : 0
            svg += "<g><title>\(htmlEscaped(bar.tooltip))</title>"
            if bar.startsGroup {
                svg += "<line class=\"divider\" x1=\"0\" x2=\"\(number(width))\" y1=\"\(number(top - groupGap / 2))\" y2=\"\(number(top - groupGap / 2))\"/>"
            }
            svg += "<text class=\"label\" x=\"0\" y=\"\(number(labelY))\">\(htmlEscaped(bar.label))"
            if let code = bar.code { svg += "<tspan class=\"code\" dx=\"8\">\(htmlEscaped(code))</tspan>" }
            if let note = bar.note {
                svg += narrow ? "<tspan class=\"note\" x=\"0\" dy=\"\(number(noteLine))\">\(htmlEscaped(note))</tspan>"
                    : "<tspan class=\"note\" dx=\"8\">\(htmlEscaped(note))</tspan>"
            }
            svg += "</text>"
            if showsTrack {
                svg += "<text class=\"detail\" x=\"\(number(width))\" y=\"\(number(labelY))\" text-anchor=\"end\">\(htmlEscaped(bar.detail))</text>"
                svg += "<rect class=\"track\" x=\"0\" y=\"\(number(barY))\" width=\"\(number(width))\" height=\"\(number(Self.barHeight))\" rx=\"2\"/>"
            }
            svg += "<rect class=\"\(bar.isAggregate ? "bar aggregate" : "bar")\" x=\"0\" y=\"\(number(barY))\" width=\"\(number(barLength))\" height=\"\(number(Self.barHeight))\" rx=\"2\"/>"
            if fraction > 1 {
                // A bar longer than the scale: a slanted gap says the drawn length is not to scale.
                let x = barLength - 24, bottom = barY + Self.barHeight
                svg += "<path class=\"break\" d=\"M\(number(x)) \(number(bottom + 1))L\(number(x + 5)) \(number(barY - 1))"
                svg += "L\(number(x + 10)) \(number(barY - 1))L\(number(x + 5)) \(number(bottom + 1))Z\"/>"
            }
            let valueY = number(barY + Self.barHeight / 2)
            if showsTrack && fraction > 0.82 {
                svg += "<text class=\"value inside\" x=\"\(number(barLength - 6))\" y=\"\(valueY)\" dy=\"0.35em\" text-anchor=\"end\">\(htmlEscaped(bar.value))</text>"
            } else {
                svg += "<text class=\"value\" x=\"\(number(barLength + 6))\" y=\"\(valueY)\" dy=\"0.35em\">\(htmlEscaped(bar.value))"
                if !showsTrack && !bar.detail.isEmpty { svg += "<tspan class=\"detail\" dx=\"6\">\(htmlEscaped(bar.detail))</tspan>" }
                svg += "</text>"
            }
            svg += "</g>\n"
        }
        svg += "</svg>\n"
        return svg
    }
}

// MARK: - Text

/// Text made safe for HTML element content and quoted attribute values. Control characters, which
/// HTML does not allow, become U+FFFD. Public for the web pages that embed this report.
public func htmlEscaped(_ text: String) -> String {
    var result = ""
    result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
            result.unicodeScalars.append("\u{FFFD}")
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// A count with thousands separators: 12,345.
private func grouped(_ value: Int) -> String {
    let digits = Array(String(value.magnitude))
    var text = value < 0 ? "-" : ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
        text.append(digit)
    }
    return text
}

/// `part ÷ whole` as a percentage with one decimal (38.1%), computed in integers so that it is the
/// same on every machine; "—" when `whole` is zero, never NaN.
private func percent(_ part: Int, of whole: Int) -> String {
    guard whole > 0 else { return "—" }
    let tenths = (part * 2_000 + whole) / (2 * whole)
    return "\(tenths / 10).\(tenths % 10)%"
}

/// An SVG coordinate with at most two decimals and no exponent; non-finite values become 0.
private func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let hundredths = Int((value * 100).rounded())
    let sign = hundredths < 0 ? "-" : ""
    let whole = abs(hundredths) / 100, fraction = abs(hundredths) % 100
    if fraction == 0 { return sign + String(whole) }
    if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
    return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
}

// MARK: - Style

/// Calm type in a CJK-aware system font stack, Okabe–Ito colours (distinguishable with the common
/// colour-vision deficiencies), a narrow chart variant for phones and a print layout. Classes, not
/// inline `style` attributes, so that one `<style>` element is all a policy has to allow.
private let styleSheet = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#1f2328;font:15px/1.6 system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","Helvetica Neue",Arial,sans-serif}
main{max-width:1008px;margin:32px auto;padding:40px 48px 32px;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(31,35,40,.08)}
h1{font-size:26px;line-height:1.3;margin:0;font-weight:650;letter-spacing:.01em}
h1 .en{display:block;font-size:17px;font-weight:400;color:#59636e;margin-top:2px}
h2{font-size:18px;line-height:1.4;margin:0 0 4px;font-weight:600}
h3{font-size:14px;line-height:1.4;margin:22px 0 6px;font-weight:600}
.en{font-weight:400;color:#59636e}
th .en,dt .en,.figure .label .en{display:block}
th .sep,dt .sep,.figure .label .sep{display:none}
section{margin-top:44px}
.lede{margin:0 0 14px;color:#59636e;font-size:14px}
.lede span[lang=en],.note span[lang=en],.empty span[lang=en],.chart-note span[lang=en],footer p span[lang=en]{display:block}
.muted{color:#59636e}
.meta{display:flex;flex-wrap:wrap;gap:6px 36px;margin:20px 0 0}
.meta dt{font-size:12px;color:#59636e}
.meta dd{margin:0;font-size:15px;font-variant-numeric:tabular-nums}
.meta dd .en{display:inline}
.note{margin:20px 0 0;padding:10px 14px;background:#fff8e5;border-left:3px solid #d4a72c;border-radius:4px;font-size:14px}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:28px}
.figure{border:1px solid #e1e4e8;border-radius:8px;padding:14px 16px}
.figure .value{font-size:30px;line-height:1.2;font-weight:600;font-variant-numeric:tabular-nums}
.figure.accent .value{color:#a34700}
.figure .label{margin-top:4px;font-size:13px;color:#59636e}
.empty{margin:44px 0 0;padding:28px;border:1px dashed #d0d7de;border-radius:8px;text-align:center;font-size:17px}
.chart-note{padding:16px;background:#f6f8fa;border-radius:6px;font-size:14px;color:#59636e}
figure{margin:0}
svg{display:block;width:100%;height:auto;overflow:visible}
svg text{font-size:12px;fill:#59636e;font-variant-numeric:tabular-nums}
svg .label{font-size:14px;fill:#1f2328}
svg .code{font-size:12px;fill:#6e7781;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
svg .value{font-size:13px;font-weight:600;fill:#1f2328}
svg .value.inside{fill:#fff}
svg .note{font-size:12px;fill:#59636e}
svg .detail{font-size:12px;font-weight:400;fill:#59636e}
.grid{stroke:#e6e8eb;stroke-width:1}
.baseline,.tickmark{stroke:#8c959f;stroke-width:1}
.hit{fill:transparent}
.track{fill:#eef0f3}
.break{fill:#fff}
.divider{stroke:#d0d7de;stroke-dasharray:3 3}
.bar{fill:#2b6a99}
.bar.aggregate{fill:#8c959f}
.narrow{display:none}
.approved{fill:#d3dae2;background:#d3dae2}
.r0{fill:#d55e00;background:#d55e00}
.r1{fill:#0072b2;background:#0072b2}
.r2{fill:#e69f00;background:#e69f00}
.r3{fill:#009e73;background:#009e73}
.r4{fill:#cc79a7;background:#cc79a7}
.r5{fill:#56b4e9;background:#56b4e9}
.other{fill:#8c959f;background:#8c959f}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;margin:0 0 10px;padding:0;font-size:13px}
.legend li{white-space:nowrap}
.swatch{display:inline-block;width:11px;height:11px;margin-right:6px;border-radius:2px;vertical-align:-1px}
.legend .en,.legend span[lang=en]{color:#59636e}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:14px}
th{padding:6px 10px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:bottom;font-size:12px;font-weight:600;color:#59636e}
td{padding:7px 10px;border-bottom:1px solid #eceff2;vertical-align:top}
th:first-child,td:first-child{padding-left:0}
th:last-child,td:last-child{padding-right:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap{white-space:nowrap}
tfoot td{border-top:1px solid #d0d7de;border-bottom:none;font-weight:600}
tfoot .en{display:inline}
.suppressed td{color:#6e7781}
.reasons th:first-child{width:100%}
.reasons tr.code td{border-bottom:none;padding-bottom:0}
.reasons tr.code td:first-child{padding-left:17px;text-indent:-17px}
th.num{white-space:normal}
.breakdown th{white-space:nowrap}
.reasons tr.explanation td{padding-top:2px}
.reasons p{max-width:46em;margin:2px 0 0 17px;font-size:13px;line-height:1.5}
.reasons p.en{color:#59636e}
.reasons .swatch{margin-right:6px}
details{margin-top:14px;font-size:14px}
summary{cursor:pointer;color:#0b62a8}
details table{margin-top:8px}
footer{margin-top:48px;padding-top:20px;border-top:1px solid #e1e4e8;font-size:14px;color:#3d444d}
footer h2{font-size:15px}
pre{margin:8px 0 12px;padding:12px 14px;background:#f6f8fa;border-radius:6px;overflow-x:auto;line-height:1.5;font-size:12.5px}
@media (max-width:560px){
body{background:#fff;font-size:14px}
main{margin:0;padding:20px 16px 24px;border-radius:0;box-shadow:none}
h1{font-size:22px}
h1 .en{font-size:15px}
.figures{grid-template-columns:repeat(2,1fr);gap:8px}
.figure{padding:10px 12px}
.figure .value{font-size:24px}
.wide{display:none}
.narrow{display:block}
section{margin-top:36px}
.breakdown{font-size:13px}
}
@media print{
body{background:#fff}
main{max-width:none;margin:0;padding:0;box-shadow:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.wide{display:block}
.narrow,details{display:none}
figure,.figures,header,tr,.reasons tbody{break-inside:avoid}
h2,h3{break-after:avoid}
tfoot{display:table-row-group}
}

"""
