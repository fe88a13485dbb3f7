import IDCACore
import IDCARules
import IDCATokens

/// Turns identities into the keyed hashes the registry and ledgers store, with one domain per kind
/// of value so that equal strings of different kinds never share a hash.
public struct IdentityHasher: Sendable {
    let hasher: KeyedHasher

    public init(indexKey: SecretKey) {
        hasher = KeyedHasher(key: indexKey)
    }

    /// The lookup key of a resident, and the subject reference their pseudonyms derive from.
    public func residentReference(_ number: ResidentIDNumber) -> String {
        hasher.hash(number.canonical, domain: "resident_id")
    }

    /// A normalized person name (`NameRules.normalizedPersonName`).
    public func nameHash(_ normalizedName: String) -> String {
        hasher.hash(normalizedName, domain: "person_name")
    }

    /// The subject reference of an organization.
    public func organizationReference(_ organizationCode: String) -> String {
        hasher.hash(organizationCode, domain: "organization_code")
    }

    /// What a one-time code is stored as: keyed, and bound to its application, so that the table
    /// of a million possible codes cannot be precomputed, nor a hash moved to another application.
    public func possessionCodeHash(_ code: String, application: ApplicationID) -> String {
        hasher.hash(application.rawValue + ":" + code, domain: "possession_code")
    }

    /// A client's network address, for budgets and the impersonation report.
    public func sourceReference(_ address: String) -> String {
        hasher.hash(address, domain: "source_address")
    }

    /// What a site's API key is stored as.
    public func apiKeyHash(_ apiKey: String) -> String {
        hasher.hash(apiKey, domain: "api_key")
    }
}
