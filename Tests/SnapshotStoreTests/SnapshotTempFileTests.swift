import Foundation
import QCPUTestSupport
@testable import SnapshotStore
import Testing

/// Temp files of killed writers are removed by the next write; a live writer's never are.
@Suite struct SnapshotTempFileTests {
    let header = Data("SQLite format 3\0".utf8) + Data(repeating: 0, count: 84)

    /// A temp file named for `pid` in `dir`, with SQLite's header, last written `age` seconds ago.
    func temp(_ dir: String, pid: pid_t, hex: String = "0BADF00D", age: TimeInterval = 0, content: Data? = nil) throws -> String {
        let path = dir + "/.out.sqlite.tmp-\(pid)-\(hex)"
        try (content ?? header).write(to: URL(fileURLWithPath: path))
        if age > 0 {
            let then = Date(timeIntervalSinceNow: -age)
            try FileManager.default.setAttributes([.modificationDate: then], ofItemAtPath: path)
        }
        return path
    }

    /// Starts `arguments` (a real program) and returns it running.
    func start(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: arguments[0])
        p.arguments = Array(arguments.dropFirst())
        try p.run()
        return p
    }

    /// The pid of a process that has ended and been reaped.
    func deadPID() throws -> pid_t {
        let p = try start(["/bin/true"])
        p.waitUntilExit()
        return p.processIdentifier
    }

    /// Waits (up to 20 s, for a loaded machine) until another process holds the lock on `path`.
    func waitUntilLocked(_ path: String) -> Bool {
        for _ in 0..<2000 {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            let held = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0
            if fd >= 0 { close(fd) }
            if held { return true }
            usleep(10_000)
        }
        return false
    }

    func names(_ dir: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    @Test func tempNamesAreRecognisedStrictly() {
        #expect(SnapshotTempFile.pid(of: ".qemu-7.2.22.sqlite.tmp-4242-A1B2C3D4") == 4242)
        #expect(SnapshotTempFile.pid(of: ".a.tmp-b.tmp-7-0000000f") == 7)
        #expect(SnapshotTempFile.tempBase(".x.tmp-7-0000000F-journal") == ".x.tmp-7-0000000F")
        for name in ["x.tmp-7-0000000F", "..tmp-7-0000000F", ".x.tmp-7-0000000G", ".x.tmp-7-000000F",
                     ".x.tmp--7-0000000F", ".x.tmp-+7-0000000F", ".x.tmp-0-0000000F", ".x.tmp-７-0000000F",
                     ".x.tmp-7-0000000F-extra", ".x.tmp-99999999999-0000000F", ".x.sqlite"] {
            #expect(SnapshotTempFile.tempBase(name) == nil, "\(name)")
        }
    }

    @Test func aDeadWritersTempAndJournalAreRemoved() throws {
        let dir = try TestSupport.temporaryDirectory()
        let pid = try deadPID()
        let path = try temp(dir, pid: pid)
        try Data("journal".utf8).write(to: URL(fileURLWithPath: path + "-journal"))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/out.sqlite"))
        let removed = SnapshotTempFile.removeStale(in: dir)
        #expect(removed == [".out.sqlite.tmp-\(pid)-0BADF00D", ".out.sqlite.tmp-\(pid)-0BADF00D-journal"])
        #expect(try names(dir) == ["out.sqlite"])
    }

    @Test func aLiveWritersTempIsKeptWhateverItsAge() throws {
        let dir = try TestSupport.temporaryDirectory()
        // This process, holding the lock as a writer does.
        let mine = try SnapshotTempFile(for: dir + "/out.sqlite")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: mine.path)
        // Another process holding the lock on a temp named for a pid that is gone (another pid
        // namespace sharing the directory looks like this).
        let other = try temp(dir, pid: try deadPID(), hex: "00000001")
        let holder = try start(["/usr/bin/flock", "--exclusive", "--no-fork", other, "/usr/bin/sleep", "3600"])
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(waitUntilLocked(other))
        #expect(SnapshotTempFile.removeStale(in: dir).isEmpty)
        #expect(try names(dir).count == 2)
        // Once the holder is gone, its temp goes; this process's stays until it is done.
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        #expect(SnapshotTempFile.removeStale(in: dir) == [(other as NSString).lastPathComponent])
        #expect(try names(dir) == [(mine.path as NSString).lastPathComponent])
        mine.remove()
    }

    @Test func anUnlockedTempOfALivePidIsKeptOnlyWhileItCanBeItsWriter() throws {
        let dir = try TestSupport.temporaryDirectory()
        // Fresh and named for this process (a writer between open and flock): kept.
        let fresh = try temp(dir, pid: getpid(), hex: "00000002")
        // Named for this process but not written for 20 minutes: the pid is taken to be reused.
        _ = try temp(dir, pid: getpid(), hex: "00000003", age: 20 * 60)
        // Named for a process that started after the file was last written: not its writer.
        let late = try start(["/usr/bin/sleep", "30"])
        defer { kill(late.processIdentifier, SIGKILL); late.waitUntilExit() }
        _ = try temp(dir, pid: late.processIdentifier, hex: "00000004", age: 60)
        // Not a snapshot temp file (content that is not SQLite), and a symlink with a temp's name.
        _ = try temp(dir, pid: try deadPID(), hex: "00000005", content: Data("user data".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir + "/.link.tmp-1-00000006", withDestinationPath: dir + "/.out.sqlite.tmp-1-00000007")
        _ = try temp(dir, pid: 1, hex: "00000007", age: 3600)
        let removed = SnapshotTempFile.removeStale(in: dir)
        #expect(removed == [".out.sqlite.tmp-1-00000007", ".out.sqlite.tmp-\(getpid())-00000003",
                            ".out.sqlite.tmp-\(late.processIdentifier)-00000004"].sorted())
        #expect(try names(dir).contains((fresh as NSString).lastPathComponent))
        #expect(try names(dir).count == 3)
    }

    @Test func aZombieIsNotAWriter() throws {
        let dir = try TestSupport.temporaryDirectory()
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for a in argv { free(a) } }
        #expect(posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0)
        // Not reaped yet: a zombie, as a killed qcpu is until its parent waits for it.
        var zombie = false
        for _ in 0..<200 where !zombie {
            zombie = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") == true
            if !zombie { usleep(10_000) }
        }
        #expect(zombie)
        _ = try temp(dir, pid: pid)
        #expect(SnapshotTempFile.removeStale(in: dir).count == 1)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
    }

    @Test func theNextWriteRemovesStaleTempsAndLeavesNoneOfItsOwn() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let stale = try temp(dir, pid: try deadPID(), hex: "DEADBEEF")
        let s = try await TestSupport.replay("x86_64") { $0.machineGlobs = ["pc-q35-7.2"]; $0.accelerators = ["tcg"] }
        try SnapshotWriter().write(s, to: dir + "/other.sqlite")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(try names(dir) == ["other.sqlite"])
        #expect(try SnapshotValidator().validate(path: dir + "/other.sqlite") == [])
    }

    @Test func aLockHeldByAnotherProcessIsWaitedForThenTimesOut() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let lock = dir + "/.cache.lock"
        // Sleeps far longer than the test can take on a loaded machine; killed below.
        let holder = try start(["/usr/bin/flock", "--exclusive", "--no-fork", lock, "/usr/bin/sleep", "3600"])
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(waitUntilLocked(lock))
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            try await FileLock.withExclusive(lock, timeout: .milliseconds(300)) { Issue.record("ran without the lock") }
        } throws: { error in
            let error = error as? SnapshotError
            return error?.code == .cannotWrite && error?.reason == "still locked by another process after 0.3 seconds"
        }
        #expect(clock.now - start >= .milliseconds(300))
        // The holder dies by SIGKILL: the kernel drops its lock and the next taker gets it.
        Task.detached {
            try await Task.sleep(for: .milliseconds(300))
            kill(holder.processIdentifier, SIGKILL)
        }
        let value = try await FileLock.withExclusive(lock, timeout: .seconds(20)) { 42 }
        #expect(value == 42)
        #expect(clock.now - start >= .milliseconds(600))
    }
}
