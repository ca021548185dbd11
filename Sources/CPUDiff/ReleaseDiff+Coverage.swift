import SnapshotStore

extension ReleaseDiff {
    /// What a release diff cannot compare because snapshot A (`old`) or B (`new`) is an import
    /// that covers only part of QEMU's answers (libvirt probe data): one note per such snapshot.
    public static func coverageNotes(old: PartialCoverage?, new: PartialCoverage?,
                                     names: (old: String, new: String) = ("A", "B")) -> [String] {
        [(old, names.old), (new, names.new)].compactMap { coverage, name in
            guard let coverage else { return nil }
            return "note: \(name) \(coverage.summary); alias-of on other machine types and expansions beyond "
                + "those were not compared, and feature names come only from the expansions it has"
        }
    }
}
