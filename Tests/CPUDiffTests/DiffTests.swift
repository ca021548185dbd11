import CPUDiff
import Foundation
import Harvester
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Release diffs, the ABI gate and machine-type diffs, on the shipped snapshot and the real QEMU.
@Suite struct DiffTests {
    let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"

    @Test func twoHarvestsOfTheSameQEMUDifferInNothing() async throws {
        var options = HarvestOptions()
        options.binaries = [TestSupport.qemuX86]
        options.accelerators = ["tcg"]
        options.machineGlobs = ["pc-i440fx-1.4", "pc-q35-7.2", "microvm"]
        options.sourceDateEpoch = 1
        let live = try await Harvester(options: options).run().snapshot
        let diff = ReleaseDiff(try SnapshotReader(path: shipped).load(), live)
        #expect(diff.changes.isEmpty)
        #expect(diff.props.isEmpty && diff.presence.isEmpty)
        #expect(diff.comparedExpansions == 3 * 132 * 2)
    }

    @Test func anAlteredMachineTypeIsExactlyOneBreak() throws {
        var altered = try SnapshotReader(path: shipped).load()
        let target = ExpansionRecord.Key(session: SessionKey(binary: "qemu-system-x86_64", machine: "pc-q35-7.2", accel: "tcg"),
                                         model: "Cascadelake-Server", type: "full")
        let i = try #require(altered.expansions.firstIndex { $0.key == target })
        guard case .expanded(let name, let props) = altered.expansions[i].outcome else { Issue.record("no expansion"); return }
        var changed = props.json.objectValue!
        changed["mpx"] = true
        altered.expansions[i].outcome = .expanded(model: name, props: PropertySet(changed))
        let diff = ReleaseDiff(try SnapshotReader(path: shipped).load(), altered)
        #expect(diff.changes.isEmpty)
        #expect(diff.props == [ReleaseDiff.PropChange(
            classification: .breaking, binary: "qemu-system-x86_64", machine: "pc-q35-7.2", accel: "tcg",
            model: "Cascadelake-Server", type: "full", variant: "", prop: "mpx", old: false, new: true)])

        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(altered, to: dir + "/altered.sqlite")
        let gate = try TestSupport.runQCPU(["diff", "--abi", shipped, dir + "/altered.sqlite"], cwd: dir)
        #expect(gate.status == 1)
        #expect(gate.stdout.contains("ABI: 31316 expansions compared, 1 breaks"))
        #expect(gate.stdout.contains("break (host-independent): 1\n  mpx false -> true: 1 rows (pc-q35-7.2 Cascadelake-Server full)"))
        let same = try TestSupport.runQCPU(["diff", "--abi", shipped, shipped], cwd: dir)
        #expect(same.status == 0)
        #expect(same.stdout == "QEMU 7.2.22 -> 7.2.22\nno catalogue changes\nABI: 31316 expansions compared, 0 breaks\n")
    }

    @Test func unversionedMachineTypesAreReportedApart() throws {
        var altered = try SnapshotReader(path: shipped).load()
        let i = try #require(altered.expansions.firstIndex {
            $0.key.session.machine == "microvm" && $0.key.model == "qemu64" && $0.key.type == "full"
        })
        guard case .expanded(let name, let props) = altered.expansions[i].outcome else { Issue.record("no expansion"); return }
        var changed = props.json.objectValue!
        changed["family"] = 5
        changed.removeValue(forKey: "abm")
        altered.expansions[i].outcome = .expanded(model: name, props: PropertySet(changed))
        let diff = ReleaseDiff(try SnapshotReader(path: shipped).load(), altered)
        #expect(diff.breaks.isEmpty)
        #expect(diff.props.map(\.classification) == [.unversioned])
        #expect(diff.props.map(\.prop) == ["family"])
        #expect(diff.presence == [.init(classification: .propRemoved, prop: "abm", value: false, hostDependent: false,
                                        rows: 1, examples: ["microvm qemu64 full"])])
        #expect(!ReleaseDiff.isVersioned("microvm") && !ReleaseDiff.isVersioned("x-remote"))
        #expect(ReleaseDiff.isVersioned("pc-q35-7.2") && ReleaseDiff.isVersioned("s390-ccw-virtio-7.2"))
    }

    let shipped10 = TestSupport.packageRoot + "/Snapshots/qemu-10.0.2.sqlite"

    @Test func qemu72To1002KeepsTheABIOfNamedModelsOnVersionedMachineTypes() throws {
        let diff = ReleaseDiff(try SnapshotReader(path: shipped).load(), try SnapshotReader(path: shipped10).load())
        // TCG rows and the named models' host-independent KVM rows (the KVM ABI holds too).
        #expect(diff.comparedExpansions == 20_094)
        #expect(diff.breaks.isEmpty)
        // host and max follow TCG's abilities by design; they are not migration-safe.
        let unsafe = diff.props.filter { $0.classification == .notMigrationSafe }
        #expect(!unsafe.isEmpty && Set(unsafe.map(\.model)) == ["host", "max"])
        // microvm resolves aliases to the newest version, which 10.0 added.
        #expect(diff.changes.contains(.init(kind: "alias-changed", binary: "qemu-system-x86_64", subject: "microvm EPYC",
                                            old: "EPYC-v3", new: "EPYC-v4")))
        #expect(diff.props.contains { $0.classification == .unversioned && $0.machine == "microvm" && $0.model == "EPYC-Rome" && $0.prop == "xsaves" })
        #expect(diff.changes.contains(.init(kind: "model-added", binary: "qemu-system-x86_64", subject: "SapphireRapids")))
        #expect(diff.changes.contains(.init(kind: "machine-removed", binary: "qemu-system-x86_64", subject: "pc-i440fx-1.4")))
        #expect(diff.changes.contains(.init(kind: "machine-deprecated", binary: "qemu-system-x86_64", subject: "pc-q35-2.4")))
        #expect(diff.presence.contains { $0.classification == .propRemoved && $0.prop == "kvm-no-smi-migration" && $0.rows == 13_362 })
        let gate = try TestSupport.runQCPU(["diff", "--abi", shipped, shipped10])
        #expect(gate.status == 0)
        #expect(gate.stdout.contains("ABI: 20094 expansions compared, 0 breaks"))
    }

    @Test func readingTheFilesFindsWhatLoadingThemWholeFinds() throws {
        for (old, new) in [(shipped, shipped10), (shipped10, shipped)] {
            let read = try ReleaseDiff(SnapshotReader(path: old), SnapshotReader(path: new))
            let loaded = ReleaseDiff(try SnapshotReader(path: old).load(), try SnapshotReader(path: new).load())
            #expect(read.changes == loaded.changes)
            #expect(read.props == loaded.props)
            #expect(read.presence == loaded.presence)
            #expect(read.comparedExpansions == 20_094 && loaded.comparedExpansions == 20_094)
        }
        // Machine-type globs limit models, aliases and expansions, not the machine-type catalogue.
        let q35 = try ReleaseDiff(SnapshotReader(path: shipped), SnapshotReader(path: shipped10), machines: ["pc-q35-7.2"])
        #expect(q35.comparedExpansions == 132 * 2 + 130)  // TCG full+static; KVM full of the named models
        #expect(q35.breaks.isEmpty && Set(q35.props.map(\.model)) == ["host", "max"])
        #expect(q35.changes.contains(.init(kind: "model-added", binary: "qemu-system-x86_64", subject: "SapphireRapids")))
        #expect(q35.changes.contains(.init(kind: "machine-removed", binary: "qemu-system-x86_64", subject: "pc-i440fx-1.4")))
        #expect(!q35.changes.contains { $0.kind == "alias-changed" })
    }

    @Test func theUnpackedQEMU1002AnswersAsItsShippedSnapshot() async throws {
        let qemu = TestSupport.packageRoot + "/vendor/qemu-backports/usr/bin/qemu-system-x86_64"
        try #require(FileManager.default.isExecutableFile(atPath: qemu), "run scripts/fetch-qemu-backports.sh (make test does)")
        var options = HarvestOptions()
        options.binaries = [qemu]
        options.accelerators = ["tcg"]
        options.machineGlobs = ["pc-q35-10.0", "pc-i440fx-8.0"]
        options.extraArguments = ["-L", TestSupport.packageRoot + "/vendor/qemu-backports/usr/share/qemu"]
        let live = try await Harvester(options: options).run().snapshot
        #expect(live.meta.qemuVersion == "10.0.2")
        let diff = ReleaseDiff(try SnapshotReader(path: shipped10).load(), live)
        #expect(diff.changes.isEmpty && diff.props.isEmpty && diff.presence.isEmpty)
        #expect(diff.comparedExpansions == 2 * 154 * 2)
    }

    @Test func machineTypeDiffShowsTheEffectOfCompatProps() throws {
        let reader = try SnapshotReader(path: shipped)
        let cascadelake = try MachineDiff(reader: reader, binary: "qemu-system-x86_64", first: "pc-i440fx-1.4",
                                          second: "pc-q35-7.2", accel: "tcg", model: "Cascadelake-Server")
        #expect(cascadelake.changes.contains(.init(model: "Cascadelake-Server", prop: "mpx", first: true, second: false)))
        #expect(cascadelake.changes.contains(.init(model: "Cascadelake-Server", prop: "stepping", first: 5, second: 6)))
        let qemu64 = try MachineDiff(reader: reader, binary: "qemu-system-x86_64", first: "pc-i440fx-1.4",
                                     second: "pc-q35-7.2", accel: "tcg", model: "qemu64")
        #expect(qemu64.changes.contains(.init(model: "qemu64", prop: "family", first: 6, second: 15)))
        let all = try MachineDiff(reader: reader, binary: "qemu-system-x86_64", first: "pc-q35-7.1",
                                  second: "pc-q35-7.2", accel: "tcg", model: nil)
        #expect(all.models.count == 132)
        let run = try TestSupport.runQCPU(["diff", "--machine", "pc-i440fx-1.4", "--machine", "pc-q35-7.2", "--model", "qemu64",
                                           "--format", "json", "--snapshot", shipped])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"first\": 6,\n      \"model\": \"qemu64\",\n      \"prop\": \"family\",\n      \"second\": 15"))
    }
}
