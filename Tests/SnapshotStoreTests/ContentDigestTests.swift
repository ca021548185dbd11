import Foundation
import GRDB
import QCPUTestSupport
import SnapshotStore
import Testing

/// The content digest: SHA-256 itself, recorded at write time, reproducible, checked by validate.
@Suite struct ContentDigestTests {
    static let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"

    @Test func sha256MatchesTheFIPSExamples() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var h = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { h.update(chunk) }  // one million 'a', in pieces that straddle blocks
        #expect(h.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func theWriterRecordsTheDigestOfWhatItWroteAndTheBytesStayReproducible() async throws {
        let snapshot = try await TestSupport.replay("x86_64")
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(snapshot, to: dir + "/a.sqlite")
        try SnapshotWriter().write(snapshot, to: dir + "/b.sqlite")
        #expect(try TestSupport.sha256(dir + "/a.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
        let recorded = try SnapshotReader(path: dir + "/a.sqlite").meta()[ContentDigest.metaKey]
        let computed = try await DatabaseQueue(path: dir + "/a.sqlite").read { try ContentDigest.compute($0) }
        #expect(recorded == computed)
        #expect(recorded?.count == 64)
        // The digest is not part of what is loaded: a load and a write give the same file again.
        try SnapshotWriter().write(try SnapshotReader(path: dir + "/a.sqlite").load(), to: dir + "/c.sqlite")
        #expect(try TestSupport.sha256(dir + "/c.sqlite") == TestSupport.sha256(dir + "/a.sqlite"))
        #expect(try SnapshotValidator().check(path: dir + "/a.sqlite") == SnapshotValidator.Report())
    }

    @Test func aChangedValueThatStillParsesFailsOnlyTheDigest() async throws {
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(try await TestSupport.replay("x86_64"), to: dir + "/a.sqlite")
        let db = try DatabaseQueue(path: dir + "/a.sqlite")
        try await db.write { try $0.execute(sql: "UPDATE model SET typename = typename || 'x' WHERE id = 1") }
        try db.close()
        _ = try SnapshotReader(path: dir + "/a.sqlite").load()  // the reader cannot tell
        let problems = try SnapshotValidator().validate(path: dir + "/a.sqlite")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("content digest mismatch: meta content_sha256 is ") == true)
    }

    @Test func aFileWithoutADigestIsReadAndValidatedWithANote() async throws {
        // The shipped snapshot as an older qcpu wrote it: the same rows without the digest.
        let path = try TestSupport.temporaryDirectory() + "/old.sqlite"
        try FileManager.default.copyItem(atPath: Self.shipped, toPath: path)
        let db = try DatabaseQueue(path: path)
        try await db.write { try $0.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [ContentDigest.metaKey]) }
        try db.close()
        _ = try SnapshotReader(path: path).load()
        let report = try SnapshotValidator().check(path: path)
        #expect(report.problems == [])
        #expect(report.notes == [SnapshotValidator.noDigestNote])
    }

    @Test func aFIFOIsRefusedWithoutOpeningIt() throws {
        let path = try TestSupport.temporaryDirectory() + "/fifo.sqlite"
        #expect(mkfifo(path, 0o644) == 0)
        let expected = SnapshotError(.unreadable, path: path, "is a FIFO, not a regular file, so not a snapshot").description
        #expect(throws: SnapshotError.self) { try SnapshotReader(path: path) }
        do { _ = try SnapshotReader(path: path) } catch { #expect(error.description == expected) }
        do { _ = try SnapshotPages(path: path) } catch { #expect(error.description == expected) }
        do { _ = try SnapshotValidator().validate(path: path) } catch { #expect(error.code == .unreadable) }
    }
}
