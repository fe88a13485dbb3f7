import IDCATokens
import Testing

@Suite("Strict base64url")
struct Base64URLTests {
    @Test(arguments: [
        ([], ""), ([0x66], "Zg"), ([0x66, 0x6F], "Zm8"), ([0x66, 0x6F, 0x6F], "Zm9v"),
        ([0xFB, 0xFF], "-_8"), ([0x00, 0x00, 0x00, 0x00], "AAAAAA"),
    ] as [([UInt8], String)])
    func roundTrips(bytes: [UInt8], text: String) {
        #expect(Base64URL.encode(bytes) == text)
        #expect(Base64URL.decode(text) == bytes)
    }

    @Test(arguments: ["Zg==", "Zg=", "Z", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v\n", " Zm9v", "Zm9v.", "Zm8x="])
    func rejectsEverySpellingButTheCanonicalOne(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
