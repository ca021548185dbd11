import Foundation

/// QEMU version strings: reading them from a binary, comparing them, finding a binary of one.
public enum QEMUVersion {
    /// `X.Y.Z` from `binary --version` ("QEMU emulator version 7.2.22 (Debian ...)").
    public static func of(binary: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--version"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? out.fileHandleForReading.close()
        let text = String(decoding: data, as: UTF8.self)
        guard let range = text.range(of: #"version (\d+\.\d+\.\d+)"#, options: .regularExpression) else { return nil }
        return String(text[range].dropFirst("version ".count))
    }

    /// Numeric order of dotted versions (`7.2.22` < `10.0.2`).
    public static func less(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
        return x.lexicographicallyPrecedes(y)
    }

    /// Whether `version` names a release series (`10.0`: two numbers) rather than one release.
    public static func isSeries(_ version: String) -> Bool {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    /// Whether `version` belongs to `series` (`10.0.13` to `10.0`).
    public static func inSeries(_ version: String, _ series: String) -> Bool {
        version.hasPrefix(series + ".") && version.split(separator: ".").count == 3
    }

    /// The newest of `versions` in `series`, if any.
    public static func newest(inSeries series: String, of versions: some Sequence<String>) -> String? {
        versions.filter { inSeries($0, series) }.max(by: less)
    }

    /// The version of the first `name` on `PATH`, if there is one that says it.
    public static func installed(named name: String,
                                 path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String? {
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return of(binary: candidate) }
        }
        return nil
    }

    /// The first `name` on `PATH` whose version is `version`.
    public static func findBinary(named name: String, version: String,
                                  path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String? {
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate), of(binary: candidate) == version { return candidate }
        }
        return nil
    }
}
