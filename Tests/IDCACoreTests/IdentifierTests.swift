import IDCACore
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test func generatedIdentifiersHaveTheirShapeAndParseBack() {
        let random = SystemRandomSource()
        let application = ApplicationID.generate(using: random)
        #expect(application.rawValue.hasPrefix("app_"))
        #expect(application.rawValue.count == 4 + 26)
        #expect(ApplicationID(rawValue: application.rawValue) == application)
        let site = SiteID.generate(using: random)
        #expect(site.rawValue.hasPrefix("site_"))
        #expect(SiteID(rawValue: site.rawValue) == site)
        #expect(ApplicationID.generate(using: random) != application)
    }

    @Test(arguments: ["", "app_", "app_abc", "site_aaaaaaaaaaaaaaaaaaaaaaaaaa", "app_AAAAAAAAAAAAAAAAAAAAAAAAAA",
                      "app_aaaaaaaaaaaaaaaaaaaaaaaaa1", "app_aaaaaaaaaaaaaaaaaaaaaaaaaaa", "../app_aaaaaaaaaaaaaaaaaaaaaaaaaa"])
    func malformedApplicationIDsAreRefused(text: String) {
        #expect(ApplicationID(rawValue: text) == nil)
    }

    @Test func base32MatchesRFC4648() {
        // RFC 4648 §10 test vectors, lower-cased and unpadded.
        let vectors = [("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi")]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
        }
    }
}
