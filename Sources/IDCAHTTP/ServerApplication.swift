import Hummingbird
import Logging
import ServiceLifecycle

/// Where the server listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
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
    Application(
        router: buildRouter(services: services, metrics: metrics),
        configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "idca"),
        services: additionalServices,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
        logger: logger)
}
