import IDCARules

/// Who is being certified.
public enum SubjectType: String, Sendable, Hashable, CaseIterable, Codable {
    case individual
    case organization
}

/// A resident's state in the registry. Only `active` residents can be certified.
public enum ResidentStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case active
    case deceased
    case cancelled
}

/// An organization's state in the registry. Only `active` organizations can be certified.
public enum OrganizationStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case active
    case revoked
    case cancelled
}

/// A resident as the registry holds one: keyed hashes and ciphertext, never the plaintext.
public struct ResidentRecord: Sendable, Hashable {
    /// Keyed hash of the canonical resident ID: the lookup key, and the subject reference
    /// pseudonyms are derived from.
    public var residentIDHash: String
    /// Keyed hash of the normalized name (`PersonName.normalized`).
    public var nameHash: String
    public var status: ResidentStatus
    /// The address code (first 6 digits of the ID), kept for statistics by province.
    public var regionCode: Int
    /// The phone number, AES-GCM sealed under the data key, if the registry has one.
    public var sealedPhone: [UInt8]?
    /// The resident ID and name, AES-GCM sealed under the data key: the copy kept for lawful
    /// disclosure (resolving a pseudonym to a person under strict control). Lookups never use it.
    public var sealedIdentity: [UInt8]?

    public init(residentIDHash: String, nameHash: String, status: ResidentStatus, regionCode: Int, sealedPhone: [UInt8]?,
                sealedIdentity: [UInt8]? = nil) {
        self.residentIDHash = residentIDHash
        self.nameHash = nameHash
        self.status = status
        self.regionCode = regionCode
        self.sealedPhone = sealedPhone
        self.sealedIdentity = sealedIdentity
    }
}

/// An organization as the registry holds one. Organization data is public and stored as is.
public struct OrganizationRecord: Sendable, Hashable {
    public var organizationCode: String
    /// Empty for organizations registered before 2015.
    public var creditCode: String?
    public var name: String
    public var legalRepresentative: String
    public var status: OrganizationStatus

    public init(organizationCode: String, creditCode: String?, name: String, legalRepresentative: String, status: OrganizationStatus) {
        self.organizationCode = organizationCode
        self.creditCode = creditCode
        self.name = name
        self.legalRepresentative = legalRepresentative
        self.status = status
    }

    /// The province-level division from the credit code's division code, when there is one.
    public var divisionCode: Int? {
        guard let creditCode, creditCode.utf8.count == 18 else { return nil }
        return Int(creditCode.dropFirst(2).prefix(6))
    }
}
