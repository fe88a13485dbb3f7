#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of 63-bit keys for spotting duplicate rows: open addressing with linear probing.
///
/// An import of a few million rows checks every row against it, so it avoids what `Set<String>`
/// would cost per row (a heap string per 18-character ID, SipHash): keys are the numbers' own
/// digits packed into an integer, hashed by one multiplication. 8 bytes a slot, at most half full
/// (16 MB for a million rows).
///
/// IDs are random, so nearly every insert misses the cache; the table is mapped directly and
/// advised to use huge pages, which spares most of those misses a page-table walk as well.
final class NumberSet {
    private var slots: UnsafeMutablePointer<UInt64>
    private var size: Int
    private var shift: UInt64
    private(set) var count = 0

    /// The top bit marks a used slot, so that key 0 is storable and an empty slot is 0.
    private static let occupied: UInt64 = 1 << 63

    init(minimumCapacity: Int = 1 << 14) {
        var size = 1024
        while size < minimumCapacity * 2 { size <<= 1 }
        self.size = size
        slots = NumberSet.allocate(size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    deinit {
        NumberSet.free(slots, size)
    }

    /// Adds `key` (below 2^63); returns false if it was already there.
    @inline(__always)
    func insert(_ key: UInt64) -> Bool {
        if (count + 1) * 2 > size { grow() }
        guard NumberSet.place(key | NumberSet.occupied, in: slots, mask: size - 1, shift: shift) else { return false }
        count += 1
        return true
    }

    /// Reads the slot each key hashes to, so that a batch's cache misses overlap instead of
    /// coming one after another in `insert`. The result means nothing; the caller keeps it so the
    /// loads are not optimized away.
    func touch(_ keys: UnsafePointer<UInt64>, count: Int) -> UInt64 {
        var sink: UInt64 = 0
        for index in 0..<count {
            let stored = keys[index] | NumberSet.occupied
            sink |= slots[Int(truncatingIfNeeded: (stored &* 0x9E37_79B9_7F4A_7C15) >> shift)]
        }
        return sink
    }

    @inline(__always)
    private static func place(_ stored: UInt64, in slots: UnsafeMutablePointer<UInt64>, mask: Int, shift: UInt64) -> Bool {
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

    private func grow() {
        let (oldSlots, oldSize) = (slots, size)
        size *= 2
        slots = NumberSet.allocate(size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        for index in 0..<oldSize where oldSlots[index] != 0 {
            _ = NumberSet.place(oldSlots[index], in: slots, mask: size - 1, shift: shift)
        }
        NumberSet.free(oldSlots, oldSize)
    }

    /// Zeroed memory for `size` slots, straight from the kernel (zero pages cost nothing until touched).
    private static func allocate(_ size: Int) -> UnsafeMutablePointer<UInt64> {
        let bytes = size * MemoryLayout<UInt64>.stride
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            fatalError("NumberSet: cannot map \(bytes) bytes")
        }
        #if os(Linux)
        // Advice only: without transparent huge pages the table still works, with more TLB misses.
        _ = madvise(mapped, bytes, MADV_HUGEPAGE)
        #endif
        return mapped.bindMemory(to: UInt64.self, capacity: size)
    }

    private static func free(_ slots: UnsafeMutablePointer<UInt64>, _ size: Int) {
        munmap(slots, size * MemoryLayout<UInt64>.stride)
    }
}
