import Foundation
import QMP

/// What to harvest and how.
public struct HarvestOptions: Sendable {
    /// QEMU binaries to probe (paths); empty means every `qemu-system-*` on `PATH`.
    public var binaries: [String] = []
    /// Accelerators to harvest; empty means every usable one (KVM when `/dev/kvm` works, TCG always).
    public var accelerators: [String] = []
    /// Machine-type globs; empty means all.
    public var machineGlobs: [String] = []
    /// CPU-model globs; empty means all.
    public var modelGlobs: [String] = []
    /// QEMU processes run at once.
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The slice of sessions to harvest, or nil for all.
    public var shard: Shard?
    /// Timeout for every QMP command.
    public var timeout: Duration = .seconds(30)
    /// Write every QMP conversation as a `.replies` transcript here.
    public var recordDirectory: String?
    /// Harvest from transcripts in this directory instead of QEMU.
    public var replayDirectory: String?
    /// The harvest time to record (`SOURCE_DATE_EPOCH`), or nil for now.
    public var sourceDateEpoch: Int64?
    /// Extra arguments for every QEMU command line (e.g. `-L DIR` for an unpacked QEMU's firmware);
    /// not stored in the snapshot.
    public var extraArguments: [String] = []
    /// A program that runs every QEMU, given the binary's path as its first argument (e.g.
    /// `scripts/run-in-tree.sh`: another Debian suite's loader and libraries); the binaries are still
    /// measured (name, size, SHA-256) from their own paths. Not stored in the snapshot.
    public var launcher: String?
    /// The `query-cpu-model-expansion` types asked for every model (a host capture needs only `full`).
    public var expansionTypes: [String] = ["full", "static"]
    /// Whether to record `qom-list-properties` of every CPU type (a host capture does not).
    public var qomTypes = true
    /// Whether to record the CPU model table of binaries whose QEMU compares and baselines models
    /// (s390x; about 13 s per binary; the live fallback does not).
    public var modelTables = true

    /// Replays may skip recorded exchanges nobody asks for (a light host capture replaying a
    /// recording of a full one).
    public var replaySkipsUnasked = false

    /// KVM sessions ask only the `host` expansions, without `query-cpu-definitions` (a light host
    /// capture: QEMU answers the definitions of every model under KVM, which costs it a CPU
    /// instance per model, and a light record keeps none of them).
    public var hostExpansionsOnly = false

    /// KVM sessions record only what does not depend on the host (for release snapshots): the
    /// named models' definitions and full expansions without the host's `vendor`, no
    /// `unavailable-features`, no `host`/`max`, no host fingerprint; plus, per binary, the features
    /// QEMU's KVM accepts on any host but `host` does not turn on (`kvm_extra_features:<binary>`).
    public var kvmModelsOnly = false

    /// Creates default options.
    public init() {}

    /// Where sessions come from: transcripts in ``replayDirectory``, else a live QEMU (recorded
    /// into ``recordDirectory`` when set).
    var sessionProvider: any QMPSessionProvider {
        if let replayDirectory { return ReplaySessionProvider(directory: replayDirectory, skipsUnasked: replaySkipsUnasked) }
        return LiveSessionProvider(timeout: timeout, recordDirectory: recordDirectory, launcher: launcher)
    }
}

/// `K/N`: the K-th of N slices of a harvest's sessions (1-based).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// Which slice, 1...count.
    public var index: Int
    /// How many slices.
    public var count: Int

    /// Parses `K/N`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            return nil
        }
        index = k
        count = n
    }

    /// Whether the session at position `i` of the sorted session list is in this slice.
    public func contains(_ i: Int) -> Bool { i % count == index - 1 }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }
}

/// Reads `SOURCE_DATE_EPOCH` from the environment: nil when unset, an error when malformed.
public func sourceDateEpoch(from environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(HarvestError) -> Int64?
{
    guard let text = environment["SOURCE_DATE_EPOCH"] else { return nil }
    guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
        throw HarvestError(.badInput, "SOURCE_DATE_EPOCH must be a non-negative integer, got '\(text)'")
    }
    return value
}
