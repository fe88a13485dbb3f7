/// The mistakes people make copying numbers, applied to a valid number.
public enum Corruption: CaseIterable, Sendable {
    /// One character replaced by another of `alphabet`.
    case substitution
    /// Two adjacent characters swapped (only where they differ).
    case adjacentTransposition

    /// Every distinct string this corruption can make of `text`, for exhaustive checks.
    public func allVariants(of text: String, alphabet: String) -> [String] {
        let characters = Array(text)
        var variants: [String] = []
        switch self {
        case .substitution:
            for index in characters.indices {
                for replacement in alphabet where replacement != characters[index] {
                    var copy = characters
                    copy[index] = replacement
                    variants.append(String(copy))
                }
            }
        case .adjacentTransposition:
            for index in characters.indices.dropLast() where characters[index] != characters[index + 1] {
                var copy = characters
                copy.swapAt(index, index + 1)
                variants.append(String(copy))
            }
        }
        return variants
    }
}
