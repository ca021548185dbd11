import CPUHistory
import CPUQuery
import Foundation
import QCPUTestSupport
import Testing

/// `qcpu history` facts on the shipped snapshots (5.2.0, 7.2.22, 10.0.2, 10.0.13, 11.1.3).
@Suite struct ModelHistoryTests {
    static let versions = ["5.2.0", "7.2.22", "10.0.2", "10.0.13", "11.1.3"]
    static func timeline(_ binary: String = "qemu-system-x86_64") throws -> ReleaseTimeline {
        let files = versions.map { TestSupport.packageRoot + "/Snapshots/qemu-\($0).sqlite" }
        return try ReleaseTimeline.open(locator: SnapshotLocator(explicitFiles: files, environment: [:]), binary: binary)
    }

    @Test func theTimelineIsEveryReleaseOldestFirst() throws {
        let t = try Self.timeline()
        #expect(t.releases.map(\.version) == Self.versions)
        #expect(t.releases.last?.build == "QEMU 11.1.3 (Debian 1:11.1.3+ds-1)")
        // riscv64 is not in 11.1.3's snapshot (its QEMU aborts on qom-list-properties): four releases.
        #expect(try Self.timeline("qemu-system-riscv64").releases.map(\.version) == ["5.2.0", "7.2.22", "10.0.13"])
    }

    @Test func sapphireRapidsAndEPYCGenoaFirstAppearIn10() throws {
        let t = try Self.timeline()
        for model in ["SapphireRapids", "EPYC-Genoa"] {
            let h = try ModelHistory.build(model: model, timeline: t)
            #expect(h.firstRelease == "10.0.2", "\(model)")
            #expect(h.entries.map(\.exists) == [false, false, true, true, true], "\(model)")
            #expect(h.releasesWithout.isEmpty)
        }
        let sapphire = try ModelHistory.build(model: "SapphireRapids", timeline: t)
        #expect(sapphire.entries[2].versions == ["SapphireRapids-v1", "SapphireRapids-v2", "SapphireRapids-v3"])
        #expect(sapphire.entries[4].versions.count == 8)
        // On each release's newest machine types, a pc machine type resolves the alias to -v1.
        #expect(sapphire.entries[4].machines.map(\.machine) == ["pc-i440fx-11.1", "pc-q35-11.1"])
        #expect(sapphire.entries[4].machines.allSatisfy { $0.aliasOf == "SapphireRapids-v1" && $0.comparedWith != nil })
        #expect(sapphire.entries[2].machines.allSatisfy { $0.comparedWith == nil && $0.added == nil })
    }

    @Test func epycOnMicrovmFollowsTheNewestVersion() throws {
        let h = try ModelHistory.build(model: "EPYC", timeline: try Self.timeline(), machine: "microvm", feature: "vgif")
        #expect(h.entries.map { $0.machines.first?.aliasOf } == ["EPYC-v3", "EPYC-v3", "EPYC-v4", "EPYC-v4", "EPYC-v5"])
        #expect(h.entries.map { $0.versions.count } == [3, 3, 4, 4, 5])
        let v4 = try #require(h.entries[2].machines.first), v5 = try #require(h.entries[4].machines.first)
        #expect(v4.aliasBefore == .some("EPYC-v3") && h.entries[3].machines.first?.aliasBefore == nil)
        #expect(v5.aliasBefore == .some("EPYC-v4"))
        // EPYC-v5 turns on AMD's SVM features under TCG.
        #expect(Set(v5.added ?? []).isSuperset(of: ["vgif", "lbrv", "flushbyasid", "pause-filter", "tsc-scale"]))
        #expect(v5.removed == [])
        #expect(h.feature == "vgif")
        // QEMU 5.2 has no feature named vgif (nil); 7.2 to 10.0 know it, off.
        #expect(h.entries.map { $0.machines.first?.featureValue } == [nil, false, false, false, true])
        #expect(h.entries.map(\.featureKnown) == [false, true, true, true, true])
    }

    @Test func identityChangesAreSaid() throws {
        // qemu64-v1 on pc-i440fx-1.4: QEMU 5.2 applied the machine type's compat props to it too.
        let h = try ModelHistory.build(model: "qemu64-v1", timeline: try Self.timeline(), machine: "pc-i440fx-1.4")
        let m = try #require(h.entries[1].machines.first)
        #expect(m.comparedWith == "pc-i440fx-1.4")
        #expect(m.identityChanges == [.init(prop: "family", old: 6, new: 15), .init(prop: "model", old: 6, new: 107),
                                      .init(prop: "stepping", old: 3, new: 1)])
        #expect(m.added == [] && m.removed == [])
    }

    @Test func aMachineTypeAReleaseLacksIsSaid() throws {
        // pc-i440fx-1.4: in 5.2 and 7.2, removed in 10.0.
        let h = try ModelHistory.build(model: "qemu64", timeline: try Self.timeline(), machine: "pc-i440fx-1.4")
        #expect(h.entries.map(\.missingMachine) == [nil, nil, "pc-i440fx-1.4", "pc-i440fx-1.4", "pc-i440fx-1.4"])
        #expect(h.entries[1].machines.first?.machineDeprecated == true)
        // An alias is looked up in each release: q35 is the newest pc-q35 of each.
        let q35 = try ModelHistory.build(model: "qemu64", timeline: try Self.timeline(), machine: "q35")
        #expect(q35.entries.map { $0.machines.first?.machine } == ["pc-q35-5.2", "pc-q35-7.2", "pc-q35-10.0", "pc-q35-10.0", "pc-q35-11.1"])
    }

    @Test func kvmRowsAreOnlySomeReleases() throws {
        // The named models' KVM rows ship for 7.2.22 and 10.0.2 only.
        let h = try ModelHistory.build(model: "EPYC", timeline: try Self.timeline(), accel: "kvm")
        #expect(h.entries.map(\.harvested) == [false, true, true, false, false])
        #expect(h.firstRelease == "7.2.22")
    }

    @Test func unknownNamesSuggest() throws {
        #expect {
            _ = try ModelHistory.build(model: "SapphireRapid", timeline: try Self.timeline())
        } throws: { error in
            guard let e = error as? QueryError else { return false }
            return e.code == .unknownName && e.suggestions.contains("SapphireRapids")
        }
        #expect {
            _ = try ModelHistory.build(model: "EPYC", timeline: try Self.timeline(), feature: "vgiff")
        } throws: { error in (error as? QueryError)?.suggestions.contains("vgif") == true }
    }

    @Test func versionSeries() throws {
        #expect(QEMUVersion.isSeries("10.0") && !QEMUVersion.isSeries("10.0.2") && !QEMUVersion.isSeries("10"))
        #expect(QEMUVersion.newest(inSeries: "10.0", of: Self.versions) == "10.0.13")
        #expect(QEMUVersion.newest(inSeries: "5.2", of: Self.versions) == "5.2.0")
        #expect(QEMUVersion.newest(inSeries: "10.1", of: Self.versions) == nil)
        let files = Self.versions.map { TestSupport.packageRoot + "/Snapshots/qemu-\($0).sqlite" }
        let q = try CPUQuery(locator: SnapshotLocator(explicitFiles: files, environment: [:]), target: .init(version: "10.0"), mode: .offline)
        #expect(q.version == "10.0.13")
        #expect(try CPUQuery(locator: SnapshotLocator(explicitFiles: files, environment: [:]), target: .init(version: "10.0.2"), mode: .offline).version == "10.0.2")
        #expect(throws: QueryError.self) {
            _ = try CPUQuery(locator: SnapshotLocator(explicitFiles: files, environment: [:]), target: .init(version: "9.2"), mode: .offline)
        }
    }
}
