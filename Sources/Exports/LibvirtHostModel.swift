/// libvirt's host-model CPU: the host's features written as one model of the CPU map plus
/// `require` and `disable` features, chosen as libvirt 9.0's x86 driver chooses it for
/// domain capabilities (`x86Decode` in src/cpu/cpu_x86.c, for a guest CPU definition).
///
/// libvirt walks the map's models newest (last) first, keeps those QEMU offers, of the host's
/// vendor (or of none) and with `<decode guest='on'>`, and writes the host's features against each:
/// `require` the host's features the model lacks, `disable` the model's features the host lacks
/// and the features QEMU reports as blocking the model, then the model's `removed` features. A
/// candidate wins over the current choice when it matches the host's family/model signature and
/// the current one does not; otherwise when its list is cheaper: one per required feature, and
/// 2, 3, 4, ... for the first, second, third ... disabled one (ties go to fewer disabled). Intel
/// CPUs with broken TSX (family 6, models 60, 69, 70, and 63 before stepping 4) lose `hle` and `rtm`.
public struct LibvirtHostModel: Sendable, Equatable {
    /// The chosen model.
    public var model: String
    /// libvirt's vendor name (nil when the map does not know the host's vendor).
    public var vendor: String?
    /// `require` features, in the map's feature order.
    public var require: [String]
    /// `disable` features: in the map's order, then the model's removed features.
    public var disable: [String]

    /// The host's CPU as libvirt sees it: its features (libvirt's names, only those the map
    /// knows), vendor and signature, and the models QEMU offers with their blockers.
    public struct Host: Sendable {
        /// The host's features in libvirt's names.
        public var features: Set<String>
        /// libvirt's vendor name.
        public var vendor: String?
        /// CPUID family, model and stepping.
        public var family: Int, model: Int, stepping: Int
        /// The models QEMU offers (any order), with the features it says block each (libvirt names).
        public var qemuModels: [String: [String]]

        /// Creates a host.
        public init(features: Set<String>, vendor: String?, family: Int, model: Int, stepping: Int, qemuModels: [String: [String]]) {
            self.features = features
            self.vendor = vendor
            self.family = family
            self.model = model
            self.stepping = stepping
            self.qemuModels = qemuModels
        }
    }

    /// libvirt's choice for `host` with `map`, nil when no model of the map fits.
    public static func decode(_ host: Host, map: LibvirtCPUMap) -> LibvirtHostModel? {
        var data = host.features
        if host.vendor == "Intel", host.family == 6,
           [60, 69, 70].contains(host.model) || (host.model == 63 && host.stepping < 4) {
            data.subtract(["hle", "rtm"])
        }
        func matches(_ m: LibvirtCPUMap.Model) -> Bool {
            m.signatures.contains { $0.matches(family: host.family, model: host.model, stepping: host.stepping) }
        }
        func ordered(_ names: Set<String>) -> [String] {
            names.sorted { (map.position(of: $0) ?? .max, $0) < (map.position(of: $1) ?? .max, $1) }
        }
        var best: (model: LibvirtCPUMap.Model, cpu: LibvirtHostModel)?
        for candidate in map.models.reversed() {
            guard let blockers = host.qemuModels[candidate.name] else { continue }
            if let v = host.vendor, let mv = candidate.vendor, v != mv { continue }
            let modelFeatures = Set(candidate.features)
            let extra = data.subtracting(modelFeatures)
            var missing = modelFeatures.subtracting(data)
            for b in blockers where map.feature(b) != nil && !extra.contains(b) { missing.insert(b) }
            var disable = ordered(missing)
            let require = ordered(extra)
            for r in candidate.removed where !require.contains(r) && !disable.contains(r) { disable.append(r) }
            guard candidate.decodeGuest else { continue }
            let cpu = LibvirtHostModel(model: candidate.name, vendor: host.vendor, require: require, disable: disable)
            guard let current = best else {
                best = (candidate, cpu)
                continue
            }
            if matches(current.model) && !matches(candidate) { continue }
            if !matches(current.model) && matches(candidate) {
                best = (candidate, cpu)
                continue
            }
            let (score, disabled) = cpu.cost, (currentScore, currentDisabled) = current.cpu.cost
            if score < currentScore || (score == currentScore && disabled < currentDisabled) { best = (candidate, cpu) }
        }
        return best?.cpu
    }

    /// libvirt's cost of the feature list (`virCPUx86CompareCandidateFeatureList`): each required
    /// feature counts 1, the disabled ones 2, 3, 4, ...; and the disabled part alone.
    var cost: (total: Int, disabled: Int) {
        let disabled = (0..<disable.count).reduce(0) { $0 + 2 + $1 }
        return (require.count + disabled, disabled)
    }

    /// Every feature the CPU has (libvirt's names): the model's plus `require` less `disable`.
    public func features(in map: LibvirtCPUMap) -> Set<String> {
        Set(map.model(model)?.features ?? []).union(require).subtracting(disable)
    }
}
