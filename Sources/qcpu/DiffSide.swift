import CPUQuery
import Foundation
import Harvester
import QMP
import SnapshotStore

/// One side of `qcpu diff A B`: a snapshot file, or a QEMU binary whose catalogue comes from the
/// snapshot of its version on the search path, the cache, or a live probe (the query fallback).
struct DiffSide {
    /// The argument as given.
    let argument: String
    /// The snapshot the side is read from.
    let reader: SnapshotReader
    /// The QEMU version.
    let version: String
    /// Where a binary's catalogue came from; nil when the argument is a snapshot file.
    let source: AnswerSource?

    /// Opens `argument`: an executable that is not an SQLite file is a QEMU binary; anything else
    /// is a snapshot file (missing: exit 66; not a snapshot: 65).
    static func open(_ argument: String, machines: [String], mode: CPUQuery.Mode, qemuArguments: [String]) async throws -> DiffSide {
        guard isProgram(argument) else {
            let reader = try SnapshotReader(path: argument)
            return DiffSide(argument: argument, reader: reader, version: try reader.meta()["qemu_version"] ?? "", source: nil)
        }
        guard QEMUVersion.of(binary: argument) != nil else {
            throw QueryError(.qemuUnavailable, "\(argument) is a program but not a QEMU binary ('\(argument) --version' names no QEMU version); give a snapshot file or a qemu-system-* binary")
        }
        let prober = Prober(extraArguments: qemuArguments)
        let query = try CPUQuery(locator: SnapshotLocator(executable: executablePath()), target: .init(qemu: argument),
                                 mode: mode, prober: prober)
        let (reader, source) = try await query.catalogue(machines: machines)
        return DiffSide(argument: argument, reader: reader, version: query.version, source: source)
    }

    /// Whether `path` is an executable regular file that does not start like an SQLite database.
    static func isProgram(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isExecutableFile(atPath: path) else { return false }
        guard let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        let head = (try? file.read(upToCount: 16)) ?? Data()
        return head != Data("SQLite format 3\0".utf8)
    }

    /// The side in JSON: `file` and `qemu-version`, and for a binary `qemu` and `source`.
    var json: JSONValue {
        guard let source else { return ["file": .string(argument), "qemu-version": .string(version)] }
        return ["qemu": .string(argument), "file": .string(reader.path), "qemu-version": .string(version), "source": source.json]
    }

    /// `old: QEMU PATH: snapshot FILE` for a binary; nil for a snapshot file.
    func line(_ label: String) -> String? { source.map { "\(label): \(argument) (QEMU \(version)): \($0)" } }
}

extension DiffSide {
    /// The live fallback for a diff: the harvester's prober, saying on stderr what it probes and
    /// how far it got (an updating line on a terminal), since a whole catalogue takes a while.
    struct Prober: LiveProbing {
        /// Extra arguments for every QEMU command line.
        var extraArguments: [String]

        func probe(_ request: ProbeRequest) async throws -> Snapshot {
            let which = request.machines.isEmpty ? "every machine type" : "machine types " + request.machines.joined(separator: " ")
            note("probing \(request.qemu) live: \(which), every model, under \(request.accel.uppercased()) (one QEMU per machine type)")
            let line = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
            let start = ContinuousClock.now
            let prober = LiveProber(extraArguments: extraArguments) { done, total, key in
                line.update("[\(done)/\(total)] \(key.machine) \(key.accel)")
            }
            defer { line.finish() }
            let snapshot = try await prober.probe(request)
            line.finish()
            let elapsed = (ContinuousClock.now - start).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            note("probed \(request.qemu): \(snapshot.sessions.count) sessions in \(String(format: "%.1f", seconds)) s")
            return snapshot
        }
    }
}
