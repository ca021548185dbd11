import CPUDiff
import Foundation
import QCPUTestSupport
import SnapshotStore
import Testing

/// `qcpu diff --abi` over each consecutive pair of shipped releases (5.2.0, 7.2.22, 10.0.2, 10.0.13,
/// 11.1.3): what QEMU removed and what changed on versioned machine types (docs/ABI-DIFF.md).
@Suite struct ReleasePairTests {
    static func path(_ version: String) -> String { TestSupport.packageRoot + "/Snapshots/qemu-\(version).sqlite" }
    static func diff(_ old: String, _ new: String) throws -> ReleaseDiff {
        try ReleaseDiff(SnapshotReader(path: path(old)), SnapshotReader(path: path(new)))
    }
    static func removed(_ d: ReleaseDiff, _ binary: String = "qemu-system-x86_64") -> [String] {
        d.changes.filter { $0.kind == "machine-removed" && $0.binary == binary }.map(\.subject).sorted()
    }

    @Test func machineTypesRemovedBetweenReleases() throws {
        // Debian 12 builds qemu-system-x86 without Xen: its xenfv/xenpv machine types are gone too.
        #expect(Self.removed(try Self.diff("5.2.0", "7.2.22")) == ["pc-1.0", "pc-1.1", "pc-1.2", "pc-1.3", "xenfv-3.1", "xenfv-4.2", "xenpv"])
        #expect(Self.removed(try Self.diff("7.2.22", "10.0.2")) == (["1.4", "1.5", "1.6", "1.7", "2.0", "2.1", "2.2", "2.3"]).map { "pc-i440fx-" + $0 })
        #expect(Self.removed(try Self.diff("10.0.2", "10.0.13")).isEmpty)
        let eleven = Self.removed(try Self.diff("10.0.13", "11.1.3"))
        #expect(eleven.count == 33)
        #expect(eleven.contains("pc-i440fx-2.4") && eleven.contains("pc-i440fx-5.1") && eleven.contains("pc-q35-4.0.1")
                && eleven.contains("pc-q35-5.1") && !eleven.contains("pc-q35-5.2"))
    }

    @Test func versionedMachineTypesKeepTheirABIUntil11Point1() throws {
        let d1 = try Self.diff("7.2.22", "10.0.2"), d2 = try Self.diff("10.0.2", "10.0.13")
        #expect(d1.breaks.isEmpty && d2.breaks.isEmpty)
        #expect(d2.changes.isEmpty && d2.comparedExpansions == 20_020)

        // 10.0 → 11.1: legacy-cache true → false in the full expansion of 486, pentium, pentium2 and
        // pentium3 (and their -v1) on all 28 versioned pc machine types 5.2 … 10.0 both releases have.
        let d3 = try Self.diff("10.0.13", "11.1.3")
        #expect(d3.breaks.count == 224)
        #expect(Set(d3.breaks.map(\.prop)) == ["legacy-cache"])
        #expect(d3.breaks.allSatisfy { $0.old == true && $0.new == false && $0.type == "full" })
        #expect(Set(d3.breaks.map(\.model)) == ["486", "486-v1", "pentium", "pentium-v1", "pentium2", "pentium2-v1", "pentium3", "pentium3-v1"])
        #expect(Set(d3.breaks.map(\.machine)).count == 28)
        #expect(d3.changes.contains(.init(kind: "alias-changed", binary: "qemu-system-x86_64", subject: "microvm EPYC",
                                          old: "EPYC-v4", new: "EPYC-v5")))

        // 5.2 → 7.2: qemu64-v1 on pc-*-1.4 … 5.2 lost the compat props of its alias (family 6 → 15,
        // model 6 → 107, stepping 3 → 1): in 5.2 they reached the versioned type too.
        let d0 = try Self.diff("5.2.0", "7.2.22")
        #expect(Set(d0.breaks.map(\.model)) == ["qemu64-v1"])
        #expect(Set(d0.breaks.map(\.prop)) == ["family", "model", "stepping"])
        #expect(d0.breaks.contains { $0.machine == "pc-i440fx-1.4" && $0.prop == "family" && $0.old == 6 && $0.new == 15 })
        #expect(Set(d0.breaks.map(\.machine)).count == 43)
    }
}
