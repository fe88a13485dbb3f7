import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import ServiceLifecycle

/// Where the server listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var limits: ConnectionLimits

    public init(host: String = "127.0.0.1", port: Int = 8080, limits: ConnectionLimits = ConnectionLimits()) {
        self.host = host
        self.port = port
        self.limits = limits
    }
}

/// The composition root of the HTTP server, used by `idca serve` and by the tests alike.
/// Migrations have run before this is called, so the port opens on a ready database.
public func buildApplication(
    services: HTTPServices,
    settings: ServerSettings,
    metrics: HTTPMetrics = HTTPMetrics(),
    logger: Logger,
    additionalServices: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let limits = settings.limits
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [RequestLimitHandler(bodyLimit: maximumBodySize, requestTimeout: limits.requestTimeout, logger: logger)],
        idleTimeout: TimeAmount(limits.idleTimeout),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maximumHeaderBytes, maxHeaderListSize: limits.maximumHeaderBytes,
                                        maxHeaderFieldCount: 100))
    return Application(
        router: buildRouter(services: services, metrics: metrics),
        server: .http1(configuration: http1),
        configuration: ApplicationConfiguration(
            address: .hostname(settings.host, port: settings.port), serverName: "idca",
            availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections, logger: logger)),
        services: additionalServices,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
        logger: logger)
}
