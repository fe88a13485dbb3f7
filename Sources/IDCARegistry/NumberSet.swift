/// A set of 63-bit keys for spotting duplicate rows: open addressing with linear probing.
///
/// An import of a few million rows checks every row against it, so it avoids what `Set<String>`
/// would cost per row (a heap string per 18-character ID, SipHash): keys are the numbers' own
/// digits packed into an integer, hashed by one multiplication. 8 bytes a slot, at most half full.
struct NumberSet {
    private var slots: [UInt64]
    private var mask: Int
    private var shift: UInt64
    private(set) var count = 0

    /// The top bit marks a used slot, so that key 0 is storable and an empty slot is 0.
    private static let occupied: UInt64 = 1 << 63

    init(minimumCapacity: Int = 1024) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    /// Adds `key` (below 2^63); returns false if it was already there.
    mutating func insert(_ key: UInt64) -> Bool {
        precondition(key < NumberSet.occupied)
        if (count + 1) * 2 > slots.count { grow() }
        let stored = key | NumberSet.occupied
        let inserted = slots.withUnsafeMutableBufferPointer { slots in
            NumberSet.place(stored, in: slots, mask: mask, shift: shift)
        }
        if inserted { count += 1 }
        return inserted
    }

    private static func place(_ stored: UInt64, in slots: UnsafeMutableBufferPointer<UInt64>, mask: Int, shift: UInt64) -> Bool {
        // Fibonacci hashing: the top bits of key × 2^64/φ spread consecutive keys evenly.
        var index = Int(truncatingIfNeeded: (stored &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let slot = slots[index]
            if slot == 0 {
                slots[index] = stored
                return true
            }
            if slot == stored { return false }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        let size = old.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        let (mask, shift) = (self.mask, self.shift)
        slots.withUnsafeMutableBufferPointer { slots in
            for stored in old where stored != 0 { _ = NumberSet.place(stored, in: slots, mask: mask, shift: shift) }
        }
    }
}
