import Foundation

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
