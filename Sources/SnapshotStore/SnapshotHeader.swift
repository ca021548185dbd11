import Foundation

/// The numbers in a snapshot file's 100-byte SQLite header, checked before SQLite opens it.
public struct SnapshotHeader: Sendable, Equatable {
    /// `PRAGMA application_id`.
    public var applicationID: Int32
    /// `PRAGMA user_version`: the schema version.
    public var schemaVersion: Int
    /// Page size in bytes.
    public var pageSize: Int
    /// Pages the header says the file has.
    public var pageCount: Int
    /// The SQLite library version that last wrote the file.
    public var sqliteVersion: Int

    /// Reads and checks the header of `path`: an SQLite file, qcpu's magic number, a schema
    /// version this qcpu reads, and a length that matches the header.
    public static func check(path: String) throws(SnapshotError) -> SnapshotHeader {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SnapshotError(.notFound, path: path, "no such file")
        }
        if isDir.boolValue { throw SnapshotError(.unreadable, path: path, "is a directory, not a snapshot") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw openError(path: path, errno: errno) }
        defer { try? handle.close() }
        let bytes = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        return try check(bytes: bytes, size: size, path: path)
    }

    /// The error for a file that exists but `open` refused (`EACCES`; `EMFILE` when a process opens too many).
    static func openError(path: String, errno code: Int32) -> SnapshotError {
        code == EACCES || code == EPERM || code == 0
            ? SnapshotError(.unreadable, path: path, "cannot open for reading (permission denied?)")
            : SnapshotError(.unreadable, path: path, "cannot open for reading: \(String(cString: strerror(code)))")
    }

    /// Checks the first bytes of a file (up to 100) and its size, as ``check(path:)`` does.
    public static func check(bytes: some RandomAccessCollection<UInt8>, size: Int, path: String) throws(SnapshotError) -> SnapshotHeader {
        let bytes = Array(bytes.prefix(100))
        let magic = Array("SQLite format 3\u{0}".utf8)
        guard bytes.count == 100, Array(bytes[0..<16]) == magic else {
            throw SnapshotError(.notSQLite, path: path, size == 0 ? "empty file, not a snapshot"
                                : "not an SQLite database, so not a qcpu snapshot")
        }
        func be(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        let rawPage = be(16, 2)
        let header = SnapshotHeader(
            applicationID: Int32(truncatingIfNeeded: be(68, 4)), schemaVersion: be(60, 4),
            pageSize: rawPage == 1 ? 65536 : rawPage, pageCount: be(28, 4), sqliteVersion: be(96, 4))
        guard header.applicationID == SnapshotSchema.applicationID else {
            throw SnapshotError(.notSnapshot, path: path, String(
                format: "SQLite database with application id 0x%08x, not a qcpu snapshot (0x%08x)",
                header.applicationID, SnapshotSchema.applicationID))
        }
        if header.schemaVersion > SnapshotSchema.version {
            throw SnapshotError(.schemaTooNew, path: path,
                "schema version \(header.schemaVersion) is newer than this qcpu reads (\(SnapshotSchema.version)); upgrade qcpu")
        }
        if header.schemaVersion < SnapshotSchema.version {
            throw SnapshotError(.schemaTooOld, path: path,
                "schema version \(header.schemaVersion) is older than this qcpu reads (\(SnapshotSchema.version)); harvest it again")
        }
        let expected = header.pageSize * header.pageCount
        if size < expected {
            throw SnapshotError(.truncated, path: path, "truncated: \(size) bytes, the header says \(expected)")
        }
        return header
    }
}
