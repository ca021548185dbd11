import CPUQuery

/// The CPU part of libvirt's domain capabilities (`virsh domcapabilities`), computed offline
/// from a host record: host-model as a named model plus flags, and every custom model with
/// `usable` and its blockers, on one machine type.
public struct DomainCapabilities: Sendable {
    /// The host record.
    public var record: HostRecordFile
    /// The host on the machine type.
    public var profile: HostProfile

    /// Creates the capabilities of `record` on `profile`'s machine type.
    public init(record: HostRecordFile, profile: HostProfile) {
        self.record = record
        self.profile = profile
    }

    /// libvirt's vendor name for a CPUID vendor string.
    static func vendor(_ cpuid: String) -> String {
        switch cpuid {
        case "GenuineIntel": return "Intel"
        case "AuthenticAMD": return "AMD"
        case "HygonGenuine": return "Hygon"
        default: return cpuid
        }
    }

    /// host-model: the host model's (migratable) features as the closest named model plus flags.
    public func hostModel() throws(HostCPUError) -> CommandLineSearch.Candidate {
        let target = profile.hostModelFeatures
        return try CommandLineSearch.shortest(for: target, in: profile.modelSets)
    }

    /// The `<domainCapabilities>` document with its `<cpu>` element, in libvirt's layout.
    public func xml() throws(HostCPUError) -> String {
        let host = try hostModel()
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
            "      <vendor>\(escape(Self.vendor(record.fingerprint.vendor)))</vendor>",
        ]
        lines += host.plus.map { "      <feature policy='require' name='\(escape($0))'/>" }
        lines += host.minus.map { "      <feature policy='disable' name='\(escape($0))'/>" }
        lines += ["    </mode>", "    <mode name='custom' supported='yes'>"]
        for model in profile.modelSets.models.keys.sorted() where !ModelFeatureSets.pseudoModels.contains(model) {
            let blockers = profile.blockers(of: model) ?? []
            let canonical = profile.modelSets.aliasOf[model].map { " canonical='\(escape($0))'" } ?? ""
            lines.append("      <model usable='\(blockers.isEmpty ? "yes" : "no")'\(canonical)>\(escape(model))</model>")
            if !blockers.isEmpty {
                lines.append("      <blockers model='\(escape(model))'>")
                lines += blockers.map { "        <feature name='\(escape($0))'/>" }
                lines.append("      </blockers>")
            }
        }
        lines += ["    </mode>", "  </cpu>", "</domainCapabilities>"]
        return lines.joined(separator: "\n")
    }

    private func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "'": out += "&apos;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
