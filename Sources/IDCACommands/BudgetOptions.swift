import ArgumentParser
import IDCAHTTP
import IDCAServices

/// The anti-enumeration budgets of `idca serve` (Docs/CONFIGURATION.md, Docs/LIFECYCLE.md).
struct BudgetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Failed registry matches of one resident ID that lock it, 1–100 (env IDCA_RESIDENT_FAILURE_LIMIT; default 5).", valueName: "n"))
    var residentFailureLimit: Int?
    @Option(help: ArgumentHelp("…of one organization, 1–100 (env IDCA_ORGANIZATION_FAILURE_LIMIT; default 10).", valueName: "n"))
    var organizationFailureLimit: Int?
    @Option(help: ArgumentHelp("Seconds within which those failures count, 60–2592000 (env IDCA_FAILURE_WINDOW; default 86400).", valueName: "seconds"))
    var failureWindow: Int?
    @Option(help: ArgumentHelp("Seconds a lock lasts, 60–2592000 (env IDCA_LOCK_DURATION; default 86400).", valueName: "seconds"))
    var lockDuration: Int?
    @Option(help: ArgumentHelp("Applications one client address may send at once, 1–100000 (env IDCA_ADDRESS_BURST; default 30).", valueName: "n"))
    var addressBurst: Int?
    @Option(help: ArgumentHelp("…and per minute after that, 1–100000 (env IDCA_ADDRESS_PER_MINUTE; default 10).", valueName: "n"))
    var addressPerMinute: Int?

    @Option(help: ArgumentHelp("A reverse proxy whose X-Forwarded-For names the client, by IP address; repeatable (env IDCA_TRUSTED_PROXIES, comma-separated; default none).", valueName: "address"))
    var trustedProxy: [String] = []

    /// The proxies to believe: the flags, or else the environment's list.
    func trustedProxies() throws -> TrustedProxies {
        let entries = !trustedProxy.isEmpty ? trustedProxy
            : (Environment.value("IDCA_TRUSTED_PROXIES")?.split(separator: ",").map(String.init) ?? [])
        guard let proxies = TrustedProxies(entries) else {
            throw ValidationError("--trusted-proxy takes IP addresses (such as 10.0.0.5 or ::1), not '\(entries.joined(separator: ","))'.")
        }
        return proxies
    }

    func resolved() throws -> Budgets.Settings {
        Budgets.Settings(
            residentFailures: Int(try NumericSetting(name: "resident failure limit", flag: residentFailureLimit,
                                                     environment: "IDCA_RESIDENT_FAILURE_LIMIT", default: 5, range: 1...Budgets.maximumFailureLimit).value()),
            organizationFailures: Int(try NumericSetting(name: "organization failure limit", flag: organizationFailureLimit,
                                                         environment: "IDCA_ORGANIZATION_FAILURE_LIMIT", default: 10, range: 1...Budgets.maximumFailureLimit).value()),
            window: try NumericSetting(name: "failure window in seconds", flag: failureWindow, environment: "IDCA_FAILURE_WINDOW",
                                       default: 86_400, range: 60...2_592_000).value(),
            lock: try NumericSetting(name: "lock duration in seconds", flag: lockDuration, environment: "IDCA_LOCK_DURATION",
                                     default: 86_400, range: 60...2_592_000).value(),
            addressBurst: Int(try NumericSetting(name: "address burst", flag: addressBurst, environment: "IDCA_ADDRESS_BURST",
                                                 default: 30, range: 1...100_000).value()),
            addressPerMinute: Int(try NumericSetting(name: "address rate per minute", flag: addressPerMinute, environment: "IDCA_ADDRESS_PER_MINUTE",
                                                     default: 10, range: 1...100_000).value()))
    }

    func validate() throws {
        _ = try resolved()
        _ = try trustedProxies()
    }
}
