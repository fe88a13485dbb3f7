@testable import IDCATokens
import Testing

@Suite("Strict JSON (RFC 8259)")
struct StrictJSONTests {
    private func parse(_ text: String) throws(JSONError) -> JSONValue {
        try StrictJSONParser.parse(Array(text.utf8))
    }

    @Test(arguments: [
        "{}", "[]", " { } ", "\t\r\n{}\n", "0", "-0", "1", "-1", "1.5", "-0.25", "1e10", "1E+10", "1e-10", "12.5e3",
        "true", "false", "null", #""""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\u00e9\u4E2D""#, #""\ud83d\ude00""#,
        #""中文 é 😀""#, #"{"a":[1,{"b":null}],"c":{"d":{"e":[]}}}"#, #"{"a":1,"A":2}"#, #"{"":1}"#,
    ])
    func acceptsValidJSON(_ text: String) {
        #expect(throws: Never.self) { try parse(text) }
    }

    @Test(arguments: [
        // Duplicate names, at every depth and however they are spelled.
        (#"{"a":1,"a":2}"#, "duplicate"),
        (#"{"a":1,"a":1}"#, "duplicate with the same value"),
        (#"{"x":{"a":1,"a":2}}"#, "nested duplicate"),
        (#"{"x":[{"a":1},{"b":1,"b":2}]}"#, "duplicate inside an array"),
        (#"{"a":1,"\u0061":2}"#, "duplicate spelled with an escape"),
        (#"{"K":1,"\u212A":2}"#, "duplicate by canonical equivalence (KELVIN SIGN)"),
        // Trailing content.
        ("{} x", "trailing garbage"), ("{}{}", "two values"), ("{},", "trailing comma"), ("{}\u{0}", "trailing NUL"),
        // Escapes and surrogates.
        (#""\x41""#, "invalid escape"), (#""\U0041""#, "upper-case U"), (#""\u12""#, "short unicode escape"), (#""\u12G4""#, "non-hex unicode escape"),
        (#""\'""#, "escaped single quote"), (#""\ud800""#, "lone high surrogate"), (#""\udc00""#, "lone low surrogate"),
        (#""\ud800\u0041""#, "high surrogate then a non-surrogate"), (#""\ud800x""#, "high surrogate then a character"),
        (#""\udc00\ud800""#, "surrogates in the wrong order"), (#""\"#, "backslash at the end"),
        ("\"a\u{1}b\"", "raw control character"), ("\"a\nb\"", "raw newline"), ("\"abc", "unterminated string"),
        // Numbers.
        ("01", "leading zero"), ("-01", "negative leading zero"), ("00", "double zero"), ("+1", "plus sign"),
        (".5", "no integer part"), ("1.", "no fraction digits"), ("1e", "no exponent digits"), ("1e+", "sign only"),
        ("-", "minus only"), ("0x10", "hex"), ("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"),
        ("1_000", "underscore"),
        // Literals and structure.
        ("True", "capitalised true"), ("nul", "truncated null"), ("tru", "truncated true"), ("undefined", "undefined"),
        ("{a:1}", "unquoted name"), ("{'a':1}", "single quotes"), (#"{"a":1,}"#, "trailing comma in object"),
        ("[1,]", "trailing comma in array"), ("[1 2]", "missing comma"), (#"{"a" 1}"#, "missing colon"),
        ("{/*c*/}", "comment"), ("", "empty input"), ("   ", "whitespace only"), ("\u{FEFF}{}", "byte-order mark"),
        ("\u{A0}{}", "non-breaking space"), ("\u{0C}{}", "form feed as whitespace"), ("{", "unclosed object"),
        ("[", "unclosed array"),
    ] as [(String, String)])
    func rejectsEverythingElse(_ text: String, _ why: String) {
        #expect(throws: JSONError.self, "\(why)") { try parse(text) }
    }

    @Test(arguments: [
        ([0x22, 0xC0, 0x80, 0x22], "overlong NUL"),
        ([0x22, 0xC1, 0xBF, 0x22], "overlong ASCII"),
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], "overlong three-byte"),
        ([0x22, 0xED, 0xA0, 0x80, 0x22], "UTF-8-encoded surrogate"),
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "above U+10FFFF"),
        ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "F5 lead byte"),
        ([0x22, 0x80, 0x22], "lone continuation byte"),
        ([0x22, 0xE4, 0xB8, 0x22], "truncated sequence"),
        ([0x22, 0xE4, 0x41, 0xAD, 0x22], "ASCII where a continuation belongs"),
        ([0x22, 0xFF, 0x22], "FF"),
    ] as [([UInt8], String)])
    func rejectsInvalidUTF8(_ bytes: [UInt8], _ why: String) {
        #expect(throws: JSONError.self, "\(why)") { try StrictJSONParser.parse(bytes) }
    }

    @Test func acceptsTheLongestValidSequences() throws {
        // U+10FFFF, U+FFFD, U+0800 and U+0080: the edges of each UTF-8 length.
        let bytes: [UInt8] = [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0xEF, 0xBF, 0xBD, 0xE0, 0xA0, 0x80, 0xC2, 0x80, 0x22]
        #expect(try StrictJSONParser.parse(bytes) == .string("\u{10FFFF}\u{FFFD}\u{0800}\u{0080}"))
    }

    @Test func decodesEscapes() throws {
        #expect(try parse(#""\u00e9\ud83d\ude00\n\/""#) == .string("é😀\n/"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test func namesTheDuplicate() {
        #expect(throws: JSONError.duplicateName("exp")) { try parse(#"{"exp":1,"exp":2}"#) }
    }

    @Test func limitsNesting() {
        let depth = StrictJSONParser.maximumDepth
        #expect(throws: Never.self) { try parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) }
        #expect(throws: JSONError.tooDeep) {
            try parse(String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1))
        }
        // Far deeper than any stack could take, refused without recursion trouble.
        #expect(throws: JSONError.self) { try parse(String(repeating: "[", count: 100_000)) }
    }

    @Test(arguments: [
        ("0", 0), ("1", 1), ("-1", -1), ("1700000000", 1_700_000_000),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ] as [(String, Int64)])
    func integersFitInt64(_ literal: String, _ value: Int64) throws {
        guard case .number(let number) = try parse(literal) else { Issue.record("not a number"); return }
        #expect(number.int64 == value)
    }

    @Test(arguments: ["-0", "1.0", "1e9", "1E9", "1e0", "0.5", "9223372036854775808", "-9223372036854775809", "100000000000000000000"])
    func otherNumbersAreNotTimes(_ literal: String) throws {
        guard case .number(let number) = try parse(literal) else { Issue.record("not a number"); return }
        #expect(number.int64 == nil)
    }

    @Test func writerRoundTripsThroughTheParser() throws {
        let samples = ["", "plain", "quote \" backslash \\ slash /", "controls \u{0}\u{1}\u{1F}\n\r\t", "中文 😀", "\u{7F}"]
        for sample in samples {
            #expect(try parse(JSONWriter.quoted(sample)) == .string(sample))
        }
    }

    @Test func lookupsCompareBytesNotCanonicalEquivalence() throws {
        let object = try StrictJSONParser.parseObject(Array(#"{"\u212Aid":"x"}"#.utf8))
        #expect(object["\u{212A}id"] == .string("x"))
        #expect(object["Kid"] == nil)  // "\u{212A}id" == "Kid" in Swift, but not byte for byte
    }
}
