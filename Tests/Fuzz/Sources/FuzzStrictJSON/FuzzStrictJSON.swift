// Fuzz target: the strict JSON check (IDCATokens.isStrictJSON) that the HTTP layer applies to every
// request body (IDCAServices.RequestSyntax.isStrictJSON forwards to it) and that the token
// verifier's header and claims parsing is built on. The whole input is the JSON text.
//
// Besides not crashing (nesting is bounded, so no input may exhaust the stack): it accepts exactly
// what the independent reader in FuzzSupport/ReferenceJSON.swift accepts; what it accepts,
// Foundation's JSONSerialization (what the routes decode bodies with, through JSONDecoder) accepts
// too; and a compact re-writing of an accepted text is accepted again and reads back the same.

import Foundation
import FuzzSupport
import IDCATokens

/// Every number literal in a value.
private func numbers(in value: ReferenceJSON) -> [String] {
    switch value {
    case .number(let literal): [literal]
    case .array(let elements): elements.flatMap(numbers(in:))
    case .object(let members): members.flatMap { numbers(in: $0.value) }
    case .null, .bool, .string: []
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStrictJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    let strict = isStrictJSON(input)
    let reference = ReferenceJSON.parse(input)
    check(strict == (reference != nil),
          "isStrictJSON says \(strict ? "valid" : "invalid"), the reference reader \(reference != nil ? "valid" : "invalid"): \"\(escaped(input))\"")
    guard strict, let reference else { return 0 }

    // Foundation refuses numbers beyond Double's range ("not representable"), which RFC 8259
    // leaves to implementations; the routes then answer 400 as for any undecodable body.
    if numbers(in: reference).allSatisfy({ Double($0).map { $0.isFinite } ?? false }) {
        let foundation = Result { try JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed]) }
        if case .failure(let error) = foundation {
            check(false, "strict JSON that Foundation refuses (\(error)): \"\(escaped(input))\"")
        }
    }

    let rewritten = Array(writeJSON(reference).utf8)
    check(isStrictJSON(rewritten), "the re-written text is refused: \"\(escaped(rewritten))\" (from \"\(escaped(input))\")")
    check(ReferenceJSON.parse(rewritten) == reference, "the re-written text reads differently: \"\(escaped(rewritten))\"")
    return 0
}

@_cdecl("FuzzStrictJSON_main")
public func fuzzStrictJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzStrictJSON)
}
