import ArgumentParser
import SnapshotStore

/// `qcpu validate`: check snapshot files.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check snapshots: magic number, schema version, length, integrity, invariants.",
        discussion: "Prints one line per file. Exit status 0 when all are valid, 65 otherwise (66 for a missing file).")

    @Argument(help: ArgumentHelp("Snapshot files.", valueName: "file"))
    var files: [String]

    func run() async throws {
        var worst: Int32 = 0
        for file in files {
            do {
                let problems = try SnapshotValidator().validate(path: file)
                if problems.isEmpty {
                    print("\(file): ok")
                } else {
                    print("\(file): invalid")
                    for p in problems { print("  \(p)") }
                    worst = max(worst, ExitStatus.dataError)
                }
            } catch {
                print("\(file): invalid")
                note("qcpu: \(error)")
                worst = max(worst, ExitStatus.of(error))
            }
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}
