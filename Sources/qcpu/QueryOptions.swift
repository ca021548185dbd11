import ArgumentParser
import CPUQuery
import Foundation
import Harvester
import QMP
import SnapshotStore

/// Options every question shares: which snapshots, which QEMU, whether to probe live.
struct QueryOptions: ParsableArguments {
    @Option(name: .customLong("snapshot"), help: ArgumentHelp("Answer from this snapshot file only (repeatable).", valueName: "file"),
            completion: .file(extensions: ["sqlite"]))
    var snapshots: [String] = []

    @Option(help: ArgumentHelp("The QEMU binary the question is about (its version is read from it).", valueName: "path"),
            completion: .file())
    var qemu: String?

    @Option(name: .customLong("qemu-version"), help: ArgumentHelp("The QEMU version the question is about (default: the newest snapshot).", valueName: "version"))
    var qemuVersion: String?

    @Option(help: ArgumentHelp("Target architecture when no --qemu is given.", valueName: "arch"))
    var arch: String = "x86_64"

    @Flag(help: "Never start QEMU: answer from snapshots or fail.")
    var offline = false

    @Flag(help: "Ask a live QEMU even when a snapshot has the answer (and refresh the cache).")
    var live = false

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    func validate() throws {
        if offline && live { throw ValidationError("--offline and --live cannot be combined") }
    }

    /// Opens the snapshots and sets up the live fallback.
    func makeQuery() throws(QueryError) -> CPUQuery {
        let locator = SnapshotLocator(explicitFiles: snapshots, executable: executablePath())
        return try CPUQuery(locator: locator, target: .init(qemu: qemu, version: qemuVersion, arch: arch),
                            mode: offline ? .offline : (live ? .live : .auto), prober: LiveProber())
    }
}

/// The path of the running executable (`/proc/self/exe`).
func executablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Prints a JSON document with the common envelope: `schema`, `source` and `build` (the QEMU
/// build whose snapshot answered).
func printJSON(_ body: [String: JSONValue], source: AnswerSource, of query: CPUQuery) {
    var object = body
    object["schema"] = 1
    object["source"] = source.json
    let build = query.buildInfo(of: source)
    object["build"] = ["qemu-version": .string(build.version), "qemu-package": .string(build.package)]
    print(JSONValue.object(object).prettyText)
}

/// Prints where an answer came from and which QEMU build that is, on stderr (table output only).
func printSource(_ source: AnswerSource, of query: CPUQuery, format: OutputFormat) {
    if format == .table { note("source: \(source), \(query.build(of: source))") }
}
