import Foundation
import Harvester
import HostCPU
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// qcpu's offline comparison and baseline of s390x models against QEMU's own
/// `query-cpu-model-comparison` and `query-cpu-model-baseline`, on every pair of models.
@Suite(.serialized) struct ModelAlgebraTests {
    static let qemu = "/usr/bin/qemu-system-s390x"

    /// One harvest shared by the tests.
    static let shared = Task { try await harvested() }

    /// A live TCG harvest of `-machine none` of qemu-system-s390x, with its CPU model table.
    static func harvested() async throws -> (SnapshotReader, CPUModelAlgebra) {
        var options = HarvestOptions()
        options.binaries = [qemu]
        options.accelerators = ["tcg"]
        options.machineGlobs = ["none"]
        options.sourceDateEpoch = 0
        let path = try TestSupport.temporaryDirectory() + "/s390x.sqlite"
        try SnapshotWriter().write(try await Harvester(options: options).run().snapshot, to: path)
        let reader = try SnapshotReader(path: path)
        return (reader, try #require(try CPUModelAlgebra.open(reader, binary: "qemu-system-s390x")))
    }

    static func model(_ name: String, _ props: [(String, Bool)]) -> JSONValue {
        props.isEmpty ? ["name": .string(name)]
            : ["name": .string(name), "props": .object(Dictionary(props.map { ($0.0, .bool($0.1)) }, uniquingKeysWith: { _, b in b }))]
    }

    @Test func compareAndBaselineAgreeWithQEMUOnEveryPair() async throws {
        let (reader, algebra) = try await Self.shared.value
        let binary = "qemu-system-s390x"
        let names = try reader.definitions(binary: binary, machine: "none", accel: "tcg").map(\.name).sorted()
        #expect(names.count == 78 && names.contains("gen16b") && names.contains("z900-base"))
        var models: [String: CPUModelAlgebra.Model] = [:]
        for n in names { models[n] = try algebra.model(GuestCPU(model: n), reader: reader, binary: binary, machine: "none", accel: "tcg") }

        // Every ordered pair of models as defined, then 400 pairs with random switches (leaves and groups).
        var cases: [(a: String, pa: [(String, Bool)], b: String, pb: [(String, Bool)])] = []
        for a in names { for b in names { cases.append((a, [], b, [])) } }
        var rng = SplitMix(state: 0x5390)
        let switchable = algebra.table.features + algebra.table.groups.map(\.name)
        func tweak() -> [(String, Bool)] {
            // Switches that touch no common feature, so the order QEMU applies them in does not matter.
            var out: [(String, Bool)] = [], touched = Set<String>()
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let name = switchable.randomElement(using: &rng)!
                let leaves = algebra.unfold([name])
                if leaves.isDisjoint(with: touched) { out.append((name, Bool.random(using: &rng))); touched.formUnion(leaves) }
            }
            return out
        }
        for _ in 0..<400 { cases.append((names.randomElement(using: &rng)!, tweak(), names.randomElement(using: &rng)!, tweak())) }

        let replies = try await QEMUProcess.withSession(
            executable: Self.qemu, arguments: QEMUProcess.standardArguments(machine: "none", accel: "tcg")
        ) { client in
            try await client.pipeline(cases.flatMap { c -> [(command: String, arguments: JSONValue?)] in
                let args: JSONValue = ["modela": Self.model(c.a, c.pa), "modelb": Self.model(c.b, c.pb)]
                return [("query-cpu-model-comparison", args), ("query-cpu-model-baseline", args)]
            }).map { result -> Result<JSONValue, QMPError> in
                switch result {
                case .success(let reply): return .success(try reply.parsed())
                case .failure(let error): return .failure(error)
                }
            }
        }
        var compared = 0, baselined = 0, refused = 0, mismatches: [String] = []
        for (i, c) in cases.enumerated() {
            let label = "\(c.a)\(c.pa) vs \(c.b)\(c.pb)"
            let mine: (CPUModelAlgebra.Model, CPUModelAlgebra.Model)?
            do {
                mine = (try algebra.applying(c.pa.map { ($0.0, $0.1) }, to: models[c.a]!),
                        try algebra.applying(c.pb.map { ($0.0, $0.1) }, to: models[c.b]!))
            } catch { mine = nil }
            guard case .success(let cr) = replies[2 * i], let (a, b) = mine else {
                // QEMU refuses a switch exactly when qcpu does.
                if case .success = replies[2 * i] { mismatches.append("qcpu refused \(label)") }
                if mine != nil { mismatches.append("QEMU refused \(label)") }
                refused += 1
                continue
            }
            let qc = cr
            let c1 = algebra.compare(a, b)
            if qc["result"]?.stringValue != c1.result.rawValue
                || (qc["responsible-properties"]?.arrayValue ?? []).compactMap(\.stringValue) != c1.responsible {
                mismatches.append("compare \(label): QEMU \(qc), qcpu \(c1)")
            }
            compared += 1
            switch (replies[2 * i + 1], Result { try algebra.baseline(a, b) }) {
            case (.success(let qb), .success(let b1)):
                let m = qb["model"]
                let props = (m?["props"]?.objectValue ?? [:]).mapValues { $0.boolValue ?? false }
                if m?["name"]?.stringValue != b1.name || props != b1.props {
                    mismatches.append("baseline \(label): QEMU \(m ?? .null), qcpu \(b1.name) \(b1.props)")
                }
                baselined += 1
            case (.failure, .failure): baselined += 1
            default: mismatches.append("baseline \(label): one refused, the other answered")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(5))")
        #expect(compared >= 78 * 78 && baselined >= 78 * 78, "compared \(compared), baselined \(baselined), refused \(refused)")
    }

    @Test func tableHoldsWhatQEMUShowedAndQEMUsQuirks() async throws {
        let (reader, algebra) = try await Self.shared.value
        // A second harvest writes the same bytes: the table is part of a reproducible snapshot.
        let again = try await Self.harvested().0
        #expect(try TestSupport.sha256(again.path) == TestSupport.sha256(reader.path))
        let t = algebra.table
        func def(_ n: String) throws -> CPUModelTable.Definition { try #require(t.definitions.first { $0.name == n }) }
        #expect(t.definitions.count == 38 && t.definitions.first?.name == "z900" && t.definitions.last?.name == "gen16b")
        // z14ZR1 is listed after z14.2 but is GA1 of generation 14, like z14.
        #expect(try def("z14ZR1").rank == def("z14").rank && def("z14.2").rank > def("z14").rank)
        #expect(try def("z13s").generation == def("z13").generation && def("z14").generation == def("z13").generation + 1)
        #expect(try def("z13s").typeClass == "IBM z13s" && def("z13.2").typeClass == "IBM z13")
        #expect(t.ignoredBaseFeatures.contains("csske") && t.ignoredBaseFeatures.contains("kimd-sha-1"))
        let msa9 = Set(try #require(t.groups.first { $0.name == "msa9" }).members)
        let pckmo = Set(try #require(t.groups.first { $0.name == "msa9_pckmo" }).members)
        #expect(pckmo == ["pckmo-ecc-p256", "pckmo-ecc-p384", "pckmo-ecc-p521", "pckmo-ecc-ed25519", "pckmo-ecc-ed448"])
        #expect(msa9.contains("msa9-base") && msa9.isDisjoint(with: pckmo) && t.groups.allSatisfy { !$0.members.isEmpty })
        #expect(try def("z900").fullFeatures.count < def("gen16b").fullFeatures.count && !def("z900").fullFeatures.contains("vx"))
        // QEMU's search stops at z14.2 before reaching z14ZR1: baselines of z14ZR1 come out as z14.
        let zr1 = try algebra.model(GuestCPU(model: "z14ZR1"), reader: reader, binary: "qemu-system-s390x", machine: "none", accel: "tcg")
        #expect(try algebra.baseline(zr1, zr1).name == "z14-base")
        let b = try algebra.baseline(try algebra.model(GuestCPU(model: "z13s"), reader: reader, binary: "qemu-system-s390x", machine: "none", accel: "tcg"),
                                     try algebra.model(GuestCPU(model: "z14"), reader: reader, binary: "qemu-system-s390x", machine: "none", accel: "tcg"))
        #expect(b.name == "z13s-base" && b.props["vx"] == true && b.props["msa5"] == true)
    }

    @Test func badInputIsRefusedWithTheDocumentedStatuses() async throws {
        let (reader, _) = try await Self.shared.value
        let snapshot = reader.path
        let unknown = try TestSupport.runQCPU(["model-compare", "z14", "z99", "--snapshot", snapshot])
        #expect(unknown.status == 64 && unknown.stderr.contains("did you mean 'z990'"))
        let unavailable = try TestSupport.runQCPU(["model-compare", "z14", "z14,msa9=on", "--snapshot", snapshot])
        #expect(unavailable.status == 65 && unavailable.stderr.contains("Group 'msa9' is not available for CPU model 'z14'"))
        let x86 = try TestSupport.runQCPU(["model-baseline", "qemu64", "base", "--arch", "x86_64",
                                           "--snapshot", TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"])
        #expect(x86.status == 69 && x86.stderr.contains("only on s390x"))
        let ok = try TestSupport.runQCPU(["model-compare", "z13s", "z14", "--snapshot", snapshot])
        #expect(ok.status == 0 && ok.stdout.hasPrefix("subset:") && ok.stdout.contains("type"))
        let worse = try TestSupport.runQCPU(["model-compare", "z14", "z13s", "--snapshot", snapshot, "--format", "json"])
        #expect(worse.status == 1 && worse.stdout.contains("\"superset\""))
        let baseline = try TestSupport.runQCPU(["model-baseline", "z13s", "z14", "gen15a", "--snapshot", snapshot])
        #expect(baseline.status == 0 && baseline.stdout.hasPrefix("z13s-base,"))
    }
}
