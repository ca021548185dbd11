import QMP
import SnapshotStore

/// What one `-machine none` session tells about a binary: version, target, KVM, machine
/// types, CPU QOM types and their properties.
struct BinaryProbe: Sendable {
    var qemuVersion: String
    var qemuPackage: String
    var arch: String
    var kvmEnabled: Bool
    var machines: [MachineRecord]
    var qomTypes: [QOMTypeRecord]

    /// The transcript name of a binary's probe session.
    static func sessionName(_ binary: String) -> String { "\(binary)/probe" }

    static func run(binary: BinaryFile, withKVM: Bool, modelGlobs: [String], extraArguments: [String] = [], qomTypes: Bool = true,
                    provider: any QMPSessionProvider) async throws -> BinaryProbe {
        let accel = withKVM ? "kvm:tcg" : "tcg"
        return try await provider.withSession(
            name: sessionName(binary.name), executable: binary.path,
            arguments: QEMUProcess.standardArguments(machine: "none", accel: accel) + extraArguments
        ) { client in
            let (qemuVersion, package) = ReplyRecords.version(try await client.execute("query-version"))
            let arch = try await client.execute("query-target")["arch"]?.stringValue ?? "unknown"
            let kvm = try await client.execute("query-kvm")
            let machines = ReplyRecords.machines(try await client.execute("query-machines"), binary: binary.name)
            var typenames: [String] = []
            if case .success(let defs) = try await client.attempt("query-cpu-definitions") {
                typenames = Set((defs.arrayValue ?? []).compactMap { d -> String? in
                    guard let name = d["name"]?.stringValue, Glob.matches(name, any: modelGlobs) else { return nil }
                    return d["typename"]?.stringValue
                }).sorted()
            }
            var qom: [QOMTypeRecord] = []
            for typename in typenames where qomTypes {
                if case .success(let props) = try await client.attempt(
                    "qom-list-properties", arguments: ["typename": .string(typename)]) {
                    qom.append(ReplyRecords.qomType(props, binary: binary.name, typename: typename))
                }
            }
            return BinaryProbe(
                qemuVersion: qemuVersion, qemuPackage: package, arch: arch,
                kvmEnabled: kvm["enabled"]?.boolValue ?? false,
                machines: machines, qomTypes: qom)
        }
    }
}
