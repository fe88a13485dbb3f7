import ArgumentParser
import IDCACore

/// `idca sites …`: licensed sites and their API keys.
struct SitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sites", abstract: "Register and manage the licensed sites that verify tokens.",
        subcommands: [Add.self, List.self, Suspend.self, Resume.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a site and print its API key (shown once; only a hash is stored).")

        @OptionGroup var storage: StorageOptions
        @Option(help: "The site's name.") var name: String
        @Option(help: "Telecom operating licence or filing number, e.g. 京ICP证000000号 or 京ICP备00000000号.") var license: String
        @Option(help: "Accounts one person or organization may open at this site.") var maxAccounts: Int = Site.defaultMaxAccounts
        @Flag(help: "Print one JSON object: {\"site_id\": …, \"api_key\": …}.") var json = false

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage)
            let (site, apiKey) = try await wiring.siteService.add(name: name, licence: license, maxAccounts: maxAccounts, by: commandLineOperator)
            if json {
                printJSON(["site_id": site.id.rawValue, "api_key": apiKey])
            } else {
                print("site_id: \(site.id.rawValue)")
                print("api_key: \(apiKey)")
                print("Store the API key now: idca keeps only its hash and cannot show it again.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sites.")
        @OptionGroup var storage: StorageOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let sites = try await Wiring.open(storage: storage, requireExistingDatabase: true).sites.sites()
            if json {
                printJSON(["sites": sites.map { site in
                    ["site_id": site.id.rawValue, "name": site.name, "license": site.licence, "max_accounts": site.maxAccounts,
                     "suspended": site.isSuspended, "created_at": RFC3339.string(fromUnixSeconds: site.createdAt)] as [String: Any]
                }])
            } else {
                if sites.isEmpty { print("No sites.") }
                for site in sites {
                    print("\(site.id.rawValue)  \(site.isSuspended ? "suspended" : "active   ")  max \(site.maxAccounts)  \(site.licence)  \(site.name)")
                }
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a site: its verify calls get 403 until resumed.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The site id.") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws { try await setSuspended(id, true, storage: storage, json: json) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a suspended site.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The site id.") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws { try await setSuspended(id, false, storage: storage, json: json) }
    }
}

private func setSuspended(_ id: String, _ suspended: Bool, storage: StorageOptions, json: Bool) async throws {
    guard let siteID = SiteID(rawValue: id),
          try await Wiring.open(storage: storage, requireExistingDatabase: true).siteService.setSuspended(siteID, suspended, by: commandLineOperator)
    else {
        throw CommandFailure("no site has the id '\(id)'.")
    }
    if json {
        printJSON(["site_id": id, "suspended": suspended])
    } else {
        print("\(id) \(suspended ? "suspended" : "resumed").")
    }
}
