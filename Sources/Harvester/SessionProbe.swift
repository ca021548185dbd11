import QMP
import SnapshotStore

/// Everything one QEMU process (binary × machine type × accelerator) answers about CPU models.
struct SessionProbe: Sendable {
    var session: SessionRecord
    var definitions: [CPUDefinitionRecord] = []
    var expansions: [ExpansionRecord] = []
    /// Time waiting on QEMU, and the whole session.
    var waitTime: Duration = .zero
    var duration: Duration = .zero

    /// Models whose KVM expansion is also asked with `migratable=off`.
    static let hostModels = ["host", "max"]

    static func run(key: SessionKey, binary: BinaryFile, host: HostRecord?, modelGlobs: [String],
                    cache: ExpansionCache, extraArguments: [String] = [],
                    expansionTypes: [String] = ["full", "static"], hostIndependent: Bool = false,
                    hostOnly: Bool = false, provider: any QMPSessionProvider) async throws -> SessionProbe {
        // Host-independent KVM rows: named models only, full expansions without the host's vendor.
        let independent = hostIndependent && key.accel == "kvm"
        let expansionTypes = independent ? expansionTypes.filter { $0 == "full" } : expansionTypes
        let clock = ContinuousClock()
        let started = clock.now
        var probe = try await provider.withSession(
            name: key.description, executable: binary.path,
            arguments: QEMUProcess.standardArguments(machine: key.machine, accel: key.accel) + extraArguments
        ) { client in
            var probe = SessionProbe(session: SessionRecord(key: key, host: key.accel == "kvm" && !independent ? host : nil))
            var unsupported: [String] = []
            var names: [String] = []
            // A light host capture: only `host`, which every KVM target has; its definition is not kept.
            let askDefinitions = !(hostOnly && key.accel == "kvm")
            if !askDefinitions { names = ["host"] }
            switch askDefinitions ? try await client.attempt("query-cpu-definitions") : .success(.array([])) {
            case .success(let defs):
                for d in defs.arrayValue ?? [] {
                    guard let name = d["name"]?.stringValue, Glob.matches(name, any: modelGlobs),
                          !(independent && hostModels.contains(name)) else { continue }
                    names.append(name)
                    var definition = ReplyRecords.definition(d, name: name, key: key)
                    if independent { definition.unavailableFeatures = nil }
                    probe.definitions.append(definition)
                }
            case .failure(let error):
                unsupported.append(error.isUnsupported ? "query-cpu-definitions"
                                   : "query-cpu-definitions (\(error.errorClass ?? ""): \(error.errorDescription ?? ""))")
            }
            names.sort()
            probe.definitions.sort { $0.name < $1.name }
            for type in expansionTypes where !names.isEmpty {
                let commands = names.map { name -> (command: String, arguments: JSONValue?) in
                    ("query-cpu-model-expansion", ["type": .string(type), "model": ["name": .string(name)]])
                }
                // The first answer tells whether the target supports this expansion type at all.
                let first = try await client.attemptReply(commands[0].command, arguments: commands[0].arguments)
                if case .failure(let error) = first, error.isUnsupported {
                    unsupported.append("query-cpu-model-expansion \(type)")
                    continue
                }
                let results = [first] + (try await client.pipeline(Array(commands.dropFirst())))
                for (name, result) in zip(names, results) {
                    var record = try ReplyRecords.expansion(result, key: .init(session: key, model: name, type: type), cache: cache)
                    if independent, case .expanded(let model, let props) = record.outcome {
                        record.outcome = .expanded(model: model, props: PropertySet(sorted: props.properties.filter { $0.name != "vendor" }))
                    }
                    probe.expansions.append(record)
                }
            }
            if key.accel == "kvm", !unsupported.contains("query-cpu-model-expansion full") {
                for name in hostModels where names.contains(name) {
                    let result = try await client.attemptReply("query-cpu-model-expansion", arguments: [
                        "type": "full", "model": ["name": .string(name), "props": ["migratable": false]]])
                    probe.expansions.append(try ReplyRecords.expansion(result, key: .init(session: key, model: name, type: "full",
                                                                          variant: "migratable=off"), cache: cache))
                }
            }
            probe.session.unsupported = unsupported.sorted()
            probe.waitTime = client.waitTime
            return probe
        }
        probe.duration = clock.now - started
        return probe
    }
}
