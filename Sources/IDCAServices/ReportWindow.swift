import IDCACore
import IDCARules

/// The days an auditor's report covers, as its `from` and `to` parameters give them: Asia/Shanghai
/// calendar days, both ends included, by default the 30 days up to today. Shared by the statistics
/// and the impersonation report, so that both refuse the same things with the same words.
enum ReportWindow {
    static func days(from: String?, to: String?, today: CivilDate, maximumDays: Int64) throws -> (first: CivilDate, last: CivilDate) {
        func date(_ text: String?, _ name: String, default value: CivilDate) throws -> CivilDate {
            guard let text else { return value }
            guard let date = CivilDate(iso8601: text) else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "\(name) must be a date like 2026-11-29.", field: name)
            }
            return date
        }
        let last = try date(to, "to", default: today)
        let first = try date(from, "from", default: CivilDate(daysSinceUnixEpoch: last.daysSinceUnixEpoch - 29))
        guard first <= last else {
            throw IDCAError(.badRequest, code: "invalid_parameter", message: "from must not be after to.", field: "from")
        }
        guard last.daysSinceUnixEpoch - first.daysSinceUnixEpoch < maximumDays else {
            throw IDCAError(.badRequest, code: "invalid_parameter", message: "A report covers at most \(maximumDays) days.", field: "from")
        }
        return (first, last)
    }
}
