import IDCARules

/// A person whose number passed the identity rules and whose name is usable.
public struct ScreenedPerson: Sendable, Hashable {
    public var residentID: ResidentIDNumber
    /// The name after `NameRules.normalizedPersonName`.
    public var normalizedName: String
}

/// How an organization is looked up: by its credit code when the applicant gave one (it is the
/// more specific identifier), else by its organization code.
public enum OrganizationKey: Sendable, Hashable {
    case creditCode(CreditCode)
    case organizationCode(OrganizationCode)

    /// The organization code either way: given, or embedded in the credit code.
    public var organizationCode: String {
        switch self {
        case .creditCode(let code): code.organizationCode.canonical
        case .organizationCode(let code): code.canonical
        }
    }

    /// The division code the identifier carries, for statistics by province.
    public var divisionCode: Int? {
        switch self {
        case .creditCode(let code): code.division.code
        case .organizationCode: nil
        }
    }
}

/// An organization application whose numbers and names passed the first step.
public struct ScreenedOrganization: Sendable, Hashable {
    public var key: OrganizationKey
    public var normalizedName: String
    public var normalizedLegalRepresentative: String
    public var operatorPerson: ScreenedPerson
}

/// The first step of the decision pipeline: identity rules and name rules, with no registry and
/// no keys. Pure, so every row of it is tested directly.
public enum ApplicationScreening {
    /// Checks a person's number, then their name; the first failure is the answer.
    public static func screen(
        _ person: PersonClaim,
        context: ValidationContext,
        idField: ApplicationField = .residentID,
        nameField: ApplicationField = .name
    ) -> Result<ScreenedPerson, Rejection> {
        let residentID: ResidentIDNumber
        do {
            residentID = try ResidentIDNumber(validating: person.residentID, context: context)
        } catch {
            return .failure(Rejection(error, field: idField))
        }
        guard let name = try? NameRules.normalizedPersonName(person.name) else {
            return .failure(Rejection(.nameInvalid, field: nameField))
        }
        return .success(ScreenedPerson(residentID: residentID, normalizedName: name))
    }

    /// Checks an organization application's codes (credit code, then organization code, then that
    /// they agree), its names, and its operator, in that order.
    public static func screen(_ claim: OrganizationClaim, context: ValidationContext) -> Result<ScreenedOrganization, Rejection> {
        var creditCode: CreditCode?
        var organizationCode: OrganizationCode?
        if let text = claim.creditCode {
            do { creditCode = try CreditCode(validating: text, context: context) } catch {
                return .failure(Rejection(error, field: .creditCode))
            }
        }
        if let text = claim.organizationCode {
            do { organizationCode = try OrganizationCode(validating: text, context: context) } catch {
                return .failure(Rejection(error, field: .organizationCode))
            }
        }
        let key: OrganizationKey
        switch (creditCode, organizationCode) {
        case let (credit?, organization?):
            guard credit.organizationCode.canonical == organization.canonical else {
                return .failure(Rejection(.organizationCodeMismatch, field: .organizationCode))
            }
            key = .creditCode(credit)
        case let (credit?, nil):
            key = .creditCode(credit)
        case let (nil, organization?):
            key = .organizationCode(organization)
        case (nil, nil):
            // The HTTP layer refuses such a request as malformed; this guards other callers.
            return .failure(Rejection(reason: OrganizationCode.Violation.empty.rawValue, field: .organizationCode,
                                      message: "Give the credit code, the organization code, or both."))
        }
        guard let name = try? NameRules.normalizedOrganizationName(claim.organizationName) else {
            return .failure(Rejection(.nameInvalid, field: .organizationName))
        }
        guard let legalRepresentative = try? NameRules.normalizedPersonName(claim.legalRepresentative) else {
            return .failure(Rejection(.nameInvalid, field: .legalRepresentative))
        }
        let screenedOperator: ScreenedPerson
        switch screen(claim.operatorPerson, context: context, idField: .operatorResidentID, nameField: .operatorName) {
        case .success(let person): screenedOperator = person
        case .failure(let rejection): return .failure(rejection)
        }
        return .success(ScreenedOrganization(
            key: key, normalizedName: name, normalizedLegalRepresentative: legalRepresentative, operatorPerson: screenedOperator))
    }
}

/// The last step: comparing what the applicant said with what the registry holds. Pure.
public enum RegistryJudgement {
    /// An individual (or an operator) against their registry entry. The public answer is the same
    /// for every failure; the internal reason says which it was.
    public static func judge(personNameHash: String, record: ResidentRecord?, field: ApplicationField = .residentID,
                             publicReason: DecisionReason = .registryMismatch) -> Rejection? {
        guard let record else {
            return Rejection(public: publicReason, internal: .registryNotFound, field: field)
        }
        // Inactive is reported before a name mismatch: a deceased person's entry must not become a
        // name oracle either, and both answers are the same publicly.
        guard record.status == .active else {
            return Rejection(public: publicReason, internal: .identityInactive, field: field)
        }
        guard constantTimeEquals(record.nameHash, personNameHash) else {
            return Rejection(public: publicReason, internal: .registryNameMismatch, field: field)
        }
        return nil
    }

    /// An organization against its registry entry (organization data is public, so each failure
    /// has its own public reason).
    public static func judge(_ organization: ScreenedOrganization, record: OrganizationRecord?) -> Rejection? {
        guard let record else {
            let field: ApplicationField = if case .creditCode = organization.key { .creditCode } else { .organizationCode }
            return Rejection(.organizationNotFound, field: field)
        }
        guard record.status == .active else { return Rejection(.organizationInactive, field: nil) }
        guard (try? NameRules.normalizedOrganizationName(record.name)) == organization.normalizedName else {
            return Rejection(.organizationNameMismatch, field: .organizationName)
        }
        guard (try? NameRules.normalizedPersonName(record.legalRepresentative)) == organization.normalizedLegalRepresentative else {
            return Rejection(.legalRepresentativeMismatch, field: .legalRepresentative)
        }
        return nil
    }

    /// Compares two equal-length hashes without an early exit, so timing says nothing about
    /// how much of a name hash matched.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
