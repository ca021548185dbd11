import CPUQuery

/// One host on one machine type: what KVM there supports and how each model resolves.
public struct HostProfile: Sendable {
    /// The host's name (its record's file name).
    public var host: String
    /// The machine type.
    public var machine: String
    /// Features `-cpu X,enforce` accepts on this host: the `host,migratable=off` expansion plus the
    /// supported features QEMU does not auto-enable.
    public var supported: Set<String>
    /// The migratable subset: the `host` expansion (migratable=on) plus those features.
    public var migratableSupported: Set<String>
    /// Every model's features under KVM on this machine type.
    public var modelSets: ModelFeatureSets
    /// `unavailable-features` as QEMU reported them at capture (for reference; previews do not use them).
    public var recordedUnavailable: [String: [String]]
    /// Features KVM offers here (so `enforce` accepts them) that a running vCPU refuses: never proposed.
    public var runtimeRefused: Set<String>

    /// Creates a profile.
    public init(host: String, machine: String, supported: Set<String>, migratableSupported: Set<String>,
                modelSets: ModelFeatureSets, recordedUnavailable: [String: [String]] = [:],
                runtimeRefused: Set<String> = []) {
        self.host = host
        self.machine = machine
        self.supported = supported
        self.migratableSupported = migratableSupported
        self.modelSets = modelSets
        self.recordedUnavailable = recordedUnavailable
        self.runtimeRefused = runtimeRefused
    }

    /// What a proposed `-cpu` line may hold: the supported features a running vCPU takes.
    public var offerable: Set<String> { supported.subtracting(runtimeRefused) }
    /// The migratable part of ``offerable``.
    public var migratableOfferable: Set<String> { migratableSupported.subtracting(runtimeRefused) }

    /// The `host` model's features (migratable) that a running vCPU takes: libvirt's host-model.
    public var hostModelFeatures: Set<String> { (modelSets.models["host"] ?? migratableSupported).subtracting(runtimeRefused) }

    /// Features the host has but that block migration (`invtsc`, ...).
    public var nonMigratable: Set<String> { supported.subtracting(migratableSupported) }

    /// The features `-cpu model,enforce` would refuse here, sorted; nil for an unknown model.
    public func blockers(of model: String) -> [String]? {
        modelSets.models[model].map { $0.subtracting(supported).sorted() }
    }

    /// The features of `model`, or an unknown-name error with suggestions.
    public func features(of model: String) throws(HostCPUError) -> Set<String> {
        guard let f = modelSets.models[model] else {
            throw .unknown("CPU model", model, among: Array(modelSets.models.keys),
                           context: "on \(machine) in host record \(host)")
        }
        return f
    }

    /// A copy whose host lacks `features` (for what-if questions and tests).
    public func removing(_ features: Set<String>, name: String) -> HostProfile {
        var copy = self
        copy.host = name
        copy.supported.subtract(features)
        copy.migratableSupported.subtract(features)
        return copy
    }
}
