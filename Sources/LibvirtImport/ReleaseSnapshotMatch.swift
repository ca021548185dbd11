import Foundation
import SnapshotStore

/// The snapshot an imported host record will be answered from: the newest snapshot of the
/// record's QEMU release series (`7.2.0` → the newest `7.2.x`) that has the binary's KVM rows on
/// machine type `none` (its models' host-independent KVM definitions).
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
            ? "QEMU \(recordVersion)'s models will be answered from \(name) (QEMU \(qemuVersion), the newest of the \(Self.series(recordVersion)) series here)"
            : "QEMU \(recordVersion)'s models will be answered from \(name)"
    }

    /// `major.minor` of a version.
    static func series(_ version: String) -> String { version.split(separator: ".").prefix(2).joined(separator: ".") }

    /// Numeric parts of a version, for ordering.
    static func parts(_ version: String) -> [Int] { version.split(separator: ".").map { Int($0) ?? 0 } }

    /// Finds the snapshot among `files` (the search path's files, in search order).
    ///
    /// - Throws: ``LibvirtImportError`` (``LibvirtImportError/Code/noReleaseSnapshot``) naming
    ///   what is missing (the release, the binary, or its KVM rows) and how to get it; a file that
    ///   is not a good snapshot is an error too (`SnapshotError`).
    public static func find(qemuVersion: String, binary: String, file: String,
                            in files: [String]) throws -> ReleaseSnapshotMatch {
        let series = series(qemuVersion)
        var versions: [String] = []
        var sameSeries: [(path: String, version: String, hasBinary: Bool, hasKVM: Bool)] = []
        for path in files {
            let reader = try SnapshotReader(path: path)
            let meta = try reader.meta()
            // Host records describe hosts, not releases.
            guard meta[HostRecordKeys.format] == nil, meta["host_extra_features"] == nil, let v = meta["qemu_version"] else { continue }
            versions.append(v)
            guard Self.series(v) == series else { continue }
            let hasBinary = try reader.binaries().contains { $0.name == binary }
            let hasKVM = hasBinary ? try reader.session(binary: binary, machine: "none", accel: "kvm") != nil : false
            sameSeries.append((path, v, hasBinary, hasKVM))
        }
        let howTo = "harvest QEMU \(series) with KVM on a machine that has it (qcpu harvest --qemu PATH-TO-\(binary) -o qemu-\(series).x.sqlite) and put the file on the snapshot search path (qcpu path)"
        let candidates = sameSeries.filter(\.hasKVM)
        guard let best = candidates.max(by: { parts($0.version).lexicographicallyPrecedes(parts($1.version)) }) else {
            let message: String
            if sameSeries.isEmpty {
                let have = Set(versions).sorted { parts($0).lexicographicallyPrecedes(parts($1)) }
                message = "no snapshot of QEMU \(series) (\(file) is QEMU \(qemuVersion)) on the search path"
                    + (have.isEmpty ? "" : " (it has QEMU \(have.joined(separator: ", ")))")
                    + ": an imported record takes its models' KVM definitions from the snapshot of its release; \(howTo)"
            } else if !sameSeries.contains(where: \.hasBinary) {
                let names = sameSeries.map { ($0.path as NSString).lastPathComponent }.joined(separator: ", ")
                message = "the QEMU \(series) snapshot (\(names)) has no \(binary) (\(file) is of that binary): \(howTo)"
            } else {
                let names = sameSeries.filter(\.hasBinary).map { ($0.path as NSString).lastPathComponent }.joined(separator: ", ")
                message = "the QEMU \(series) snapshot (\(names)) has no KVM rows of \(binary) on machine type none, which an imported record needs for its models: \(howTo)"
            }
            throw LibvirtImportError(.noReleaseSnapshot, file: file, message)
        }
        return ReleaseSnapshotMatch(path: best.path, qemuVersion: best.version, recordVersion: qemuVersion)
    }
}
