import AsyncHTTPClient
import Foundation
import IDCACore
import Logging
import NIOCore
import NIOHTTP1

/// Hands each code to an SMS gateway: `POST` of
/// `{"to": "+86…", "text": "…", "application_id": "app_…", "expires_at": "RFC 3339"}` as JSON, with
/// `Authorization: Bearer <token>` when one is configured. A 2xx answer is delivery; a timeout, a
/// connection failure, a 5xx or a 429 is tried again (up to `retries` more times, with a short
/// doubling pause); any other answer fails at once. The applicant hears of a failure as a
/// retryable error, never silence (Docs/LIFECYCLE.md).
public struct WebhookNotifier: Notifier {
    public struct Settings: Sendable {
        public var url: String
        public var bearerToken: String?
        public var timeout: Duration
        public var retries: Int

        public init(url: String, bearerToken: String? = nil, timeout: Duration = .seconds(5), retries: Int = 2) {
            self.url = url
            self.bearerToken = bearerToken
            self.timeout = timeout
            self.retries = retries
        }
    }

    /// Why a message was not handed over.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let settings: Settings
    let logger: Logger

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func send(_ message: PossessionMessage) async throws {
        let body: [String: String] = [
            "to": message.phone, "text": message.text, "application_id": message.applicationID.rawValue,
            "expires_at": RFC3339.string(fromUnixSeconds: message.expiresAt),
        ]
        let payload = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        var pause = Duration.milliseconds(200)
        var lastFailure = "no attempt"
        for attempt in 0...settings.retries {
            if attempt > 0 {
                try await Task.sleep(for: pause)
                pause *= 2
            }
            var request = HTTPClientRequest(url: settings.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token = settings.bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(ByteBuffer(bytes: payload))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(settings.timeout.nanoseconds)))
                // Read (and bound) the body so that the connection can be reused.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return }
                lastFailure = "HTTP \(response.status.code)"
                guard response.status.code >= 500 || response.status == .tooManyRequests else { break }
            } catch {
                lastFailure = String(describing: type(of: error))
            }
            logger.warning("SMS gateway attempt failed", metadata: ["attempt": "\(attempt + 1)", "failure": "\(lastFailure)"])
        }
        throw Failure(description: "the SMS gateway did not accept the message (\(lastFailure))")
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
