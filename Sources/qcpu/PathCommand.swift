import ArgumentParser
import CPUQuery

/// `qcpu path`: where snapshots are looked for, in order.
struct PathCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path", abstract: "Print where snapshots are looked for, in order, and what is found there.")

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("A snapshot file given explicitly (repeatable).", valueName: "file"))
    var snapshots: [String] = []

    func run() async throws {
        try await reportingErrors {
            let locator = SnapshotLocator(explicitFiles: snapshots, executable: executablePath())
            let files = try locator.files()
            var t = TextTable(header: ["ORIGIN", "PATH", "SNAPSHOTS"])
            for place in locator.searchPath {
                let here = files.filter { $0.path == place.path || $0.path.hasPrefix(place.path + "/") }
                t.rows.append([place.origin, place.path, here.isEmpty ? "-" : here.map { ($0.path as NSString).lastPathComponent }.joined(separator: " ")])
            }
            print(t.render())
        }
    }
}

import Foundation
