import CPUQuery
import Foundation
import LibvirtImport
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Imports the committed recordings (`Fixtures/libvirt`: qcpu's recorder on the real QEMU 7.2.22),
/// so the import is tested without QEMU or KVM; bad files; what queries say they cannot answer.
@Suite struct FixtureImportTests {
    static let x86 = TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies"
    static let riscv = TestSupport.fixture("libvirt") + "/caps_7.2.22_riscv64.replies"

    @Test func theRecordedX86ProbeImports() async throws {
        let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [Self.x86, Self.riscv])
        #expect(s.meta.qemuVersion == "7.2.22" && s.meta.qemuPackage == "Debian 1:7.2+dfsg-7+deb12u18+b3")
        #expect(s.binaries.map(\.name) == ["qemu-system-riscv64", "qemu-system-x86_64"])
        // Recorded under KVM: phase 1 kvm, phase 2 tcg.
        #expect(s.sessions.map(\.key.description) == [
            "qemu-system-riscv64/none+tcg", "qemu-system-x86_64/none+kvm", "qemu-system-x86_64/none+tcg"])
        #expect(s.sessions.first { $0.key.accel == "kvm" }?.host?.vendor == "GenuineIntel")
        // The same machine types as the harvest fixture of the same QEMU (recorded by qcpu harvest --record).
        let harvested = try await TestSupport.replay("x86_64")
        #expect(s.machines.filter { $0.binary == "qemu-system-x86_64" } == harvested.machines)
        // The same models, with the same flags, as the harvest fixture's sessions know them.
        let tcg = s.definitions.filter { $0.session.binary == "qemu-system-x86_64" && $0.session.accel == "tcg" }
        #expect(tcg.count == 132)
        let q35 = Dictionary(uniqueKeysWithValues: harvested.definitions
            .filter { $0.session.machine == "pc-q35-7.2" && $0.session.accel == "tcg" }.map { ($0.name, $0) })
        for d in tcg where q35[d.name] != nil {
            let h = q35[d.name]!
            #expect(d.typename == h.typename && d.isStatic == h.isStatic && d.migrationSafe == h.migrationSafe
                    && d.deprecated == h.deprecated && d.aliasOf == h.aliasOf, "\(d.name)")
        }
        #expect(tcg.first { $0.name == "Cascadelake-Server" }?.aliasOf == "Cascadelake-Server-v1")
        #expect(s.machines.first { $0.alias == "q35" }?.name == "pc-q35-7.2")
        // Expansions as libvirt asks them on x86: host under KVM (static, static migratable=off,
        // full hv-passthrough), max under TCG (static, static migratable=off).
        #expect(s.expansions.map { "\($0.key.session.accel) \($0.key.model) \($0.key.type) \($0.key.variant)" } == [
            "kvm host full hv-passthrough=on,migratable=off", "kvm host static ", "kvm host static migratable=off",
            "tcg max static ", "tcg max static migratable=off"])
        // riscv64 7.2 answers query-cpu-definitions with an error: recorded as unsupported.
        #expect(s.sessions.first { $0.key.binary == "qemu-system-riscv64" }?.unsupported == ["query-cpu-definitions"])
        #expect(s.meta.partialCoverage?.summary.contains("covers only machine type 'none'") == true)
    }

    @Test func theSnapshotRoundTripsWithItsCoverage() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [Self.x86, Self.riscv])
        try SnapshotWriter().write(s, to: dir + "/a.sqlite")
        #expect(try SnapshotValidator().validate(path: dir + "/a.sqlite") == [])
        let back = try SnapshotReader(path: dir + "/a.sqlite").load()
        #expect(back == s)
        #expect(try SnapshotReader(path: dir + "/a.sqlite").partialCoverage() == s.meta.partialCoverage)
        // Equal input, equal bytes.
        try SnapshotWriter().write(try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [Self.riscv, Self.x86]), to: dir + "/b.sqlite")
        #expect(try TestSupport.sha256(dir + "/a.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
        // An import does not merge with a harvest (its coverage would be wrong).
        let harvest = try SnapshotReader(path: TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite").load()
        #expect(throws: SnapshotError.self) { try Snapshot.merged([s, harvest]) }
    }

    /// The committed x86 recording spoilt the way `name` says.
    static func spoilt(_ name: String, _ t: String) -> String {
        switch name {
        case "truncated": return String(t.prefix(t.count / 2))
        case "cut after a command": return t.components(separatedBy: "\n\n").prefix(7).joined(separator: "\n\n") + "\n"
        case "garbage": return "qemu-system-x86_64: -machine none: oops\n"
        case "reply id differs": return t.replacingOccurrences(of: "},\n  \"id\": \"libvirt-2\"\n}", with: "},\n  \"id\": \"libvirt-9\"\n}")
        default: return ""
        }
    }

    @Test(arguments: ["truncated", "cut after a command", "garbage", "empty", "reply id differs"])
    func badFilesAreRefused(name: String) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/caps_7.2.22_x86_64.replies"
        try Self.spoilt(name, try String(contentsOfFile: Self.x86, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try LibvirtImporter().snapshot(from: [path])
            Issue.record("\(name): imported")
        } catch {
            #expect(error.code == .badFile, "\(name): \(error)")
            #expect(error.description.hasPrefix(path + ": "))
        }
    }

    @Test func twoFilesOfOneArchitectureAreRefused() {
        #expect(throws: LibvirtImportError.self) { try LibvirtImporter().snapshot(from: [Self.x86, Self.x86]) }
    }

    @Test func queriesSayWhatTheImportCannotAnswer() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/imported.sqlite"
        try SnapshotWriter().write(try LibvirtImporter(sourceDateEpoch: 0).snapshot(from: [Self.x86]), to: path)
        let locator = SnapshotLocator(explicitFiles: [path], environment: ["HOME": dir], executable: "")
        let q = try CPUQuery(locator: locator, mode: .offline)
        // What it has, it answers: the models on none.
        let models = try await q.models(machine: "none", accel: "tcg")
        #expect(models.value.models.contains { $0.name == "Cascadelake-Server" && $0.aliasOf == "Cascadelake-Server-v1" })
        #expect(try await q.machines().value.count == 59)
        // Another machine type, a model's full expansion (max has only libvirt's static ones), or
        // every model's expansions: it says it cannot.
        for (model, machine) in [("Cascadelake-Server", "pc-q35-7.2"), ("Cascadelake-Server", "none"), ("max", "none"), (nil, "none")] {
            do {
                if let model { _ = try await q.detail(model: model, machine: machine) } else {
                    _ = try await q.carriers(feature: "sse2", machine: machine)
                }
                Issue.record("answered \(model ?? "which") on \(machine)")
            } catch let error as QueryError {
                #expect(error.code == .qemuUnavailable)
                #expect(error.message.contains("\(path) was imported from libvirt probe data and covers only machine type 'none'"))
                #expect(error.message.contains("the host/max expansions libvirt asked for"))
            }
        }
    }
}
