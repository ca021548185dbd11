import CPUQuery
import Foundation
import Harvester
import LibvirtImport
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Records the real QEMU with qcpu's libvirt-style recorder, imports the `.replies` files, and
/// checks the import against a harvest of the same binaries on machine type `none`.
@Suite(.serialized) struct LibvirtImportTests {
    static let binaries = ["/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-aarch64", "/usr/bin/qemu-system-s390x",
                           "/usr/bin/qemu-system-ppc64", "/usr/bin/qemu-system-riscv64"]

    /// Records every binary (x86_64 under KVM when it works: two phases) and imports the files.
    static func recordAndImport(extraExpansions: [String] = []) async throws -> (dir: String, paths: [String], snapshot: Snapshot) {
        let dir = try TestSupport.temporaryDirectory()
        var paths: [String] = []
        for qemu in binaries {
            var recorder = LibvirtProbeRecorder(qemu: qemu, useKVM: TestSupport.kvmUsable && qemu.hasSuffix("x86_64"))
            if qemu.hasSuffix("x86_64") { recorder.extraExpansions = extraExpansions }
            paths.append(try await recorder.record(into: dir))
        }
        return (dir, paths, try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: paths))
    }

    /// A harvest of the same binaries on machine type `none` only.
    static func harvestNone() async throws -> Snapshot {
        var options = HarvestOptions()
        options.binaries = binaries
        options.machineGlobs = ["none"]
        options.sourceDateEpoch = 0
        options.accelerators = TestSupport.kvmUsable ? ["kvm", "tcg"] : ["tcg"]
        return try await Harvester(options: options).run().snapshot
    }

    @Test func importMatchesTheHarvestOnWhatLibvirtProbed() async throws {
        let (dir, paths, imported) = try await Self.recordAndImport()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let harvested = try await Self.harvestNone()
        #expect(paths.map { ($0 as NSString).lastPathComponent } == [
            "caps_7.2.22_x86_64.replies", "caps_7.2.22_aarch64.replies", "caps_7.2.22_s390x.replies",
            "caps_7.2.22_ppc64.replies", "caps_7.2.22_riscv64.replies"])
        #expect(imported.meta.qemuVersion == harvested.meta.qemuVersion)
        #expect(imported.meta.qemuPackage == harvested.meta.qemuPackage)
        #expect(imported.binaries.map { "\($0.name) \($0.arch)" } == harvested.binaries.map { "\($0.name) \($0.arch)" })
        // Machine types: every field of every query-machines entry.
        #expect(imported.machines.count == harvested.machines.count)
        #expect(imported.machines == harvested.machines)
        // Models: every query-cpu-definitions row of every session libvirt ran (none + each accelerator).
        let sessions = Set(imported.sessions.map(\.key))
        let kvm = TestSupport.kvmUsable
        #expect(sessions.count == (kvm ? 6 : 5))
        #expect(sessions.isSubset(of: Set(harvested.sessions.map(\.key))))
        for key in sessions.sorted() {
            let mine = imported.definitions.filter { $0.session == key }
            let theirs = harvested.definitions.filter { $0.session == key }
            #expect(mine == theirs, "definitions of \(key)")
        }
        #expect(imported.definitions.count == harvested.definitions.count)
        // Expansions: every one both asked for is equal.
        let harvestedByKey = Dictionary(uniqueKeysWithValues: harvested.expansions.map { ($0.key, $0) })
        let shared = imported.expansions.filter { harvestedByKey[$0.key] != nil }
        for e in shared { #expect(e == harvestedByKey[e.key], "expansion \(e.key)") }
        var expected = ["qemu-system-aarch64/none+tcg max full", "qemu-system-s390x/none+tcg max static",
                        "qemu-system-x86_64/none+tcg max static"]
        if kvm { expected.append("qemu-system-x86_64/none+kvm host static") }
        #expect(Set(shared.map { "\($0.key.session) \($0.key.model) \($0.key.type)" }) == Set(expected))
        // Real values.
        let x86tcg = SessionKey(binary: "qemu-system-x86_64", machine: "none", accel: "tcg")
        let cascadelake = imported.definitions.first { $0.session == x86tcg && $0.name == "Cascadelake-Server" }
        #expect(cascadelake?.aliasOf == "Cascadelake-Server-v1")
        #expect(cascadelake?.isStatic == false && cascadelake?.migrationSafe == true && cascadelake?.deprecated == false)
        #expect(imported.definitions.first { $0.session == x86tcg && $0.name == "max" }?.migrationSafe == false)
        let pc = imported.machines.first { $0.binary == "qemu-system-x86_64" && $0.alias == "pc" }
        #expect(pc?.name == "pc-i440fx-7.2" && pc?.isDefault == true && pc?.defaultCPUType == "qemu64-x86_64-cpu")
        #expect(imported.machines.first { $0.name == "pc-i440fx-1.4" }?.deprecated == true)
        let maxStatic = imported.expansions.first { $0.key.session == x86tcg && $0.key.model == "max" && $0.key.type == "static" && $0.key.variant.isEmpty }
        guard case .expanded(let name, let props)? = maxStatic?.outcome else { Issue.record("no max static expansion"); return }
        #expect(name == "base" && props.properties.count > 300)
        #expect(props.properties.first { $0.name == "sse2" }?.value == .bool(true))
        // The migratable=false variant libvirt asks is there too, and differs from no variant only in what QEMU says.
        #expect(imported.expansions.contains { $0.key.session == x86tcg && $0.key.model == "max" && $0.key.variant == "migratable=off" })
        // Architectures without expansions import with definitions only; riscv64 7.2 has no query-cpu-definitions.
        let ppc = imported.sessions.first { $0.key.binary == "qemu-system-ppc64" }
        #expect(ppc?.unsupported == [] && !imported.expansions.contains { $0.key.session.binary == "qemu-system-ppc64" })
        #expect(imported.definitions.filter { $0.session.binary == "qemu-system-ppc64" }.count > 100)
        #expect(imported.sessions.first { $0.key.binary == "qemu-system-riscv64" }?.unsupported == ["query-cpu-definitions"])
        // Coverage says what the snapshot is.
        let coverage = try #require(imported.meta.partialCoverage)
        #expect(coverage.source == "libvirt-probe" && coverage.machineTypes == ["none"])
        #expect(coverage.expandedModels == (kvm ? ["host", "max"] : ["max"]))
        #expect(coverage.files.count == 5)
    }

    @Test func kvmPhasesAreHostAndThenTCG() async throws {
        try #require(TestSupport.kvmUsable, "needs a usable /dev/kvm for the KVM phase")
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try await LibvirtProbeRecorder(qemu: TestSupport.qemuX86, useKVM: true).record(into: dir)
        let replies = try LibvirtReplies(path: path)
        #expect(replies.phases.map(\.accel) == ["kvm", "tcg"])
        // libvirt's order and ids: libvirt-N restarts at the second qmp_capabilities.
        #expect(replies.phases[0].exchanges.map { $0.command["execute"]!.stringValue! } == [
            "qmp_capabilities", "query-version", "query-target", "query-kvm", "query-machines", "query-cpu-definitions",
            "query-cpu-model-expansion", "query-cpu-model-expansion", "query-cpu-model-expansion"])
        #expect(replies.phases[1].exchanges.map { $0.command["id"]!.stringValue! } == (1...5).map { "libvirt-\($0)" })
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("{\n  \"execute\": \"qmp_capabilities\",\n  \"id\": \"libvirt-1\"\n}\n\n{\n  \"return\": {\n  },\n  \"id\": \"libvirt-1\"\n}\n\n"))
        #expect(text.hasSuffix("  \"id\": \"libvirt-5\"\n}\n") && !text.contains("\"quit\""))
        let about = try String(contentsOfFile: dir + "/caps_7.2.22_x86_64.recording.json", encoding: .utf8)
        #expect(about.contains("\"recorded-by\": \"qcpu ") && about.contains("real QEMU"))
        // The KVM session's host comes from QEMU's own full expansion of host.
        let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [path])
        let host = try #require(s.sessions.first { $0.key.accel == "kvm" }?.host)
        let here = HostFingerprint.current()
        #expect(host.vendor == here.vendor && host.family == here.family && host.model == here.model)
        #expect(s.expansions.contains { $0.key.model == "host" && $0.key.variant == "hv-passthrough=on,migratable=off" })
    }

    @Test func anErrorReplyIsKeptAsAFailedExpansion() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var recorder = LibvirtProbeRecorder(qemu: TestSupport.qemuX86, useKVM: false)
        recorder.extraExpansions = ["no-such-cpu"]
        let path = try await recorder.record(into: dir)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"error\": {"))
        let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [path])
        let failed = try #require(s.expansions.first { $0.key.model == "no-such-cpu" })
        guard case .failed(let errorClass, let description) = failed.outcome else { Issue.record("not a failure"); return }
        #expect(errorClass == "GenericError" && description.contains("no-such-cpu"))
        // It still writes and validates.
        try SnapshotWriter().write(s, to: dir + "/out.sqlite")
        #expect(try SnapshotValidator().validate(path: dir + "/out.sqlite").isEmpty)
    }

    @Test func aSecondPhaseAfterANonKVMFirstPhaseIsReadAsHVF() async throws {
        // libvirt's +hvf files: phase 1 where query-kvm says disabled, then a TCG phase. Built here from
        // real answers: phase 1 of a TCG recording, phase 2 of the committed KVM recording.
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let phase1 = try await LibvirtProbeRecorder(qemu: TestSupport.qemuX86, useKVM: false).record().transcript
        let kvm = try Transcript(contentsOf: TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies")
        let file = Transcript(exchanges: phase1.exchanges + kvm.processes[1].exchanges)
        for (name, accel) in [("caps_7.2.22_x86_64+hvf.replies", "hvf"), ("caps_7.2.22_x86_64+mshv.replies", "mshv"),
                              ("caps_7.2.22_x86_64.replies", "hvf")] {
            try file.libvirtText.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [dir + "/" + name])
            #expect(s.sessions.map(\.key.accel) == [accel, "tcg"].sorted(), "\(name)")
            #expect(s.sessions.first { $0.key.accel == accel }?.host?.vendor == "unknown")  // no host expansion to tell
            #expect(s.expansions.filter { $0.key.session.accel == accel }.map(\.key.model) == ["max", "max"])
            // Offline, queries take the imported accelerator (it cannot be probed here).
            let path = dir + "/" + name + ".sqlite"
            try SnapshotWriter().write(s, to: path)
            let q = try CPUQuery(locator: SnapshotLocator(explicitFiles: [path], environment: ["HOME": dir], executable: ""), mode: .offline)
            let models = try await q.models(machine: "none", accel: accel).value.models
            #expect(models.contains { $0.name == "Cascadelake-Server" && $0.aliasOf == "Cascadelake-Server-v1" })
        }
        do {
            let path = dir + "/caps_7.2.22_x86_64+mshv.replies.sqlite"
            let q = try CPUQuery(locator: SnapshotLocator(explicitFiles: [path], environment: ["HOME": dir], executable: ""), mode: .offline)
            _ = try await q.models(machine: "none", accel: "mhsv")
            Issue.record("an unknown accelerator answered")
        } catch let error as QueryError {
            #expect(error.code == .unknownName && error.suggestions.contains("mshv"))
        }
        // One phase without KVM is TCG.
        try phase1.libvirtText.write(toFile: dir + "/tcg.replies", atomically: true, encoding: .utf8)
        #expect(try LibvirtImporter().snapshot(from: [dir + "/tcg.replies"]).sessions.map(\.key.accel) == ["tcg"])
    }

    @Test func filesOfDifferentQEMUBuildsAreRefused() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let qemu10 = TestSupport.packageRoot + "/vendor/qemu-backports/usr/bin/qemu-system-x86_64"
        try #require(FileManager.default.isExecutableFile(atPath: qemu10), "run scripts/fetch-qemu-backports.sh (make test does)")
        var recorder = LibvirtProbeRecorder(qemu: qemu10, useKVM: false)
        recorder.extraArguments = ["-L", TestSupport.packageRoot + "/vendor/qemu-backports/usr/share/qemu"]
        let newer = try await recorder.record(into: dir + "/10")
        let older = TestSupport.fixture("libvirt") + "/caps_7.2.22_riscv64.replies"
        #expect(throws: LibvirtImportError.self) { try LibvirtImporter().snapshot(from: [older, newer]) }
        do { _ = try LibvirtImporter().snapshot(from: [older, newer]) } catch {
            #expect(error.code == .mixedBuilds && error.description.contains("10.0.2"))
        }
        // Alone, QEMU 10.0.2's file imports: its own version, max expanded.
        let s = try LibvirtImporter().snapshot(from: [newer])
        #expect(s.meta.qemuVersion == "10.0.2" && s.definitions.contains { $0.name == "Cascadelake-Server" })
    }
}
