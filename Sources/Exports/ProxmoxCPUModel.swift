import CPUQuery
import HostCPU

/// A Proxmox VE custom CPU model: one section of `/etc/pve/virtual-guest/cpu-models.conf`, as
/// Proxmox documents the file (Manual: cpu-models.conf) and parses it (PVE/QemuServer/CPUConfig.pm).
///
/// A section starts with `cpu-model: NAME` (VMs then use `custom-NAME`); its options follow, one a
/// line, indented, the value after one space: `flags +a;-b` (QEMU's flag names), `reported-model`
/// (the QEMU model whose name and vendor the guest sees: one of Proxmox's known models), and
/// optionally `phys-bits` (8-64 or `host`) and `hidden` (0/1).
public struct ProxmoxCPUModel: Sendable, Equatable {
    /// The models Proxmox accepts as `reported-model` (the keys of `$cpu_vendor_list` in
    /// CPUConfig.pm, qemu-server 9.x).
    public static let reportedModels: Set<String> = [
        "486", "pentium", "pentium2", "pentium3", "coreduo", "core2duo", "Conroe", "Penryn", "Nehalem", "Nehalem-IBRS",
        "Westmere", "Westmere-IBRS", "SandyBridge", "SandyBridge-IBRS", "IvyBridge", "IvyBridge-IBRS", "Haswell",
        "Haswell-IBRS", "Haswell-noTSX", "Haswell-noTSX-IBRS", "Broadwell", "Broadwell-IBRS", "Broadwell-noTSX",
        "Broadwell-noTSX-IBRS", "Skylake-Client", "Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS", "Skylake-Client-v4",
        "Skylake-Server", "Skylake-Server-IBRS", "Skylake-Server-noTSX-IBRS", "Skylake-Server-v4", "Skylake-Server-v5",
        "Cascadelake-Server", "Cascadelake-Server-v2", "Cascadelake-Server-noTSX", "Cascadelake-Server-v4",
        "Cascadelake-Server-v5", "Cooperlake", "Cooperlake-v2", "KnightsMill", "Icelake-Client", "Icelake-Client-noTSX",
        "Icelake-Server", "Icelake-Server-noTSX", "Icelake-Server-v3", "Icelake-Server-v4", "Icelake-Server-v5",
        "Icelake-Server-v6", "Icelake-Server-v7", "SapphireRapids", "SapphireRapids-v2", "SapphireRapids-v3",
        "SapphireRapids-v4", "GraniteRapids", "GraniteRapids-v2", "GraniteRapids-v3", "SierraForest", "SierraForest-v2",
        "SierraForest-v3", "ClearwaterForest", "athlon", "phenom", "Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4",
        "Opteron_G5", "EPYC", "EPYC-IBPB", "EPYC-v3", "EPYC-v4", "EPYC-v5", "EPYC-Rome", "EPYC-Rome-v2", "EPYC-Rome-v3",
        "EPYC-Rome-v4", "EPYC-Rome-v5", "EPYC-Milan", "EPYC-Milan-v2", "EPYC-Milan-v3", "EPYC-Genoa", "EPYC-Genoa-v2",
        "EPYC-Turin", "host", "kvm32", "kvm64", "qemu32", "qemu64", "max",
    ]

    /// The section name (without `custom-`).
    public var name: String
    /// The model the guest sees.
    public var reportedModel: String
    /// Features added, QEMU's names.
    public var plus: [String]
    /// Features removed.
    public var minus: [String]
    /// `phys-bits`, when set.
    public var physBits: String?

    /// The entry for a baseline: its winner written as a model Proxmox knows (the winner itself,
    /// else a name QEMU gives the same definition, else the closest known model), with the flags
    /// that make it the baseline's feature set.
    public init(baseline: Baseline, sets: ModelFeatureSets, name: String) throws(ExportError) {
        self.name = name
        physBits = nil
        let target = baseline.common
        let known = CommandLineSearch.candidates(for: target, in: sets).compactMap { c -> CommandLineSearch.Candidate? in
            if Self.reportedModels.contains(c.model) { return c }
            let alias = sets.aliasOf.filter { $0.value == c.model && Self.reportedModels.contains($0.key) }.keys.sorted().first
            return alias.map { name in
                var renamed = c
                renamed.model = name
                return renamed
            }
        }
        // The winner when Proxmox knows it (or a name of it), else the cheapest known model.
        let winner = known.first { $0.model == baseline.guest.model || sets.aliasOf[$0.model] == baseline.guest.model } ?? known.first
        guard let winner else { throw ExportError(.unsupported, "no CPU model Proxmox knows is defined on \(sets.machine)") }
        reportedModel = winner.model
        plus = winner.plus
        minus = winner.minus
    }

    /// The section, as Proxmox writes it (options indented by a tab).
    public var text: String {
        var lines = ["cpu-model: \(name)"]
        let flags = plus.map { "+" + $0 } + minus.map { "-" + $0 }
        if !flags.isEmpty { lines.append("\tflags \(flags.joined(separator: ";"))") }
        if let physBits { lines.append("\tphys-bits \(physBits)") }
        lines.append("\treported-model \(reportedModel)")
        return lines.joined(separator: "\n") + "\n"
    }
}
