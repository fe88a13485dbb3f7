import IDCACore

/// Everything the HTML report shows: the breakdowns its charts need, plus the table the reader
/// asked for. Each part is an ordinary `StatisticsReport` over the same dates, so every figure in
/// the HTML can be reproduced with a CSV or JSON export of the same query.
public struct StatisticsOverview: Sendable, Hashable {
    /// Applications and rejections over time, stacked by reason: `group_by = period, reason`.
    public var overTime: StatisticsReport
    /// Rejection rate by subject type: `group_by = subject_type`.
    public var bySubjectType: StatisticsReport
    /// Rejections by province: `group_by = province`.
    public var byProvince: StatisticsReport
    /// The top reasons: `group_by = reason`.
    public var byReason: StatisticsReport
    /// The breakdown the reader asked for (`--group-by`), shown as a table.
    public var requested: StatisticsReport
    /// When the report was made (seconds since the epoch), printed in its header.
    public var generatedAt: Int64

    public init(overTime: StatisticsReport, bySubjectType: StatisticsReport, byProvince: StatisticsReport, byReason: StatisticsReport,
                requested: StatisticsReport, generatedAt: Int64) {
        self.overTime = overTime
        self.bySubjectType = bySubjectType
        self.byProvince = byProvince
        self.byReason = byReason
        self.requested = requested
        self.generatedAt = generatedAt
    }

    /// The queries an overview of `query` needs, besides `query` itself.
    public static func queries(for query: StatisticsQuery) -> (overTime: StatisticsQuery, bySubjectType: StatisticsQuery,
                                                              byProvince: StatisticsQuery, byReason: StatisticsQuery) {
        (StatisticsQuery(from: query.from, to: query.to, groupBy: [.period, .reason], period: query.period),
         StatisticsQuery(from: query.from, to: query.to, groupBy: [.subjectType], period: query.period),
         StatisticsQuery(from: query.from, to: query.to, groupBy: [.province], period: query.period),
         StatisticsQuery(from: query.from, to: query.to, groupBy: [.reason], period: query.period))
    }
}
