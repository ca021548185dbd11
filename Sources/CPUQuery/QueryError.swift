import QMP
import SnapshotStore

/// Why a question could not be answered.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; the CLI maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// No snapshot found anywhere on the search path.
        public static let noSnapshot = Code("no-snapshot")
        /// A directory on the search path cannot be read.
        public static let unreadableSearchPath = Code("unreadable-search-path")
        /// A snapshot on the search path is bad (see ``QueryError/snapshotError``).
        public static let badSnapshot = Code("bad-snapshot")
        /// A model, machine type, feature or accelerator name the snapshots do not know.
        public static let unknownName = Code("unknown-name")
        /// The answer needs a QEMU that is not installed (or probing was forbidden).
        public static let qemuUnavailable = Code("qemu-unavailable")
        /// A live probe failed.
        public static let probeFailed = Code("probe-failed")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// One line saying what is missing and what would fix it.
    public var message: String
    /// Names close to an unknown one.
    public var suggestions: [String]
    /// The snapshot error behind ``Code/badSnapshot``.
    public var snapshotError: SnapshotError?

    /// Creates an error.
    public init(_ code: Code, _ message: String, suggestions: [String] = [], snapshotError: SnapshotError? = nil) {
        self.code = code
        self.message = message
        self.suggestions = suggestions
        self.snapshotError = snapshotError
    }

    /// The message, with "did you mean" when there are suggestions.
    public var description: String {
        guard !suggestions.isEmpty else { return message }
        return message + "; did you mean " + suggestions.map { "'\(InputExcerpt.of($0))'" }.joined(separator: ", ") + "?"
    }

    /// An unknown-name error for `name` of kind `what`, suggesting the closest of `known`.
    static func unknown(_ what: String, _ name: String, among known: [String], context: String) -> QueryError {
        QueryError(.unknownName, "unknown \(what) '\(InputExcerpt.of(name))' \(context)", suggestions: Suggestions.closest(to: name, in: known))
    }
}

/// "Did you mean": the known names closest to a misspelt one.
public enum Suggestions {
    /// Up to `limit` names from `candidates` within a small edit distance of `name`
    /// (case-insensitive), closest first.
    public static func closest(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
        let target = Array(name.lowercased().utf8)
        // No QEMU name is this long: a misspelling of none, and not worth a quadratic comparison.
        guard target.count <= 128 else { return [] }
        let threshold = max(2, target.count / 3)
        var scored: [(Int, String)] = []
        for candidate in Set(candidates) {
            let c = Array(candidate.lowercased().utf8)
            // The distance is at least the difference in length: skip the quadratic computation
            // when that alone is over the threshold (a long name costs no more than a short one).
            if c.count > target.count, c.starts(with: target) { scored.append((1, candidate)); continue }
            guard abs(c.count - target.count) <= threshold else { continue }
            let d = distance(target, c)
            if d <= threshold { scored.append((d, candidate)) }
        }
        return scored.sorted { ($0.0, $0.1.count, $0.1) < ($1.0, $1.1.count, $1.1) }.prefix(limit).map(\.1)
    }

    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
