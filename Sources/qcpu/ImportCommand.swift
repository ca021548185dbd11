import ArgumentParser
import Foundation
import Harvester
import LibvirtImport
import SnapshotStore

/// `qcpu import`: build snapshots from other tools' recordings of QEMU.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Build a snapshot from other tools' recordings of QEMU.",
        subcommands: [LibvirtRepliesCommand.self])
}

/// `qcpu import libvirt-replies FILE... -o OUT`.
struct LibvirtRepliesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libvirt-replies",
        abstract: "Import libvirt's capabilities probe transcripts (.replies) into a snapshot.",
        discussion: """
            Reads libvirt's tests/qemucapabilitiesdata/caps_<version>_<arch>.replies files (or ones \
            'qcpu harvest --libvirt-probe' recorded) of one QEMU build, one file per architecture, \
            and writes one snapshot. It covers only what libvirt probed: machine type none, its CPU \
            definitions (unavailable-features are the recording host's), the machine types, and the \
            host/max expansions; meta.coverage says so, and queries and diffs name what it cannot \
            answer. The time stored is SOURCE_DATE_EPOCH when set. Exit status: 65 for a bad file \
            or files of different QEMU builds, 66 for a missing file, 73 when the output cannot be \
            written; nothing is written on error.
            """)

    @Argument(help: ArgumentHelp("libvirt .replies files, one per architecture.", valueName: "file"),
              completion: .file(extensions: ["replies"]))
    var files: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The snapshot file to write.", valueName: "file"))
    var output: String

    @Flag(help: "Replace an existing output file.")
    var force = false

    func run() async throws {
        try await reportingErrors {
            if FileManager.default.fileExists(atPath: output), !force {
                throw fail("\(output) exists; pass --force to replace it", status: ExitStatus.cannotCreate)
            }
            let snapshot = try Self.imported(files, epoch: try sourceDateEpoch())
            try SnapshotWriter().write(snapshot, to: output)
            let coverage = snapshot.meta.partialCoverage
            note("wrote \(output): QEMU \(snapshot.meta.qemuVersion), \(snapshot.binaries.map(\.name).joined(separator: ", ")); "
                 + "\(snapshot.sessions.count) sessions on machine type none, \(snapshot.definitions.count) CPU definitions, "
                 + "\(snapshot.expansions.count) expansions (\(coverage?.expandedModels.joined(separator: ", ") ?? "none"))")
        }
    }

    /// The snapshot of `files`; an import error is reported with its exit status.
    static func imported(_ files: [String], epoch: Int64?) throws -> Snapshot {
        do { return try LibvirtImporter(sourceDateEpoch: epoch).snapshot(from: files) } catch {
            throw fail("\(error)", status: status(error))
        }
    }

    /// The exit status of an import error.
    static func status(_ error: LibvirtImportError) -> Int32 {
        switch error.code {
        case .unreadable: return ExitStatus.noInput
        case .noInput: return ExitStatus.usage
        default: return ExitStatus.dataError
        }
    }
}
