import CPUQuery
import Foundation
import Synchronization
import SnapshotStore

/// The release snapshots light host records take their models from: found once on the search
/// path, opened once, each machine type's model feature sets decoded once for every record.
public final class ReleaseSnapshots: Sendable {
    /// One release snapshot with host-independent KVM rows for a binary.
    public struct Release: Sendable {
        /// The file.
        public var path: String
        /// Its QEMU version (`7.2.22`).
        public var version: String
        /// The reader.
        public var reader: SnapshotReader
        /// Features QEMU's KVM accepts on any host that `host` leaves off
        /// (`kvm_extra_features:<binary>`), as recorded at harvest.
        public var kvmExtraFeatures: [String] = []
    }

    /// Snapshots found on the default search path.
    public static let shared = ReleaseSnapshots(locator: SnapshotLocator())

    private let locator: SnapshotLocator
    private struct State {
        var candidates: [(path: String, version: String, reader: SnapshotReader)]?
        var releases: [String: Release?] = [:]
        var modelSets: [String: ModelFeatureSets] = [:]
    }
    private let state = Mutex(State())

    /// Looks for snapshots where `locator` does.
    public init(locator: SnapshotLocator) { self.locator = locator }

    /// The snapshot for `binary` of QEMU `version`: that version, else the newest of its release
    /// series (`7.2.0` → `7.2.22`), holding KVM rows of named models.
    ///
    /// - Throws: ``HostCPUError`` (``HostCPUError/Code/noSnapshot``) naming what is missing and how to get it.
    public func release(version: String, binary: String) throws -> Release {
        let key = "\(binary) \(version)"
        if let known = state.withLock({ $0.releases[key] }) {
            if let known { return known }
        } else {
            let found = try find(version: version, binary: binary)
            state.withLock { $0.releases[key] = .some(found) }
            if let found { return found }
        }
        let series = Self.series(version)
        throw HostCPUError(.noSnapshot, "no snapshot of QEMU \(version) (or another \(series).x) with KVM rows for \(binary) on the search path (qcpu path): install the snapshot of that release, or harvest one where that QEMU runs with KVM: qcpu harvest --qemu PATH --accel tcg --accel kvm --kvm-models -o qemu-\(version).sqlite")
    }

    /// `7.2` of `7.2.22`.
    public static func series(_ version: String) -> String {
        version.split(separator: ".").prefix(2).joined(separator: ".")
    }

    /// Numeric order of dotted versions (`7.2.9` < `7.2.22`).
    static func versionLess(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
        return x.lexicographicallyPrecedes(y)
    }

    private func find(version: String, binary: String) throws -> Release? {
        let candidates = try state.withLock { s -> [(path: String, version: String, reader: SnapshotReader)] in
            if let c = s.candidates { return c }
            var list: [(path: String, version: String, reader: SnapshotReader)] = []
            for (_, path) in try locator.files() {
                // Harvests only: not host records, not imports (their KVM rows are one host's). A
                // damaged file is an error, as for every other question: not silently passed over.
                let reader = try SnapshotReader(path: path)
                let meta = try reader.meta()
                guard meta[HostRecordKeys.format] == nil, try reader.partialCoverage() == nil,
                      let v = meta["qemu_version"] else { continue }
                list.append((path, v, reader))
            }
            s.candidates = list
            return list
        }
        let usable = try candidates.filter { c in
            try c.reader.binaries().contains { $0.name == binary && $0.accelerators.contains("kvm") }
        }
        let series = Self.series(version)
        guard let chosen = usable.first(where: { $0.version == version })
            ?? usable.filter({ Self.series($0.version) == series }).max(by: { Self.versionLess($0.version, $1.version) })
        else { return nil }
        let extra = try chosen.reader.metaStrings(HostRecordKeys.snapshotExtra(binary: binary))
        return Release(path: chosen.path, version: chosen.version, reader: chosen.reader, kvmExtraFeatures: extra ?? [])
    }

    /// The KVM feature sets of every named model of `release` on `machine`, decoded once.
    func modelSets(_ release: Release, binary: String, machine: String, space: FeatureSpace) throws -> ModelFeatureSets? {
        let key = "\(release.path) \(binary) \(machine)"
        if let known = state.withLock({ $0.modelSets[key] }) { return known }
        guard try release.reader.session(binary: binary, machine: machine, accel: "kvm")?.status == "ok" else { return nil }
        var models: [String: Set<String>] = [:]
        for (model, props) in try release.reader.expansions(binary: binary, machine: machine, accel: "kvm") {
            models[model] = space.features(of: props)
        }
        var aliasOf: [String: String] = [:]
        for d in try release.reader.definitions(binary: binary, machine: machine, accel: "kvm") {
            if let a = d.aliasOf { aliasOf[d.name] = a }
        }
        let sets = ModelFeatureSets(machine: machine, accel: "kvm", space: space, models: models, aliasOf: aliasOf)
        state.withLock { $0.modelSets[key] = sets }
        return sets
    }
}
