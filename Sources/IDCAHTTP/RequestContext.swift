import Hummingbird
import HTTPTypes
import NIOCore

/// The request context of every route: Hummingbird's basics plus the connection's address, from
/// which the client's address is found for the per-address budget and the impersonation report
/// (kept only as a keyed hash).
public struct IDCARequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (Docs/LIFECYCLE.md, behind a reverse
/// proxy). Addresses are compared in their canonical spelling, so `::1` and `0:0:0:0:0:0:0:1` match.
public struct TrustedProxies: Sendable {
    let addresses: Set<String>

    /// `nil` when an entry is not an IP address.
    public init?(_ entries: [String]) {
        var addresses: Set<String> = []
        for entry in entries {
            guard let canonical = Self.canonical(entry) else { return nil }
            addresses.insert(canonical)
        }
        self.addresses = addresses
    }

    public static let none = TrustedProxies(addresses: [])

    private init(addresses: Set<String>) {
        self.addresses = addresses
    }

    static func canonical(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 45, let address = try? SocketAddress(ipAddress: trimmed, port: 0) else { return nil }
        return address.ipAddress
    }

    /// The client behind `request`: the connection's address, unless that is a trusted proxy; then
    /// the nearest address in `X-Forwarded-For` (read from the right, each proxy appending the one
    /// it saw) that is not itself a trusted proxy. A header that does not parse counts as absent: the
    /// proxy's own address is used, which fails safe (all such clients share one bucket).
    func client(of request: Request, context: IDCARequestContext) -> String? {
        guard let peer = context.remoteAddress?.ipAddress else { return nil }
        guard addresses.contains(peer), let name = HTTPField.Name("X-Forwarded-For") else { return peer }
        let hops = request.headers[values: name].joined(separator: ",").split(separator: ",")
        for hop in hops.reversed() {
            guard let address = Self.canonical(String(hop)) else { return peer }
            if !addresses.contains(address) { return address }
        }
        return peer
    }
}
