import Dispatch
import Foundation
import SnapshotStore

/// The host records named for one question: files, and every regular file of directories,
/// opened in parallel; a file that cannot be read as a host record is set aside with the reason.
public struct HostRecordFiles: Sendable {
    /// A file that could not be read as a host record.
    public struct Unreadable: Sendable, Equatable {
        /// The file.
        public var path: String
        /// Why, in a few words (`not an SQLite database, so not a qcpu snapshot`).
        public var reason: String

        /// Creates an entry.
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        /// The entry for `error`, thrown opening `path`.
        init(path: String, error: any Error) {
            self.path = path
            switch error {
            case let e as SnapshotError: reason = e.reason
            case let e as HostCPUError: reason = HostRecordFiles.reason(e.message, path: path)
            default: reason = "\(error)"
            }
        }
    }

    /// The records, in the order named (a directory's files sorted by name).
    public var records: [HostRecordFile]
    /// The files that are not host records, in the same order.
    public var unreadable: [Unreadable]

    /// How many unreadable files the error and the note name before "and N more".
    public static let namedInMessages = 3

    /// The regular files of `directory` (symbolic links to regular files included), sorted by
    /// name: every name, not only `*.sqlite`; dotfiles and subdirectories are left out.
    public static func files(in directory: String) throws(HostCPUError) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw HostCPUError(.noHosts, "\(directory): cannot read the host directory")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name -> String? in
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard stat(path, &info) == 0 else { return path }  // a dangling link: reported as unreadable
            return (info.st_mode & S_IFMT) == S_IFREG ? path : nil
        }
    }

    /// `files`, then every regular file of `directories`.
    ///
    /// - Throws: ``HostCPUError`` (``HostCPUError/Code/noHosts``) when a directory cannot be
    ///   read or a named file does not exist.
    public static func paths(files: [String], directories: [String]) throws(HostCPUError) -> [String] {
        for f in files where !FileManager.default.fileExists(atPath: f) {
            throw HostCPUError(.noHosts, "\(f): no such host record")
        }
        var paths = files
        for d in directories { paths += try Self.files(in: d) }
        return paths
    }

    /// Opens `files` and then every regular file of `directories`, in parallel.
    ///
    /// - Throws: what ``paths(files:directories:)`` throws; files that exist but are not host
    ///   records are not errors here: they are in ``unreadable``.
    public static func open(files: [String], directories: [String],
                            releases: ReleaseSnapshots = .shared) throws(HostCPUError) -> HostRecordFiles {
        let outcomes = ParallelMap.run(try paths(files: files, directories: directories)) { path -> (HostRecordFile?, Unreadable?) in
            do {
                return (try HostRecordFile(path: path, releases: releases), nil)
            } catch {
                return (nil, Unreadable(path: path, error: error))
            }
        }
        return HostRecordFiles(records: outcomes.compactMap(\.0), unreadable: outcomes.compactMap(\.1))
    }

    /// The error for the unreadable files, one line: the first few with their reasons and how
    /// many more; nil when every file was read.
    public var unreadableError: HostCPUError? { Self.error(for: unreadable) }

    /// Throws ``unreadableError`` when a file was not a host record.
    public func requireAllRead() throws(HostCPUError) {
        if let unreadableError { throw unreadableError }
    }

    /// What `--keep-going` says it skipped, one line; nil when nothing was skipped.
    public var skippedNote: String? { Self.note(for: unreadable, answering: records.count) }

    /// The error naming `unreadable` (nil when empty).
    public static func error(for unreadable: [Unreadable]) -> HostCPUError? {
        guard !unreadable.isEmpty else { return nil }
        let what = unreadable.count == 1 ? "1 file is not a host record" : "\(unreadable.count) files are not host records"
        return HostCPUError(.unreadableRecords, "\(what): \(listing(unreadable)) (--keep-going answers for the other hosts)")
    }

    /// The `--keep-going` note for `unreadable` (nil when empty), answering for `hosts` hosts.
    public static func note(for unreadable: [Unreadable], answering hosts: Int) -> String? {
        guard !unreadable.isEmpty else { return nil }
        let what = unreadable.count == 1 ? "1 file that is not a host record" : "\(unreadable.count) files that are not host records"
        return "skipped \(what): \(listing(unreadable)); answering for \(hosts) host(s)"
    }

    private static func listing(_ unreadable: [Unreadable]) -> String {
        let named = unreadable.prefix(Self.namedInMessages).map { "\($0.path) (\($0.reason))" }
        let more = unreadable.count - named.count
        return named.joined(separator: ", ") + (more > 0 ? " and \(more) more" : "")
    }

    /// `message` without a leading `path: `.
    static func reason(_ message: String, path: String) -> String {
        message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
    }
}

/// `map` over the available cores, results in input order.
enum ParallelMap {
    private final class Slots<T>: @unchecked Sendable {
        var values: [T?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
    }

    static func run<T, R>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] where T: Sendable {
        let slots = Slots<R>(count: items.count)
        let chunks = min(items.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        guard chunks > 1 else { return items.map(body) }
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var local: [(Int, R)] = []
            for i in stride(from: chunk, to: items.count, by: chunks) { local.append((i, body(items[i]))) }
            lock.lock()
            for (i, r) in local { slots.values[i] = r }
            lock.unlock()
        }
        return slots.values.map { $0! }
    }
}
