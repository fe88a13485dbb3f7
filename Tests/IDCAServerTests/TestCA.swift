import Foundation
import Hummingbird
import HummingbirdTesting
import IDCAAudit
import IDCACore
import IDCAHTTP
import IDCANotify
import IDCARules
import IDCASQLite
import IDCAServices
import IDCATokens
import Logging
import NIOCore
import Synchronization
import Testing

/// Time that tests move by hand.
final class ManualClock: IDCACore.Clock {
    private let seconds: Mutex<Int64>
    init(_ start: Int64) { seconds = Mutex(start) }
    func now() -> Int64 { seconds.withLock { $0 } }
    func advance(by delta: Int64) { seconds.withLock { $0 += delta } }
}

/// Monotonic time that tests move by hand.
final class ManualMonotonic: Sendable {
    private let elapsed = Mutex<Duration>(.zero)
    func now() -> Duration { elapsed.withLock { $0 } }
    func advance(by delta: Duration) { elapsed.withLock { $0 += delta } }
}

/// Captures every log line in memory, so tests can prove what logs never contain.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    func handler(label: String) -> some LogHandler {
        CapturingHandler(capture: self)
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
        }
    }
}

/// People and organizations in the test registry. Numbers are valid synthetic ones.
enum Fixture {
    static let zhangSan = PersonClaim(name: "张三", residentID: "11010519491231002X")
    static let aili = PersonClaim(name: "艾力·买买提", residentID: residentID("65010219850612001"))
    static let deceased = PersonClaim(name: "李四", residentID: residentID("11010819500101003"))
    static let cancelled = PersonClaim(name: "王五", residentID: residentID("31011519800101004"))
    static let operatorPerson = PersonClaim(name: "赵六", residentID: residentID("44030519900101005"))
    /// Valid number, never put in the registry.
    static let stranger = PersonClaim(name: "钱七", residentID: residentID("11010119700101006"))
    /// A resident whose registry entry holds a phone number: approval needs the code sent to it.
    static let withPhone = PersonClaim(name: "冯八", residentID: residentID("11010219880808007"))
    static let phone = "13812345678"
    /// An organization operator with a phone on file.
    static let operatorWithPhone = PersonClaim(name: "陈九", residentID: residentID("11010319770707008"))

    static let organizationCode = "123456788"
    static let creditCode = creditCode(first17: "91110105" + organizationCode)
    static let organization = OrganizationRecord(
        organizationCode: organizationCode, creditCode: creditCode, name: "北京某某科技有限公司",
        legalRepresentative: "孙法人", status: .active)
    static let oldOrganization = OrganizationRecord(
        organizationCode: organizationCode(body: "12345679"), creditCode: nil, name: "北京老字号（集团）有限公司",
        legalRepresentative: "周代表", status: .active)
    static let revokedOrganization = OrganizationRecord(
        organizationCode: organizationCode(body: "87654321"), creditCode: nil, name: "上海已吊销贸易有限公司",
        legalRepresentative: "吴董事", status: .revoked)

    static func residentID(_ first17: String) -> String {
        first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
    }
    static func creditCode(first17: String) -> String {
        first17 + String(CreditCode.checkCharacter(forFirst17: first17)!)
    }
    static func organizationCode(body: String) -> String {
        body + String(OrganizationCode.checkCharacter(forBody: body)!)
    }

    /// Every plaintext personal value the fixtures use: none may appear in the database or logs.
    static var personalValues: [String] {
        [zhangSan, aili, deceased, cancelled, operatorPerson, stranger, withPhone, operatorWithPhone].flatMap { [$0.name, $0.residentID] }
            + [phone]
    }
}

/// A complete certification authority on a temporary SQLite file, with the real services and router.
struct TestCA {
    static let issuer = "https://idca.test"
    static let start: Int64 = 1_795_900_000  // 2026-11-28T21:06:40Z: already the 29th in Shanghai

    let directory: String
    let database: SQLiteDatabase
    let clock = ManualClock(TestCA.start)
    let identityHasher: IdentityHasher
    let signingKey = TokenSigningKey.generate()
    let auditKey = AuditSigningKey.generate()
    let services: HTTPServices
    let siteService: SiteService
    let auditorService: AuditorService
    let revocationService: RevocationService
    let ledger: SQLiteDecisionLedger
    let logs = LogCapture()
    let metrics = HTTPMetrics()
    let dataKey = SecretKey.generate()
    /// Where the possession codes go (the development outbox).
    let outbox: String

    /// What the certification service is built from, for tests that change one part.
    let certificationDependencies: CertificationService.Dependencies
    /// Monotonic time for the address budgets, moved by hand.
    let monotonic = ManualMonotonic()

    init(possession: PossessionCheck.Settings = .init(), budgets: Budgets.Settings = .init(), notifier: (any Notifier)? = nil) async throws {
        directory = NSTemporaryDirectory() + "idca-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: directory + "/idca.sqlite")
        identityHasher = IdentityHasher(indexKey: SecretKey.generate())
        let registry = SQLiteRegistry(database: database)
        let sites = SQLiteSiteDirectory(database: database)
        ledger = SQLiteDecisionLedger(database: database)
        let random = SystemRandomSource()
        siteService = SiteService(directory: sites, identityHasher: identityHasher, clock: clock, random: random)
        outbox = directory + "/outbox/sms.log"
        certificationDependencies = .init(registry: registry, ledger: ledger, sites: sites, identityHasher: identityHasher,
                                issuer: TokenIssuer(signingKey: signingKey), clock: clock, random: random,
                                possession: PossessionCheck(ledger: SQLitePossessionLedger(database: database),
                                                            notifier: notifier ?? OutboxNotifier(path: outbox),
                                                            sealer: DataSealer(key: dataKey), settings: possession),
                                budgets: Budgets(history: SQLiteApplicationHistory(database: database), settings: budgets,
                                                 monotonic: { [monotonic] in monotonic.now() }),
                                auditLog: SQLiteAuditLog(database: database))
        let certification = CertificationService(dependencies: certificationDependencies,
                                                 settings: .init(issuerURL: TestCA.issuer, tokenLifetime: 3600))
        let auditLog = SQLiteAuditLog(database: database)
        let pseudonyms = PseudonymGenerator(key: SecretKey.generate())
        let verification = VerificationService(
            verifier: TokenVerifier(keys: [signingKey.publicKey], issuer: TestCA.issuer),
            ledger: SQLiteTokenLedger(database: database), auditLog: auditLog, pseudonyms: pseudonyms, clock: clock)
        revocationService = RevocationService(register: SQLiteCertificationRegister(database: database), identityHasher: identityHasher,
                                              pseudonyms: pseudonyms, clock: clock)
        auditorService = AuditorService(directory: SQLiteAuditorDirectory(database: database), identityHasher: identityHasher,
                                        clock: clock, random: random)
        let database = database
        services = HTTPServices(certification: certification, verification: verification, sites: siteService,
                                audit: AuditService(log: auditLog, clock: clock), auditors: auditorService,
                                statistics: StatisticsService(reader: SQLiteStatistics(database: database), sites: sites, clock: clock),
                                revocations: revocationService,
                                disclosures: DisclosureService(dependencies: .init(
                                    ledger: SQLiteDisclosureLedger(database: database), certifications: SQLiteCertificationRegister(database: database),
                                    registry: registry, sites: sites, pseudonyms: pseudonyms, sealer: DataSealer(key: dataKey), auditLog: auditLog,
                                    clock: clock, random: random)),
                                impersonation: ImpersonationReportService(history: SQLiteApplicationHistory(database: database), clock: clock),
                                jwks: { [signingKey] in JWKS.document([signingKey.publicKey]) },
                                isHealthy: { await database.isHealthy() })
        try await seedRegistry(registry)
    }

    private func seedRegistry(_ registry: SQLiteRegistry) async throws {
        let sealer = DataSealer(key: dataKey)
        func record(_ person: PersonClaim, _ status: ResidentStatus, phone: String? = nil) throws -> ResidentRecord {
            let number = try ResidentIDNumber(validating: person.residentID, context: ValidationContext(today: CivilDate(year: 2026, month: 11, day: 29)!))
            let reference = identityHasher.residentReference(number)
            return ResidentRecord(
                residentIDHash: reference,
                nameHash: identityHasher.nameHash(try NameRules.normalizedPersonName(person.name)),
                status: status, regionCode: number.region.code,
                sealedPhone: phone.map { sealer.seal(Array($0.utf8), associatedData: Array(("phone:" + reference).utf8)) },
                sealedIdentity: sealer.seal(Array((number.canonical + "\n" + person.name).utf8),
                                            associatedData: Array(("identity:" + reference).utf8)))
        }
        let imported = { (count: Int) in AuditEvent(.registryImported, time: TestCA.start, actor: .operator("test"), outcome: "imported",
                                                    details: [("imported", String(count))]) }
        _ = try await registry.importResidents([
            try record(Fixture.zhangSan, .active), try record(Fixture.aili, .active), try record(Fixture.deceased, .deceased),
            try record(Fixture.cancelled, .cancelled), try record(Fixture.operatorPerson, .active),
            try record(Fixture.withPhone, .active, phone: Fixture.phone), try record(Fixture.operatorWithPhone, .active, phone: "13900001111"),
        ], audit: imported)
        _ = try await registry.importOrganizations([Fixture.organization, Fixture.oldOrganization, Fixture.revokedOrganization], audit: imported)
    }

    var logger: Logger {
        let logs = self.logs
        return Logger(label: "idca-test") { label in logs.handler(label: label) }
    }

    var application: some ApplicationProtocol {
        buildApplication(services: services, settings: ServerSettings(host: "127.0.0.1", port: 0), metrics: metrics, logger: logger)
    }

    /// Registers a site and returns it with its API key.
    func addSite(maxAccounts: Int = 3) async throws -> (site: Site, apiKey: String) {
        try await siteService.add(name: "测试微博", licence: "京ICP证000000号", maxAccounts: maxAccounts, by: .operator("test"))
    }

    /// Registers an auditor and returns their API key.
    func addAuditor() async throws -> String {
        try await auditorService.add(name: "审计员 Auditor", by: .operator("test")).apiKey
    }

    /// Re-imports one resident with another status (phone kept), as a registry update would.
    func setResidentStatus(_ person: PersonClaim, _ status: ResidentStatus) async throws {
        let registry = SQLiteRegistry(database: database)
        let number = try ResidentIDNumber(validating: person.residentID, context: ValidationContext(today: CivilDate(year: 2026, month: 11, day: 29)!))
        var record = try #require(try await registry.resident(residentIDHash: identityHasher.residentReference(number)))
        record.status = status
        _ = try await registry.importResidents([record]) { AuditEvent(.registryImported, time: TestCA.start, actor: .operator("test"),
                                                                      outcome: "imported", details: [("imported", String($0))]) }
    }

    /// The newest code the outbox holds for `application`.
    func code(for application: String) -> String? {
        guard let text = try? String(contentsOfFile: outbox, encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").last { $0.contains("application=\(application) ") }
        return line?.split(separator: " ").first { $0.hasPrefix("code=") }.map { String($0.dropFirst(5)) }
    }

    func remove() {
        try? database.pool.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

// MARK: - Request helpers

struct JSONResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var object: [String: Any]
    var text: String
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, raw: String? = nil, apiKey: String? = nil) async throws -> JSONResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let apiKey { headers[.authorization] = "Bearer \(apiKey)" }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = ByteBuffer(string: raw) }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return JSONResponse(status: response.status, headers: response.headers, object: object, text: text)
        }
    }

    func apply(_ person: PersonClaim, site: SiteID? = nil) async throws -> JSONResponse {
        var body: [String: Any] = ["subject_type": "individual", "name": person.name, "resident_id": person.residentID]
        if let site { body["site"] = site.rawValue }
        return try await call(.post, "/v1/applications", json: body)
    }

    func applyOrganization(name: String = Fixture.organization.name, creditCode: String? = Fixture.creditCode,
                           organizationCode: String? = nil, legalRepresentative: String = "孙法人",
                           operatorPerson: PersonClaim = Fixture.operatorPerson, site: SiteID? = nil) async throws -> JSONResponse {
        var body: [String: Any] = [
            "subject_type": "organization", "organization_name": name, "legal_representative": legalRepresentative,
            "operator": ["name": operatorPerson.name, "resident_id": operatorPerson.residentID],
        ]
        if let creditCode { body["credit_code"] = creditCode }
        if let organizationCode { body["organization_code"] = organizationCode }
        if let site { body["site"] = site.rawValue }
        return try await call(.post, "/v1/applications", json: body)
    }

    func verify(_ token: String, apiKey: String) async throws -> JSONResponse {
        try await call(.post, "/v1/tokens/verify", json: ["token": token], apiKey: apiKey)
    }
}
