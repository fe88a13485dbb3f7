import IDCAAudit
import IDCACore
import IDCAServices
import Logging
import ServiceLifecycle

/// Signs the audit head every `entries` new entries or every `interval` seconds, whichever comes
/// first, while the server runs. `idca serve` signs a last one after the server has drained.
///
/// The head is polled once a second: cheaper than a notification path through every writer, and a
/// checkpoint a second late protects the same history.
struct AuditCheckpointer: Service {
    let audit: AuditService
    let key: AuditSigningKey
    let entries: Int64
    let interval: Int64
    let clock: any IDCACore.Clock
    let logger: Logger

    func run() async throws {
        var lastSigned = (try? await audit.latestCheckpoint())?.sequence ?? 0
        var lastTime = clock.now()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: .seconds(1))
            } catch {
                return
            }
            guard let head = try? await audit.head(), head.sequence > lastSigned else { continue }
            let now = clock.now()
            guard head.sequence - lastSigned >= entries || now - lastTime >= interval else { continue }
            do {
                if let checkpoint = try await audit.checkpoint(with: key) {
                    lastSigned = checkpoint.sequence
                    logger.info("audit checkpoint", metadata: ["sequence": "\(checkpoint.sequence)", "hash": "\(checkpoint.hash)"])
                }
                lastTime = now
            } catch {
                // The next tick tries again; the log itself is unaffected.
                logger.warning("audit checkpoint failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
