import Foundation
import GRDB
import QCPUTestSupport
import SnapshotStore
import Testing

/// Bad files are refused with a reason; damaged snapshots fail validation.
@Suite struct SnapshotValidationTests {
    func goodFile() async throws -> (dir: String, path: String) {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir + "/good.sqlite"
        try SnapshotWriter().write(try await TestSupport.replay("x86_64"), to: path)
        return (dir, path)
    }

    func refusal(_ path: String) -> SnapshotError? {
        do { _ = try SnapshotReader(path: path); return nil } catch { return error }
    }

    @Test func aGoodSnapshotValidates() async throws {
        let (_, path) = try await goodFile()
        #expect(try SnapshotValidator().validate(path: path) == [])
    }

    @Test func missingEmptyAndForeignFilesAreRefused() async throws {
        let (dir, _) = try await goodFile()
        #expect(refusal(dir + "/nope.sqlite")?.code == .notFound)
        #expect(refusal(dir)?.code == .unreadable)
        FileManager.default.createFile(atPath: dir + "/empty", contents: Data())
        #expect(refusal(dir + "/empty")?.code == .notSQLite)
        try "just text\n".write(toFile: dir + "/text", atomically: true, encoding: .utf8)
        let text = refusal(dir + "/text")
        #expect(text?.code == .notSQLite)
        #expect(text?.reason == "not an SQLite database, so not a qcpu snapshot")
        let other = try DatabaseQueue(path: dir + "/other.sqlite")
        try await other.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        try other.close()
        #expect(refusal(dir + "/other.sqlite")?.code == .notSnapshot)
    }

    @Test func aTruncatedSnapshotIsRefused() async throws {
        let (dir, path) = try await goodFile()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 4096).write(to: URL(fileURLWithPath: dir + "/cut.sqlite"))
        let error = refusal(dir + "/cut.sqlite")
        #expect(error?.code == .truncated)
        #expect(error?.reason.hasPrefix("truncated: \(data.count - 4096) bytes, the header says \(data.count)") == true)
    }

    @Test func aNewerSchemaIsRefusedWithAReason() async throws {
        let (dir, path) = try await goodFile()
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[63] = UInt8(SnapshotSchema.version + 1)  // user_version, big-endian at offset 60
        try data.write(to: URL(fileURLWithPath: dir + "/new.sqlite"))
        let error = refusal(dir + "/new.sqlite")
        #expect(error?.code == .schemaTooNew)
        #expect(error?.reason.contains("newer than this qcpu reads") == true)
    }

    @Test func duplicatedAndUnusedSetsFailValidation() async throws {
        let (dir, path) = try await goodFile()
        let copy = dir + "/bad.sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let db = try DatabaseQueue(path: copy)
        try await db.write { db in
            try db.execute(sql: "INSERT INTO propset (id, shape_id, overrides) SELECT 9999, shape_id, overrides FROM propset WHERE id = 1")
            try db.execute(sql: "INSERT INTO prop (id, name, value) VALUES (99999, 'mpx', '\"maybe\"')")
        }
        try db.close()
        let problems = try SnapshotValidator().validate(path: copy)
        #expect(problems.contains("1 property sets stored more than once"))
        #expect(problems.contains("1 property sets no expansion uses"))
        #expect(problems.contains("1 props no set uses"))
    }

    @Test func aCorruptedPageFailsIntegrity() async throws {
        let (dir, path) = try await goodFile()
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in (4096 * 3)..<(4096 * 3 + 512) { data[i] = 0xA5 }
        try data.write(to: URL(fileURLWithPath: dir + "/corrupt.sqlite"))
        let problems = (try? SnapshotValidator().validate(path: dir + "/corrupt.sqlite")) ?? ["refused"]
        #expect(!problems.isEmpty)
    }
}
