// Build-time tool for EmbedTextResourcePlugin: wraps a UTF-8 text file in a raw string literal.
// Usage: EmbedTextResource INPUT OUTPUT NAME  →  `let embedded_NAME = #"""…"""#`
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    let line = "EmbedTextResource: \(message)\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 4 else { fail("usage: EmbedTextResource INPUT OUTPUT NAME") }
let (inputPath, outputPath, name) = (arguments[1], arguments[2], arguments[3])

guard let input = fopen(inputPath, "rb") else { fail("cannot open \(inputPath)") }
var bytes: [UInt8] = []
var chunk = [UInt8](repeating: 0, count: 1 << 16)
while true {
    let count = fread(&chunk, 1, chunk.count, input)
    if count == 0 { break }
    bytes += chunk[0..<count]
}
fclose(input)

// The literal must survive verbatim: reject anything that could end or escape a #"""…"""# string.
guard let text = String(validating: bytes, as: UTF8.self) else { fail("\(inputPath) is not UTF-8") }
// `"""#` would end the literal and `\#` would start an escape or interpolation; a CR would be
// normalized away by the compiler.
guard !text.contains("\"\"\"#"), !text.contains("\\#"), !text.contains("\r") else {
    fail("\(inputPath) cannot be embedded verbatim")
}
guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
    fail("\(name) is not a valid identifier part")
}

// The line break before the closing delimiter is not part of a multi-line literal, so adding one
// keeps the text exact whether or not the file ends with a newline.
let source = """
    // Generated at build time from \(inputPath.split(separator: "/").last ?? "") by EmbedTextResourcePlugin. Do not edit.
    let embedded_\(name) = #\"\"\"
    \(text)
    \"\"\"#

    """
guard let output = fopen(outputPath, "wb") else { fail("cannot write \(outputPath)") }
guard fputs(source, output) >= 0, fclose(output) == 0 else { fail("cannot write \(outputPath)") }
