import CPUQuery
import HostCPU

/// One host on one machine type as the libvirt of a CPU map sees it: the custom models it lists
/// (the map's models QEMU offers, in QEMU's order), their vendor and usability, the host's
/// features in libvirt's names, and host-model.
public struct LibvirtView: Sendable {
    /// One model of libvirt's custom list.
    public struct CustomModel: Sendable, Equatable {
        /// The model's name.
        public var name: String
        /// Whether `-cpu NAME,enforce` runs on the host (no blockers).
        public var usable: Bool
        /// The map's vendor of the model (nil: libvirt prints `unknown`).
        public var vendor: String?
        /// The model QEMU says it is an alias of.
        public var canonical: String?
        /// The features that block it, libvirt's names where the map knows them, sorted.
        public var blockers: [String]
    }

    /// The map.
    public var map: LibvirtCPUMap
    /// The host.
    public var profile: HostProfile
    /// The host's features libvirt knows (from the `host,migratable=off` expansion, less the
    /// features a running vCPU refuses), libvirt's names.
    public var hostFeatures: Set<String>
    /// The same with the refused features: what libvirt itself reads from QEMU's host model
    /// (its "reported" host CPU, which `compareHypervisorCPU` compares against).
    public var libvirtHostFeatures: Set<String>
    /// Every feature KVM supports here (with the ones QEMU adds that the host expansion leaves
    /// off): the host CPU libvirt's start-up check (`check='partial'`) compares against, which
    /// libvirt reads from KVM itself.
    public var fullFeatures: Set<String>
    /// The custom list.
    public var custom: [CustomModel]
    /// libvirt's vendor name of the host.
    public var vendor: String?

    /// The view of `profile` (of `record`) through `map`.
    public init(record: HostRecordFile, profile: HostProfile, map: LibvirtCPUMap) {
        self.init(profile: profile, extraFeatures: record.extraFeatures, vendorCPUID: record.fingerprint.vendor, map: map)
    }

    /// The view of `profile` through `map`, given the features QEMU adds to the host expansion
    /// there and the CPUID vendor (a fleet's grouped profiles carry neither).
    public init(profile: HostProfile, extraFeatures: Set<String>, vendorCPUID: String, map: LibvirtCPUMap) {
        self.map = map
        self.profile = profile
        let expansion = profile.supported.subtracting(extraFeatures)
        libvirtHostFeatures = Set(expansion.compactMap { map.libvirtName(qemu: $0) })
        fullFeatures = Set(profile.supported.compactMap { map.libvirtName(qemu: $0) })
        hostFeatures = Set(expansion.subtracting(profile.runtimeRefused).compactMap { map.libvirtName(qemu: $0) })
        vendor = map.vendorName(cpuid: vendorCPUID)
        let known = profile.modelSets.models.keys.filter { map.model($0) != nil && !ModelFeatureSets.pseudoModels.contains($0) }
        custom = QEMUModelOrder.sorted(known).map { name in
            let blockers = profile.blockers(of: name) ?? []
            return CustomModel(name: name, usable: blockers.isEmpty, vendor: map.model(name)?.vendor,
                               canonical: profile.modelSets.aliasOf[name],
                               blockers: blockers.map { map.libvirtName(qemu: $0) ?? $0 }.sorted())
        }
    }

    /// libvirt's host-model for this host (nil when no model of the map fits).
    public func hostModel(record: HostRecordFile) -> LibvirtHostModel? {
        var offered: [String: [String]] = [:]
        for name in profile.modelSets.models.keys where !ModelFeatureSets.pseudoModels.contains(name) {
            offered[name] = (profile.blockers(of: name) ?? []).compactMap { map.libvirtName(qemu: $0) }
        }
        let f = record.fingerprint
        return LibvirtHostModel.decode(.init(features: hostFeatures, vendor: vendor, family: f.family, model: f.model,
                                             stepping: f.stepping, qemuModels: offered), map: map)
    }

    /// Models QEMU runs on the host that libvirt 9's partial check would still refuse (the
    /// default `check='partial'` of custom CPUs compares the map's definition with the host
    /// CPU): each with the map's features the host lacks, in the map's order.
    public var mapRefusals: [(model: String, missing: [String])] {
        custom.compactMap { m in
            guard m.usable, let def = map.model(m.name) else { return nil }
            let missing = inMapOrder(def.features.filter { !fullFeatures.contains($0) })
            return missing.isEmpty ? nil : (m.name, missing)
        }
    }

    /// What the map's definition of `model` needs that the host lacks (libvirt's names, map
    /// order), against the host CPU of libvirt's start-up check; nil when the map does not know the model.
    public func missing(for model: String) -> [String]? {
        map.model(model).map { inMapOrder($0.features.filter { !fullFeatures.contains($0) }) }
    }

    /// The same against the host CPU `compareHypervisorCPU` (virsh hypervisor-cpu-compare, Nova's
    /// start-up check) uses: QEMU's host model.
    public func missingForComparison(_ model: String) -> [String]? {
        map.model(model).map { inMapOrder($0.features.filter { !libvirtHostFeatures.contains($0) }) }
    }

    /// `names` in the order of the map's features (libvirt lists features so).
    func inMapOrder(_ names: [String]) -> [String] {
        names.sorted { (map.position(of: $0) ?? .max, $0) < (map.position(of: $1) ?? .max, $1) }
    }
}
