import Foundation
import QCPUTestSupport
import SnapshotStore

/// `qcpu-bench fleet RECORD MACHINE N DIR [DISTINCT] [SEED]`: writes N synthetic host records
/// into DIR, made from the real host record RECORD: DISTINCT CPUs (default 20), each the real
/// host with 0 to 14 seeded-random CPU features (supported on MACHINE; not KVM's `kvm-*`) taken out of its `host`
/// expansions; each host picks a CPU (a few CPUs are common, as in a real fleet) and one of
/// three kernels, so hosts with equal facts still have different files. Each distinct
/// (CPU, kernel) is written once through `SnapshotWriter`, the other hosts are copies of it.
/// Prints one JSON line.
enum FleetRecords {
    static let kernels = ["6.1.0-28-amd64", "6.1.0-31-amd64", "6.12.9+bpo-amd64"]

    static func run(_ args: [String]) throws {
        guard args.count >= 4, let count = Int(args[2]), count > 0 else {
            FileHandle.standardError.write(Data("usage: qcpu-bench fleet RECORD MACHINE N DIR [DISTINCT] [SEED]\n".utf8))
            exit(64)
        }
        let distinct = args.count > 4 ? Int(args[4]) ?? 20 : 20
        var rng = SplitMix(state: args.count > 5 ? UInt64(args[5]) ?? 2026 : 2026)
        let start = ContinuousClock.now
        let source = try SyntheticHosts.source(args[0], machine: args[1])
        let dir = args[3]
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // CPU features, not KVM's paravirtual ones (every KVM host has those).
        let cpuFeatures = source.supported.filter { !$0.hasPrefix("kvm") && $0 != "hypervisor" }
        let cpus: [Set<String>] = (0..<distinct).map { i in
            i == 0 ? [] : SyntheticHosts.pick(Int(rng.next() % 15), of: cpuFeatures, using: &rng)
        }
        var written: [String: String] = [:]
        for i in 0..<count {
            // Zipf-like: CPU k with weight 1/(k+1).
            let weights = (0..<distinct).map { 1.0 / Double($0 + 1) }
            var x = Double(rng.next() % 1_000_000) / 1_000_000 * weights.reduce(0, +)
            var cpu = 0
            while cpu < distinct - 1, x >= weights[cpu] { x -= weights[cpu]; cpu += 1 }
            let kernel = kernels[Int(rng.next() % UInt64(kernels.count))]
            let path = dir + String(format: "/host-%05d.sqlite", i + 1)
            let key = "\(cpu) \(kernel)"
            if let original = written[key] {
                try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.copyItem(atPath: original, toPath: path)
            } else {
                let s = SyntheticHosts.removing(cpus[cpu], from: source.snapshot, space: source.space, kernel: kernel)
                try SnapshotWriter().write(s, to: path)
                written[key] = path
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        print(String(format: "{\"hosts\": %d, \"distinct_cpus\": %d, \"distinct_files\": %d, \"seconds\": %.1f}",
                     count, distinct, written.count, seconds))
    }
}
