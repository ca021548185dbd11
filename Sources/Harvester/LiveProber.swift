import SnapshotStore

/// The harvester behind the query module's live fallback: one binary probe and the requested
/// sessions, as a snapshot fragment.
public struct LiveProber: LiveProbing {
    /// Timeout per QMP command.
    public var timeout: Duration

    /// Creates a prober.
    public init(timeout: Duration = .seconds(30)) { self.timeout = timeout }

    /// Harvests `request`.
    public func probe(_ request: ProbeRequest) async throws -> Snapshot {
        var options = HarvestOptions()
        options.binaries = [request.qemu]
        options.accelerators = [request.accel]
        options.machineGlobs = request.machines
        options.modelGlobs = request.models
        options.timeout = timeout
        options.sourceDateEpoch = 0
        return try await Harvester(options: options).run().snapshot
    }
}
