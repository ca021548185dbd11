import Foundation
import HostCPU
import QCPUTestSupport
import QMP
import Testing

/// `--host-dir` over a fleet: the fleet view of `models`, bad files, `--keep-going`, and
/// check/compare/baseline over every host (the built qcpu).
@Suite struct FleetCLITests {
    @Test func fleetViewAsJSONPlainAndTable() async throws {
        let (dir, _) = try await SyntheticHosts.fleetDirectory()
        let json = try TestSupport.runQCPU(["models", "--host-dir", dir, "--machine", "q35", "--format", "json"])
        #expect(json.status == 0 && json.stderr.isEmpty)
        let doc = try JSONParser.parse(json.stdout)
        #expect(doc["machine"] == "pc-q35-7.2")
        #expect(doc["host-count"] == 5)
        #expect(doc["distinct-hosts"] == 3)
        let models = try #require(doc["models"]?.arrayValue)
        let qemu64 = try #require(models.first { $0["name"] == "qemu64" })
        #expect(qemu64 == [
            "name": "qemu64", "alias-of": "qemu64-v1", "runs-on": 0, "level": "x86-64-v1",
            "blocked": [
                ["blockers": ["pni"], "hosts": 2, "examples": ["a-recorded", "b-same.example.com"]],
                ["blockers": ["pni", "pse36"], "hosts": 2, "examples": ["c-old", "d-old"]],
                ["blockers": ["cx8", "pni"], "hosts": 1, "examples": ["e-nocx8"]],
            ],
        ])
        #expect(models.first { $0["name"] == "486" } == ["name": "486", "alias-of": "486-v1", "runs-on": 5, "blocked": [], "level": .null])
        // Each model's x86-64 level; the hosts' (no pni: v1; without cx8 not even v1) and the lowest.
        #expect(doc["level"] == .null)
        #expect(doc["host-levels"]?["a-recorded"] == "x86-64-v1" && doc["host-levels"]?["e-nocx8"] == .null)

        let plain = try TestSupport.runQCPU(["models", "--host-dir", dir, "--machine", "q35", "--format", "plain"])
        #expect(plain.status == 0)
        let lines = plain.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("486\t5\tusable"))
        #expect(lines.filter { $0.hasPrefix("qemu64\t") } == ["qemu64\t2\tblocked\tpni", "qemu64\t2\tblocked\tpni\tpse36",
                                                            "qemu64\t1\tblocked\tcx8\tpni"])

        let table = try TestSupport.runQCPU(["models", "--host-dir", dir, "--machine", "q35"])
        #expect(table.status == 0)
        let rows = table.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first == "5 hosts on pc-q35-7.2 (3 distinct):")
        let at = try #require(rows.firstIndex { $0.hasPrefix("qemu64 ") })
        // The blockers column wraps at 80 columns.
        #expect(Array(rows[at...].prefix(4).flatMap { $0.split(separator: " ") }.prefix(16)) == [
            "qemu64", "x86-64-v1", "0", "of", "5", "2", "hosts", "pni", "(a-recorded,", "b-same.example.com)",
            "2", "hosts", "pni", "pse36", "(c-old,", "d-old)"])
        #expect(rows.last == "levels: 1 host(s) -, 4 host(s) x86-64-v1; every host runs no common x86-64 psABI level")

        // --per-host: every host's own listing, as with one host.
        let perHost = try TestSupport.runQCPU(["models", "--host-dir", dir, "--machine", "q35", "--format", "plain", "--per-host"])
        #expect(perHost.stdout.contains("e-nocx8\tqemu64\tblocked\tcx8\tpni\n"))
        #expect(perHost.stdout.split(separator: "\n").count == 5 * models.count)
    }

    @Test(arguments: ["truncated", "text", "not-a-record"])
    func aBadFileFailsWithStatus65UnlessKeepGoing(kind: String) async throws {
        let (dir, recorded) = try await SyntheticHosts.fleetDirectory()
        let clean = try TestSupport.runQCPU(["models", "--host-dir", dir, "--machine", "q35", "--format", "json"])
        let bad = dir + "/m-\(kind)"
        let reason: String
        switch kind {
        case "truncated":
            let data = try Data(contentsOf: URL(fileURLWithPath: recorded))
            try data.prefix(8192).write(to: URL(fileURLWithPath: bad))
            reason = "truncated: 8192 bytes, the header says \(data.count)"
        case "text":
            try "hosts: web01 web02\n".write(toFile: bad, atomically: true, encoding: .utf8)
            reason = "not an SQLite database, so not a qcpu snapshot"
        default:
            try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite", toPath: bad)
            reason = "not a host record (write one with 'qcpu host capture' or 'qcpu host import')"
        }
        for args in [["models", "--machine", "q35"], ["baseline"], ["check", "486"], ["compare", "486"]] {
            let run = try TestSupport.runQCPU(args + ["--host-dir", dir])
            #expect(run.status == 65, "\(args)")
            #expect(run.stdout.isEmpty)
            #expect(run.stderr == "qcpu: 1 file is not a host record: \(bad) (\(reason)) (--keep-going answers for the other hosts)\n")
        }
        let going = try TestSupport.runQCPU(["models", "--host-dir", dir, "--machine", "q35", "--format", "json", "--keep-going"])
        #expect(going.status == 0)
        #expect(going.stdout == clean.stdout)
        #expect(going.stderr == "qcpu: skipped 1 file that is not a host record: \(bad) (\(reason)); answering for 5 host(s)\n")
    }

    @Test func onlyBadFilesFailEvenWithKeepGoing() throws {
        let dir = try TestSupport.temporaryDirectory()
        try "x\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let run = try TestSupport.runQCPU(["baseline", "--host-dir", dir, "--keep-going"])
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("qcpu: skipped 1 file that is not a host record: \(dir)/notes.txt"))
        #expect(run.stderr.hasSuffix("qcpu: 1 file is not a host record: \(dir)/notes.txt (not an SQLite database, so not a qcpu snapshot) (--keep-going answers for the other hosts)\n"))
    }

    @Test func checkCompareAndBaselineAnswerForEveryHost() async throws {
        let (dir, _) = try await SyntheticHosts.fleetDirectory()
        let check = try TestSupport.runQCPU(["check", "pentium3", "--host-dir", dir, "--machine", "q35", "--format", "plain"])
        #expect(check.status == 1)
        let lines = check.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: "\t")[0] } == ["a-recorded", "b-same.example.com", "c-old", "d-old", "e-nocx8"])
        #expect(lines[2].hasSuffix("pse36") && lines[3] == lines[2].replacingOccurrences(of: "c-old", with: "d-old"))
        #expect(lines[4].split(separator: "\t").contains("cx8"))

        let compare = try TestSupport.runQCPU(["compare", "486", "--host-dir", dir, "--machine", "q35", "--format", "plain"])
        #expect(compare.status == 0)
        #expect(compare.stdout.split(separator: "\n").map { $0.split(separator: "\t")[1] } == Array(repeating: "subset", count: 5))

        let baseline = try TestSupport.runQCPU(["baseline", "--host-dir", dir, "--machine", "q35", "--format", "json"])
        #expect(baseline.status == 0)
        let doc = try JSONParser.parse(baseline.stdout)
        #expect(doc["hosts"] == ["a-recorded", "b-same.example.com", "c-old", "d-old", "e-nocx8"])
        // The common set is the intersection of every host's, without what any host lacks.
        let records = try HostRecordFiles.open(files: [], directories: [dir]).records
        let profiles = try records.map { try $0.profile(machine: "q35") }
        let common = profiles.dropFirst().reduce(profiles[0].supported) { $0.intersection($1.supported) }
        #expect(doc["common-features"] == .array(common.sorted().map { .string($0) }))
        #expect(common.isDisjoint(with: ["pse36", "movdiri", "cx8"]))
        #expect(doc["cpu"] == .string(try Baseline.compute(profiles, migratable: false).guest.option))
    }

    /// More records than the soft limit of open files: fleet questions close each file after
    /// reading it, and `host show` (which keeps them open) raises the limit to the hard one.
    @Test func moreRecordsThanTheSoftLimitOfOpenFiles() async throws {
        let recorded = try await TestSupport.recordedHostRecord()
        let dir = try TestSupport.temporaryDirectory()
        for i in 1...120 { try FileManager.default.copyItem(atPath: recorded, toPath: dir + String(format: "/h%03d", i)) }
        for args in [["host", "show"], ["baseline"], ["check", "486"]] {
            let line = ([TestSupport.qcpuBinary] + args + ["--host-dir", dir, "--machine", "q35", "--format", "plain"]).joined(separator: " ")
            let run = try TestSupport.runQCPU(["-c", "ulimit -Sn 64 && exec \(line)"], executable: "/bin/sh")
            #expect(run.status == 0, "\(args): \(run.stderr)")
            #expect(run.stdout.split(separator: "\n").count == (args[0] == "baseline" ? 1 : 120), "\(args)")
        }
    }
}
