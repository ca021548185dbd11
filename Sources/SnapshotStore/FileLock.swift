import Foundation

/// An exclusive advisory lock (`flock`) on a lock file, for read-merge-write cycles that other
/// processes run on the same file (the live cache).
///
/// The lock file is created when missing and never removed (removing it would let two
/// processes lock different files of the same name). The kernel releases the lock when the
/// holder exits, however it dies.
public enum FileLock {
    /// Runs `body` while holding the lock on `path`, waiting up to `timeout` for it.
    ///
    /// - Throws: ``SnapshotError`` (`cannotWrite`) when the lock file cannot be opened or the
    ///   lock is still held by another process after `timeout`; whatever `body` throws.
    public static func withExclusive<R>(_ path: String, timeout: Duration = .seconds(120),
                                        _ body: () throws -> R) async throws -> R {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            throw SnapshotError(.cannotWrite, path: path, "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw SnapshotError(.cannotWrite, path: path, "cannot lock: \(String(cString: strerror(errno)))")
            }
            guard ContinuousClock.now < deadline else {
                throw SnapshotError(.cannotWrite, path: path, "still locked by another process after \(timeout)")
            }
            // Polling keeps the cooperative thread free (a blocking flock would hold it).
            try await Task.sleep(for: .milliseconds(20))
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
