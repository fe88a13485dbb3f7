import ArgumentParser
import IDCACore
import IDCANotify
import IDCAServices
import Logging

/// How `idca serve` runs the possession check (Docs/CONFIGURATION.md): where codes go, and what
/// happens to applicants with no phone on file.
struct PossessionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("approve (at acr \"registry\") or reject (possession_unavailable) applicants with no phone on file (env IDCA_WITHOUT_PHONE; default approve).", valueName: "approve|reject"))
    var withoutPhone: String?

    @Option(help: ArgumentHelp("Codes one phone receives per hour at most, 1–100 (env IDCA_CODES_PER_HOUR; default 3).", valueName: "n"))
    var codesPerHour: Int?

    @Option(help: ArgumentHelp("Development outbox the codes are written to when no webhook is set (env IDCA_SMS_OUTBOX; default var/outbox/sms.log).", valueName: "path"))
    var smsOutbox: String?

    @Option(help: ArgumentHelp("SMS gateway URL that receives each code as a JSON POST (env IDCA_SMS_WEBHOOK; its bearer token only from IDCA_SMS_WEBHOOK_TOKEN).", valueName: "url"))
    var smsWebhook: String?

    @Option(help: ArgumentHelp("Seconds to wait for the gateway per attempt, 1–60 (env IDCA_SMS_WEBHOOK_TIMEOUT; default 5).", valueName: "seconds"))
    var smsWebhookTimeout: Int?

    @Option(help: ArgumentHelp("Further attempts after a failed one, 0–5 (env IDCA_SMS_WEBHOOK_RETRIES; default 2).", valueName: "n"))
    var smsWebhookRetries: Int?

    struct Resolved {
        var settings: PossessionCheck.Settings
        /// The gateway, or nil for the outbox.
        var webhook: WebhookNotifier.Settings?
        var outbox: String
    }

    func resolved() throws -> Resolved {
        let policyText = withoutPhone ?? Environment.value("IDCA_WITHOUT_PHONE") ?? "approve"
        guard let policy = PossessionCheck.WithoutPhone(rawValue: policyText) else {
            throw ValidationError("--without-phone must be approve or reject, not '\(policyText)'.")
        }
        let timeout = try NumericSetting(name: "SMS webhook timeout in seconds", flag: smsWebhookTimeout,
                                         environment: "IDCA_SMS_WEBHOOK_TIMEOUT", default: 5, range: 1...60).value()
        let retries = try NumericSetting(name: "number of SMS webhook retries", flag: smsWebhookRetries,
                                         environment: "IDCA_SMS_WEBHOOK_RETRIES", default: 2, range: 0...5).value()
        var webhook: WebhookNotifier.Settings?
        if let url = smsWebhook ?? Environment.value("IDCA_SMS_WEBHOOK") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw ValidationError("--sms-webhook must be an http(s) URL, not '\(url)'.")
            }
            webhook = WebhookNotifier.Settings(url: url, bearerToken: Environment.value("IDCA_SMS_WEBHOOK_TOKEN"),
                                               timeout: .seconds(timeout), retries: Int(retries))
        }
        let codes = try NumericSetting(name: "number of codes per phone and hour", flag: codesPerHour, environment: "IDCA_CODES_PER_HOUR",
                                       default: 3, range: 1...100).value()
        return Resolved(settings: PossessionCheck.Settings(withoutPhone: policy, codesPerHour: Int(codes)), webhook: webhook,
                        outbox: smsOutbox ?? Environment.value("IDCA_SMS_OUTBOX") ?? "var/outbox/sms.log")
    }

    func validate() throws {
        _ = try resolved()
    }
}

extension PossessionOptions.Resolved {
    /// The notifier these settings name; says on the log where codes go.
    func notifier(logger: Logger) -> any Notifier {
        if let webhook {
            logger.info("possession codes go to the SMS gateway", metadata: ["url": "\(webhook.url)"])
            return WebhookNotifier(settings: webhook, logger: logger)
        }
        logger.warning("possession codes are written to the development outbox, not sent: set --sms-webhook for production",
                       metadata: ["outbox": "\(outbox)"])
        return OutboxNotifier(path: outbox)
    }
}
