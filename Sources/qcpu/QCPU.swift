import ArgumentParser

/// The `qcpu` command: harvest QEMU CPU-model data into snapshots and inspect them.
@main
struct QCPU: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qcpu",
        abstract: "Know what every QEMU CPU model is, without starting QEMU.",
        discussion: """
            Harvest QEMU binaries × machine types × CPU models × accelerators over QMP into \
            versioned SQLite snapshots, and inspect those snapshots offline.

            Exit status: 0 success; 1 failure (sessions failed, invalid snapshot); 64 usage \
            error; 65 bad snapshot or bad data; 66 snapshot not found; 69 QEMU unavailable; \
            73 cannot write the output.
            """,
        version: "0.1.0",
        subcommands: [HarvestCommand.self, InfoCommand.self, ValidateCommand.self, MergeCommand.self])
}
