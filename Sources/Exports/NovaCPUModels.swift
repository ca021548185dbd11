import Foundation
import HostCPU

/// A precheck of Nova's custom CPU configuration (`[libvirt] cpu_models` with
/// `cpu_model_extra_flags`) against hosts: what `nova-compute` checks at start-up on each host
/// (`_check_cpu_compatibility` in nova/virt/libvirt/driver.py: every model, with every flag,
/// through libvirt's `compareHypervisorCPU`), computed offline.
///
/// Flags are Nova's: case-insensitive, `+flag` or `flag` to require, `-flag` to disable.
public struct NovaCPUModels: Sendable, Equatable {
    /// The configured models, in order.
    public var models: [String]
    /// Required flags (lower case, libvirt's names).
    public var require: [String]
    /// Disabled flags.
    public var disable: [String]

    /// Creates a configuration.
    public init(models: [String], flags: [String]) throws(ExportError) {
        self.models = models.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !self.models.isEmpty else { throw ExportError(.badInput, "no CPU model given (cpu_models = Model1, Model2)") }
        require = []
        disable = []
        for raw in flags {
            let flag = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if flag.isEmpty { continue }
            let name = flag.hasPrefix("-") || flag.hasPrefix("+") ? String(flag.dropFirst()) : flag
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ExportError(.badInput, "'\(raw.prefix(40))' is not a CPU flag (+flag, -flag or flag)")
            }
            if flag.hasPrefix("-") { disable.append(name) } else { require.append(name) }
        }
    }

    /// Reads `[libvirt] cpu_models` (or the older `cpu_model`) and `cpu_model_extra_flags` from a
    /// nova.conf's text (oslo.config's INI: `key = value`, `#` and `;` comments, list values
    /// separated by commas).
    public init(novaConf text: String) throws(ExportError) {
        var section = "", values: [String: String] = [:]
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw ExportError(.badInput, "nova.conf line \(n + 1): bad section header '\(line.prefix(40))'") }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ExportError(.badInput, "nova.conf line \(n + 1): '\(line.prefix(40))' is not 'key = value'")
            }
            if section == "libvirt" {
                values[line[..<eq].trimmingCharacters(in: .whitespaces)] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
        }
        if let mode = values["cpu_mode"], mode != "custom" {
            throw ExportError(.badInput, "nova.conf: [libvirt] cpu_mode is '\(mode.prefix(20))': cpu_models are used only with cpu_mode = custom")
        }
        let models = values["cpu_models"] ?? values["cpu_model"] ?? ""
        try self.init(models: models.split(separator: ",").map(String.init),
                      flags: (values["cpu_model_extra_flags"] ?? "").split(separator: ",").map(String.init))
    }

    /// One model on one host.
    public struct Verdict: Sendable, Equatable {
        /// The model as configured.
        public var model: String
        /// The host.
        public var host: String
        /// The model's name in libvirt's map (Nova matches names case-insensitively), nil when unknown.
        public var libvirtModel: String?
        /// What libvirt's comparison finds missing (libvirt's names, the map's order): nova-compute
        /// refuses to start when non-empty or when the map lacks the model.
        public var missing: [String]
        /// What `-cpu MODEL,flags,enforce` would refuse (QEMU's names): the guest does not get them.
        public var qemuBlockers: [String]

        /// Whether nova-compute starts with this model on this host.
        public var accepted: Bool { libvirtModel != nil && missing.isEmpty }
    }

    /// The verdict for every model on the host seen through `view`.
    public func check(_ view: LibvirtView) -> [Verdict] {
        let p = view.profile
        let space = p.modelSets.space
        let qemuPlus = Set(require.compactMap { space.resolve(LibvirtFeatureNames.toQEMU($0)) })
        let qemuMinus = Set(disable.compactMap { space.resolve(LibvirtFeatureNames.toQEMU($0)) })
        return models.map { model in
            let mapped = view.map.models.first { $0.name.lowercased() == model.lowercased() }
            var needed = mapped.map { Set($0.features) } ?? []
            needed.formUnion(require) // a flag the map does not know cannot be provided either
            needed.subtract(disable)
            let missing = needed.filter { !view.libvirtHostFeatures.contains($0) }
                .sorted { (view.map.position(of: $0) ?? .max, $0) < (view.map.position(of: $1) ?? .max, $1) }
            let qemuName = p.modelSets.models.keys.first { $0.lowercased() == model.lowercased() }
            let blockers = qemuName.flatMap { p.modelSets.models[$0] }
                .map { $0.union(qemuPlus).subtracting(qemuMinus).subtracting(p.supported).sorted() } ?? []
            return Verdict(model: model, host: p.host, libvirtModel: mapped?.name, missing: missing, qemuBlockers: blockers)
        }
    }
}
