import Foundation
import QCPUTestSupport
import SnapshotStore
import Testing

/// Writers killed by SIGKILL at seeded random points, and two writers filling the live cache at
/// once: the file written is valid or absent, no temp file outlives the next write, no QEMU
/// outlives its qcpu, and no writer loses another's rows.
@Suite(.serialized) struct InterruptedWriteCLITests {
    /// A `qcpu` started in the background, its output going to files.
    struct Started {
        var process: Process
        var stdout: String
        var stderr: String

        /// Waits for it and returns its status and output.
        func finish() throws -> (status: Int32, stdout: String, stderr: String) {
            process.waitUntilExit()
            return (process.terminationStatus, try String(contentsOfFile: stdout, encoding: .utf8),
                    try String(contentsOfFile: stderr, encoding: .utf8))
        }

        /// Kills it with SIGKILL and reaps it.
        func kill() {
            _ = Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static let counter = Counter()
    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.withLock { value += 1; return value } }
    }

    func start(_ arguments: [String], environment: [String: String], cwd: String,
               executable: String = TestSupport.qcpuBinary) throws -> Started {
        let n = Self.counter.next()
        let out = cwd + "/.stdout-\(n)", err = cwd + "/.stderr-\(n)"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SOURCE_DATE_EPOCH")
        env.removeValue(forKey: "QCPU_TEST_WRITE_DELAY")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        return Started(process: process, stdout: out, stderr: err)
    }

    /// The writers' temp files in `dir` (`.<name>.tmp-<pid>-<random>`).
    func temps(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }.sorted()
    }

    /// Waits up to `seconds` for `condition`.
    func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date(timeIntervalSinceNow: seconds)
        while !condition() {
            if Date() > end { return false }
            usleep(10_000)
        }
        return true
    }

    /// Kills writers of `arguments` at seeded random points (half of them while the temp file
    /// exists in `outDir`) and checks what each leaves; returns how many left a stale temp file.
    func killRounds(_ arguments: [String], environment: [String: String], cwd: String, outDir: String,
                    destination: String, reference: String, fullRun: Double, marker: String?, seed: UInt64,
                    rounds: Int, writeWindow: Double) throws -> Int {
        var rng = SplitMix(state: seed)
        var staleLeft = 0
        for round in 0..<rounds {
            try? FileManager.default.removeItem(atPath: destination)
            let duringWrite = round % 2 == 1
            let run = try start(arguments, environment: environment, cwd: cwd)
            if duringWrite {
                #expect(waitFor(60) { !temps(outDir).isEmpty || !run.process.isRunning }, "round \(round)")
                usleep(UInt32(Double.random(in: 0..<writeWindow, using: &rng) * 1_000_000))
            } else {
                usleep(UInt32(Double.random(in: 0..<fullRun, using: &rng) * 1_000_000))
            }
            run.kill()
            #expect(run.process.terminationReason == .uncaughtSignal || run.process.terminationStatus == 0, "round \(round)")
            if let marker {
                #expect(waitFor(2) { TestSupport.processes(matching: marker).isEmpty },
                        "round \(round): QEMU outlived its qcpu: \(TestSupport.processes(matching: marker))")
            }
            if FileManager.default.fileExists(atPath: destination) {
                #expect(try SnapshotValidator().validate(path: destination) == [], "round \(round)")
                #expect(try TestSupport.sha256(destination) == TestSupport.sha256(reference), "round \(round)")
            }
            if !temps(outDir).isEmpty { staleLeft += 1 }
        }
        return staleLeft
    }

    @Test func aHarvestKilledAnywhereLeavesAValidFileOrNoneAndNoQEMU() throws {
        let dir = try TestSupport.temporaryDirectory()
        let marker = "qcpu-test-\(UUID().uuidString)"
        let wrapper = try TestSupport.qemuWrapper(in: dir, marker: marker, trigger: "no-such-session", action: ":")
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let harvest = ["harvest", "-q", "--qemu", wrapper, "--accel", "tcg", "--machine", "pc-q35-7.1",
                       "--machine", "pc-i440fx-7.2", "-o", "out/h.sqlite"]
        let env = ["SOURCE_DATE_EPOCH": "0", "QCPU_TEST_WRITE_DELAY": "500"]
        let began = Date()
        let whole = try start(harvest, environment: env, cwd: dir).finish()
        let fullRun = Date().timeIntervalSince(began)
        #expect(whole.status == 0, "\(whole.stderr)")
        try FileManager.default.moveItem(atPath: dir + "/out/h.sqlite", toPath: dir + "/reference.sqlite")
        let stale = try killRounds(harvest, environment: env, cwd: dir, outDir: dir + "/out",
                                   destination: dir + "/out/h.sqlite", reference: dir + "/reference.sqlite",
                                   fullRun: fullRun, marker: marker, seed: 11, rounds: 6, writeWindow: 1.2)
        #expect(stale > 0, "no round was killed while its temp file existed")
        // The next write into the directory (a merge) removes what the killed ones left.
        let merge = try TestSupport.runQCPU(["merge", "reference.sqlite", "-o", "out/m.sqlite"], cwd: dir)
        #expect(merge.status == 0)
        #expect(temps(dir + "/out").isEmpty)
        #expect(try TestSupport.sha256(dir + "/out/m.sqlite") == TestSupport.sha256(dir + "/reference.sqlite"))
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }

    @Test func aMergeKilledAnywhereLeavesAValidFileOrNone() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let s = try await TestSupport.replay("x86_64") { $0.accelerators = ["tcg"] }
        try SnapshotWriter().write(s, to: dir + "/input.sqlite")
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let merge = ["merge", "input.sqlite", "-o", "out/m.sqlite"]
        let env = ["QCPU_TEST_WRITE_DELAY": "300"]
        let began = Date()
        #expect(try start(merge, environment: env, cwd: dir).finish().status == 0)
        let fullRun = Date().timeIntervalSince(began)
        try FileManager.default.moveItem(atPath: dir + "/out/m.sqlite", toPath: dir + "/reference.sqlite")
        #expect(try TestSupport.sha256(dir + "/reference.sqlite") == TestSupport.sha256(dir + "/input.sqlite"))
        let stale = try killRounds(merge, environment: env, cwd: dir, outDir: dir + "/out",
                                   destination: dir + "/out/m.sqlite", reference: dir + "/reference.sqlite",
                                   fullRun: fullRun, marker: nil, seed: 12, rounds: 8, writeWindow: 0.7)
        #expect(stale > 0, "no round was killed while its temp file existed")
        let again = try TestSupport.runQCPU(merge, cwd: dir)
        #expect(again.status == 0)
        #expect(temps(dir + "/out").isEmpty)
        #expect(try SnapshotValidator().validate(path: dir + "/out/m.sqlite") == [])
    }

    /// A qcpu outside the source checkout (a hard link), a snapshot with only pc-q35-7.2 (TCG)
    /// on `QCPU_SNAPSHOT_PATH`, private cache and data directories, the real QEMU on PATH.
    func liveCache() async throws -> (dir: String, qcpu: String, env: [String: String], cache: String) {
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/snapshots", withIntermediateDirectories: true)
        let qcpu = dir + "/bin/qcpu"
        if link(TestSupport.qcpuBinary, qcpu) != 0 { try FileManager.default.copyItem(atPath: TestSupport.qcpuBinary, toPath: qcpu) }
        let s = try await TestSupport.replay("x86_64") { $0.machineGlobs = ["pc-q35-7.2"]; $0.accelerators = ["tcg"] }
        try SnapshotWriter().write(s, to: dir + "/snapshots/qemu-7.2.22.sqlite")
        let env = ["QCPU_SNAPSHOT_PATH": dir + "/snapshots", "HOME": dir, "XDG_CACHE_HOME": dir + "/cache",
                   "XDG_DATA_HOME": dir + "/data", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
        return (dir, qcpu, env, dir + "/cache/qcpu/qemu-7.2.22.sqlite")
    }

    func show(_ machine: String, qemu: String? = nil) -> [String] {
        ["show", "Cascadelake-Server", "--machine", machine] + (qemu.map { ["--qemu", $0] } ?? ["--qemu-version", "7.2.22"])
    }

    @Test func twoProcessesFillingTheCacheAtOnceKeepBothAnswers() async throws {
        let (dir, qcpu, env, cache) = try await liveCache()
        // Each holds the cache lock for 2 x 1.5 s, so their read-merge-write cycles overlap.
        var slow = env
        slow["QCPU_TEST_WRITE_DELAY"] = "1500"
        let machines = ["pc-i440fx-3.1", "pc-i440fx-4.0"]
        let runs = try machines.map { try start(show($0), environment: slow, cwd: dir, executable: qcpu) }
        let live = try runs.map { try $0.finish() }
        for (machine, run) in zip(machines, live) {
            #expect(run.status == 0, "\(machine): \(run.stderr)")
            #expect(run.stderr.hasPrefix("source: live \(TestSupport.qemuX86) (cached in \(cache)), QEMU 7.2.22 ("))
            #expect(run.stdout.hasPrefix("Cascadelake-Server on \(machine), tcg"))
        }
        let validate = try TestSupport.runQCPU(["validate", cache], environment: env, cwd: dir)
        #expect(validate.status == 0 && validate.stdout == "\(cache): ok\n")
        for (machine, run) in zip(machines, live) {
            let offline = try TestSupport.runQCPU(show(machine) + ["--offline"], environment: env, cwd: dir, executable: qcpu)
            #expect(offline.status == 0, "\(machine): \(offline.stderr)")
            #expect(offline.stderr.hasPrefix("source: cache \(cache), QEMU 7.2.22 ("), "\(machine) is missing from the cache")
            #expect(offline.stdout == run.stdout)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/qcpu").sorted()
                == [".qemu-7.2.22.sqlite.lock", "qemu-7.2.22.sqlite"])
    }

    @Test func aProcessKilledWhileMergingIntoTheCacheLeavesItValidAndUnlocked() async throws {
        let (dir, qcpu, env, cache) = try await liveCache()
        let marker = "qcpu-test-\(UUID().uuidString)"
        let wrapper = try TestSupport.qemuWrapper(in: dir, marker: marker, trigger: "no-such-session", action: ":")
        let cacheDir = dir + "/cache/qcpu"
        var rng = SplitMix(state: 13)
        var slow = env
        slow["QCPU_TEST_WRITE_DELAY"] = "700"
        var cached: [String] = []
        for (round, machine) in ["pc-i440fx-3.1", "pc-i440fx-4.0", "pc-i440fx-5.0"].enumerated() {
            let run = try start(show(machine, qemu: wrapper), environment: slow, cwd: dir, executable: qcpu)
            #expect(waitFor(60) { !temps(cacheDir).isEmpty || !run.process.isRunning }, "round \(round)")
            usleep(UInt32(Double.random(in: 0..<1.6, using: &rng) * 1_000_000))
            run.kill()
            #expect(waitFor(2) { TestSupport.processes(matching: marker).isEmpty }, "round \(round)")
            if FileManager.default.fileExists(atPath: cache) {
                #expect(try SnapshotValidator().validate(path: cache) == [], "round \(round)")
                if try TestSupport.runQCPU(show(machine) + ["--offline"], environment: env, cwd: dir, executable: qcpu).status == 0 {
                    cached.append(machine)
                }
            }
        }
        // The next qcpu takes the lock at once (the kernel dropped the killed one's), keeps what
        // the killed ones managed to cache, and cleans their temp files.
        let began = Date()
        let next = try TestSupport.runQCPU(show("pc-i440fx-6.0", qemu: wrapper), environment: env, cwd: dir, executable: qcpu)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(Date().timeIntervalSince(began) < 60)
        #expect(temps(cacheDir).isEmpty)
        #expect(try SnapshotValidator().validate(path: cache) == [])
        for machine in cached + ["pc-i440fx-6.0"] {
            let offline = try TestSupport.runQCPU(show(machine) + ["--offline"], environment: env, cwd: dir, executable: qcpu)
            #expect(offline.status == 0 && offline.stderr.hasPrefix("source: cache \(cache), QEMU 7.2.22 ("), "\(machine)")
        }
    }
}
