import SnapshotStore

extension CPUQuery {
    /// The partial coverage of an imported snapshot (nil for a harvest), cached per file.
    func partialCoverage(_ reader: SnapshotReader) throws -> PartialCoverage? {
        if let cached = coverageCache.withLock({ $0[reader.path] }) { return cached }
        let coverage = try reader.partialCoverage()
        coverageCache.withLock { $0[reader.path] = .some(coverage) }
        return coverage
    }

    /// Whether candidate `c` is an import that lacks the full expansions a question needs: the
    /// one of `model`, or, with no model, every model's (an import has at most host's and max's),
    /// so a later snapshot (or a live probe) should answer instead.
    func importLacksExpansions(_ c: Located, machine: String, accel: String, model: String?) throws -> Bool {
        guard try partialCoverage(c.reader) != nil else { return false }
        guard let model else { return true }
        return try c.reader.expansion(binary: binary, machine: machine, accel: accel, model: model) == nil
    }

    /// What the imported snapshots of the chosen version cover, for the message of a question
    /// they cannot answer: `""` when none of them is an import.
    func coverageNote() -> String {
        let notes = candidates.compactMap { c -> String? in
            guard let coverage = try? partialCoverage(c.reader) else { return nil }
            return "\(c.path) \(coverage.summary)"
        }
        return notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"
    }
}
