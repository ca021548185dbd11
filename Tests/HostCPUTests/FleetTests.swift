import Foundation
import Harvester
@testable import HostCPU
import QCPUTestSupport
import SnapshotStore
import Testing

/// Fleets: host directories with bad files, identical hosts grouped, the fleet view of models.
@Suite struct FleetTests {
    static func fleetDirectory() async throws -> (dir: String, recorded: String) {
        try await SyntheticHosts.fleetDirectory()
    }

    @Test func directoryReadsEveryRegularFileButDotfilesAndSubdirectories() async throws {
        let (dir, _) = try await Self.fleetDirectory()
        try "notes\n".write(toFile: dir + "/.README", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/old", withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: dir + "/c-old", toPath: dir + "/old/c-old")
        let files = try HostRecordFiles.files(in: dir).map { ($0 as NSString).lastPathComponent }
        #expect(files == ["a-recorded.sqlite", "b-same.example.com", "c-old", "d-old", "e-nocx8"])
        let opened = try HostRecordFiles.open(files: [], directories: [dir])
        #expect(opened.unreadable == [])
        #expect(opened.records.map(\.name) == ["a-recorded", "b-same.example.com", "c-old", "d-old", "e-nocx8"])
    }

    @Test(arguments: ["truncated", "text", "not-a-record"])
    func aBadFileIsNamedWithItsReason(kind: String) async throws {
        let (dir, recorded) = try await Self.fleetDirectory()
        let bad = dir + "/zz-\(kind)"
        let reason: String
        switch kind {
        case "truncated":
            let data = try Data(contentsOf: URL(fileURLWithPath: recorded))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: bad))
            reason = "truncated: \(data.count / 2) bytes, the header says \(data.count)"
        case "text":
            try "host = web01\n".write(toFile: bad, atomically: true, encoding: .utf8)
            reason = "not an SQLite database, so not a qcpu snapshot"
        default:
            try FileManager.default.createSymbolicLink(atPath: bad, withDestinationPath: TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite")
            reason = "not a host record (write one with 'qcpu host capture' or 'qcpu host import')"
        }
        let opened = try HostRecordFiles.open(files: [], directories: [dir])
        #expect(opened.records.count == 5)
        #expect(opened.unreadable == [HostRecordFiles.Unreadable(path: bad, reason: reason)])
        let error = try #require(opened.unreadableError)
        #expect(error.code == .unreadableRecords)
        #expect(error.message == "1 file is not a host record: \(bad) (\(reason)) (--keep-going answers for the other hosts)")
        #expect(opened.skippedNote == "skipped 1 file that is not a host record: \(bad) (\(reason)); answering for 5 host(s)")
    }

    @Test func manyBadFilesAreCountedAfterTheFirstFew() throws {
        let dir = try TestSupport.temporaryDirectory()
        for i in 1...5 { try "x\n".write(toFile: dir + "/bad\(i)", atomically: true, encoding: .utf8) }
        let error = try #require(try HostRecordFiles.open(files: [], directories: [dir]).unreadableError)
        let why = "not an SQLite database, so not a qcpu snapshot"
        #expect(error.message == "5 files are not host records: \(dir)/bad1 (\(why)), \(dir)/bad2 (\(why)), \(dir)/bad3 (\(why)) and 2 more (--keep-going answers for the other hosts)")
    }

    @Test func identicalHostsAreGroupedAndComputedOnce() async throws {
        let (dir, _) = try await Self.fleetDirectory()
        let records = try HostRecordFiles.open(files: [], directories: [dir]).records
        let fleet = try Fleet(records: records, machine: "q35")
        #expect(fleet.machine == "pc-q35-7.2")
        #expect(fleet.hostCount == 5)
        #expect(fleet.groups.map(\.hosts) == [["a-recorded", "b-same.example.com"], ["c-old", "d-old"], ["e-nocx8"]])
        var calls = 0
        let rows = fleet.perHost { p -> [String] in
            calls += 1
            return p.blockers(of: "Skylake-Client") ?? []
        }
        #expect(calls == 3)
        #expect(rows.map(\.host) == ["a-recorded", "b-same.example.com", "c-old", "d-old", "e-nocx8"])
        // Per host, the same answer as the host's own profile.
        for (record, row) in zip(records, rows) {
            #expect(row.value == (try record.profile(machine: "q35").blockers(of: "Skylake-Client") ?? []))
        }
    }

    @Test func fleetViewCountsHostsAndGroupsBlockers() async throws {
        let (dir, _) = try await Self.fleetDirectory()
        let records = try HostRecordFiles.open(files: [], directories: [dir]).records
        let view = FleetModels(try Fleet(records: records, machine: "pc-q35-7.2"), examples: 1)
        #expect(view.hostCount == 5 && view.distinctHosts == 3)
        let rows = Dictionary(uniqueKeysWithValues: view.rows.map { ($0.model, $0) })
        // 486 needs neither pse36 nor movdiri nor cx8: it runs everywhere.
        #expect(rows["486"] == FleetModels.Row(model: "486", aliasOf: "486-v1", runsOn: 5, blocked: []))
        // qemu64 lacks pni on the recorded host, and pse36 or cx8 where they were taken away;
        // equal counts are ordered by blockers.
        #expect(rows["qemu64"]?.runsOn == 0)
        #expect(rows["qemu64"]?.blocked == [
            .init(blockers: ["pni"], hostCount: 2, examples: ["a-recorded"]),
            .init(blockers: ["pni", "pse36"], hostCount: 2, examples: ["c-old"]),
            .init(blockers: ["cx8", "pni"], hostCount: 1, examples: ["e-nocx8"]),
        ])
        // pentium3 has pse36 and cx8: three blocker sets, one per distinct host.
        let p3 = try #require(rows["pentium3"])
        let recordedBlockers = try records[0].profile(machine: "q35").blockers(of: "pentium3") ?? []
        #expect(p3.runsOn == (recordedBlockers.isEmpty ? 2 : 0))
        #expect(p3.blocked.contains(.init(blockers: (recordedBlockers + ["pse36"]).sorted(), hostCount: 2, examples: ["c-old"])))
        #expect(p3.blocked.contains(.init(blockers: (recordedBlockers + ["cx8"]).sorted(), hostCount: 1, examples: ["e-nocx8"])))
        // Every model: the hosts it runs on and the blocked ones add up, and agree with each host's profile.
        let profiles = try records.map { try $0.profile(machine: "q35") }
        for row in view.rows {
            #expect(row.runsOn + row.blocked.map(\.hostCount).reduce(0, +) == 5)
            #expect(row.runsOn == profiles.filter { $0.blockers(of: row.model) == [] }.count)
            for b in row.blocked {
                #expect(b.hostCount == profiles.filter { $0.blockers(of: row.model) == b.blockers }.count)
            }
        }
    }

    /// The facts of a profile that answers depend on.
    static func facts(_ p: HostProfile) -> [String] {
        [p.host, p.machine, p.supported.sorted().joined(separator: " "), p.migratableSupported.sorted().joined(separator: " "),
         p.runtimeRefused.sorted().joined(separator: " "),
         p.modelSets.models.keys.sorted().map { "\($0)=\(p.modelSets.models[$0]!.sorted())" }.joined(separator: ";"),
         p.modelSets.aliasOf.keys.sorted().map { "\($0)>\(p.modelSets.aliasOf[$0]!)" }.joined(separator: ";")]
    }

    /// Light records read from their pages: hosts with equal facts have equal keys although
    /// their files differ, and every host's profile is the one its record gives when opened whole.
    @Test func pagesRecogniseIdenticalHostsAndGiveTheRecordsProfiles() async throws {
        let (dir, _) = try await Self.fleetDirectory()
        // An old full record (every model's KVM expansion inside) among them: opened whole.
        try await TestSupport.writeOldFormatHostRecord(to: dir + "/f-old-format")
        let paths = try HostRecordFiles.files(in: dir)
        let scans = try paths.map { try HostRecordScan.read(path: $0, machine: "q35") }
        #expect(scans.map { $0?.machine } == Array(repeating: "pc-q35-7.2", count: 5) + [nil])
        let keys = scans.compactMap { $0?.key }
        #expect(HostRecordScan.sameKey(keys[0], keys[1]) && HostRecordScan.sameKey(keys[2], keys[3]))
        #expect(!HostRecordScan.sameKey(keys[0], keys[2]) && !HostRecordScan.sameKey(keys[2], keys[4]))
        #expect(scans[0]?.hash == scans[1]?.hash)
        // The files of identical hosts differ (another kernel), their keys do not.
        #expect(try Data(contentsOf: URL(fileURLWithPath: paths[0])) != Data(contentsOf: URL(fileURLWithPath: paths[1])))

        let opened = try Fleet.open(paths: paths, machine: "q35")
        let fleet = try #require(opened.fleet)
        #expect(opened.unreadable == [])
        #expect(fleet.hosts == ["a-recorded", "b-same.example.com", "c-old", "d-old", "e-nocx8", "f-old-format"])
        for (path, p) in zip(paths, fleet.profiles) {
            #expect(Self.facts(p) == Self.facts(try HostRecordFile(path: path).profile(machine: "q35")), "\(path)")
        }
        #expect(fleet.groups.count <= 4)
        #expect(fleet.groups[0].hosts.starts(with: ["a-recorded", "b-same.example.com"]))
        // Records already open (a capture of this host) join the files.
        let joined = try #require(try Fleet.open(paths: Array(paths.prefix(1)), extra: [try HostRecordFile(path: paths[2])],
                                                 machine: "q35").fleet)
        #expect(joined.hosts == ["a-recorded", "c-old"] && joined.groups.count == 2)
        #expect(try #require(try Fleet.open(paths: [], extra: [try HostRecordFile(path: paths[0])], machine: "q35").fleet).hostCount == 1)
        // The default machine type is the record's default.
        #expect(try Fleet.open(paths: paths, machine: nil).fleet?.machine
                == (try HostRecordFile(path: paths[0]).resolveMachine(nil)))
    }

    /// Intel and AMD hosts of one QEMU in one fleet: every model's count and blocker sets are
    /// those of each host's own profile.
    @Test func mixedVendorFleetView() async throws {
        let (dir, _) = try await Self.fleetDirectory()
        let amd = try await TestSupport.replayedHostRecord(TestSupport.amdRecordings + "/qemu-7.2.22", named: "amd")
        try FileManager.default.copyItem(atPath: amd, toPath: dir + "/z-amd-epyc")
        let paths = try HostRecordFiles.files(in: dir)
        let fleet = try #require(try Fleet.open(paths: paths, machine: "pc-q35-7.2").fleet)
        #expect(fleet.groups.count == 4)
        let view = FleetModels(fleet)
        let profiles = try paths.map { try HostRecordFile(path: $0).profile(machine: "pc-q35-7.2") }
        #expect(profiles.map { $0.modelSets.models.keys.sorted() }.allSatisfy { $0 == view.rows.map(\.model) })
        for row in view.rows {
            let blockers = profiles.map { $0.blockers(of: row.model) ?? [] }
            #expect(row.runsOn == blockers.filter(\.isEmpty).count, "\(row.model)")
            #expect(Set(row.blocked.map(\.blockers)) == Set(blockers.filter { !$0.isEmpty }), "\(row.model)")
            for b in row.blocked {
                #expect(b.hostCount == blockers.filter { $0 == b.blockers }.count)
                #expect(b.examples == Array(zip(profiles, blockers).filter { $0.1 == b.blockers }.map(\.0.host).prefix(3)))
            }
        }
        // The AMD host offers no SSSE3 (its hypervisor masks it), the Intel one does.
        let core2 = try #require(view.rows.first { $0.model == "core2duo" })
        #expect(core2.blocked.contains { $0.examples == ["z-amd-epyc"] && $0.blockers.contains("ssse3") })
    }
}
