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
            let version = try await client.execute("query-version")
            let q = version["qemu"]
            let qemuVersion = [q?["major"], q?["minor"], q?["micro"]].map { $0?.intValue.map(String.init) ?? "?" }
                .joined(separator: ".")
            let package = (version["package"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
            let arch = try await client.execute("query-target")["arch"]?.stringValue ?? "unknown"
            let kvm = try await client.execute("query-kvm")
            let machines = (try await client.execute("query-machines").arrayValue ?? []).compactMap { info -> MachineRecord? in
                guard let name = info["name"]?.stringValue else { return nil }
                return MachineRecord(binary: binary.name, name: name, info: info)
            }
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
                    qom.append(QOMTypeRecord(binary: binary.name, typename: typename, properties: Self.sorted(props)))
                }
            }
            return BinaryProbe(
                qemuVersion: qemuVersion, qemuPackage: package, arch: arch,
                kvmEnabled: kvm["enabled"]?.boolValue ?? false,
                machines: machines.sorted { $0.name < $1.name }, qomTypes: qom)
        }
    }

    /// `qom-list-properties` in a fixed order (by name), so the stored text is stable.
    static func sorted(_ props: JSONValue) -> JSONValue {
        guard let items = props.arrayValue else { return props }
        return .array(items.sorted { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") })
    }
}
