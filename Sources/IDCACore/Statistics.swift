import IDCARules

/// Application statistics: counters kept per (day, subject type, internal reason, province, site),
/// updated in the same transaction as each decision, so that a report never scans applications
/// (Docs/STATISTICS.md).

/// What a report can be broken down by.
public enum StatisticsDimension: String, Sendable, Hashable, CaseIterable {
    case subjectType = "subject_type"
    case reason
    case period
    case province
    case site
}

/// How `period` groups days.
public enum StatisticsPeriod: String, Sendable, Hashable, CaseIterable {
    case day
    /// ISO 8601 weeks, Monday to Sunday.
    case week
    case month

    /// The first day of the period containing `date`.
    public func start(of date: CivilDate) -> CivilDate {
        switch self {
        case .day:
            return date
        case .week:
            // 1970-01-01 was a Thursday: day numbers + 3 are multiples of 7 on Mondays.
            let days = date.daysSinceUnixEpoch
            let sinceMonday = ((days + 3) % 7 + 7) % 7
            return CivilDate(daysSinceUnixEpoch: days - sinceMonday)
        case .month:
            return CivilDate(year: date.year, month: date.month, day: 1)!
        }
    }

    /// The label of the period starting at `start`: `2026-11-29`, `2026-W48`, `2026-11`.
    public func label(startingAt start: CivilDate) -> String {
        switch self {
        case .day:
            return start.description
        case .month:
            return String(start.description.prefix(7))
        case .week:
            // The ISO week-numbering year is the year of the week's Thursday.
            let thursday = CivilDate(daysSinceUnixEpoch: start.daysSinceUnixEpoch + 3)
            let firstOfYear = CivilDate(year: thursday.year, month: 1, day: 1)!
            let week = (thursday.daysSinceUnixEpoch - firstOfYear.daysSinceUnixEpoch) / 7 + 1
            return "\(thursday.year)-W" + (week < 10 ? "0\(week)" : "\(week)")
        }
    }
}

/// One report request: inclusive Asia/Shanghai dates and the breakdown.
public struct StatisticsQuery: Sendable, Hashable {
    public var from: CivilDate
    public var to: CivilDate
    /// In the order the columns should appear.
    public var groupBy: [StatisticsDimension]
    public var period: StatisticsPeriod

    public init(from: CivilDate, to: CivilDate, groupBy: [StatisticsDimension], period: StatisticsPeriod = .day) {
        self.from = from
        self.to = to
        self.groupBy = groupBy
        self.period = period
    }

    /// Reports longer than this are refused: over ten years of days would be an export nobody reads.
    public static let maximumDays: Int64 = 3660
}

/// One group's counts. A key is `nil` when the query does not group by it, or when the value is
/// unknown (no province for an application refused before its number could be read, no site, no
/// reason for approvals).
public struct StatisticsCell: Sendable, Hashable {
    public var subjectType: SubjectType?
    /// The exact internal reason; `nil` for approvals.
    public var reason: String?
    /// First day of the period.
    public var periodStart: CivilDate?
    /// Province-level division code (`110000`).
    public var province: Int?
    public var site: String?
    public var applications: Int
    public var approved: Int
    public var rejected: Int

    public init(subjectType: SubjectType? = nil, reason: String? = nil, periodStart: CivilDate? = nil, province: Int? = nil,
                site: String? = nil, applications: Int, approved: Int, rejected: Int) {
        self.subjectType = subjectType
        self.reason = reason
        self.periodStart = periodStart
        self.province = province
        self.site = site
        self.applications = applications
        self.approved = approved
        self.rejected = rejected
    }
}

/// The keys one decision is counted under.
public struct StatisticsKey: Sendable, Hashable {
    /// Asia/Shanghai day of the decision, as days since 1970-01-01.
    public var day: Int64
    public var subjectType: SubjectType
    /// Internal reason; empty for approvals.
    public var reason: String
    /// Province-level division code; 0 when unknown.
    public var province: Int
    /// Site id; empty when the application named none.
    public var site: String

    public init(_ decision: DecisionRecord) {
        day = CivilDate(shanghaiDayOf: decision.decidedAt).daysSinceUnixEpoch
        subjectType = decision.subjectType
        reason = decision.rejection?.internalReason ?? ""
        province = decision.regionCode.map { $0 / 10_000 * 10_000 } ?? 0
        site = decision.site?.rawValue ?? ""
    }
}
