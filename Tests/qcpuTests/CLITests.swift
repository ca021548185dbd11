import Foundation
import QCPUTestSupport
import Testing

/// Runs the built `qcpu` and compares its text with the expected files in `Expected/`.
@Suite struct CLITests {
    func expected(_ name: String) throws -> String {
        try String(contentsOf: Bundle.module.resourceURL!.appendingPathComponent("Expected/\(name)"), encoding: .utf8)
    }

    @Test(arguments: [(["--help"], "qcpu-help.txt"), (["harvest", "--help"], "harvest-help.txt")])
    func helpTextIsStable(arguments: [String], file: String) throws {
        let run = try TestSupport.runQCPU(arguments)
        #expect(run.status == 0)
        let text = try expected(file)
        #expect(run.stdout == text)
    }

    @Test func harvestFromARecordingThenInfoAsTableAndJSON() throws {
        let dir = try TestSupport.temporaryDirectory()
        let harvest = try TestSupport.runQCPU(
            ["harvest", "--replay", TestSupport.fixture("aarch64"), "-o", "arm.sqlite"],
            environment: ["SOURCE_DATE_EPOCH": "1700000000"], cwd: dir)
        #expect(harvest.status == 0)
        #expect(harvest.stdout.isEmpty)
        #expect(harvest.stderr.contains("expansions 2 (0 errors), distinct property sets 2"))
        let table = try TestSupport.runQCPU(["info", "arm.sqlite"], cwd: dir)
        let expectedTable = try expected("info-aarch64.txt")
        #expect(table.status == 0)
        #expect(table.stdout == expectedTable)
        let json = try TestSupport.runQCPU(["info", "--format", "json", "arm.sqlite"], cwd: dir)
        let expectedJSON = try expected("info-aarch64.json")
        #expect(json.status == 0)
        #expect(json.stdout == expectedJSON)
        let validate = try TestSupport.runQCPU(["validate", "arm.sqlite"], cwd: dir)
        #expect(validate.status == 0 && validate.stdout == "arm.sqlite: ok\n")
    }

    @Test func shardsMergeThroughTheCLIToTheSameBytes() throws {
        let dir = try TestSupport.temporaryDirectory()
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        let fixture = TestSupport.fixture("x86_64")
        #expect(try TestSupport.runQCPU(["harvest", "-q", "--replay", fixture, "-o", "whole.sqlite"], environment: env, cwd: dir).status == 0)
        for k in 1...2 {
            #expect(try TestSupport.runQCPU(["harvest", "-q", "--replay", fixture, "--shard", "\(k)/2", "-o", "s\(k).sqlite"],
                                            environment: env, cwd: dir).status == 0)
        }
        #expect(try TestSupport.runQCPU(["merge", "s2.sqlite", "s1.sqlite", "-o", "merged.sqlite"], cwd: dir).status == 0)
        #expect(try TestSupport.sha256(dir + "/whole.sqlite") == TestSupport.sha256(dir + "/merged.sqlite"))
    }

    @Test func documentedExitStatuses() throws {
        let dir = try TestSupport.temporaryDirectory()
        try "not sqlite\n".write(toFile: dir + "/bad.sqlite", atomically: true, encoding: .utf8)
        let cases: [([String], [String: String], Int32, String)] = [
            (["validate", "missing.sqlite"], [:], 66, "qcpu: missing.sqlite: no such file\n"),
            (["validate", "bad.sqlite"], [:], 65, "qcpu: bad.sqlite: not an SQLite database, so not a qcpu snapshot\n"),
            (["info", "bad.sqlite"], [:], 65, "qcpu: bad.sqlite: not an SQLite database, so not a qcpu snapshot\n"),
            (["harvest", "--qemu", "/nonexistent/qemu", "-o", "x.sqlite"], [:], 69, "qcpu: /nonexistent/qemu: not an executable file\n"),
            (["harvest", "--qemu", TestSupport.qemuX86, "-o", "x.sqlite"], ["SOURCE_DATE_EPOCH": "soon"], 64,
             "qcpu: SOURCE_DATE_EPOCH must be a non-negative integer, got 'soon'\n"),
            (["harvest", "--replay", dir, "-o", "x.sqlite"], [:], 65,
             "qcpu: \(dir)/manifest.json: missing or not JSON; was the directory made by --record?\n"),
        ]
        for (args, env, status, stderr) in cases {
            let run = try TestSupport.runQCPU(args, environment: env, cwd: dir)
            #expect(run.status == status, "\(args)")
            #expect(run.stderr == stderr, "\(args)")
        }
        let usage = try TestSupport.runQCPU(["harvest", "--shard", "0/2", "-o", "x"], cwd: dir)
        #expect(usage.status == 64 && usage.stderr.hasPrefix("Error: --shard must be K/N"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.sqlite"))
    }

    @Test func aFailedHarvestWritesNoFileAndExits1() throws {
        let dir = try TestSupport.temporaryDirectory()
        let marker = "qcpu-test-\(UUID().uuidString)"
        let wrapper = try TestSupport.qemuWrapper(in: dir, marker: marker, trigger: "pc-q35-7.2,accel=tcg",
                                                  action: "(sleep 0.2; kill -KILL $$) &")
        let run = try TestSupport.runQCPU([
            "harvest", "--qemu", wrapper, "--accel", "tcg", "--machine", "pc-q35-7.*", "-o", "out.sqlite",
        ], cwd: dir)
        #expect(run.status == 1)
        #expect(run.stderr.contains("qcpu: 1 of 3 sessions failed\n  qemu-system-x86_64 pc-q35-7.2 tcg: process-exited"))
        #expect(run.stderr.contains("(killed)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["qemu-system-x86_64"])
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }
}
