import HostCPU

/// The node labels KubeVirt's node-labeller (pkg/virt-handler/node-labeller) sets from a node's
/// libvirt, computed offline from a host record.
///
/// The labeller reads `virsh domcapabilities --machine q35` and the host-model CPU expanded by
/// `virsh hypervisor-cpu-baseline --features`, and sets (node_labeller.go, prepareLabels):
/// `cpu-model.node.kubevirt.io/M` for every custom model libvirt calls usable,
/// `cpu-model-migration.node.kubevirt.io/M` for every custom model libvirt lists (usable or not),
/// both less the obsolete models; `cpu-feature.node.kubevirt.io/F` for every feature of the
/// expanded host-model; `host-model-cpu.node.kubevirt.io/M` and
/// `host-model-required-features.node.kubevirt.io/F` (the `require` features) for host-model;
/// `cpu-vendor.node.kubevirt.io/V`; and `node-labeller.kubevirt.io/obsolete-host-model` when
/// host-model is obsolete. Every value is `true`.
public struct KubeVirtLabels: Sendable {
    /// `cpu-model.node.kubevirt.io/` (kubevirt.io/api core/v1 `CPUModelLabel`).
    public static let cpuModel = "cpu-model.node.kubevirt.io/"
    /// `cpu-model-migration.node.kubevirt.io/` (`SupportedHostModelMigrationCPU`).
    public static let cpuModelMigration = "cpu-model-migration.node.kubevirt.io/"
    /// `cpu-feature.node.kubevirt.io/` (`CPUFeatureLabel`).
    public static let cpuFeature = "cpu-feature.node.kubevirt.io/"
    /// `host-model-cpu.node.kubevirt.io/` (`HostModelCPULabel`).
    public static let hostModelCPU = "host-model-cpu.node.kubevirt.io/"
    /// `host-model-required-features.node.kubevirt.io/` (`HostModelRequiredFeaturesLabel`).
    public static let hostModelRequiredFeatures = "host-model-required-features.node.kubevirt.io/"
    /// `cpu-vendor.node.kubevirt.io/` (`CPUModelVendorLabel`).
    public static let cpuVendor = "cpu-vendor.node.kubevirt.io/"
    /// `node-labeller.kubevirt.io/obsolete-host-model` (`NodeHostModelIsObsoleteLabel`).
    public static let obsoleteHostModel = "node-labeller.kubevirt.io/obsolete-host-model"

    /// KubeVirt's default obsolete models (node-labeller/util `DefaultObsoleteCPUModels`), used
    /// unless the cluster's `obsoleteCPUModels` replaces them.
    public static let defaultObsolete: Set<String> = [
        "486", "486-v1", "pentium", "pentium-v1", "pentium2", "pentium2-v1", "pentium3", "pentium3-v1",
        "pentiumpro", "pentiumpro-v1", "coreduo", "coreduo-v1", "n270", "n270-v1", "core2duo", "core2duo-v1",
        "Conroe", "Conroe-v1", "athlon", "athlon-v1", "phenom", "phenom-v1", "qemu64", "qemu64-v1",
        "qemu32", "qemu32-v1", "kvm64", "kvm64-v1", "kvm32", "kvm32-v1", "Opteron_G1", "Opteron_G1-v1",
        "Opteron_G2", "Opteron_G2-v1",
    ]

    /// The labels, key → value, sorted by key when listed.
    public var labels: [String: String]

    /// The labels of `caps` (domain capabilities with or without a CPU map) with `obsolete` models.
    public init(_ caps: LibvirtDomainCapabilities, obsolete: Set<String> = Self.defaultObsolete) throws(HostCPUError) {
        var labels: [String: String] = [:]
        for m in caps.customModels() where !obsolete.contains(m.name) {
            labels[Self.cpuModelMigration + m.name] = "true"
            if m.usable { labels[Self.cpuModel + m.name] = "true" }
        }
        let host = try caps.hostModelParts()
        let features: Set<String>
        if let view = caps.view, let decoded = view.hostModel(record: caps.record) {
            features = decoded.features(in: view.map)
        } else {
            // No map: QEMU's names through libvirt's translation table.
            features = Set(caps.profile.hostModelFeatures.subtracting(caps.record.extraFeatures).map(LibvirtFeatureNames.fromQEMU))
        }
        for f in features { labels[Self.cpuFeature + f] = "true" }
        for f in host.require { labels[Self.hostModelRequiredFeatures + (caps.view == nil ? LibvirtFeatureNames.fromQEMU(f) : f)] = "true" }
        labels[Self.hostModelCPU + host.model] = "true"
        labels[Self.cpuVendor + host.vendor] = "true"
        if obsolete.contains(host.model) { labels[Self.obsoleteHostModel] = "true" }
        self.labels = labels
    }

    /// `key=value` lines, sorted.
    public var lines: [String] { labels.keys.sorted().map { "\($0)=\(labels[$0]!)" } }
}
