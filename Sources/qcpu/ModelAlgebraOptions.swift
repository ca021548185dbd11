import ArgumentParser
import CPUQuery
import HostCPU
import SnapshotStore

/// What `model-compare` and `model-baseline` share: the snapshot (by QEMU version and
/// architecture), the machine type and accelerator of the expansions, the output format.
struct ModelAlgebraOptions: ParsableArguments {
    @Option(name: .customLong("snapshot"), help: ArgumentHelp("Answer from this snapshot file only (repeatable).", valueName: "file"),
            completion: .file(extensions: ["sqlite"]))
    var snapshots: [String] = []

    @Option(name: .customLong("qemu-version"), help: ArgumentHelp("The QEMU version (default: the newest snapshot).", valueName: "version"))
    var qemuVersion: String?

    @Option(help: ArgumentHelp("Target architecture (QEMU compares and baselines models on s390x).", valueName: "arch"))
    var arch: String = "s390x"

    @Option(help: ArgumentHelp("Machine type whose expansions define the models (libvirt asks with 'none').", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String = "none"

    @Option(help: "Accelerator whose expansions define the models.")
    var accel: String = "tcg"

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    /// The snapshot reader, binary and algebra of the question.
    func open() throws -> (reader: SnapshotReader, binary: String, algebra: CPUModelAlgebra) {
        let locator = SnapshotLocator(explicitFiles: snapshots, executable: executablePath())
        let q = try CPUQuery(locator: locator, target: .init(version: qemuVersion, arch: arch), mode: .offline)
        for reader in q.snapshotReaders() {
            if let algebra = try CPUModelAlgebra.open(reader, binary: q.binary) { return (reader, q.binary, algebra) }
        }
        throw HostCPUError(.noModelTable, "no snapshot of QEMU \(q.version) has a CPU model table for \(q.binary): "
                           + "QEMU compares and baselines CPU models only on s390x, and only harvests by this qcpu record the table")
    }

    /// The model a `-cpu` string or libvirt `<cpu>` element names.
    func model(_ text: String, in opened: (reader: SnapshotReader, binary: String, algebra: CPUModelAlgebra)) throws -> CPUModelAlgebra.Model {
        try opened.algebra.model(try GuestCPU.parse(text), reader: opened.reader, binary: opened.binary, machine: machine, accel: accel)
    }
}
