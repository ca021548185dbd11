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

    /// Reads and checks the header of `path`: a regular file (a FIFO, a device or a socket is
    /// refused before it is opened, so nothing blocks), an SQLite file, qcpu's magic number, a
    /// schema version this qcpu reads, and a length that matches the header.
    public static func check(path: String) throws(SnapshotError) -> SnapshotHeader {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw SnapshotError(.notFound, path: path, "no such file") }
            throw openError(path: path, errno: errno)
        }
        try checkRegular(info.st_mode, path: path)
        // O_NONBLOCK: should the file be swapped for a FIFO after the stat, open does not wait.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw openError(path: path, errno: errno) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw openError(path: path, errno: errno) }
        try checkRegular(info.st_mode, path: path)
        var bytes = [UInt8](repeating: 0, count: 100)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 100, 0) }
        return try check(bytes: bytes.prefix(max(0, got)), size: Int(info.st_size), path: path)
    }

    /// Refuses anything but a regular file (after symbolic links): a directory, a FIFO, a
    /// socket or a device.
    static func checkRegular(_ mode: mode_t, path: String) throws(SnapshotError) {
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw SnapshotError(.unreadable, path: path, "is a directory, not a snapshot")
        case S_IFIFO: throw SnapshotError(.unreadable, path: path, "is a FIFO, not a regular file, so not a snapshot")
        case S_IFSOCK: throw SnapshotError(.unreadable, path: path, "is a socket, not a regular file, so not a snapshot")
        default: throw SnapshotError(.unreadable, path: path, "is a device, not a regular file, so not a snapshot")
        }
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
