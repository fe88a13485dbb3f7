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

    /// What a site's API key is stored as.
    public func apiKeyHash(_ apiKey: String) -> String {
        hasher.hash(apiKey, domain: "api_key")
    }
}
