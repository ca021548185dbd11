import ArgumentParser
import SnapshotStore

/// `qcpu merge`: combine shards into one snapshot.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine snapshots of one QEMU build (e.g. --shard slices) into one file.",
        discussion: "Merging all the shards of a harvest gives the same bytes as the harvest run whole.")

    @Argument(help: ArgumentHelp("Snapshot files to combine.", valueName: "file"))
    var files: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The snapshot file to write.", valueName: "file"))
    var output: String

    func run() async throws {
        try await reportingErrors {
            let parts = try files.map { try SnapshotReader(path: $0).load() }
            let merged = try Snapshot.merged(parts, names: files)
            try SnapshotWriter().write(merged, to: output)
        }
    }
}
