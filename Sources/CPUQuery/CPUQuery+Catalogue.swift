import Foundation
import QMP
import SnapshotStore

/// The whole catalogue of one QEMU binary, for a release diff of two binaries.
extension CPUQuery {
    /// The snapshot that holds the binary's catalogue under TCG — a session with every model on
    /// every machine type matching `machines` (shell patterns; all when empty) — and where it came
    /// from: the first snapshot of the binary's version on the search path that has all of it, else
    /// a live probe of those machine types, merged into the cache snapshot (``AnswerSource/live(qemu:cachedIn:)``).
    ///
    /// - Throws: ``QueryError``: `unknownName` when no machine type matches, `qemuUnavailable` when
    ///   probing is needed but forbidden (`--offline`), `probeFailed` when the probe fails.
    public func catalogue(machines globs: [String]) async throws -> (reader: SnapshotReader, source: AnswerSource) {
        if mode != .live {
            for c in candidates where try hasCatalogue(c, machines: globs) { return (c.reader, source(c)) }
        }
        // A snapshot that lists the machine types rejects a pattern that matches none before QEMU starts.
        if let listed = try candidates.first(where: { try !machineRows($0.reader).isEmpty }) { _ = try matching(listed.reader, machines: globs) }
        let which = globs.isEmpty ? "every machine type" : "machine types " + globs.joined(separator: " ")
        let (located, source) = try await probe(machines: globs, accel: "tcg", models: [],
                                                reason: "the catalogue of \(binary) (\(which), every model, under TCG)")
        _ = try matching(located.reader, machines: globs)
        return (located.reader, source)
    }

    /// Whether snapshot `c` has a TCG session with every model on every machine type matching `globs`.
    func hasCatalogue(_ c: Located, machines globs: [String]) throws -> Bool {
        guard try !machineRows(c.reader).isEmpty, try modelFilter(c.reader).isEmpty else { return false }
        // An import (libvirt probe data) covers only part of QEMU's answers.
        if try c.reader.coverage()["source"] != nil { return false }
        for machine in try matching(c.reader, machines: globs) {
            guard try c.reader.session(binary: binary, machine: machine, accel: "tcg") != nil else { return false }
        }
        return true
    }

    /// The binary's machine types in `reader` that match `globs` (all when empty).
    ///
    /// - Throws: ``QueryError`` with code `unknownName` when a pattern matches none.
    func matching(_ reader: SnapshotReader, machines globs: [String]) throws -> [String] {
        let names = try machineRows(reader).map(\.name)
        for glob in globs where !names.contains(where: { Glob.matches($0, any: [glob]) }) {
            throw QueryError.unknown("machine type", glob, among: names, context: "for \(binary) (QEMU \(version))")
        }
        return names.filter { Glob.matches($0, any: globs) }
    }
}
