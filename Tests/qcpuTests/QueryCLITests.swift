import Foundation
import QCPUTestSupport
import SnapshotStore
import Testing

/// The query commands of the built `qcpu`, offline on the shipped snapshot.
@Suite struct QueryCLITests {
    let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
    let shipped10 = TestSupport.packageRoot + "/Snapshots/qemu-10.0.2.sqlite"
    let shipped11 = TestSupport.packageRoot + "/Snapshots/qemu-11.1.3.sqlite"
    let builds = ["qemu-7.2.22": "QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", "qemu-11.1.3": "QEMU 11.1.3 (Debian 1:11.1.3+ds-1)",
                  "qemu-10.0.13": "QEMU 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)"]

    func expected(_ name: String) throws -> String {
        try String(contentsOf: Bundle.module.resourceURL!.appendingPathComponent("Expected/\(name)"), encoding: .utf8)
    }

    /// An environment with no QEMU on PATH and private data and cache directories.
    func isolated() throws -> (dir: String, env: [String: String]) {
        let dir = try TestSupport.temporaryDirectory()
        return (dir, ["PATH": dir + "/no-bin", "HOME": dir, "XDG_CACHE_HOME": dir + "/cache", "XDG_DATA_HOME": dir + "/data",
                      "NO_COLOR": "1"])
    }

    @Test func everyQuestionAnswersWithoutQEMU() throws {
        let (dir, env) = try isolated()
        let v7 = ["--qemu-version", "7.2.22"]
        let questions: [([String], String, String)] = [
            (["machines"] + v7, "pc-q35-7.2      q35", shipped),
            (["models", "--machine", "q35"] + v7, "Cascadelake-Server         Cascadelake-Server-v1", shipped),
            (["show", "Cascadelake-Server", "--machine", "pc-i440fx-3.1"] + v7, "stepping     5", shipped),
            (["features"] + v7, "avx512f", shipped),
            (["features", "--model", "Cascadelake-Server", "--feature", "mpx"] + v7, "pc-i440fx-3.1   on", shipped),
            (["which", "--feature", "avx512f", "--machine", "pc-q35-7.2"] + v7, "Cascadelake-Server", shipped),
            // With no version: the newest snapshot that has the binary (11.1.3 for x86_64 and aarch64).
            (["models", "--machine", "q35"], "SapphireRapids", shipped11),
            (["show", "cortex-a57", "--arch", "aarch64", "--machine", "virt-7.2", "--offline"], "aarch64", shipped11),
            // A series: its newest release the snapshots have.
            (["models", "--machine", "q35", "--qemu-version", "10.0"], "EPYC-Genoa", TestSupport.packageRoot + "/Snapshots/qemu-10.0.13.sqlite"),
        ]
        for (args, needle, source) in questions {
            let run = try TestSupport.runQCPU(args, environment: env, cwd: dir)
            #expect(run.status == 0, "\(args): \(run.stderr)")
            #expect(run.stdout.contains(needle), "\(args)")
            let build = builds[((source as NSString).lastPathComponent as NSString).deletingPathExtension]!
            #expect(run.stderr == "source: snapshot \(source), \(build)\n", "\(args)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache"))
    }

    @Test func aNamedQEMUBinarySelectsItsVersionsSnapshot() throws {
        let (dir, env) = try isolated()
        // The version is read from the binary (`--version`, no QMP session), then the snapshot answers.
        let run = try TestSupport.runQCPU(["models", "--qemu", TestSupport.qemuX86, "--machine", "microvm", "--offline",
                                           "--format", "plain"], environment: env, cwd: dir)
        #expect(run.status == 0)
        #expect(run.stdout.contains("Cascadelake-Server\tCascadelake-Server-v5\t"))
        #expect(run.stderr.isEmpty)
    }

    @Test func showTableAndModelsJSONAreStable() throws {
        let (dir, env) = try isolated()
        let show = try TestSupport.runQCPU(["show", "Cascadelake-Server", "--machine", "pc-i440fx-3.1", "--snapshot", "Snapshots/qemu-7.2.22.sqlite"],
                                           environment: env, cwd: TestSupport.packageRoot)
        let expectedShow = try expected("show-cascadelake-pc-i440fx-3.1.txt")
        #expect(show.status == 0)
        #expect(show.stdout == expectedShow)
        #expect(show.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
        let models = try TestSupport.runQCPU(["models", "--machine", "pc-q35-7.2", "--format", "json", "--snapshot", "Snapshots/qemu-7.2.22.sqlite"],
                                             environment: env, cwd: TestSupport.packageRoot)
        let expectedModels = try expected("models-pc-q35-7.2.json")
        #expect(models.status == 0 && models.stderr.isEmpty)
        #expect(models.stdout == expectedModels)
        _ = dir
    }

    @Test func badInputGivesOneLineAndItsStatusAndWritesNothing() throws {
        let (dir, env) = try isolated()
        let data = try Data(contentsOf: URL(fileURLWithPath: shipped))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/truncated.sqlite"))
        try "hello\n".write(toFile: dir + "/text.sqlite", atomically: true, encoding: .utf8)
        var newer = data
        newer[63] = UInt8(SnapshotSchema.version + 1)
        try newer.write(to: URL(fileURLWithPath: dir + "/newer.sqlite"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/loop", withDestinationPath: dir + "/loop")
        let cases: [([String], [String: String], Int32, String)] = [
            (["show", "Cascadelake-Servr", "--machine", "pc-q35-7.2", "--qemu-version", "7.2.22"], [:], 64,
             "qcpu: unknown CPU model 'Cascadelake-Servr' on pc-q35-7.2 (qemu-system-x86_64, QEMU 7.2.22); did you mean 'Cascadelake-Server', 'Cascadelake-Server-v1', 'Cascadelake-Server-v2'?"),
            (["models", "--machine", "pc-q35-9.9", "--qemu-version", "7.2.22"], [:], 64,
             "qcpu: unknown machine type 'pc-q35-9.9' for qemu-system-x86_64 (QEMU 7.2.22); did you mean 'pc-q35-2.9', 'pc-q35-2.4', 'pc-q35-2.5'?"),
            (["which", "--feature", "avx512", "--qemu-version", "7.2.22"], [:], 64,
             "qcpu: unknown feature 'avx512' for qemu-system-x86_64 (QEMU 7.2.22); did you mean 'avx512f', 'avx512bw', 'avx512cd'?"),
            (["models", "--snapshot", dir + "/truncated.sqlite"], [:], 65,
             "qcpu: \(dir)/truncated.sqlite: truncated: \(data.count / 2) bytes, the header says \(data.count)"),
            (["models", "--snapshot", dir + "/text.sqlite"], [:], 65,
             "qcpu: \(dir)/text.sqlite: not an SQLite database, so not a qcpu snapshot"),
            (["models", "--snapshot", dir + "/newer.sqlite"], [:], 65,
             "qcpu: \(dir)/newer.sqlite: schema version \(SnapshotSchema.version + 1) is newer than this qcpu reads (\(SnapshotSchema.version)); upgrade qcpu"),
            (["models"], ["QCPU_SNAPSHOT_PATH": dir + "/loop"], 74,
             "qcpu: cannot read QCPU_SNAPSHOT_PATH directory \(dir)/loop: Too many levels of symbolic links"),
            (["models", "--qemu-version", "9.2.0"], [:], 69,
             "qcpu: no snapshot has machine types of qemu-system-x86_64 for QEMU 9.2.0; install QEMU 9.2.0 (qemu-system-x86_64) to probe it live, or point at a snapshot that has it with --snapshot"),
        ]
        for (args, extra, status, line) in cases {
            let run = try TestSupport.runQCPU(args, environment: env.merging(extra) { $1 }, cwd: dir)
            #expect(run.status == status, "\(args)")
            #expect(run.stderr == line + "\n", "\(args)")
            #expect(run.stdout.isEmpty, "\(args)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache"))
    }

    @Test func noSnapshotAnywhereIsExit66() throws {
        let (dir, env) = try isolated()
        // A copy of qcpu outside the checkout, so the checkout's Snapshots/ is not on its path.
        try FileManager.default.copyItem(atPath: TestSupport.qcpuBinary, toPath: dir + "/qcpu")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dir + "/qcpu")
        process.arguments = ["models"]
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 66)
        #expect(stderr.hasPrefix("qcpu: no snapshot found (searched \(dir)/data/qcpu, \(dir)/cache/qcpu, /etc/qcpu/snapshots, "))
        #expect(stderr.split(separator: "\n").count == 1)
    }

    @Test func completionOffersModelAndMachineNamesFromTheSnapshots() throws {
        let (dir, env) = try isolated()
        let models = try TestSupport.runQCPU(["---completion", "show", "--", "positional@0", "2", "3", "qcpu", "show", "Cas"],
                                             environment: env, cwd: dir)
        let names = models.stdout.split(separator: "\n").map(String.init)
        #expect(names.contains("Cascadelake-Server") && names.contains("Cascadelake-Server-v5"))
        #expect(names.allSatisfy { $0.hasPrefix("Cas") })
        let machines = try TestSupport.runQCPU(["---completion", "models", "--", "--machine", "3", "8", "qcpu", "models", "--machine", "pc-q35-7"],
                                               environment: env, cwd: dir)
        #expect(machines.stdout.split(separator: "\n") == ["pc-q35-7.0", "pc-q35-7.1", "pc-q35-7.2"])
    }

    @Test func anInstalledQCPUFindsTheInstalledSnapshotsWithNoFlags() throws {
        let (dir, env) = try isolated()
        let prefix = dir + "/usr"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/share/qcpu/snapshots", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestSupport.qcpuBinary, toPath: prefix + "/bin/qcpu")
        try FileManager.default.copyItem(atPath: shipped, toPath: prefix + "/share/qcpu/snapshots/qemu-7.2.22.sqlite")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prefix + "/bin/qcpu")
        process.arguments = ["models", "--machine", "microvm", "--format", "plain"]
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(stdout.contains("Cascadelake-Server\tCascadelake-Server-v5\t"))
    }
}

