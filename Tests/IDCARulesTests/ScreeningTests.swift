import IDCARules
import Testing

@Suite("Common rules")
struct ScreeningTests {
    /// The byte-pattern search must find exactly Unicode's White_Space scalars, no more, no fewer.
    @Test func whitespaceIsExactlyUnicodeWhiteSpace() {
        var mismatches: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "1" + String(Character(scalar)) + "2"
            let found = Array(text.utf8).withUnsafeBufferPointer { commonViolation(in: $0) } == .whitespace
            if found != scalar.properties.isWhitespace { mismatches.append(value) }
        }
        #expect(mismatches.isEmpty, "disagreements at \(mismatches.prefix(10).map { String($0, radix: 16) })")
    }

    @Test func invalidUTF8IsNonASCIIUnlessItAlsoHoldsWhitespace() {
        let cases: [([UInt8], CommonViolation?)] = [
            ([0x31, 0xFF, 0x32], .nonASCII),
            ([0x85], .nonASCII),  // a lone continuation byte is not U+0085
            ([0xC0, 0xA0], .nonASCII),  // an overlong space is not a space
            ([0xE2, 0x80], .nonASCII),  // truncated U+2000
            ([0xE2, 0xE3, 0x80, 0x80], .whitespace),  // decoders resynchronize on the lead byte E3
            ([0xF0, 0xC2, 0xA0], .whitespace),
            ([0x31, 0x2D, 0x32], .separator),
            ([0x31, 0x1F, 0x32], nil),  // U+001F is not White_Space
            ([], .empty),
        ]
        for (bytes, expected) in cases {
            #expect(bytes.withUnsafeBufferPointer { commonViolation(in: $0) } == expected, "\(bytes)")
        }
    }

    /// Scanning in chunks (start/stop/end) must find what one whole scan finds.
    @Test func chunkedScanAgreesWithWholeScan() {
        let line = Array("12\u{3000}3\u{2028}-４".utf8)
        let whole = line.withUnsafeBufferPointer { ScreenFlags.scan($0, stop: $0.count, end: $0.count) }
        for split in 0...line.count {
            let pieces = line.withUnsafeBufferPointer { buffer in
                ScreenFlags.scan(buffer, start: 0, stop: split, end: buffer.count)
                    .union(ScreenFlags.scan(buffer, start: split, stop: buffer.count, end: buffer.count))
            }
            #expect(pieces == whole)
        }
        #expect(whole == [.whitespace, .nonASCII, .separator])
    }
}
