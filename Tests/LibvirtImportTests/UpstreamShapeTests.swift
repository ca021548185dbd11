import Foundation
import Harvester
import LibvirtImport
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Shapes of libvirt's own upstream `.replies` files (tests/qemucapabilitiesdata of libvirt
/// 11.3.0) that qcpu's recordings did not have and that broke or misled the import. The files
/// themselves are not committed; each test rebuilds the shape from the installed QEMU's answers,
/// or, where only another QEMU build gives it, from the lines of the upstream file it names.
@Suite struct UpstreamShapeTests {
    /// Under KVM on ppc64 QEMU resolves the host's model to the host CPU type, so one model has
    /// two QOM types in one file. Only a ppc64 host with KVM answers so (not this machine): the
    /// objects below are copied from libvirt's caps_7.1.0_ppc64.replies (query-version,
    /// query-target, query-kvm, the `none` entry of query-machines and the power9 entries of
    /// query-cpu-definitions of each phase; caps_6.2.0_ppc64 and caps_7.0.0_ppc64 are the same).
    /// The snapshot writer refused the import ("model power9 has two QOM types").
    static let ppc64KVM = """
        {"execute": "qmp_capabilities", "id": "libvirt-1"}

        {"return": {}, "id": "libvirt-1"}

        {"execute": "query-version", "id": "libvirt-2"}

        {"return": {"qemu": {"micro": 0, "minor": 1, "major": 7}, "package": "v7.1.0"}, "id": "libvirt-2"}

        {"execute": "query-target", "id": "libvirt-3"}

        {"return": {"arch": "ppc64"}, "id": "libvirt-3"}

        {"execute": "query-kvm", "id": "libvirt-4"}

        {"return": {"enabled": true, "present": true}, "id": "libvirt-4"}

        {"execute": "query-machines", "id": "libvirt-5"}

        {"return": [{"hotpluggable-cpus": false, "name": "none", "numa-mem-supported": false, "cpu-max": 1, "deprecated": false, "default-ram-id": "ram"}], "id": "libvirt-5"}

        {"execute": "query-cpu-definitions", "id": "libvirt-6"}

        {"return": [{"name": "power9", "typename": "host-powerpc64-cpu", "static": false, "deprecated": false}, {"name": "power9_v2.0", "typename": "", "static": false, "deprecated": false}], "id": "libvirt-6"}

        {"execute": "qmp_capabilities", "id": "libvirt-1"}

        {"return": {}, "id": "libvirt-1"}

        {"execute": "query-cpu-definitions", "id": "libvirt-2"}

        {"return": [{"name": "power9", "typename": "power9_v2.0-powerpc64-cpu", "static": false, "deprecated": false}, {"name": "power9_v2.0", "typename": "", "static": false, "deprecated": false}], "id": "libvirt-2"}

        {"execute": "query-machines", "id": "libvirt-3"}

        {"return": [{"hotpluggable-cpus": false, "name": "none", "numa-mem-supported": false, "cpu-max": 1, "deprecated": false, "default-ram-id": "ram"}], "id": "libvirt-3"}

        """

    @Test func aModelWithAnotherQOMTypeUnderKVMImportsWithItsOwnType() throws {
        let file = try LibvirtReplies(parsing: Self.ppc64KVM, file: "caps_7.1.0_ppc64.replies")
        #expect(file.phases.map(\.accel) == ["kvm", "tcg"])
        let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(of: [file])
        let power9 = s.definitions.filter { $0.name == "power9" }
        #expect(power9.map(\.session.accel) == ["kvm", "tcg"])
        #expect(power9.map(\.typename) == ["power9_v2.0-powerpc64-cpu", "power9_v2.0-powerpc64-cpu"])
        #expect(s.definitions.filter { $0.name == "power9_v2.0" }.map(\.typename) == ["", ""])
        // It writes, validates and reads back.
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SnapshotWriter().write(s, to: dir + "/ppc64.sqlite")
        #expect(try SnapshotValidator().validate(path: dir + "/ppc64.sqlite").isEmpty)
        let back = try SnapshotReader(path: dir + "/ppc64.sqlite")
        #expect(try back.definition(binary: "qemu-system-ppc64", machine: "none", accel: "kvm", model: "power9")?.typename
                == "power9_v2.0-powerpc64-cpu")
    }

    /// libvirt asks `query-cpu-definitions` and `query-cpu-model-expansion` only when QEMU's
    /// `query-qmp-schema` lists them (caps_9.0.0_sparc has neither, caps_7.1.0_ppc64 has no
    /// expansion), so its files hold no error reply for them, and the import took the silence for
    /// "no models". The shape is rebuilt from the installed QEMU: qcpu's recording of its probe,
    /// with QEMU's own schema added after `query-target` and the commands it lacks left out, as
    /// libvirt leaves them out; ids renumbered per process as libvirt numbers them.
    @Test(arguments: [
        ("/usr/bin/qemu-system-ppc64", ["query-cpu-model-expansion full", "query-cpu-model-expansion static"]),
        ("/usr/bin/qemu-system-riscv64",
         ["query-cpu-definitions", "query-cpu-model-expansion full", "query-cpu-model-expansion static"]),
    ])
    func commandsMissingFromTheSchemaAreUnsupported(qemu: String, unsupported: [String]) async throws {
        let recorded = try await LibvirtProbeRecorder(qemu: qemu, useKVM: false).record()
        let schema = try await QEMUProcess.withSession(
            executable: qemu, arguments: QEMUProcess.standardArguments(machine: "none", accel: "tcg")) { client in
            try await client.execute("query-qmp-schema")
        }
        let text = Self.libvirtShaped(recorded.transcript, schema: schema).libvirtText
        let file = try LibvirtReplies(parsing: text, file: recorded.fileName)
        let commands = try #require(file.schemaCommands)
        #expect(commands.contains("query-cpu-definitions") == !unsupported.contains("query-cpu-definitions"))
        #expect(!commands.contains("query-cpu-model-expansion") && commands.contains("query-machines"))
        #expect(!text.contains("CommandNotFound"))  // nothing was asked that QEMU lacks
        let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(of: [file])
        #expect(s.sessions.map(\.unsupported) == [unsupported])
        // The same as a harvest of the same QEMU says for ppc64 (machine type none, TCG); the
        // harvest did not ask riscv64 7.2 for expansions, having no models to expand.
        if qemu.hasSuffix("ppc64") {
            let shipped = try SnapshotReader(path: TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite")
            #expect(try shipped.session(binary: "qemu-system-ppc64", machine: "none", accel: "tcg")?.unsupported == unsupported)
            #expect(s.definitions.count > 100)
        } else {
            #expect(s.definitions.isEmpty)
        }
        // A recording without the schema (qcpu's own) says nothing of it.
        #expect(try LibvirtReplies(parsing: recorded.transcript.libvirtText, file: recorded.fileName).schemaCommands == nil)
    }

    /// `recorded` as libvirt would have asked it: `query-qmp-schema` after `query-target`, only
    /// commands the schema lists, ids `libvirt-N` from 1 in each process.
    static func libvirtShaped(_ recorded: Transcript, schema: JSONValue) -> Transcript {
        let commands = Set((schema.arrayValue ?? []).filter { $0["meta-type"]?.stringValue == "command" }
            .compactMap { $0["name"]?.stringValue })
        var exchanges: [Transcript.Exchange] = []
        var n = 0
        func append(_ command: [String: JSONValue], _ reply: [String: JSONValue]) {
            n = command["execute"]?.stringValue == "qmp_capabilities" ? 1 : n + 1
            let id = JSONValue.string("libvirt-\(n)")
            exchanges.append(.init(command: .object(command.merging(["id": id]) { $1 }),
                                   reply: .object(reply.merging(["id": id]) { $1 })))
        }
        for e in recorded.exchanges {
            guard let execute = e.command["execute"]?.stringValue, commands.contains(execute) else { continue }
            append(e.command.objectValue ?? [:], e.reply.objectValue ?? [:])
            if execute == "query-target" { append(["execute": "query-qmp-schema"], ["return": schema]) }
        }
        return Transcript(exchanges: exchanges)
    }
}
