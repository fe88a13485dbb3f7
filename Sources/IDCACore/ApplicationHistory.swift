/// What past decisions say about who is trying what (Docs/LIFECYCLE.md): the anti-enumeration
/// budgets count failures per resident ID and per organization, and the impersonation report looks
/// for the patterns of 冒用. Keyed-hash references only, never plaintext.
public protocol ApplicationHistory: Sendable {
    /// The times of the newest `limit` rejected applications of `subjectReference` — as the
    /// subject, or as an organization application's operator — whose internal reason is one of
    /// `reasons`, decided at or after `since`; newest first.
    func failureTimes(subjectReference: String, reasons: [String], since: Int64, limit: Int) async throws -> [Int64]
    /// The patterns of the impersonation report over decisions in `from...to`, each group with at
    /// least `minimum` of what it counts.
    func impersonationPatterns(from: Int64, to: Int64, minimum: Int) async throws -> ImpersonationPatterns
}

/// The impersonation report's findings; every group names its subject by keyed reference, the same
/// one the audit log's `subject` column uses, so that an auditor can follow it there.
public struct ImpersonationPatterns: Sendable, Hashable {
    /// An organization applied for by several different operators.
    public struct Organization: Sendable, Hashable {
        public var reference: String
        public var operators: Int
        public var applications: Int
        public var rejected: Int
        public var first: Int64
        public var last: Int64

        public init(reference: String, operators: Int, applications: Int, rejected: Int, first: Int64, last: Int64) {
            self.reference = reference
            self.operators = operators
            self.applications = applications
            self.rejected = rejected
            self.first = first
            self.last = last
        }
    }

    /// A resident ID used with names the registry does not hold (as applicant or as operator), or
    /// whose possession check failed.
    public struct Resident: Sendable, Hashable {
        public var reference: String
        public var nameMismatches: Int
        public var possessionFailures: Int
        public var first: Int64
        public var last: Int64

        public init(reference: String, nameMismatches: Int, possessionFailures: Int, first: Int64, last: Int64) {
            self.reference = reference
            self.nameMismatches = nameMismatches
            self.possessionFailures = possessionFailures
            self.first = first
            self.last = last
        }
    }

    /// A client address with many rejected applications.
    public struct Source: Sendable, Hashable {
        public var reference: String
        public var applications: Int
        public var rejected: Int
        /// Different subjects tried from it: many means someone is probing numbers.
        public var subjects: Int
        public var first: Int64
        public var last: Int64

        public init(reference: String, applications: Int, rejected: Int, subjects: Int, first: Int64, last: Int64) {
            self.reference = reference
            self.applications = applications
            self.rejected = rejected
            self.subjects = subjects
            self.first = first
            self.last = last
        }
    }

    public var organizations: [Organization]
    public var residents: [Resident]
    public var sources: [Source]

    public init(organizations: [Organization], residents: [Resident], sources: [Source]) {
        self.organizations = organizations
        self.residents = residents
        self.sources = sources
    }
}

extension ImpersonationPatterns {
    /// The SQL of the three groupings, shared by both backends (`?` placeholders, in order: from,
    /// to, minimum). Organization applications name the operator's resident ID in `operator_ref`,
    /// so a name mismatch there is the operator's.
    public static let organizationsSQL = """
        SELECT subject_ref, COUNT(DISTINCT operator_ref), COUNT(*), SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END),
               MIN(decided_at), MAX(decided_at)
        FROM applications
        WHERE subject_type = 'organization' AND decided_at BETWEEN ? AND ? AND subject_ref IS NOT NULL AND operator_ref IS NOT NULL
        GROUP BY subject_ref HAVING COUNT(DISTINCT operator_ref) >= ?
        ORDER BY COUNT(DISTINCT operator_ref) DESC, subject_ref LIMIT 1000
        """

    public static let residentsSQL = """
        SELECT person, SUM(CASE WHEN internal_reason = 'registry_name_mismatch' THEN 1 ELSE 0 END),
               SUM(CASE WHEN internal_reason IN ('possession_attempts_exhausted', 'possession_code_expired') THEN 1 ELSE 0 END),
               MIN(decided_at), MAX(decided_at)
        FROM (SELECT CASE WHEN subject_type = 'organization' THEN operator_ref ELSE subject_ref END AS person, internal_reason, decided_at
              FROM applications
              WHERE decided_at BETWEEN ? AND ?
                AND internal_reason IN ('registry_name_mismatch', 'possession_attempts_exhausted', 'possession_code_expired')) AS failures
        WHERE person IS NOT NULL
        GROUP BY person HAVING COUNT(*) >= ?
        ORDER BY COUNT(*) DESC, person LIMIT 1000
        """

    public static let sourcesSQL = """
        SELECT source_ref, COUNT(*), SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), COUNT(DISTINCT subject_ref),
               MIN(decided_at), MAX(decided_at)
        FROM applications
        WHERE decided_at BETWEEN ? AND ? AND source_ref IS NOT NULL
        GROUP BY source_ref HAVING SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) >= ?
        ORDER BY SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) DESC, source_ref LIMIT 1000
        """
}
