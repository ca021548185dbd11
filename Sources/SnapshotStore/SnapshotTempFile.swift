import Foundation

/// The temporary file a ``SnapshotWriter`` fills before renaming it over the destination:
/// `.<name>.tmp-<pid>-<random>` beside it, created empty and held under an exclusive `flock`
/// until it is renamed or removed (the lock goes with the writer's file descriptor).
///
/// A writer killed by SIGKILL cannot remove its temp file, but the kernel drops its lock; the
/// first write of a later process into the same directory removes such leftovers
/// (``removeStale(in:)``).
struct SnapshotTempFile: ~Copyable {
    /// The temp file's path.
    let path: String
    private let fd: Int32

    /// Creates the temp file for `destination` (exclusive create, then locked).
    init(for destination: String) throws(SnapshotError) {
        let url = URL(fileURLWithPath: destination)
        let dir = url.deletingLastPathComponent().path
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        let path = (dir as NSString).appendingPathComponent(name)
        let fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SnapshotError(.cannotWrite, path: destination, String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(path)
            throw SnapshotError(.cannotWrite, path: destination, "cannot lock \(name): \(reason)")
        }
        self.path = path
        self.fd = fd
    }

    /// Removes the file (and any SQLite journal beside it) unless it has been renamed away.
    func remove() {
        for suffix in Self.sqliteSiblings { unlink(path + suffix) }
    }

    deinit { close(fd) }

    /// The files SQLite may create next to a database it writes.
    static let sqliteSiblings = ["", "-journal", "-wal", "-shm"]

    /// A lock-free temp file is left alone for this long when its pid is still a live process
    /// that existed when the file was last written (a writer between `open` and `flock`, or one
    /// of an older qcpu that did not lock); past it, pid reuse is assumed.
    static let graceSeconds: TimeInterval = 15 * 60

    /// Removes the temp files in `directory` left by writers that died: a file named
    /// `.<name>.tmp-<pid>-<8 hex>` (or its `-journal`, `-wal`, `-shm`) that is a regular file,
    /// empty or starting with SQLite's header, whose lock no process holds, and whose pid is
    /// gone (or was reused, or the file is older than ``graceSeconds``). A live writer's temp
    /// file is never touched: it holds the lock. Best effort; returns the names removed.
    @discardableResult
    static func removeStale(in directory: String) -> [String] {
        guard let dir = opendir(directory.isEmpty ? "." : directory) else { return [] }
        var bases = Set<String>()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let base = tempBase(name) { bases.insert(base) }
        }
        closedir(dir)
        var removed: [String] = []
        for base in bases.sorted() {
            let path = (directory as NSString).appendingPathComponent(base)
            guard let pid = pid(of: base), isStale(path, pid: pid) else { continue }
            for suffix in sqliteSiblings where unlink(path + suffix) == 0 { removed.append(base + suffix) }
        }
        return removed
    }

    /// The temp file name `name` belongs to (itself, or the database of a journal), if any.
    static func tempBase(_ name: String) -> String? {
        var base = Substring(name)
        for suffix in sqliteSiblings.dropFirst() where base.hasSuffix(suffix) {
            base = base.dropLast(suffix.count)
            break
        }
        return pid(of: String(base)) == nil ? nil : String(base)
    }

    /// The pid in a temp file name `.<name>.tmp-<pid>-<8 hex>`, or nil when it is not one.
    static func pid(of name: String) -> pid_t? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
              marker.lowerBound > name.index(after: name.startIndex) else { return nil }
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 8, parts[1].allSatisfy({ $0.isASCII && $0.isHexDigit }),
              (1...10).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let pid = pid_t(parts[0]), pid > 0
        else { return nil }
        return pid
    }

    /// Whether the temp database at `path` (named with `pid`) was left by a writer that died.
    private static func isStale(_ path: String, pid: pid_t) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            // No database: a journal left alone (the database was renamed or removed).
            return errno == ENOENT && !writerMayLive(pid, lastWrite: modificationTime(path + "-journal"))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        if info.st_size > 0 {
            var header = [UInt8](repeating: 0, count: 16)
            guard read(fd, &header, 16) == 16, header == Array("SQLite format 3\0".utf8) else { return false }
        }
        // A live writer holds the lock; taking it here (released on close) proves there is none.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        return !writerMayLive(pid, lastWrite: TimeInterval(info.st_mtim.tv_sec))
    }

    private static func modificationTime(_ path: String) -> TimeInterval? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return TimeInterval(info.st_mtim.tv_sec)
    }

    /// Whether `pid` may still be the writer of a file last written at `lastWrite`: it is a
    /// live process (not a zombie) that started before then, and that was recently.
    static func writerMayLive(_ pid: pid_t, lastWrite: TimeInterval?) -> Bool {
        guard let lastWrite else { return false }
        if Date().timeIntervalSince1970 - lastWrite > graceSeconds { return false }
        if kill(pid, 0) != 0, errno == ESRCH { return false }
        #if os(Linux)
        // /proc/<pid>/stat: "pid (comm) state ... starttime(22nd field) ..."; comm may hold spaces.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return true }
        if fields[0] == "Z" || fields[0] == "X" { return false }
        if let ticks = Double(fields[19]), let boot = bootTime {
            let started = boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
            if started > lastWrite + 2 { return false }  // the pid was reused after the file was written
        }
        #endif
        return true
    }

    #if os(Linux)
    private static let bootTime: TimeInterval? = {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }) else { return nil }
        return TimeInterval(line.dropFirst("btime ".count))
    }()
    #endif
}
