/// The one error type that crosses module boundaries. Only the HTTP layer turns it into a status;
/// the CLI turns it into a message and an exit status.
///
/// `code` and `message` are safe to show to a client; `detail` is for logs only and must already
/// be free of personal data.
public struct IDCAError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        /// The resource is not in a state that allows this (409).
        case conflict
        /// A budget is spent; `retryAfter` says when to come back (429).
        case tooManyRequests
        case payloadTooLarge
        case unavailable
        case misconfigured
        case internalFailure
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var field: String?
    public var detail: String?
    /// Seconds after which trying again can succeed (`Retry-After`), for 429 and 503.
    public var retryAfter: Int64?

    public init(_ kind: Kind, code: String, message: String, field: String? = nil, detail: String? = nil, retryAfter: Int64? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.detail = detail
        self.retryAfter = retryAfter
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let field { text += " (field \(field))" }
        if let detail { text += " [\(detail)]" }
        return text
    }
}

extension IDCAError {
    /// The database could not be reached or refused the write (503), whichever backend: `detail`
    /// names the cause for the log only, and must hold no statement arguments (they carry personal data).
    public static func storageUnavailable(detail: String) -> IDCAError {
        IDCAError(.unavailable, code: "storage_unavailable", message: "The service cannot reach its database; try again shortly.",
                  detail: detail)
    }
}
