import SnapshotStore

extension CPUQuery {
    /// The partial coverage of an imported snapshot (nil for a harvest), cached per file.
    func partialCoverage(_ reader: SnapshotReader) throws -> PartialCoverage? {
        if let cached = coverageCache.withLock({ $0[reader.path] }) { return cached }
        let coverage = try reader.partialCoverage()
        coverageCache.withLock { $0[reader.path] = .some(coverage) }
        return coverage
    }

    /// Whether candidate `c` is an import that lacks the expansion of `model` a detail question
    /// needs, so a later snapshot (or a live probe) should answer instead.
    func lacksCoveredExpansion(_ c: Located, model: String) throws -> Bool {
        guard let coverage = try partialCoverage(c.reader) else { return false }
        return !coverage.covers(expansionOf: model)
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
