import IDCARules

/// One input line, as `LineReader` hands it over.
enum InputLine {
    /// The line's bytes, without the LF and without a CR right before it. Valid only during the callback.
    case bytes(UnsafeBufferPointer<UInt8>)
    /// A line longer than the buffer. No valid number is that long, so all that matters is which
    /// common rules it breaks; the flags say that, gathered chunk by chunk in constant memory.
    case oversized(ScreenFlags)
}

/// Splits a byte stream into lines in constant memory, handing out views into one buffer.
///
/// A line is everything up to LF; a CR right before the LF is dropped and nothing else is trimmed.
/// A last line without LF still counts; input that ends with LF has no extra empty line after it.
struct LineReader {
    let descriptor: Int32
    let capacity: Int

    /// Whatever the buffer, the longest line kept whole is still longer than any valid number plus CR.
    static let minimumCapacity = 64

    init(descriptor: Int32, capacity: Int = 1 << 20) {
        precondition(capacity >= LineReader.minimumCapacity)
        self.descriptor = descriptor
        self.capacity = capacity
    }

    /// Calls `body` for each line in order. `flush` is called whenever the input has momentarily
    /// run dry (a short read), so that interactive use sees answers without per-line writes.
    func forEachLine(_ body: (InputLine) throws -> Void, whenIdle flush: () throws -> Void) throws {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        let view = UnsafeBufferPointer(start: buffer, count: capacity)

        var filled = 0
        var oversized: ScreenFlags?

        func emitLine(contentEnd: Int) throws {
            if var flags = oversized {
                flags.formUnion(ScreenFlags.scan(view, stop: contentEnd, end: contentEnd))
                oversized = nil
                try body(.oversized(flags))
            } else {
                try body(.bytes(UnsafeBufferPointer(start: buffer, count: contentEnd)))
            }
        }

        while true {
            let requested = capacity - filled
            let count = try readRetrying(descriptor, buffer + filled, requested)
            if count == 0 { break }
            let searchStart = filled
            filled += count

            var lineStart = 0
            var searchFrom = searchStart
            while let lineFeed = indexOfLineFeed(buffer, from: searchFrom, to: filled) {
                var contentEnd = lineFeed
                if contentEnd > lineStart && buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                if lineStart == 0 {
                    try emitLine(contentEnd: contentEnd)
                } else {
                    try body(.bytes(UnsafeBufferPointer(start: buffer + lineStart, count: contentEnd - lineStart)))
                }
                lineStart = lineFeed + 1
                searchFrom = lineStart
            }

            if lineStart > 0 {
                // Keep the unfinished line, moved to the front.
                filled -= lineStart
                buffer.update(from: buffer + lineStart, count: filled)
            } else if filled == capacity {
                // No LF in a full buffer: record what this chunk shows and keep only the last two
                // bytes, which may begin a multi-byte sequence that ends in the next chunk.
                let flags = ScreenFlags.scan(view, stop: filled - 2, end: filled)
                oversized = (oversized ?? []).union(flags)
                buffer.update(from: buffer + filled - 2, count: 2)
                filled = 2
            }
            if count < requested { try flush() }
        }
        if filled > 0 || oversized != nil {
            try emitLine(contentEnd: filled)
        }
    }
}
