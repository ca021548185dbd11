import Foundation

/// Mutates seed inputs the way a fuzzer does: bit flips, byte changes, insertions, deletions,
/// duplicated and repeated ranges, truncation, splices of another seed, and tokens of the format.
public struct Mutator: Sendable {
    /// The random source.
    public var random: SplitMix
    /// Tokens of the input format to insert (`{`, `"`, `<feature`, `&amp;`, ...).
    public var tokens: [[UInt8]]
    /// Other seeds to splice in.
    public var seeds: [[UInt8]]

    /// Bytes that parsers treat specially in some format.
    static let interesting: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x26, 0x27, 0x2C, 0x2B, 0x2D, 0x2F, 0x30,
                                       0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x7F, 0x80, 0xBF,
                                       0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF8, 0xFE, 0xFF]

    /// A mutator drawing from `seed`.
    public init(seed: UInt64, tokens: [String] = [], seeds: [[UInt8]] = []) {
        random = SplitMix(state: seed)
        self.tokens = tokens.map { Array($0.utf8) }
        self.seeds = seeds
    }

    /// `input` with one to four mutations applied.
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0...random.below(4) { mutateOnce(&b) }
        return b
    }

    /// A seed picked at random (one of ``seeds``).
    public mutating func pick() -> [UInt8] { seeds.isEmpty ? [] : seeds[random.below(seeds.count)] }

    private mutating func position(in b: [UInt8]) -> Int { random.below(b.count + 1) }

    private mutating func mutateOnce(_ b: inout [UInt8]) {
        switch random.below(12) {
        case 0 where !b.isEmpty:  // flip a bit
            let i = random.below(b.count)
            b[i] ^= 1 << UInt8(random.below(8))
        case 1 where !b.isEmpty:  // a random byte
            b[random.below(b.count)] = UInt8(truncatingIfNeeded: random.next())
        case 2 where !b.isEmpty:  // an interesting byte
            b[random.below(b.count)] = Self.interesting[random.below(Self.interesting.count)]
        case 3:  // insert an interesting byte
            b.insert(Self.interesting[random.below(Self.interesting.count)], at: position(in: b))
        case 4 where !b.isEmpty:  // delete a range
            let i = random.below(b.count)
            b.removeSubrange(i..<min(b.count, i + 1 + random.below(64)))
        case 5 where !b.isEmpty:  // duplicate a range elsewhere
            let i = random.below(b.count), n = 1 + random.below(min(256, b.count - i))
            let chunk = Array(b[i..<i + n])
            b.insert(contentsOf: chunk, at: position(in: b))
        case 6 where !b.isEmpty:  // truncate
            b.removeSubrange(random.below(b.count)...)
        case 7 where !tokens.isEmpty:  // insert a token
            b.insert(contentsOf: tokens[random.below(tokens.count)], at: position(in: b))
        case 8 where !tokens.isEmpty && !b.isEmpty:  // replace a range with a token
            let i = random.below(b.count)
            b.replaceSubrange(i..<min(b.count, i + 1 + random.below(8)), with: tokens[random.below(tokens.count)])
        case 9 where !seeds.isEmpty:  // splice: a prefix of this, a suffix of another seed
            let other = pick()
            let cut = position(in: b), from = random.below(other.count + 1)
            b = Array(b[..<cut]) + other[from...]
        case 10 where !b.isEmpty:  // repeat a short range many times (adversarial sizes)
            let i = random.below(b.count), n = 1 + random.below(min(16, b.count - i))
            let chunk = Array(b[i..<i + n])
            let times = 2 + random.below(500)
            b.insert(contentsOf: Array([[UInt8]](repeating: chunk, count: times).joined()), at: i)
        case 11 where !b.isEmpty:  // swap two bytes
            b.swapAt(random.below(b.count), random.below(b.count))
        default:
            b.append(UInt8(truncatingIfNeeded: random.next()))
        }
    }
}
