import CPUQuery
import Foundation
import QMP
import SnapshotStore

/// The QEMU releases the snapshots on a search path cover for one binary, oldest first: one
/// whole harvest per version (the first in search order), so a question can be asked of each.
///
/// Imported snapshots (libvirt's data: `meta.coverage.source`), harvests limited by `--machine` or
/// `--model` (the live cache) and host records are left out: they do not hold a release's whole
/// catalogue.
public struct ReleaseTimeline: Sendable {
    /// One release: its snapshot.
    public struct Release: Sendable {
        /// `10.0.13`.
        public var version: String
        /// `Debian 1:10.0.13+ds-0+deb13u1`.
        public var package: String
        /// The snapshot file.
        public var path: String
        /// The open snapshot.
        public let reader: SnapshotReader

        /// `QEMU 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)`.
        public var build: String { package.isEmpty ? "QEMU \(version)" : "QEMU \(version) (\(package))" }
    }

    /// The binary (`qemu-system-x86_64`).
    public var binary: String
    /// The releases, oldest first.
    public var releases: [Release]

    /// Creates a timeline from releases already opened (sorted here, oldest first).
    public init(binary: String, releases: [Release]) {
        self.binary = binary
        self.releases = releases.sorted { QEMUVersion.less($0.version, $1.version) }
    }

    /// The whole harvests of `binary` on `locator`'s search path, one per QEMU version.
    ///
    /// - Throws: ``QueryError`` (`bad-snapshot`, `unreadable-search-path`; `no-snapshot` when no
    ///   release has the binary).
    public static func open(locator: SnapshotLocator, binary: String) throws(QueryError) -> ReleaseTimeline {
        var byVersion: [String: Release] = [:]
        for (_, path) in try locator.files() {
            do {
                let reader = try SnapshotReader(path: path)
                let meta = try reader.meta()
                guard let version = meta["qemu_version"], byVersion[version] == nil,
                      meta[HostRecordKeys.format] == nil, isWholeHarvest(meta["coverage"]),
                      try reader.binaries().contains(where: { $0.name == binary })
                else { continue }
                byVersion[version] = Release(version: version, package: meta["qemu_package"] ?? "", path: path, reader: reader)
            } catch let error as SnapshotError {
                throw QueryError(.badSnapshot, error.description, snapshotError: error)
            } catch {
                throw QueryError(.badSnapshot, "\(path): \(error)")
            }
        }
        guard !byVersion.isEmpty else {
            let searched = locator.searchPath.map(\.path).joined(separator: ", ")
            throw QueryError(.noSnapshot, "no whole harvest of \(binary) found (searched \(searched)); the history needs the release snapshots (Snapshots/ or --snapshot FILE)")
        }
        return ReleaseTimeline(binary: binary, releases: Array(byVersion.values))
    }

    /// Whether `coverage` (meta.coverage) is a whole harvest: not imported, no machine or model filter.
    static func isWholeHarvest(_ coverage: String?) -> Bool {
        guard let coverage, let json = try? JSONParser.parse(coverage) else { return true }
        if json["source"] != nil { return false }
        for key in ["machine-filter", "model-filter"] where !(json[key]?.arrayValue ?? []).isEmpty { return false }
        return true
    }
}
