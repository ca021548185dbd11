import ArgumentParser

/// The `qcpu` command: harvest QEMU CPU-model data into snapshots and inspect them.
struct QCPU: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qcpu",
        abstract: "Know what every QEMU CPU model is, without starting QEMU.",
        discussion: """
            Answers CPU-model questions from versioned SQLite snapshots with no QEMU running, \
            probing a live QEMU of the same version (and caching the answer) when a row is \
            missing. Harvests QEMU binaries x machine types x CPU models x accelerators over QMP \
            into such snapshots.

            Snapshots are looked for in: --snapshot FILE, $QCPU_SNAPSHOT_PATH, \
            $XDG_DATA_HOME/qcpu, $XDG_CACHE_HOME/qcpu (live answers), /etc/qcpu/snapshots, \
            <prefix>/share/qcpu/snapshots, and a source checkout's Snapshots/ ('qcpu path').

            Exit status: 0 success; 1 failure (harvest sessions failed, live probe failed, an ABI \
            break, a model or guest a host cannot run); 64 usage error or unknown name; 65 bad \
            snapshot, host record or guest CPU; 66 snapshot not found; 69 QEMU (or KVM) unavailable; 73 cannot write the output; 74 cannot read a directory on the \
            search path.
            """,
        version: QCPU.version,
        subcommands: [
            ModelsCommand.self, MachinesCommand.self, ShowCommand.self, FeaturesCommand.self, WhichCommand.self,
            CheckCommand.self, CompareCommand.self, BaselineCommand.self, CmdlineCommand.self, ModelCompareCommand.self, ModelBaselineCommand.self, HostCommand.self, ExportCommand.self,
            DiffCommand.self, HistoryCommand.self, BuildsCommand.self, PathCommand.self, HarvestCommand.self, ImportCommand.self, InfoCommand.self, ValidateCommand.self, MergeCommand.self,
        ])

    /// qcpu's version, as `--version` prints it.
    static let version = "0.1.0"
}
