import CPUQuery
import Foundation
import QMP
import SnapshotStore

/// One host record file (written by `qcpu host capture`), opened for questions.
public final class HostRecordFile: Sendable {
    /// The file.
    public let path: String
    /// The file's name without `.sqlite` (``hostName(path:)``): how answers name the host.
    public let name: String
    /// The QEMU binary the record describes (`qemu-system-x86_64`).
    public let binary: String
    /// Its target architecture.
    public let arch: String
    /// QEMU's version and package string.
    public let qemuVersion: String, qemuPackage: String
    /// The host's CPU identity and kernel.
    public let fingerprint: HostRecord
    /// The target's feature names.
    public let space: FeatureSpace
    /// Features KVM supports that the `host` expansion leaves off (canonical names).
    public let extraFeatures: Set<String>
    /// Features KVM offers that a running vCPU refuses (canonical names; empty when not probed).
    public let runtimeRefused: Set<String>
    /// Whether the runtime probe ran (false: an old record, an import, or an old recording replayed).
    public let runtimeProbed: Bool
    /// The release snapshot the models come from (light records), or nil (the record holds them).
    public let release: ReleaseSnapshots.Release?
    /// Notes for the user (the snapshot of another build of the series answers, ...).
    public let notes: [String]
    let reader: SnapshotReader
    let machines: [SnapshotReader.MachineRow]
    let kvmMachines: Set<String>
    let releases: ReleaseSnapshots

    /// Opens and checks a host record; a light one takes its models from `releases`.
    ///
    /// - Throws: ``HostCPUError`` (``HostCPUError/Code/notHostRecord``) for a snapshot that is not
    ///   a host record, ``HostCPUError/Code/noSnapshot`` when no release snapshot has its models,
    ///   or a `SnapshotError` for a file that is not a good snapshot.
    public init(path: String, releases: ReleaseSnapshots = .shared) throws {
        self.path = path
        self.releases = releases
        name = Self.hostName(path: path)
        reader = try SnapshotReader(path: path)
        let meta = try reader.meta()
        let binaries = try reader.binaries().filter { $0.accelerators.contains("kvm") }
        let light = meta[HostRecordKeys.format] == HostRecordKeys.light
        guard light || meta["host_extra_features"] != nil, binaries.count == 1, let b = binaries.first else {
            throw HostCPUError(.notHostRecord, "\(path): not a host record (write one with 'qcpu host capture' or 'qcpu host import')")
        }
        binary = b.name
        arch = b.arch
        qemuVersion = meta["qemu_version"] ?? ""
        qemuPackage = meta["qemu_package"] ?? ""
        machines = try reader.machines(binary: b.name)
        var kvm = Set<String>()
        var host: HostRecord?
        for m in machines {
            guard let s = try reader.session(binary: b.name, machine: m.name, accel: "kvm"), s.status == "ok" else { continue }
            kvm.insert(m.name)
            host = host ?? s.host
        }
        guard let host else { throw HostCPUError(.notHostRecord, "\(path): a host record without KVM sessions") }
        fingerprint = host
        kvmMachines = kvm
        var notes: [String] = []
        var names: Set<String>
        var snapshotExtra: [String] = []
        if light {
            let release = try releases.release(version: qemuVersion, binary: b.name)
            if release.version != qemuVersion {
                notes.append("host record \(name) is of QEMU \(qemuVersion); its models come from the snapshot of QEMU \(release.version), the newest of the \(ReleaseSnapshots.series(qemuVersion)) series here (\(release.path))")
            }
            self.release = release
            names = try release.reader.staticFeatureNames(binary: b.name) ?? []
            snapshotExtra = release.kvmExtraFeatures
        } else {
            release = nil
            names = try reader.staticFeatureNames(binary: b.name) ?? []
            if names.isEmpty, let r = try? releases.release(version: qemuVersion, binary: b.name) {
                names = try r.reader.staticFeatureNames(binary: b.name) ?? []
            }
        }
        guard !names.isEmpty else { throw HostCPUError(.notHostRecord, "\(path): no feature names for \(b.name)") }
        let spellings = try reader.expansion(binary: b.name, machine: kvm.sorted()[0], accel: "kvm", model: "host")
        var space = FeatureSpace(names: names)
        if case .expanded(_, let props)? = spellings {
            space = FeatureSpace(names: names, spellings: props.properties.map(\.name))
        }
        self.space = space
        let opened = reader
        func list(_ key: String) throws -> [String]? { try opened.metaStrings(key) }
        // QEMU adds some features to KVM's supported set on every host (topoext, the KVM hints):
        // the release snapshot records them, so records that could not probe still have them.
        let extra = (try list("host_extra_features") ?? []) + snapshotExtra
        extraFeatures = Set(extra.compactMap { space.resolve($0) })
        let refused = try list(HostRecordKeys.runtimeRefused)
        runtimeProbed = refused != nil
        runtimeRefused = Set((refused ?? []).compactMap { space.resolve($0) })
        self.notes = notes
    }

    /// How answers name the host of the record at `path`: the file name, less `.sqlite` if it
    /// ends so (`web01.example.com` stays whole; a fleet directory's files may have any name).
    public static func hostName(path: String) -> String {
        let file = (path as NSString).lastPathComponent
        return file.hasSuffix(".sqlite") && file.count > 7 ? String(file.dropLast(7)) : file
    }

    /// A one-line description: name, CPU, QEMU.
    public var summary: String {
        "\(name): \(fingerprint.modelName) (\(fingerprint.vendor) \(fingerprint.family)/\(fingerprint.model)/\(fingerprint.stepping), microcode \(fingerprint.microcode)), kernel \(fingerprint.kernel), QEMU \(qemuVersion)"
    }

    /// Resolves a machine name or alias (`q35`), or the default machine type when nil.
    public func resolveMachine(_ name: String?) throws(HostCPUError) -> String {
        guard let name else {
            let d = machines.first { $0.info["is-default"]?.boolValue == true && kvmMachines.contains($0.name) }
            guard let d = d ?? machines.first(where: { kvmMachines.contains($0.name) }) else {
                throw HostCPUError(.notHostRecord, "\(path): no machine type ran under KVM")
            }
            return d.name
        }
        let found = machines.first { $0.name == name } ?? machines.first { $0.info["alias"]?.stringValue == name }
        guard let found, kvmMachines.contains(found.name) else {
            let only = kvmMachines.count == 1 ? "; it has only \(kvmMachines.first!)\(kvmMachines == ["none"] ? ", as libvirt probes with -machine none" : "")" : ""
            throw .unknown("machine type", name, among: kvmMachines.sorted(),
                           context: "in host record \(self.name) (QEMU \(qemuVersion), KVM\(only))")
        }
        return found.name
    }

    /// This host on `machine` (a name or alias).
    public func profile(machine: String?) throws -> HostProfile {
        let machine = try resolveMachine(machine)
        guard case .expanded(_, let migratableProps)? = try reader.expansion(binary: binary, machine: machine, accel: "kvm", model: "host"),
              case .expanded(_, let unmigratable)? = try reader.expansion(binary: binary, machine: machine, accel: "kvm",
                                                                        model: "host", variant: "migratable=off") else {
            throw HostCPUError(.notHostRecord, "\(path): no host expansions for \(machine)")
        }
        let supported = space.features(of: unmigratable).union(extraFeatures)
        let hostModel = space.features(of: migratableProps)
        let migratable = hostModel.union(extraFeatures)
        let sets: ModelFeatureSets
        var recorded: [String: [String]] = [:]
        if let release {
            guard var fromSnapshot = try releases.modelSets(release, binary: binary, machine: machine, space: space) else {
                throw HostCPUError(.noSnapshot, "the snapshot of QEMU \(release.version) (\(release.path)) has no KVM rows for \(binary) on \(machine): regenerate it with --accel kvm --kvm-models")
            }
            // Under KVM `max` is `host` (QEMU's kvm_cpu_max_instance_init): both are this host's.
            fromSnapshot.models["host"] = hostModel
            fromSnapshot.models["max"] = hostModel
            sets = fromSnapshot
        } else {
            var models: [String: Set<String>] = [:]
            for (model, props) in try reader.expansions(binary: binary, machine: machine, accel: "kvm") {
                models[model] = space.features(of: props)
            }
            var aliasOf: [String: String] = [:]
            for d in try reader.definitions(binary: binary, machine: machine, accel: "kvm") {
                if let a = d.aliasOf { aliasOf[d.name] = a }
                recorded[d.name] = d.unavailableFeatures
            }
            sets = ModelFeatureSets(machine: machine, accel: "kvm", space: space, models: models, aliasOf: aliasOf)
        }
        return HostProfile(host: name, machine: machine, supported: supported, migratableSupported: migratable,
                           modelSets: sets, recordedUnavailable: recorded, runtimeRefused: runtimeRefused)
    }

    /// Checks that every record describes the same QEMU build and architecture.
    public static func checkCompatible(_ records: [HostRecordFile]) throws(HostCPUError) {
        guard let first = records.first else { throw HostCPUError(.noHosts, "no host record given (--host FILE, --host-dir DIR or --host local)") }
        for r in records.dropFirst() where r.arch != first.arch || r.qemuVersion != first.qemuVersion {
            throw HostCPUError(.mismatch, "host record \(r.name) is \(r.arch) QEMU \(r.qemuVersion), but \(first.name) is \(first.arch) QEMU \(first.qemuVersion): compare hosts of one QEMU version and architecture")
        }
    }
}
