import Foundation
import SnapshotStore

/// Finds snapshot files the way osinfo-db finds its database: an explicit file first, then
/// `QCPU_SNAPSHOT_PATH`, the user's data dir, the cache, the admin dir, the system dir next to
/// the executable, and the source checkout's `Snapshots/`.
public struct SnapshotLocator: Sendable {
    /// One place on the search path.
    public struct Place: Sendable, Equatable {
        /// Where it comes from: `--snapshot`, `QCPU_SNAPSHOT_PATH`, `user`, `cache`, `admin`, `system`, `checkout`.
        public var origin: String
        /// A file or directory.
        public var path: String
    }

    /// `--snapshot` files.
    public var explicitFiles: [String]
    /// The environment (for `QCPU_SNAPSHOT_PATH`, `XDG_DATA_HOME`, `XDG_CACHE_HOME`, `HOME`).
    public var environment: [String: String]
    /// The running executable, to find `<prefix>/share/qcpu/snapshots` and a source checkout.
    public var executable: String
    /// The admin directory.
    public var adminDirectory: String

    /// Creates a locator.
    public init(explicitFiles: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment,
                executable: String = CommandLine.arguments.first ?? "", adminDirectory: String = "/etc/qcpu/snapshots") {
        self.explicitFiles = explicitFiles
        self.environment = environment
        self.executable = executable
        self.adminDirectory = adminDirectory
    }

    private var home: String { environment["HOME"] ?? NSHomeDirectory() }

    /// `$XDG_CACHE_HOME/qcpu` (default `~/.cache/qcpu`): where live answers are kept.
    public var cacheDirectory: String {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.cache"
        return base + "/qcpu"
    }

    /// `$XDG_DATA_HOME/qcpu` (default `~/.local/share/qcpu`).
    public var userDirectory: String {
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return base + "/qcpu"
    }

    /// The places searched, in order.
    public var searchPath: [Place] {
        var places = explicitFiles.map { Place(origin: "--snapshot", path: $0) }
        if !explicitFiles.isEmpty { return places }
        for entry in (environment["QCPU_SNAPSHOT_PATH"] ?? "").split(separator: ":") where !entry.isEmpty {
            places.append(Place(origin: "QCPU_SNAPSHOT_PATH", path: String(entry)))
        }
        places.append(Place(origin: "user", path: userDirectory))
        places.append(Place(origin: "cache", path: cacheDirectory))
        places.append(Place(origin: "admin", path: adminDirectory))
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        let prefix = exe.deletingLastPathComponent().deletingLastPathComponent()
        places.append(Place(origin: "system", path: prefix.appendingPathComponent("share/qcpu/snapshots").path))
        // Run from a source checkout: <root>/.build/<config>/qcpu or <root>/.build/<triple>/<config>/qcpu.
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            if dir.lastPathComponent == ".build" {
                let root = dir.deletingLastPathComponent()
                if FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
                    places.append(Place(origin: "checkout", path: root.appendingPathComponent("Snapshots").path))
                }
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        return places
    }

    /// The snapshot files on the search path, in search order.
    ///
    /// - Throws: ``QueryError`` when a directory on the path exists but cannot be read, or a
    ///   `--snapshot` file does not exist.
    public func files() throws(QueryError) -> [(origin: String, path: String)] {
        var found: [(String, String)] = []
        for place in searchPath {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: place.path, isDirectory: &isDir)
            if place.origin == "--snapshot" || (exists && !isDir.boolValue) {
                found.append((place.origin, place.path))
                continue
            }
            var info = stat()
            if !exists {
                // A dangling or looping symlink is there but unreadable; a missing path is just absent.
                if lstat(place.path, &info) == 0 {
                    throw QueryError(.unreadableSearchPath, "cannot read \(place.origin) directory \(place.path): \(String(cString: strerror(ELOOP)))")
                }
                continue
            }
            guard let dir = opendir(place.path) else {
                throw QueryError(.unreadableSearchPath,
                                 "cannot read \(place.origin) directory \(place.path): \(String(cString: strerror(errno)))")
            }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasSuffix(".sqlite") { names.append(name) }
            }
            closedir(dir)
            for name in names.sorted() { found.append((place.origin, (place.path as NSString).appendingPathComponent(name))) }
        }
        return found
    }
}
