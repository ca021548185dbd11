import Foundation
import HostCPU
import QCPUTestSupport
import Testing

/// A host whose KVM offers features a running vCPU refuses (the AMD EPYC KVM guest this was
/// recorded on: `Fixtures/host-amd-pvm`), replayed on any machine.
@Suite struct RuntimeRefusalTests {
    static let refused: Set<String> = ["mds-no", "pschange-mc-no", "rdctl-no", "skip-l1dfl-vmentry"]

    @Test func theRuntimeProbeReplaysAndProposalsLeaveTheRefusedFeaturesOut() async throws {
        let dir = TestSupport.fixture("host-amd-pvm")
        let path = try await TestSupport.replayedHostRecord(dir, named: "amd-pvm")
        let record = try HostRecordFile(path: path)
        #expect(record.fingerprint.vendor == "AuthenticAMD")
        #expect(record.runtimeProbed)
        #expect(record.runtimeRefused == Self.refused)
        #expect(record.extraFeatures == ["kvm-hint-dedicated", "topoext"])
        // The preview is still QEMU's enforce answer: those features count as available.
        let (rows, mismatches) = try EnforcePreviewTests.compare(record, with: try EnforcePreviewTests.recordedUnavailable(dir))
        #expect(rows == 132)
        #expect(mismatches == [])
        let p = try record.profile(machine: "pc-q35-7.2")
        #expect(Self.refused.isSubset(of: p.supported))
        #expect(p.supported.contains("arch-capabilities") && p.offerable.contains("arch-capabilities"))
        // What qcpu proposes never holds them: baseline, cmdline --host, the domcaps host-model.
        for migratable in [false, true] {
            let b = try Baseline.compute([p], migratable: migratable)
            #expect(try b.guest.features(in: p.modelSets, context: "test").isDisjoint(with: Self.refused))
        }
        let line = try CommandLineSearch.shortest(for: p.hostModelFeatures, in: p.modelSets)
        #expect(try line.guest.features(in: p.modelSets, context: "test").isDisjoint(with: Self.refused))
        let domcaps = try TestSupport.runQCPU(["export", "libvirt-domcaps", "--host", path, "--machine", "pc-q35-7.2"])
        #expect(domcaps.status == 0)
        let hostModel = domcaps.stdout.components(separatedBy: "<mode name='host-model'").dropFirst().first?
            .components(separatedBy: "</mode>").first ?? ""
        #expect(!hostModel.isEmpty)
        for f in Self.refused { #expect(!hostModel.contains("'\(f)'"), "\(f) in the host-model") }
        // -cpu host aborts there: host-passthrough and maximum are not offered.
        #expect(domcaps.stdout.contains("<mode name='host-passthrough' supported='no'>"))
        #expect(domcaps.stdout.contains("<mode name='maximum' supported='no'>"))
    }
}
