import ArgumentParser
import HostCPU

extension HostOptions {
    /// The one host record a question about a single host names (exit status 64 for more).
    func loadOne(machine: String?, snapshots: [String], for command: String) async throws -> HostRecordFile {
        let records = try await load(machine: machine, snapshots: snapshots)
        guard records.count == 1 else { throw fail("\(command) describes one host; give one --host", status: ExitStatus.usage) }
        return records[0]
    }
}
