import CPUQuery
import Foundation
import QMP
import SnapshotStore

/// One host record file (written by `qcpu host capture`), opened for questions.
public final class HostRecordFile: Sendable {
    /// The file.
    public let path: String
    /// The file's name without `.sqlite`: how answers name the host.
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
    let reader: SnapshotReader
    let machines: [SnapshotReader.MachineRow]
    let kvmMachines: Set<String>

    /// Opens and checks a host record.
    ///
    /// - Throws: ``HostCPUError`` (``HostCPUError/Code/notHostRecord``) for a snapshot that is not
    ///   a host record, or a `SnapshotError` for a file that is not a good snapshot.
    public init(path: String) throws {
        self.path = path
        name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        reader = try SnapshotReader(path: path)
        let meta = try reader.meta()
        let binaries = try reader.binaries().filter { $0.accelerators.contains("kvm") }
        guard let extraText = meta["host_extra_features"], binaries.count == 1, let b = binaries.first else {
            throw HostCPUError(.notHostRecord, "\(path): not a host record (write one with 'qcpu host capture')")
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
        let names = try reader.staticFeatureNames(binary: b.name) ?? []
        guard !names.isEmpty else { throw HostCPUError(.notHostRecord, "\(path): a host record without feature names") }
        let spellings = try reader.expansion(binary: b.name, machine: kvm.sorted()[0], accel: "kvm", model: "host")
        var space = FeatureSpace(names: names)
        if case .expanded(_, let props)? = spellings {
            space = FeatureSpace(names: names, spellings: props.properties.map(\.name))
        }
        self.space = space
        let extra = ((try? JSONParser.parse(extraText))?.arrayValue ?? []).compactMap(\.stringValue)
        extraFeatures = Set(extra.compactMap { space.resolve($0) })
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
            throw .unknown("machine type", name, among: kvmMachines.sorted(),
                           context: "in host record \(self.name) (QEMU \(qemuVersion), KVM)")
        }
        return found.name
    }

    /// This host on `machine` (a name or alias).
    public func profile(machine: String?) throws -> HostProfile {
        let machine = try resolveMachine(machine)
        var models: [String: Set<String>] = [:]
        for (model, props) in try reader.expansions(binary: binary, machine: machine, accel: "kvm") {
            models[model] = space.features(of: props)
        }
        guard let hostModel = models["host"],
              case .expanded(_, let unmigratable)? = try reader.expansion(binary: binary, machine: machine, accel: "kvm",
                                                                        model: "host", variant: "migratable=off") else {
            throw HostCPUError(.notHostRecord, "\(path): no host expansions for \(machine)")
        }
        let supported = space.features(of: unmigratable).union(extraFeatures)
        let migratable = hostModel.union(extraFeatures)
        var aliasOf: [String: String] = [:]
        var recorded: [String: [String]] = [:]
        for d in try reader.definitions(binary: binary, machine: machine, accel: "kvm") {
            if let a = d.aliasOf { aliasOf[d.name] = a }
            recorded[d.name] = d.unavailableFeatures
        }
        let sets = ModelFeatureSets(machine: machine, accel: "kvm", space: space, models: models, aliasOf: aliasOf)
        return HostProfile(host: name, machine: machine, supported: supported, migratableSupported: migratable,
                           modelSets: sets, recordedUnavailable: recorded)
    }

    /// Checks that every record describes the same QEMU build and architecture.
    public static func checkCompatible(_ records: [HostRecordFile]) throws(HostCPUError) {
        guard let first = records.first else { throw HostCPUError(.noHosts, "no host record given (--host FILE, --host-dir DIR or --host local)") }
        for r in records.dropFirst() where r.arch != first.arch || r.qemuVersion != first.qemuVersion {
            throw HostCPUError(.mismatch, "host record \(r.name) is \(r.arch) QEMU \(r.qemuVersion), but \(first.name) is \(first.arch) QEMU \(first.qemuVersion): compare hosts of one QEMU version and architecture")
        }
    }
}
