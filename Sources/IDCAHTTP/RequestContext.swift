import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics plus the client's address, which the
/// per-address budget and the impersonation report need (kept only as a keyed hash).
public struct IDCARequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, when the connection has one (not in router tests).
    var clientAddress: String? { remoteAddress?.ipAddress }
}
