import Foundation
import GRDB
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Writes, reads and queries snapshot files built from recorded transcripts of the real QEMU.
@Suite struct SnapshotFileTests {
    @Test func writeThenLoadGivesTheSameSnapshot() async throws {
        let s = try await TestSupport.replay("x86_64")
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(s, to: dir + "/s.sqlite")
        let loaded = try SnapshotReader(path: dir + "/s.sqlite").load()
        #expect(loaded == s)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["s.sqlite"])
    }

    @Test func recordOrderDoesNotReachTheBytes() async throws {
        let s = try await TestSupport.replay("x86_64")
        var shuffled = s
        shuffled.expansions.shuffle()
        shuffled.definitions.reverse()
        shuffled.machines.shuffle()
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(s, to: dir + "/a.sqlite")
        try SnapshotWriter().write(shuffled, to: dir + "/b.sqlite")
        #expect(try TestSupport.sha256(dir + "/a.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
    }

    @Test func headerCarriesMagicAndSchemaVersion() async throws {
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(try await TestSupport.replay("aarch64"), to: dir + "/s.sqlite")
        let header = try SnapshotHeader.check(path: dir + "/s.sqlite")
        #expect(header.applicationID == 0x5143_5055)
        #expect(header.schemaVersion == SnapshotSchema.version)
        #expect(header.pageSize == 4096)
    }

    @Test func plainSQLiteAnswersThroughTheViews() async throws {
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(try await TestSupport.replay("x86_64"), to: dir + "/s.sqlite")
        let reader = try SnapshotReader(path: dir + "/s.sqlite")
        let rows = try await reader.database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT machine, name, value FROM expansion_props
                WHERE binary = 'qemu-system-x86_64' AND accel = 'tcg' AND model = 'Cascadelake-Server'
                  AND type = 'full' AND name IN ('mpx', 'stepping') ORDER BY machine, name
                """).map { "\($0["machine"] as String) \($0["name"] as String)=\($0["value"] as String)" }
        }
        #expect(rows.contains("pc-i440fx-3.1 mpx=true"))
        #expect(rows.contains("pc-i440fx-3.1 stepping=5"))
        #expect(rows.contains("pc-q35-7.2 mpx=false"))
        #expect(rows.contains("pc-q35-7.2 stepping=6"))
        let alias = try await reader.database.read { db in
            try String.fetchOne(db, sql: "SELECT alias_of FROM cpu_models WHERE machine = 'microvm' AND accel = 'tcg' AND model = 'Cascadelake-Server'")
        }
        #expect(alias == "Cascadelake-Server-v5")
    }

    @Test func aFailedWriteLeavesNothing() async throws {
        let s = try await TestSupport.replay("aarch64")
        let dir = try TestSupport.temporaryDirectory()
        #expect {
            try SnapshotWriter().write(s, to: dir + "/missing/s.sqlite")
        } throws: { ($0 as? SnapshotError)?.code == .cannotWrite }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func mergeRefusesDifferentBuilds() async throws {
        let a = try await TestSupport.replay("aarch64")
        var b = a
        b.meta.qemuVersion = "10.0.2"
        #expect {
            _ = try Snapshot.merged([a, b])
        } throws: { ($0 as? SnapshotError)?.code == .incompatible }
        var c = a
        c.machines[0].info = ["name": "changed"]
        #expect {
            _ = try Snapshot.merged([a, c])
        } throws: { ($0 as? SnapshotError)?.code == .incompatible }
    }
}
