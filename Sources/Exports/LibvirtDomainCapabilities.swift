import CPUQuery
import HostCPU

/// The CPU part of libvirt's domain capabilities (`virsh domcapabilities`), computed offline
/// from a host record on one machine type.
///
/// With a libvirt CPU map (``LibvirtCPUMap``) it is what that libvirt prints: the custom list holds
/// the map's models that QEMU offers, in QEMU's order, each `usable` from the host's blockers with
/// the map's `vendor`; host-model is libvirt's choice of map model (``LibvirtHostModel``); feature
/// names are libvirt's. Without a map: every QEMU model, sorted, QEMU's names, and host-model as the
/// shortest named model plus flags. Either way qcpu leaves out what a running vCPU refuses (the
/// runtime probe): host-passthrough and maximum are not offered where `-cpu host` aborts, and
/// host-model holds none of the refused features.
public struct LibvirtDomainCapabilities: Sendable {
    /// The host record.
    public var record: HostRecordFile
    /// The host on the machine type.
    public var profile: HostProfile
    /// The libvirt view, when a CPU map was read.
    public var view: LibvirtView?

    /// Creates the capabilities of `record` on `profile`'s machine type, through `map` when given.
    public init(record: HostRecordFile, profile: HostProfile, map: LibvirtCPUMap? = nil) {
        self.record = record
        self.profile = profile
        view = map.map { LibvirtView(record: record, profile: profile, map: $0) }
    }

    /// libvirt's vendor name for a CPUID vendor string (without a map).
    static func vendor(_ cpuid: String) -> String {
        switch cpuid {
        case "GenuineIntel": return "Intel"
        case "AuthenticAMD": return "AMD"
        case "HygonGenuine": return "Hygon"
        default: return cpuid
        }
    }

    /// host-model without a map: the host model's (migratable) features as the closest named
    /// model plus flags, QEMU's names.
    public func hostModel() throws(HostCPUError) -> CommandLineSearch.Candidate {
        try CommandLineSearch.shortest(for: profile.hostModelFeatures, in: profile.modelSets)
    }

    /// host-model as model, vendor, require and disable features.
    func hostModelParts() throws(HostCPUError) -> (model: String, vendor: String, require: [String], disable: [String]) {
        if let view, let h = view.hostModel(record: record) {
            return (h.model, h.vendor ?? Self.vendor(record.fingerprint.vendor), h.require, h.disable)
        }
        let h = try hostModel()
        return (h.model, Self.vendor(record.fingerprint.vendor), h.plus, h.minus)
    }

    /// The `<domainCapabilities>` document with its `<cpu>` element, in libvirt's layout.
    public func xml() throws(HostCPUError) -> String {
        let host = try hostModelParts()
        // `-cpu host` and `max` pass every offered feature through: where a running vCPU refuses
        // some (the runtime probe), they abort, so they are not offered.
        let passthrough = profile.runtimeRefused.isEmpty ? "yes" : "no"
        var lines = [
            "<domainCapabilities>",
            "  <path>\(escape(record.binary))</path>",
            "  <domain>kvm</domain>",
            "  <machine>\(escape(profile.machine))</machine>",
            "  <arch>\(escape(record.arch))</arch>",
            "  <cpu>",
            "    <mode name='host-passthrough' supported='\(passthrough)'>",
            "      <enum name='hostPassthroughMigratable'>",
            "        <value>on</value>",
            "        <value>off</value>",
            "      </enum>",
            "    </mode>",
            "    <mode name='maximum' supported='\(passthrough)'>",
            "      <enum name='maximumMigratable'>",
            "        <value>on</value>",
            "        <value>off</value>",
            "      </enum>",
            "    </mode>",
            "    <mode name='host-model' supported='yes'>",
            "      <model fallback='forbid'>\(escape(host.model))</model>",
            "      <vendor>\(escape(host.vendor))</vendor>",
        ]
        lines += host.require.map { "      <feature policy='require' name='\(escape($0))'/>" }
        lines += host.disable.map { "      <feature policy='disable' name='\(escape($0))'/>" }
        lines += ["    </mode>", "    <mode name='custom' supported='yes'>"]
        for m in customModels() {
            let vendor = view == nil ? "" : " vendor='\(escape(m.vendor ?? "unknown"))'"
            let canonical = m.canonical.map { " canonical='\(escape($0))'" } ?? ""
            lines.append("      <model usable='\(m.usable ? "yes" : "no")'\(vendor)\(canonical)>\(escape(m.name))</model>")
            if !m.blockers.isEmpty {
                lines.append("      <blockers model='\(escape(m.name))'>")
                lines += m.blockers.map { "        <feature name='\(escape($0))'/>" }
                lines.append("      </blockers>")
            }
        }
        lines += ["    </mode>", "  </cpu>", "</domainCapabilities>"]
        return lines.joined(separator: "\n")
    }

    /// The custom list: the view's, or without a map every named model, sorted, QEMU's names.
    public func customModels() -> [LibvirtView.CustomModel] {
        if let view { return view.custom }
        return profile.modelSets.models.keys.sorted().filter { !ModelFeatureSets.pseudoModels.contains($0) }.map { name in
            let b = profile.blockers(of: name) ?? []
            return .init(name: name, usable: b.isEmpty, vendor: nil, canonical: profile.modelSets.aliasOf[name], blockers: b)
        }
    }

    private func escape(_ s: String) -> String { BoundedXML.escaped(s) }
}
