/// Sizes of a snapshot's content.
public struct SnapshotCounts: Sendable, Equatable, Codable {
    /// QEMU binaries.
    public var binaries: Int
    /// Machine types, over all binaries.
    public var machineTypes: Int
    /// CPU model names, over all binaries.
    public var models: Int
    /// QEMU processes (binary × machine type × accelerator).
    public var sessions: Int
    /// `query-cpu-definitions` rows.
    public var definitions: Int
    /// Successful expansions.
    public var expansions: Int
    /// Expansions QEMU answered with an error.
    public var failedExpansions: Int
    /// Distinct property sets stored.
    public var distinctPropertySets: Int
    /// Distinct (name, value) pairs stored.
    public var distinctProperties: Int

    /// Creates counts.
    public init(binaries: Int, machineTypes: Int, models: Int, sessions: Int, definitions: Int,
                expansions: Int, failedExpansions: Int, distinctPropertySets: Int, distinctProperties: Int) {
        self.binaries = binaries
        self.machineTypes = machineTypes
        self.models = models
        self.sessions = sessions
        self.definitions = definitions
        self.expansions = expansions
        self.failedExpansions = failedExpansions
        self.distinctPropertySets = distinctPropertySets
        self.distinctProperties = distinctProperties
    }
}
