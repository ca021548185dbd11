import CPUQuery
import Foundation
import HostCPU
import QMP
import SnapshotStore

/// Host records made from a real one: the same host with some features taken away, as a host of
/// an older CPU generation (or one whose hypervisor masks more) would record it.
public enum SyntheticHosts {
    /// The features a real record's host offers on `machine` (canonical names, sorted), and the
    /// record loaded whole, to derive synthetic hosts from.
    public static func source(_ path: String, machine: String) throws -> (snapshot: Snapshot, space: FeatureSpace, supported: [String]) {
        let record = try HostRecordFile(path: path)
        let profile = try record.profile(machine: machine)
        return (try SnapshotReader(path: path).load(), record.space, profile.supported.sorted())
    }

    /// `snapshot` (a host record) whose host lacks `features`: every spelling of them turned off
    /// in the `host` expansions of every machine type (both variants), and out of the realize
    /// probe's extra features; the fingerprint's kernel is `kernel` when given.
    public static func removing(_ features: Set<String>, from snapshot: Snapshot, space: FeatureSpace,
                                kernel: String? = nil) -> Snapshot {
        var s = snapshot
        for i in s.expansions.indices where s.expansions[i].key.model == "host" {
            guard case .expanded(let model, let props) = s.expansions[i].outcome else { continue }
            let changed = props.properties.map { p -> PropertySet.Property in
                guard p.value.boolValue == true, let c = space.resolve(p.name), features.contains(c) else { return p }
                return .init(name: p.name, value: .bool(false))
            }
            s.expansions[i].outcome = .expanded(model: model, props: PropertySet(sorted: changed))
        }
        s.meta.hostExtraFeatures = s.meta.hostExtraFeatures?.filter { space.resolve($0).map { !features.contains($0) } ?? true }
        if let kernel {
            for i in s.sessions.indices { s.sessions[i].host?.kernel = kernel }
        }
        return s
    }

    /// `count` features of `supported` picked by `rng`, never one of `keep`.
    public static func pick(_ count: Int, of supported: [String], keep: Set<String> = [],
                            using rng: inout some RandomNumberGenerator) -> Set<String> {
        let pool = supported.filter { !keep.contains($0) }
        var picked = Set<String>()
        while picked.count < min(count, pool.count) { picked.insert(pool.randomElement(using: &rng)!) }
        return picked
    }

    /// A directory of five host records made from the recorded capture: the capture itself
    /// (`a-recorded.sqlite`), a host identical to it with another kernel (`b-same.example.com`),
    /// two identical hosts without `movdiri` and `pse36` (`c-old`, `d-old`) and one without `cx8`
    /// (`e-nocx8`), each written through `SnapshotWriter`; and the capture's own path.
    public static func fleetDirectory() async throws -> (dir: String, recorded: String) {
        let recorded = try await TestSupport.recordedHostRecord()
        let dir = try TestSupport.temporaryDirectory()
        let source = try Self.source(recorded, machine: "pc-q35-7.2")
        func write(_ features: Set<String>, kernel: String? = nil, _ name: String) throws {
            try SnapshotWriter().write(removing(features, from: source.snapshot, space: source.space, kernel: kernel), to: dir + "/" + name)
        }
        try FileManager.default.copyItem(atPath: recorded, toPath: dir + "/a-recorded.sqlite")
        try write([], kernel: "6.1.0-31-amd64", "b-same.example.com")
        try write(["movdiri", "pse36"], "c-old")
        try write(["movdiri", "pse36"], kernel: "6.12.9", "d-old")
        try write(["cx8"], "e-nocx8")
        return (dir, recorded)
    }
}
