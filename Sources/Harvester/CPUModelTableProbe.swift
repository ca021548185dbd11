import QMP
import SnapshotStore

/// Records a binary's ``CPUModelTable``: the facts behind QEMU's own model comparison and
/// baseline (s390x), learned by asking QEMU, not copied from its source.
///
/// One `-cpu help` run (table order, descriptions, features, groups) and one `-machine none`
/// TCG session of pipelined probes, about 17,000 commands (13 s here) for QEMU 7.2's 38 s390x definitions:
/// - a leaf is in a definition's base when switching it off changes the comparison with the
///   plain `-base` model; a leaf is in a group when comparing "group on" (or off) with "leaf
///   on" (or off) leaves the leaf out of the responsible properties;
/// - a definition may enable a leaf when the (static, so short) expansion with `leaf=on` succeeds;
/// - ranks come from comparing every pair of `-base` models with the leaves only one of them has
///   switched off (only the generation and GA level then differ); generations join consecutive
///   ranks sharing a CPU type;
/// - a base leaf is ignored by the baseline search when dropping it does not change the
///   baseline of the newest definition that keeps its own name when baselined with itself.
struct CPUModelTableProbe {
    var binary: BinaryFile
    var extraArguments: [String]
    var provider: any QMPSessionProvider

    static let commands = ["query-cpu-model-comparison", "query-cpu-model-baseline"]

    /// Whether QEMU has the commands for this architecture (only s390x implements them).
    static func applies(arch: String) -> Bool { arch == "s390x" }

    func run() async throws -> CPUModelTable? {
        let help = CPUHelpText(parsing: try await provider.commandOutput(
            name: "\(binary.name)/cpu-help", executable: binary.path, arguments: extraArguments + ["-cpu", "help"]))
        guard !help.definitions.isEmpty else { return nil }
        return try await provider.withSession(
            name: "\(binary.name)/model-table", executable: binary.path,
            arguments: QEMUProcess.standardArguments(machine: "none", accel: "tcg") + extraArguments
        ) { client in
            let available = Set((try await client.execute("query-commands").arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            guard Self.commands.allSatisfy(available.contains) else { return nil }
            return try await Session(client: client, help: help).table()
        }
    }

    /// The probes of one session.
    struct Session {
        var client: QMPClient
        var help: CPUHelpText
        var leaves: [String] { help.features }
        var names: [String] { help.definitions.map(\.name) }

        static func model(_ name: String, _ props: [String: Bool] = [:]) -> JSONValue {
            props.isEmpty ? ["name": .string(name)] : ["name": .string(name), "props": .object(props.mapValues { .bool($0) })]
        }

        /// Runs pipelined commands; error replies are nil.
        func run(_ commands: [(String, JSONValue)]) async throws -> [JSONValue?] {
            try await client.pipeline(commands.map { (command: $0.0, arguments: $0.1) }).map { result in
                switch result {
                case .success(let reply): return try reply.parsed()
                case .failure: return nil
                }
            }
        }

        func compare(_ pairs: [(JSONValue, JSONValue)]) async throws -> [JSONValue?] {
            try await run(pairs.map { ("query-cpu-model-comparison", ["modela": $0.0, "modelb": $0.1]) })
        }

        func responsible(_ reply: JSONValue?) -> Set<String> {
            Set(reply?["responsible-properties"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }

        func table() async throws -> CPUModelTable {
            let newest = names[names.count - 1] + "-base"
            // The newest definition's base, leaf by leaf: off changes the model, or it was not on.
            let baseTests = try await compare(leaves.map { (Self.model(newest), Self.model(newest, [$0: false])) })
            let newestBase = Set(zip(leaves, baseTests).filter { $0.1?["result"]?.stringValue != "identical" }.map(\.0))
            let groups = try await learnGroups(newest: newest, newestBase: newestBase)
            let expansions = try await run(names.map { ("query-cpu-model-expansion", ["type": "full", "model": Self.model($0 + "-base")]) })
            let bases = expansions.map { reply in
                CPUModelTable.unfold((reply?["model"]?["props"]?.objectValue ?? [:]).filter { $0.value.boolValue == true }.map(\.key),
                                     groups: groups)
            }
            var fulls: [Set<String>] = []
            for (name, base) in zip(names, bases) {
                let candidates = leaves.filter { !base.contains($0) }
                let replies = try await run(candidates.map {
                    ("query-cpu-model-expansion", ["type": "static", "model": Self.model(name + "-base", [$0: true])])
                })
                fulls.append(base.union(zip(candidates, replies).filter { $0.1 != nil }.map(\.0)))
            }
            let ranks = try await learnRanks(bases: bases)
            let types = help.definitions.map { CPUHelpText.typeClass($0.description) }
            var generationOfRank: [Int: Int] = [:]
            var generation = 0
            for rank in Set(ranks).sorted() {
                let here = Set(ranks.indices.filter { ranks[$0] == rank }.map { types[$0] })
                let before = Set(ranks.indices.filter { ranks[$0] == rank - 1 }.map { types[$0] })
                if rank > 0, here.isDisjoint(with: before) { generation += 1 }
                generationOfRank[rank] = generation
            }
            let ignored = try await learnIgnored(bases: bases)
            let order = Dictionary(uniqueKeysWithValues: leaves.enumerated().map { ($1, $0) })
            let sorted = { (s: Set<String>) in s.sorted { (order[$0] ?? .max, $0) < (order[$1] ?? .max, $1) } }
            let definitions = help.definitions.indices.map { i in
                CPUModelTable.Definition(
                    name: names[i], description: help.definitions[i].description, typeClass: types[i], rank: ranks[i],
                    generation: generationOfRank[ranks[i]] ?? 0, baseFeatures: sorted(bases[i]), fullFeatures: sorted(fulls[i]))
            }
            return CPUModelTable(definitions: definitions, groups: groups, features: leaves, ignoredBaseFeatures: sorted(ignored))
        }

        /// Each group's leaves, learned on the newest definition (every group can be enabled there).
        func learnGroups(newest: String, newestBase: Set<String>) async throws -> [CPUModelTable.Group] {
            var out: [CPUModelTable.Group] = []
            for group in help.groups {
                let pairs = leaves.map { leaf -> (JSONValue, JSONValue) in
                    newestBase.contains(leaf)
                        ? (Self.model(newest, [group: false]), Self.model(newest, [leaf: false]))
                        : (Self.model(newest, [group: true]), Self.model(newest, [leaf: true]))
                }
                let replies = try await compare(pairs)
                let members = zip(leaves, replies).filter { leaf, reply in reply != nil && !responsible(reply).contains(leaf) }.map(\.0)
                out.append(CPUModelTable.Group(name: group, members: members))
            }
            return out
        }

        /// Dense ranks of (generation, GA level): every pair of `-base` models compared with the
        /// leaves only one of them has switched off, so only the generation and GA level differ.
        func learnRanks(bases: [Set<String>]) async throws -> [Int] {
            func off(_ s: Set<String>) -> [String: Bool] { Dictionary(uniqueKeysWithValues: s.map { ($0, false) }) }
            var pairs: [(Int, Int)] = []
            for a in names.indices { for b in names.indices where a < b { pairs.append((a, b)) } }
            let replies = try await compare(pairs.map { a, b in
                (Self.model(names[a] + "-base", off(bases[a].subtracting(bases[b]))),
                 Self.model(names[b] + "-base", off(bases[b].subtracting(bases[a]))))
            })
            var below = Array(repeating: 0, count: names.count)
            for ((a, b), reply) in zip(pairs, replies) {
                switch reply?["result"]?.stringValue {
                case "subset": below[b] += 1
                case "superset": below[a] += 1
                default: break
                }
            }
            let distinct = Set(below).sorted()
            return below.map { distinct.firstIndex(of: $0)! }
        }

        /// Base leaves the baseline's model search skips.
        func learnIgnored(bases: [Set<String>]) async throws -> Set<String> {
            let baseline = { (m: JSONValue) in ("query-cpu-model-baseline", ["modela": m, "modelb": m] as JSONValue) }
            let selves = try await run(names.map { baseline(Self.model($0 + "-base")) })
            let keepsName = names.indices.filter { selves[$0]?["model"]?["name"]?.stringValue == names[$0] + "-base" }
            var tests: [(leaf: String, definition: Int)] = []
            for leaf in leaves {
                if let d = keepsName.last(where: { bases[$0].contains(leaf) }) { tests.append((leaf, d)) }
            }
            let replies = try await run(tests.map { baseline(Self.model(names[$0.definition] + "-base", [$0.leaf: false])) })
            return Set(zip(tests, replies).filter { test, reply in
                reply?["model"]?["name"]?.stringValue == names[test.definition] + "-base"
            }.map(\.0.leaf))
        }
    }
}
