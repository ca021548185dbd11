import CPUQuery
import Foundation
import HostCPU

/// `qcpu-bench host RECORD MACHINE DIR`: the enforce preview of every model for one host
/// (the record opened afresh each time, as a CLI run would) and the baseline of every host
/// record in DIR, each with random features removed from all but the first (seeded), so the
/// hosts differ. Prints one JSON line: medians in milliseconds.
enum HostLatency {
    static func run(_ args: [String]) throws {
        guard args.count >= 3 else {
            FileHandle.standardError.write(Data("usage: qcpu-bench host RECORD MACHINE DIR\n".utf8))
            exit(64)
        }
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

        var preview: [Double] = []
        var models = 0, blocked = 0
        for _ in 0..<21 {
            let start = clock.now
            let profile = try HostRecordFile(path: args[0]).profile(machine: args[1])
            let names = profile.modelSets.models.keys.sorted()
            blocked = names.filter { !(profile.blockers(of: $0) ?? []).isEmpty }.count
            preview.append(ms(clock.now - start))
            models = names.count
        }

        let files = try FileManager.default.contentsOfDirectory(atPath: args[2]).filter { $0.hasSuffix(".sqlite") }.sorted()
        var baseline: [Double] = []
        var result = ""
        for _ in 0..<5 {
            var rng = UInt64(20261128)
            let start = clock.now
            var profiles: [HostProfile] = []
            for (i, f) in files.enumerated() {
                var p = try HostRecordFile(path: args[2] + "/" + f).profile(machine: args[1])
                if i > 0 {
                    let features = p.supported.sorted()
                    var drop = Set<String>()
                    for _ in 0..<3 {
                        rng = rng &* 6364136223846793005 &+ 1442695040888963407
                        drop.insert(features[Int((rng >> 33) % UInt64(features.count))])
                    }
                    p = p.removing(drop, name: f)
                }
                profiles.append(p)
            }
            result = try Baseline.compute(profiles, migratable: false).guest.option
            baseline.append(ms(clock.now - start))
        }
        print(String(format: "{\"models\": %d, \"blocked\": %d, \"preview_ms\": %.2f, \"hosts\": %d, \"baseline_ms\": %.1f, \"baseline_cpu_flags\": %d}",
                     models, blocked, median(preview), files.count, median(baseline), result.split(separator: ",").count - 1))
    }
}
