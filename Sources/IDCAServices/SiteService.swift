import IDCACore
import IDCATokens

/// Site registration and authentication (operators add sites; sites authenticate with API keys).
public struct SiteService: Sendable {
    let directory: any SiteDirectory
    let identityHasher: IdentityHasher
    let clock: any IDCACore.Clock
    let random: any RandomSource

    public init(directory: any SiteDirectory, identityHasher: IdentityHasher, clock: any IDCACore.Clock, random: any RandomSource) {
        self.directory = directory
        self.identityHasher = identityHasher
        self.clock = clock
        self.random = random
    }

    /// A new site and its API key. The key is returned once; only its keyed hash is stored.
    public func add(name: String, licence: String, maxAccounts: Int = Site.defaultMaxAccounts,
                    by actor: AuditActor) async throws -> (site: Site, apiKey: String) {
        let trimmedName = name.trimmingWhitespace()
        guard !trimmedName.isEmpty, trimmedName.count <= 128 else {
            throw IDCAError(.badRequest, code: "site_name_invalid", message: "A site needs a name of 1 to 128 characters.", field: "name")
        }
        guard SiteLicence.isValid(licence) else {
            throw IDCAError(.badRequest, code: "licence_invalid",
                            message: "The licence must be a telecom operating licence (京ICP证000000号) or a filing number (京ICP备00000000号).",
                            field: "license")
        }
        guard (1...1000).contains(maxAccounts) else {
            throw IDCAError(.badRequest, code: "max_accounts_invalid", message: "max-accounts must be between 1 and 1000.", field: "max_accounts")
        }
        let site = Site(id: SiteID.generate(using: random), name: trimmedName, licence: licence, maxAccounts: maxAccounts,
                        isSuspended: false, createdAt: clock.now())
        let apiKey = "idca_sk_" + Base32.encode(random.bytes(32))
        try await directory.add(site, apiKeyHash: identityHasher.apiKeyHash(apiKey), audit: AuditEvent(
            .siteAdded, time: site.createdAt, actor: actor, outcome: "added", object: site.id.rawValue,
            details: [("max_accounts", String(maxAccounts)), ("licence", licence)]))
        return (site, apiKey)
    }

    /// Suspends or resumes a site; false when there is no such site.
    public func setSuspended(_ id: SiteID, _ suspended: Bool, by actor: AuditActor) async throws -> Bool {
        try await directory.setSuspended(id, suspended, audit: AuditEvent(
            suspended ? .siteSuspended : .siteResumed, time: clock.now(), actor: actor,
            outcome: suspended ? "suspended" : "resumed", object: id.rawValue))
    }

    /// The site holding this API key, or `nil`. Keys of the wrong shape are refused without a lookup.
    public func authenticate(apiKey: String) async throws -> Site? {
        guard apiKey.hasPrefix("idca_sk_"), Base32.isEncoding(String(apiKey.dropFirst(8)), ofByteCount: 32) else { return nil }
        return try await directory.site(apiKeyHash: identityHasher.apiKeyHash(apiKey))
    }
}

/// The licences the rules require of a site before it may be given an interface: a value-added
/// telecom operating licence (京ICP证000000号) or a non-commercial filing (京ICP备00000000号, with an
/// optional -N suffix for a site under the same filing).
public enum SiteLicence {
    static let provinces: Set<Character> = Set("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")

    public static func isValid(_ text: String) -> Bool {
        var characters = Substring(text)
        guard let province = characters.popFirst(), provinces.contains(province), characters.hasPrefix("ICP") else { return false }
        characters = characters.dropFirst(3)
        guard let kind = characters.popFirst(), kind == "证" || kind == "备" else { return false }
        let digits = characters.prefix { $0.isASCII && $0.isNumber }
        guard (6...8).contains(digits.count) else { return false }
        characters = characters.dropFirst(digits.count)
        guard characters.popFirst() == "号" else { return false }
        if characters.isEmpty { return true }
        guard characters.popFirst() == "-" else { return false }
        return !characters.isEmpty && characters.count <= 3 && characters.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
