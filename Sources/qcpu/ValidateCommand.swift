import ArgumentParser
import SnapshotStore

/// `qcpu validate`: check snapshot files.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check snapshots: header, integrity, every row, invariants, content digest.",
        discussion: """
            Prints one line per file, then its problems; each invalid file also gets one line on stderr. Checks everything the other commands check \
            when they read a file, on every row, and the content digest recorded when qcpu wrote it \
            (files of older qcpu versions have none: 'ok; no digest ...'). Exit status 0 when all \
            are valid, 65 otherwise (66 for a missing file or one that is not a regular file).
            """)

    @Argument(help: ArgumentHelp("Snapshot files.", valueName: "file"))
    var files: [String]

    func run() async throws {
        var worst: Int32 = 0
        for file in files {
            do {
                let report = try SnapshotValidator().check(path: file)
                if report.problems.isEmpty {
                    print(report.notes.isEmpty ? "\(file): ok" : "\(file): ok; \(report.notes.joined(separator: "; "))")
                } else {
                    print("\(file): invalid")
                    for p in report.problems { print("  \(p)") }
                    let more = report.problems.count > 1 ? " (and \(report.problems.count - 1) more, above)" : ""
                    note("qcpu: \(file): invalid: \(report.problems[0])\(more)")
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
