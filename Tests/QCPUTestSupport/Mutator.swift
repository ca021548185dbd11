import Foundation

/// SplitMix64: a tiny seeded generator, so a fuzz test draws the same cases on every machine and
/// every run (Swift's `SystemRandomNumberGenerator` cannot be seeded).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Mutates seed inputs the way a fuzzer does: bit flips, byte changes, insertions, deletions,
/// duplicated and repeated ranges, truncation, splices of another seed, and tokens of the format.
public struct Mutator: Sendable {
    /// The random source.
    public var random: SeededRandom
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
        random = SeededRandom(seed: seed)
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

/// What a fuzz test asks of every refusal, whichever parser: one line, bounded, no raw input.
public enum FuzzCheck {
    /// Longest error message a parser may give (its own words plus short excerpts and names).
    public static let maxMessageLength = 600

    /// The problem with `message` as a refusal, or nil when it is one short printable line.
    public static func problem(with message: String) -> String? {
        if message.contains("\n") || message.contains("\r") { return "more than one line" }
        if message.utf8.count > maxMessageLength { return "\(message.utf8.count) bytes long" }
        if message.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "a control character" }
        return nil
    }

    /// Files under `directory` (relative to the package root) whose names end with `suffix`,
    /// as bytes; `[]` when the directory is absent. At most `limit` files, in name order.
    public static func seeds(in directory: String, suffix: String, limit: Int = 64) -> [[UInt8]] {
        let path = directory.hasPrefix("/") ? directory : TestSupport.packageRoot + "/" + directory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
        return names.prefix(limit).compactMap { FileManager.default.contents(atPath: path + "/" + $0).map { [UInt8]($0) } }
    }

    /// The seed of a run: `QCPU_FUZZ_SEED` when set (to replay another run), else `fixed`.
    public static func seed(_ fixed: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["QCPU_FUZZ_SEED"].flatMap { UInt64($0) } ?? fixed
    }

    /// The most seconds a parser may take on a large adversarial input (200,000 elements or
    /// more) in a debug build on a loaded machine: generous, since the quadratic reader this guards
    /// against took 10 s on 5,000 unclosed tags and would take minutes here.
    public static let maxSeconds = 5.0

    /// Seconds `body` takes on the input of size `n` and on the input of size `4n`, each the
    /// best of two runs: a linear parser takes about 4 times longer on the larger, a quadratic
    /// one 16 times.
    public static func growth(_ n: Int, make: (Int) -> [UInt8], run: ([UInt8]) -> Void) -> (small: Double, large: Double) {
        func best(_ input: [UInt8]) -> Double {
            var times: [Double] = []
            for _ in 0..<2 {
                let start = ContinuousClock.now
                run(input)
                let d = ContinuousClock.now - start
                times.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
            }
            return times.min() ?? 0
        }
        return (best(make(n)), best(make(4 * n)))
    }
}
