import CPUQuery
import Foundation
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// The shipped snapshot's answers against a fresh live QEMU, field for field.
@Suite struct OfflineMatchesLiveTests {
    @Test func threeHundredRandomRowsEqualALiveQEMU() async throws {
        let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let query = try CPUQuery(locator: SnapshotLocator(explicitFiles: [shipped], environment: [:], executable: ""),
                                 mode: .offline)
        let reader = try SnapshotReader(path: shipped)
        let machines = try reader.machines(binary: "qemu-system-x86_64").map(\.name)
        let models = try reader.definitions(binary: "qemu-system-x86_64", machine: "pc-q35-7.2", accel: "tcg").map(\.name)
        var rng = SplitMix(state: 2026)
        var sample = Set<[String]>()
        while sample.count < 300 { sample.insert([machines.randomElement(using: &rng)!, models.randomElement(using: &rng)!]) }
        let byMachine = Dictionary(grouping: sample, by: { $0[0] }).mapValues { $0.map { $0[1] }.sorted() }
        var compared = 0
        for (machine, names) in byMachine.sorted(by: { $0.key < $1.key }) {
            let marker = "qcpu-test-\(UUID().uuidString)"
            let live = try await QEMUProcess.withSession(
                executable: TestSupport.qemuX86,
                arguments: QEMUProcess.standardArguments(machine: machine, accel: "tcg") + ["-name", marker]
            ) { client in
                let defs = try await client.execute("query-cpu-definitions").arrayValue ?? []
                var rows: [String: (def: JSONValue, full: JSONValue, stat: JSONValue)] = [:]
                for name in names {
                    let full = try await client.execute("query-cpu-model-expansion", arguments: ["type": "full", "model": ["name": .string(name)]])
                    let stat = try await client.execute("query-cpu-model-expansion", arguments: ["type": "static", "model": ["name": .string(name)]])
                    rows[name] = (defs.first { $0["name"]?.stringValue == name } ?? .null, full, stat)
                }
                return rows
            }
            for name in names {
                let (def, full, stat) = try #require(live[name])
                let answer = try await query.detail(model: name, machine: machine, accel: "tcg")
                let d = answer.value.definition
                #expect(d.aliasOf == def["alias-of"]?.stringValue, "\(machine) \(name)")
                #expect(d.typename == def["typename"]?.stringValue)
                #expect(d.isStatic == def["static"]?.boolValue)
                #expect(d.migrationSafe == def["migration-safe"]?.boolValue)
                #expect(d.deprecated == def["deprecated"]?.boolValue)
                #expect(d.unavailableFeatures == def["unavailable-features"]?.arrayValue.map { Set($0.compactMap(\.stringValue)).sorted() })
                let props = try #require(full["model"]?["props"]?.objectValue)
                guard case .expanded(let model, let stored)? = try reader.expansion(
                    binary: "qemu-system-x86_64", machine: machine, accel: "tcg", model: name) else {
                    Issue.record("no stored expansion for \(machine) \(name)"); continue
                }
                #expect(model == full["model"]?["name"]?.stringValue)
                #expect(stored == PropertySet(props), "\(machine) \(name)")
                for f in answer.value.features { #expect(props[f.name] == .bool(f.enabled), "\(machine) \(name) \(f.name)") }
                for p in answer.value.identity + answer.value.other { #expect(props[p.name] == p.value) }
                let enabled = (stat["model"]?["props"]?.objectValue ?? [:]).filter { $0.value == .bool(true) }.keys.sorted()
                #expect(answer.value.staticExpansion?.enabled.sorted() == enabled)
                #expect(answer.value.staticExpansion?.model == stat["model"]?["name"]?.stringValue)
                compared += 1
            }
        }
        #expect(compared == 300)
    }
}
