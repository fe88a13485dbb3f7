/// Writes RFC 4180 CSV: fields quoted only when they need it (a comma, quote, CR or LF inside),
/// quotes doubled inside quoted fields, records ended by CRLF unless told otherwise.
///
/// The output accumulates in `bytes`; `write(to:)` puts it in a file in one step.
public struct CSVWriter: Sendable {
    /// What ends each record.
    public enum LineTerminator: String, Sendable {
        /// CR LF, as RFC 4180 writes it.
        case crlf = "\r\n"
        /// LF alone, as most Unix tools write it.
        case lf = "\n"
    }

    /// The encoded records so far.
    public private(set) var bytes: [UInt8] = []
    /// What ends each record.
    public let lineTerminator: LineTerminator

    /// An empty document.
    public init(lineTerminator: LineTerminator = .crlf) {
        self.lineTerminator = lineTerminator
    }

    /// Appends one record.
    ///
    /// A record of a single empty field is written `""`, since an empty line would read back as
    /// no record at all.
    public mutating func append<Field: StringProtocol>(record fields: [Field]) {
        append(record: fields.map { String($0) })
    }

    /// Appends one record of strings. (The generic `append` comes here: called from another module
    /// a generic loop is not specialized, and the statistics exports measured it per field.)
    public mutating func append(record fields: [String]) {
        if fields.count == 1 && fields[0].isEmpty {
            bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "\"")])
        } else {
            for (index, field) in fields.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                CSVWriter.encode(field, into: &bytes)
            }
        }
        bytes.append(contentsOf: lineTerminator.rawValue.utf8)
    }

    /// Writes the document to `path`, replacing any file there in one step (a temporary file
    /// beside it is renamed over it).
    public func write(to path: String) throws(RegistryIOError) {
        try FileIO.replaceFile(at: path, with: bytes)
    }

    /// Whether `field` must be quoted: it holds a comma, quote, CR or LF.
    public static func needsQuoting(_ field: some StringProtocol) -> Bool {
        var text = String(field)
        return text.withUTF8 { needsQuoting($0) }
    }

    // The byte loops work on a contiguous buffer, not on a generic `StringProtocol`: called from
    // another module the generic version is not specialized, and measured at about 10 µs per
    // exported row of statistics, most of it spent in metadata lookups per character.
    static func needsQuoting(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
    }

    /// One field as RFC 4180 writes it.
    public static func encoded(_ field: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        encode(field, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func encode(_ field: some StringProtocol, into bytes: inout [UInt8]) {
        var text = String(field)
        text.withUTF8 { utf8 in
            guard needsQuoting(utf8) else {
                bytes.append(contentsOf: utf8)
                return
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in utf8 {
                bytes.append(byte)
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
