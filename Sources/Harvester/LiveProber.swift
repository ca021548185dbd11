import SnapshotStore

/// The harvester behind the query module's live fallback: one binary probe and the requested
/// sessions, as a snapshot fragment.
public struct LiveProber: LiveProbing {
    /// Timeout per QMP command.
    public var timeout: Duration
    /// Extra arguments for every QEMU command line (`-L DIR` for an unpacked QEMU's firmware).
    public var extraArguments: [String]
    /// Called as each session finishes.
    public var progress: Harvester.Progress?

    /// Creates a prober.
    public init(timeout: Duration = .seconds(30), extraArguments: [String] = [], progress: Harvester.Progress? = nil) {
        self.timeout = timeout
        self.extraArguments = extraArguments
        self.progress = progress
    }

    /// Harvests `request`.
    public func probe(_ request: ProbeRequest) async throws -> Snapshot {
        var options = HarvestOptions()
        options.binaries = [request.qemu]
        options.accelerators = [request.accel]
        options.machineGlobs = request.machines
        options.modelGlobs = request.models
        options.timeout = timeout
        options.extraArguments = extraArguments
        options.sourceDateEpoch = 0
        options.modelTables = false
        return try await Harvester(options: options).run(progress: progress).snapshot
    }
}
