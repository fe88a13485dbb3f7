/// A registry row that was not imported, with the reason an operator can act on.
public struct RejectedRow: Sendable, Hashable {
    /// The physical line where the row starts (the header is line 1).
    public var line: Int
    /// A reason code: an identity-rule code of the number's column, or one of the import's own
    /// (`unknown_status`, `name_invalid`, `column_count`, `malformed_csv`, …).
    public var reason: String
    /// The column the reason is about, when there is one.
    public var column: String?

    /// A rejected row with any reason code.
    public init(line: Int, reason: String, column: String?) {
        self.line = line
        self.reason = reason
        self.column = column
    }
}

/// What an import did.
public struct ImportReport: Sendable, Hashable {
    /// Rows that passed every check and were handed on as records.
    public var imported: Int
    /// Rows that were not, in input order.
    public var rejected: [RejectedRow]

    /// A report of `imported` rows and the `rejected` ones.
    public init(imported: Int, rejected: [RejectedRow]) {
        self.imported = imported
        self.rejected = rejected
    }
}

extension RejectedRow {
    /// The import's own reason codes, besides the identity-rule codes of `ResidentIDNumber`,
    /// `OrganizationCode` and `CreditCode`. Frozen like every reason code: never rename or reuse one.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The row is not well-formed CSV (bad quoting, invalid UTF-8, longer than the read buffer).
        case malformedCSV = "malformed_csv"
        /// The row has more or fewer fields than the header.
        case columnCount = "column_count"
        /// A name or legal representative that `NameRules` refuses (empty, too long, control characters).
        case nameInvalid = "name_invalid"
        /// A status outside the kind's vocabulary (exact, lower-case).
        case unknownStatus = "unknown_status"
        /// A phone number that is not 11 ASCII digits starting with 1.
        case phoneInvalid = "phone_invalid"
        /// The same resident ID or organization code as an earlier imported row of the same file.
        case duplicateRow = "duplicate_row"
        /// The credit code's embedded organization code (characters 9–17) differs from `organization_code`.
        case organizationCodeMismatch = "organization_code_mismatch"
    }

    /// A rejected row with one of the import's own reasons.
    public init(line: Int, reason: Reason, column: String?) {
        self.init(line: line, reason: reason.rawValue, column: column)
    }
}

extension ImportReport {
    /// How many rows were rejected for each reason, for the summary.
    public var rejectCounts: [String: Int] {
        rejected.reduce(into: [:]) { counts, row in counts[row.reason, default: 0] += 1 }
    }
}
