import CPUQuery
import Foundation
import HostCPU
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Compare, baseline, usable models and bad input, on the recorded host capture.
@Suite struct HostQuestionsTests {
    static func recorded() async throws -> HostRecordFile {
        try HostRecordFile(path: try await TestSupport.recordedHostRecord())
    }

    @Test func compareGivesQEMUsRelations() async throws {
        let p = try await Self.recorded().profile(machine: "pc-q35-7.2")
        func compare(_ guest: String) throws -> CPUComparison {
            CPUComparison(guest: try GuestCPU.parse(guest).features(in: p.modelSets, context: "test"), host: p.supported)
        }
        #expect(try compare("486").relation == .subset)
        let qemu64 = try compare("qemu64")
        #expect(qemu64.relation == .incompatible)
        #expect(qemu64.missing == ["pni"])
        #expect(try compare("qemu64,-pni").runs)
        // The host's own feature set, written as a model plus flags, is identical.
        let exact = try CommandLineSearch.shortest(for: p.supported, in: p.modelSets)
        #expect(try compare(exact.guest.option).relation == .identical)
        // A guest with everything the host has and more is a superset.
        let more = try compare(exact.guest.option + ",+avx2")
        #expect(more.relation == .superset)
        #expect(more.missing == ["avx2"])
        // libvirt's <cpu> element says the same as the -cpu string.
        let xml = """
            <cpu mode='custom' match='exact'>
              <model fallback='forbid'>qemu64</model>
              <feature policy='disable' name='pni'/>
              <feature policy='require' name='sse4_1'/>
            </cpu>
            """
        let fromXML = try compare(xml)
        #expect(fromXML.missing == ["sse4.1"])
        #expect(try GuestCPU.parse(xml) == GuestCPU(model: "qemu64", plus: ["sse4_1"], minus: ["pni"]))
    }

    @Test func featureNamesAcceptQEMUsAliases() async throws {
        let space = try await Self.recorded().space
        for spelling in ["sse4.1", "sse4_1", "sse4-1", "SSE4_1"] { #expect(space.resolve(spelling) == "sse4.1") }
        #expect(space.resolve("sse3") == "pni")
        #expect(space.resolve("pclmuldq") == "pclmulqdq")
        #expect(space.resolve("lahf_lm") == "lahf-lm")
        #expect(space.resolve("no-such-feature") == nil)
    }

    @Test func baselineOfRecordedHostAndSyntheticHostsFitsEveryHost() async throws {
        let p = try await Self.recorded().profile(machine: "pc-q35-7.2")
        let hosts = [p, p.removing(["pse36", "ss", "movdiri"], name: "no-pse36"),
                     p.removing(["mtrr", "la57", "umip", "cx16"], name: "no-mtrr")]
        let b = try Baseline.compute(hosts, migratable: false)
        let features = try b.guest.features(in: p.modelSets, context: "test")
        #expect(features == b.common)
        for h in hosts { #expect(features.isSubset(of: h.supported)) }
        #expect(features.isDisjoint(with: ["pse36", "ss", "movdiri", "mtrr", "la57", "umip", "cx16"]))
        #expect(b.candidates.first?.runsAsDefined == true)
        #expect(b.guest.minus.isEmpty)
        // The winner is the richest model that runs everywhere: no other such model shares more.
        let runners = b.candidates.filter(\.runsAsDefined)
        #expect(runners.allSatisfy { $0.shared <= runners[0].shared })
        #expect(b.common.contains("invtsc"))
        #expect(try !Baseline.compute(hosts, migratable: true).common.contains("invtsc"))
    }

    @Test func badInputGetsClearErrors() async throws {
        #expect(throws: HostCPUError.self) { try GuestCPU.parse("") }
        #expect(throws: HostCPUError.self) { try GuestCPU.parse("qemu64,,+pni") }
        #expect(throws: HostCPUError.self) { try GuestCPU.parse("qemu64,family=6") }
        #expect(throws: HostCPUError.self) { try GuestCPU.parse("<cpu mode='custom'><feature name='pni'/></cpu>") }
        #expect(throws: HostCPUError.self) { try GuestCPU.parse("<cpu mode='host-passthrough'/>") }
        let p = try await Self.recorded().profile(machine: "pc-q35-7.2")
        do {
            _ = try GuestCPU.parse("qemu64,+sse4_l").features(in: p.modelSets, context: "test")
            Issue.record("an unknown feature was accepted")
        } catch {
            #expect(error.code == .unknownName)
            #expect(error.suggestions.contains("sse4.1"))
        }
        #expect(throws: HostCPUError.self) { try Baseline.compute([], migratable: false) }
    }

    @Test func recordsOfAnotherQEMUVersionAreRefused() async throws {
        let path = try await TestSupport.recordedHostRecord()
        var other = try SnapshotReader(path: path).load()
        other.meta.qemuVersion = "10.0.2"
        let otherPath = try TestSupport.temporaryDirectory() + "/other.sqlite"
        try SnapshotWriter().write(other, to: otherPath)
        do {
            try HostRecordFile.checkCompatible([try HostRecordFile(path: path), try HostRecordFile(path: otherPath)])
            Issue.record("records of two QEMU versions were accepted together")
        } catch let error as HostCPUError {
            #expect(error.code == .mismatch)
        }
    }

    @Test func cliStatusesForHostQuestions() async throws {
        let path = try await TestSupport.recordedHostRecord()
        let check = try TestSupport.runQCPU(["check", "qemu64", "--machine", "q35", "--host", path, "--format", "plain"])
        #expect(check.status == 1)
        #expect(check.stdout == "recorded\tloses\tpni\n")
        #expect(try TestSupport.runQCPU(["check", "486", "--machine", "q35", "--host", path]).status == 0)
        let typo = try TestSupport.runQCPU(["check", "Cascadelake-Sever", "--machine", "q35", "--host", path])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("did you mean 'Cascadelake-Server'"))
        let compare = try TestSupport.runQCPU(["compare", "qemu64,-pni", "--machine", "q35", "--host", path, "--format", "plain"])
        #expect(compare.status == 0)
        #expect(compare.stdout.hasPrefix("recorded\tsubset"))
        #expect(try TestSupport.runQCPU(["compare", "qemu64,=", "--host", path]).status == 65)
        #expect(try TestSupport.runQCPU(["compare", "<cpu><model>qemu64</cpu>", "--host", path]).status == 65)
        #expect(try TestSupport.runQCPU(["baseline", "--machine", "q35"]).status == 64)
        let empty = try TestSupport.temporaryDirectory()
        #expect(try TestSupport.runQCPU(["baseline", "--host-dir", empty]).status == 64)
        let snapshot = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let notRecord = try TestSupport.runQCPU(["check", "qemu64", "--host", snapshot])
        #expect(notRecord.status == 65)
        #expect(notRecord.stderr.contains("not a host record"))
        let version = try TestSupport.runQCPU(["models", "--host", path, "--qemu-version", "10.0.2"])
        #expect(version.status == 65)
        #expect(version.stderr.contains("QEMU 7.2.22"))
        let usable = try TestSupport.runQCPU(["models", "--host", path, "--machine", "q35", "--format", "plain"])
        #expect(usable.stdout.contains("recorded\t486\tusable\n"))
        #expect(usable.stdout.contains("recorded\tqemu64\tblocked\tpni\n"))
    }
}
