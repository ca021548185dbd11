import ArgumentParser
import CPUQuery

/// Shell completion of model and machine names from the snapshots on the search path.
enum Completion {
    private static func names() -> (machines: [String], models: [String]) {
        guard let q = try? CPUQuery(locator: SnapshotLocator(executable: executablePath()), mode: .offline) else {
            return ([], [])
        }
        return q.knownNames()
    }

    static func machines(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        names().machines.filter { $0.hasPrefix(prefix) }
    }

    static func models(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        names().models.filter { $0.hasPrefix(prefix) }
    }
}
