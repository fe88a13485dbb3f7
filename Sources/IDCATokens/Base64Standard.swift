/// Standard base64 with padding (RFC 4648 §4), for PEM bodies and symmetric key files.
///
/// Like `Base64URL`, decoding accepts only the canonical spelling: a key file has one correct
/// form, and anything else is more likely a copy-and-paste accident than a key.
enum Base64Standard {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// Encodes with `=` padding to a multiple of four characters.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        var text = Array(Base64URL.encode(bytes).utf8)
        for index in text.indices {
            // The two alphabets differ only in the last two symbols.
            if text[index] == UInt8(ascii: "-") { text[index] = UInt8(ascii: "+") }
            if text[index] == UInt8(ascii: "_") { text[index] = UInt8(ascii: "/") }
        }
        while text.count % 4 != 0 { text.append(UInt8(ascii: "=")) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes canonical padded base64, or returns `nil`.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var padding = 0
        while padding < 2, input.last == UInt8(ascii: "=") {
            input.removeLast()
            padding += 1
        }
        for index in input.indices {
            let byte = input[index]
            guard values[Int(byte)] != 0xFF else { return nil }  // also refuses a third "="
            if byte == UInt8(ascii: "+") { input[index] = UInt8(ascii: "-") }
            if byte == UInt8(ascii: "/") { input[index] = UInt8(ascii: "_") }
        }
        // Base64URL.decode checks the length and that the unused bits are zero.
        return Base64URL.decode(String(decoding: input, as: UTF8.self))
    }
}
