import Foundation
import IDCACore
import Synchronization

/// The development notifier: appends each message to a file instead of sending it, so that
/// `make run` works offline and a developer (or a browser test) can read the code. The phone
/// number is written masked. Never for production: the file holds live codes.
public final class OutboxNotifier: Notifier {
    public let path: String
    private let lock = Mutex<Void>(())

    public init(path: String) {
        self.path = path
    }

    public func send(_ message: PossessionMessage) async throws {
        let line = "\(RFC3339.string(fromUnixSeconds: Int64(Date().timeIntervalSince1970))) application=\(message.applicationID.rawValue) "
            + "to=\(PhoneMask.mask(message.phone)) code=\(message.code) expires=\(RFC3339.string(fromUnixSeconds: message.expiresAt))\n"
        try lock.withLock { _ in
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw CocoaError(.fileWriteNoPermission)
                }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
        }
    }
}
