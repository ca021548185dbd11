import Foundation
import Harvester
import QCPUTestSupport
import SnapshotStore
import Testing

/// The recorded transcripts of the QEMU releases of other Debian suites (bullseye's 5.2, trixie's
/// 10.0.13, sid's 11.1.3; `scripts/record-release-fixtures.sh`) replay to the same rows as the
/// release's shipped snapshot: no QEMU, no fetched release needed.
@Suite struct ReleaseReplayTests {
    static let releases: [(version: String, machines: [String])] = [
        ("5.2.0", ["microvm", "pc-q35-5.2"]), ("10.0.13", ["microvm", "pc-q35-10.0"]), ("11.1.3", ["microvm", "pc-q35-11.1"]),
    ]
    static let binary = "qemu-system-x86_64"

    @Test(arguments: releases.map(\.version))
    func replayGivesTheShippedRows(version: String) async throws {
        let shippedPath = TestSupport.packageRoot + "/Snapshots/qemu-\(version).sqlite"
        let shipped = try SnapshotReader(path: shippedPath).load()
        let replayed = try await TestSupport.replay("qemu-\(version)", epoch: shipped.meta.harvestTime)
        let machines = Set(Self.releases.first { $0.version == version }!.machines)

        #expect(replayed.meta.qemuVersion == version)
        #expect(replayed.meta.qemuPackage == shipped.meta.qemuPackage)
        #expect(replayed.binaries == shipped.binaries.filter { $0.name == Self.binary })
        #expect(replayed.machines == shipped.machines.filter { $0.binary == Self.binary })
        #expect(Set(replayed.sessions.map(\.key.machine)) == machines)
        #expect(replayed.sessions == shipped.sessions.filter { $0.key.binary == Self.binary && machines.contains($0.key.machine) })

        // Every model recorded (EPYC, EPYC-Genoa where the release has it, qemu64 and the versions the
        // globs do not reach are absent): its definitions and expansions are the shipped ones.
        let models = Set(replayed.definitions.map(\.name))
        #expect(models.isSuperset(of: ["EPYC", "qemu64"]))
        #expect(models.contains("EPYC-Genoa") == (version != "5.2.0"))
        let shippedDefinitions = shipped.definitions.filter {
            $0.session.binary == Self.binary && machines.contains($0.session.machine) && models.contains($0.name)
        }
        #expect(replayed.definitions == shippedDefinitions)
        let shippedExpansions = shipped.expansions.filter {
            $0.key.session.binary == Self.binary && machines.contains($0.key.session.machine) && models.contains($0.key.model)
        }
        #expect(replayed.expansions.count == shippedExpansions.count)
        #expect(replayed.expansions.count == machines.count * models.count * 2)
        #expect(replayed.expansions == shippedExpansions)
        let typenames = Set(replayed.qomTypes.map(\.typename))
        #expect(!typenames.isEmpty)
        #expect(replayed.qomTypes == shipped.qomTypes.filter { $0.binary == Self.binary && typenames.contains($0.typename) })
    }
}
