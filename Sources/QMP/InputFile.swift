import Foundation

/// Reads an input file named by the user: only a regular file, and only up to a size limit.
///
/// `FileManager.contents(atPath:)` blocks forever on a FIFO and reads a file of any size into
/// memory; every file qcpu reads as input (a `.replies` transcript, a `<cpu>` XML, libvirt's
/// capabilities cache) goes through this instead.
public enum InputFile {
    /// Why a file could not be read.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        /// The kind of failure.
        public enum Kind: Sendable, Equatable {
            /// No such file, or it cannot be opened.
            case unreadable
            /// A directory, FIFO, socket or device.
            case notRegular
            /// Larger than the limit.
            case tooLarge
        }
        /// The kind of failure.
        public var kind: Kind
        /// One line saying what is wrong (without the path).
        public var message: String
        /// The message.
        public var description: String { message }
    }

    /// The bytes of the regular file `path`, refused when larger than `maxBytes`.
    public static func read(_ path: String, maxBytes: Int) throws(Error) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw Error(kind: .unreadable, message: "cannot read (\(reason))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Error(kind: .unreadable, message: "cannot read (\(String(cString: strerror(errno))))") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            let what = st.st_mode & S_IFMT == S_IFDIR ? "a directory" : st.st_mode & S_IFMT == S_IFIFO ? "a FIFO" : "not a regular file"
            throw Error(kind: .notRegular, message: "\(what), not a file")
        }
        guard st.st_size <= maxBytes else {
            throw Error(kind: .tooLarge, message: "\(st.st_size) bytes: larger than the limit of \(maxBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw Error(kind: .unreadable, message: "cannot read (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            count += n
        }
        guard count <= st.st_size else { throw Error(kind: .unreadable, message: "cannot read (the file grew while being read)") }
        bytes.removeSubrange(count...)
        return bytes
    }
}

/// `read(2)`, outside ``InputFile`` whose own `read` would shadow it.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
