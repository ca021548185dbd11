import ArgumentParser
import CPUQuery
import Foundation
import Harvester
import HostCPU
import LibvirtImport
import SnapshotStore

/// `qcpu host import FILE... -o OUT`: host records from libvirt's host data.
struct HostImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make host records from libvirt's host data (QEMU capabilities cache XML or .replies).",
        discussion: """
            Reads libvirt's QEMU capabilities cache (/var/cache/libvirt/qemu/capabilities/*.xml, \
            the format of libvirt's tests/qemucapabilitiesdata/caps_*.xml) or a .replies file with \
            a KVM phase, and writes a light host record on machine type none (libvirt probes \
            with -machine none): the host model's expansions rebuilt from libvirt's host CPU \
            data and the host's fingerprint. Each model's KVM definition comes from the snapshot \
            of the file's QEMU release series (7.2.0 from 7.2.22's); the import checks that such \
            a snapshot is on the search path. With one file, OUT is the record; with several, OUT \
            is a directory and each record is named after its file. libvirt's blocker lists are \
            not read. Exit status: 65 for a bad or truncated file or one without KVM data, 66 for \
            a missing file, 69 when no snapshot has the file's release and binary under KVM, 73 \
            when the output cannot be written; nothing is written on error.
            """)

    @Argument(help: ArgumentHelp("libvirt capabilities .xml or .replies files.", valueName: "file"),
              completion: .file(extensions: ["xml", "replies"]))
    var files: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The record (one file) or a directory (several files).", valueName: "path"))
    var output: String

    @Option(name: .customLong("snapshot"),
            help: ArgumentHelp("Check against this snapshot instead of the search path (repeatable).", valueName: "file"))
    var snapshots: [String] = []

    @Flag(help: "Replace existing records.")
    var force = false

    @Flag(name: .shortAndLong, help: "No notes on stderr.")
    var quiet = false

    func run() async throws {
        try await reportingErrors {
            let importer = HostRecordImporter(sourceDateEpoch: try sourceDateEpoch())
            let outputs = try outputPaths()
            let releases = ReleaseSnapshots(locator: SnapshotLocator(explicitFiles: snapshots, executable: executablePath()))
            var records: [(path: String, snapshot: Snapshot, note: String)] = []
            for (file, out) in zip(files, outputs) {
                do {
                    let data = try importer.read(file)
                    _ = try HostRecordImporter.kvmHostCPU(data)
                    let match = try ReleaseSnapshotMatch.find(qemuVersion: data.qemuVersion, binary: data.binary,
                                                              file: data.file, in: releases)
                    let record = try importer.record(of: data)
                    let host = record.sessions.first?.host
                    records.append((out, record, "\(out): \(data.kind.rawValue) \(data.file), QEMU \(data.qemuVersion), "
                                    + "\(host?.vendor ?? "?") \(host?.modelName ?? "?"); \(match.note)"))
                } catch let error as LibvirtImportError {
                    throw fail("\(error)", status: Self.status(error))
                }
            }
            for r in records {
                try SnapshotWriter().write(r.snapshot, to: r.path)
                if !quiet { note("wrote \(r.note)") }
            }
        }
    }

    /// The record path of each input; refuses existing files without --force.
    func outputPaths() throws -> [String] {
        var paths: [String] = []
        if files.count == 1 {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue {
                throw fail("\(output) is a directory; with one input -o names the record file", status: ExitStatus.usage)
            }
            paths = [output]
        } else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isDir) {
                guard isDir.boolValue else {
                    throw fail("\(output) is a file; with several inputs -o names a directory", status: ExitStatus.usage)
                }
            } else {
                do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                    throw fail("cannot create directory \(output): \(error.localizedDescription)", status: ExitStatus.cannotCreate)
                }
            }
            var seen: [String: String] = [:]
            for f in files {
                let base = ((f as NSString).lastPathComponent as NSString).deletingPathExtension
                if let other = seen[base] {
                    throw fail("\(other) and \(f) would both be written to \(base).sqlite; import them separately", status: ExitStatus.usage)
                }
                seen[base] = f
                paths.append((output as NSString).appendingPathComponent(base + ".sqlite"))
            }
        }
        if !force, let existing = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw fail("\(existing) exists; pass --force to replace it", status: ExitStatus.cannotCreate)
        }
        return paths
    }

    /// The exit status of an import error.
    static func status(_ error: LibvirtImportError) -> Int32 {
        switch error.code {
        case .noReleaseSnapshot: return ExitStatus.unavailable
        default: return LibvirtRepliesCommand.status(error)
        }
    }
}
