import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A QEMU binary on disk: where it is, its size and its SHA-256.
public struct BinaryFile: Sendable, Equatable {
    /// The path given or found.
    public var path: String
    /// The file name (`qemu-system-x86_64`).
    public var name: String
    /// Size in bytes.
    public var size: Int64
    /// SHA-256, hex.
    public var sha256: String

    /// Creates a record from known values (replay).
    public init(path: String, name: String, size: Int64, sha256: String) {
        self.path = path
        self.name = name
        self.size = size
        self.sha256 = sha256
    }

    /// Measures the file at `path`.
    public static func measure(_ path: String) async throws(HarvestError) -> BinaryFile {
        let resolved = (path as NSString).resolvingSymlinksInPath
        guard FileManager.default.isExecutableFile(atPath: resolved),
              let attrs = try? FileManager.default.attributesOfItem(atPath: resolved),
              let size = (attrs[.size] as? NSNumber)?.int64Value
        else { throw HarvestError(.noQEMU, "\(path): not an executable file") }
        let digest: String
        do {
            let result = try await Subprocess.run(
                .name("sha256sum"), arguments: [resolved], output: .string(limit: 4096), error: .discarded)
            digest = String(result.standardOutput.prefix(64))
        } catch {
            throw HarvestError(.probeFailed, "\(path): cannot compute SHA-256: \(error)")
        }
        guard digest.count == 64 else { throw HarvestError(.probeFailed, "\(path): sha256sum gave no digest") }
        return BinaryFile(path: path, name: (path as NSString).lastPathComponent, size: size, sha256: digest)
    }

    /// Every `qemu-system-*` on `PATH`, one per name (the first on `PATH` wins), sorted by name.
    public static func discover(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> [String] {
        var found: [String: String] = [:]
        for dir in path.split(separator: ":").map(String.init) {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for entry in entries where entry.hasPrefix("qemu-system-") && found[entry] == nil {
                let full = (dir as NSString).appendingPathComponent(entry)
                if FileManager.default.isExecutableFile(atPath: full) { found[entry] = full }
            }
        }
        return found.keys.sorted().map { found[$0]! }
    }
}
