/// The small interface through which the query side asks for fresh data from a real QEMU.
///
/// The harvester implements it; the query module depends only on this protocol, so data still
/// flows one way (QEMU → harvester → snapshot → query).
public protocol LiveProbing: Sendable {
    /// Probes `request` on a live QEMU and returns the rows as a snapshot.
    func probe(_ request: ProbeRequest) async throws -> Snapshot
}

/// What a live probe should harvest: one binary, some machine types, one accelerator.
public struct ProbeRequest: Sendable, Equatable {
    /// The QEMU binary.
    public var qemu: String
    /// Machine-type globs.
    public var machines: [String]
    /// Accelerator (`tcg`, `kvm`).
    public var accel: String
    /// Model globs; empty for all.
    public var models: [String]

    /// Creates a request.
    public init(qemu: String, machines: [String], accel: String, models: [String] = []) {
        self.qemu = qemu
        self.machines = machines
        self.accel = accel
        self.models = models
    }
}
