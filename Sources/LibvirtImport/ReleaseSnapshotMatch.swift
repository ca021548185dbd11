import Foundation
import HostCPU
import SnapshotStore

/// The snapshot an imported host record will be answered from, found at import time the way
/// questions find it (``HostCPU/ReleaseSnapshots``: the record's QEMU version, else the newest
/// snapshot of its release series, `7.2.0` → `7.2.22`, with KVM rows of the binary's named
/// models), and which must hold those rows on machine type `none`, the record's only one.
public struct ReleaseSnapshotMatch: Sendable {
    /// The snapshot file.
    public var path: String
    /// Its QEMU version (`7.2.22`).
    public var qemuVersion: String
    /// The imported file's QEMU version (`7.2.0`).
    public var recordVersion: String

    /// Whether the snapshot is of another version of the series (the answers say so).
    public var isOtherVersion: Bool { qemuVersion != recordVersion }

    /// A one-line note for stderr.
    public var note: String {
        let name = (path as NSString).lastPathComponent
        return isOtherVersion
            ? "QEMU \(recordVersion)'s models will be answered from \(name) (QEMU \(qemuVersion), the newest of the \(ReleaseSnapshots.series(recordVersion)) series here)"
            : "QEMU \(recordVersion)'s models will be answered from \(name)"
    }

    /// Finds the snapshot among `releases` for a file of QEMU `qemuVersion` and `binary`.
    ///
    /// - Throws: ``LibvirtImportError`` (``LibvirtImportError/Code/noReleaseSnapshot``) naming
    ///   what is missing (the release and binary, or its KVM rows on `none`) and how to get it;
    ///   errors of a file on the search path that is not a good snapshot.
    public static func find(qemuVersion: String, binary: String, file: String,
                            in releases: ReleaseSnapshots) throws -> ReleaseSnapshotMatch {
        let release: ReleaseSnapshots.Release
        do { release = try releases.release(version: qemuVersion, binary: binary) } catch let error as HostCPUError {
            guard error.code == .noSnapshot else { throw error }
            throw LibvirtImportError(.noReleaseSnapshot, file: file,
                                     "QEMU \(qemuVersion), \(binary): an imported record takes its models from a release snapshot, and there is \(error.message)")
        }
        guard try release.reader.session(binary: binary, machine: "none", accel: "kvm")?.status == "ok" else {
            throw LibvirtImportError(.noReleaseSnapshot, file: file,
                "the snapshot of QEMU \(release.version) (\(release.path)) has no KVM rows of \(binary) on machine type none, the imported record's machine type: harvest it again with --accel kvm --kvm-models (machine type none included)")
        }
        return ReleaseSnapshotMatch(path: release.path, qemuVersion: release.version, recordVersion: qemuVersion)
    }
}
