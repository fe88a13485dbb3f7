/// Collects output and writes it in blocks: one `write` per ~64 KiB, never one per line.
///
/// A struct used in place (`inout`), not a class: appends to a class's array property pay a
/// dynamic exclusivity check each, which profiling showed was most of the `--json` time.
struct OutputBuffer {
    private let descriptor: Int32
    private var bytes: [UInt8] = []
    private let blockSize: Int

    init(descriptor: Int32, blockSize: Int = 1 << 16) {
        self.descriptor = descriptor
        self.blockSize = blockSize
        bytes.reserveCapacity(blockSize + 4096)
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` as a JSON string literal, quotes included (RFC 8259 escaping).
    mutating func appendJSONString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        let isPlain = value.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if !isPlain { appendEscaped(value) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
    }

    /// Appends `,"name":"value"`, or `,"name":null` when `value` is `nil`.
    mutating func appendJSONField(_ name: StaticString, _ value: String?) {
        append(",\"")
        append(name)
        append("\":")
        if let value { appendJSONString(value) } else { append("null") }
    }

    /// Writes out a full block; smaller amounts wait for more output or for `flush()`.
    @inline(__always)
    mutating func flushIfFull() throws {
        if bytes.count >= blockSize { try flush() }
    }

    mutating func flush() throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try writeFully(descriptor, $0) }
        bytes.removeAll(keepingCapacity: true)
    }
}
