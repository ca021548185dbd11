import QMP
import SnapshotStore

/// Turns QEMU's QMP replies into snapshot records: the one place that conversion lives, used by
/// live and replayed harvests and by imports of recorded transcripts (`LibvirtImport`).
package enum ReplyRecords {
    /// `query-version`'s `major.minor.micro` and package string.
    package static func version(_ reply: JSONValue) -> (version: String, package: String) {
        let q = reply["qemu"]
        let version = [q?["major"], q?["minor"], q?["micro"]].map { $0?.intValue.map(String.init) ?? "?" }
            .joined(separator: ".")
        return (version, (reply["package"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces))
    }

    /// `query-machines` entries as machine records of `binary`, sorted by name.
    package static func machines(_ reply: JSONValue, binary: String) -> [MachineRecord] {
        (reply.arrayValue ?? []).compactMap { info -> MachineRecord? in
            guard let name = info["name"]?.stringValue else { return nil }
            return MachineRecord(binary: binary, name: name, info: info)
        }.sorted { $0.name < $1.name }
    }

    /// One `query-cpu-definitions` entry of session `key`.
    package static func definition(_ d: JSONValue, name: String, key: SessionKey) -> CPUDefinitionRecord {
        let unavailable = d["unavailable-features"]?.arrayValue.map {
            Set($0.compactMap(\.stringValue)).sorted()
        }
        return CPUDefinitionRecord(
            session: key, name: name, typename: d["typename"]?.stringValue ?? "",
            aliasOf: d["alias-of"]?.stringValue, isStatic: d["static"]?.boolValue ?? false,
            migrationSafe: d["migration-safe"]?.boolValue, deprecated: d["deprecated"]?.boolValue ?? false,
            unavailableFeatures: unavailable)
    }

    /// One `query-cpu-model-expansion` answer (or error reply) as an expansion record.
    package static func expansion(_ result: Result<QMPClient.Reply, QMPError>, key: ExpansionRecord.Key,
                                  cache: ExpansionCache) throws(QMPError) -> ExpansionRecord {
        switch result {
        case .success(let reply):
            let (model, props) = try cache.expansion(reply)
            return ExpansionRecord(key: key, outcome: .expanded(model: model, props: props))
        case .failure(let error):
            return ExpansionRecord(key: key, outcome: .failed(
                errorClass: error.errorClass ?? "", description: error.errorDescription ?? ""))
        }
    }

    /// `qom-list-properties` of a CPU type as a record, in a fixed order (by name) so the stored text is stable.
    package static func qomType(_ reply: JSONValue, binary: String, typename: String) -> QOMTypeRecord {
        QOMTypeRecord(binary: binary, typename: typename, properties: sortedByName(reply))
    }

    /// An array of objects sorted by their `name` member.
    package static func sortedByName(_ props: JSONValue) -> JSONValue {
        guard let items = props.arrayValue else { return props }
        return .array(items.sorted { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") })
    }

    /// The `variant` of an expansion asked with input `props`: `""` for none, else the props as
    /// `name=value` sorted by name, booleans as `on`/`off` (`migratable=off`).
    package static func variant(_ props: JSONValue?) -> String {
        guard let members = props?.objectValue, !members.isEmpty else { return "" }
        return members.keys.sorted().map { name -> String in
            let value = members[name]!
            if let b = value.boolValue { return "\(name)=\(b ? "on" : "off")" }
            return "\(name)=\(value.stringValue ?? value.canonicalText)"
        }.joined(separator: ",")
    }
}
