import Foundation
import GRDB
import QCPUTestSupport
import SnapshotStore
import Testing

/// The page reader against SQLite itself, and on damaged files.
@Suite struct SnapshotPagesTests {
    static let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"

    /// Every row of `table` as text cells, as SQLite gives them, in rowid (or key) order.
    static func sqliteRows(_ path: String, _ table: String) throws -> [[String?]] {
        let reader = try SnapshotReader(path: path)
        return try reader.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { row in
                row.databaseValues.map { v -> String? in
                    switch v.storage {
                    case .null: return nil
                    case .int64(let i): return String(i)
                    case .string(let s): return s
                    default: return "?"
                    }
                }
            }
        }
    }

    static func pageRows(_ pages: SnapshotPages, _ table: String, columns: Int) throws -> [[String?]] {
        var rows: [[String?]] = []
        try pages.scan(root: try pages.root(table)) { (row) throws(SnapshotError) in
            rows.append(try (0..<columns).map { (i) throws(SnapshotError) -> String? in
                if i == 0, row.isNull(0), let id = row.rowid { return String(id) }
                if row.isNull(i) { return nil }
                if let n = try? row.integer(i) { return String(n) }
                return try row.text(i)
            })
        }
        return rows
    }

    /// Read whole (one read) and page by page.
    @Test(arguments: [SnapshotPages.wholeFileLimit, 0])
    func everyTableOfTheShippedSnapshotReadsAsSQLiteReadsIt(wholeFileLimit: Int) throws {
        let pages = try SnapshotPages(path: Self.shipped, wholeFileLimit: wholeFileLimit)
        var total = 0
        for table in SnapshotSchema.tables {
            let expected = try Self.sqliteRows(Self.shipped, table)
            let columns = expected.first?.count ?? 0
            let got = try Self.pageRows(pages, table, columns: columns)
            // SQLite returns rowid tables in rowid order and WITHOUT ROWID tables in key order,
            // as the b-trees hold them.
            #expect(got == expected, "\(table)")
            total += got.count
        }
        #expect(total > 20_000)
        // Lookups by rowid, including past the end.
        let props = try Self.sqliteRows(Self.shipped, "prop")
        var rng = SplitMix(state: 7)
        for _ in 0..<200 {
            let id = Int64(rng.next() % UInt64(props.count)) + 1
            let row = try #require(try pages.row("prop", rowid: id))
            #expect(try [String(id), row.text(1), row.text(2)] == props[Int(id) - 1])
        }
        #expect(try pages.row("prop", rowid: Int64(props.count) + 1) == nil)
        #expect(try pages.row("prop", rowid: 0) == nil)
    }

    @Test func headerErrorsAreThoseOfTheHeaderCheck() throws {
        let dir = try TestSupport.temporaryDirectory()
        try "not sqlite\n".write(toFile: dir + "/text", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: dir + "/empty", contents: Data())
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.shipped))
        try data.prefix(4096 * 3).write(to: URL(fileURLWithPath: dir + "/cut"))
        for name in ["text", "empty", "cut", "missing", "."] {
            let path = name == "." ? dir : dir + "/" + name
            var expected: SnapshotError?
            do { _ = try SnapshotHeader.check(path: path) } catch { expected = error }
            do {
                _ = try SnapshotPages(path: path)
                Issue.record("\(name) was read")
            } catch {
                #expect(error.code == expected?.code && error.reason == expected?.reason, "\(name)")
            }
        }
    }

    /// Bytes flipped at random in a real host record's pages: every read ends in a result or
    /// a `SnapshotError`, never a trap.
    @Test func damagedPagesGiveErrorsNotCrashes() async throws {
        let record = try await TestSupport.recordedHostRecord()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: record)))
        let dir = try TestSupport.temporaryDirectory()
        var rng = SplitMix(state: 2026)
        var errors = 0
        for trial in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let at = 100 + Int(rng.next() % UInt64(bytes.count - 100))
                bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            let path = dir + "/t\(trial)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let pages = try SnapshotPages(path: path, wholeFileLimit: trial % 2 == 0 ? SnapshotPages.wholeFileLimit : 0)
                for table in SnapshotSchema.tables {
                    _ = try pages.treePages(root: try pages.root(table))
                    _ = try Self.pageRows(pages, table, columns: 9)
                }
                _ = try pages.row("prop", rowid: 17)
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0)
    }
}
