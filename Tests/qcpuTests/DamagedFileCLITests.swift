import Foundation
import GRDB
import QCPUTestSupport
import Synchronization
import Testing

/// Damaged copies of the shipped snapshot and of a host record, made by the test, through every
/// command that reads them: each ends with a documented status and one stderr line (65 for bad
/// data, 66 for a snapshot that is not a regular file), or answers exactly as on the undamaged
/// copy; never a signal, a trap, a hang or exit 0 with a changed answer.
@Suite struct DamagedFileCLITests {
    static let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"

    /// One way to damage a snapshot, and the commands (``snapshotCommands`` names) that must refuse it.
    struct Damage: Sendable, CustomStringConvertible {
        var name: String
        var refusedBy: Set<String>
        var apply: @Sendable (String) throws -> Void
        var description: String { name }
    }

    static let snapshotCommands: [(name: String, arguments: @Sendable (String) -> [String])] = [
        ("validate", { ["validate", $0] }),
        ("info", { ["info", $0] }),
        ("show", { ["show", "Cascadelake-Server", "--machine", "q35", "--snapshot", $0, "--offline"] }),
        ("show-json", { ["show", "Cascadelake-Server", "--machine", "q35", "--format", "json", "--snapshot", $0, "--offline"] }),
        ("models", { ["models", "--machine", "q35", "--snapshot", $0, "--offline"] }),
        ("model-compare", { ["model-compare", "z13s", "z14", "--arch", "s390x", "--snapshot", $0] }),
        ("model-baseline", { ["model-baseline", "z13s", "z14", "gen15a", "--arch", "s390x", "--snapshot", $0] }),
    ]

    static let hostCommands: [(name: String, arguments: @Sendable (String) -> [String])] = [
        ("check", { ["check", "Cascadelake-Server", "--machine", "q35", "--host", $0] }),
        ("baseline", { ["baseline", "--machine", "q35", "--host", $0] }),
        ("compare", { ["compare", "Skylake-Client", "--machine", "q35", "--host", $0] }),
        ("models", { ["models", "--machine", "q35", "--host", $0] }),
    ]

    static let everySnapshotCommand = Set(snapshotCommands.map(\.name))
    static let everyHostCommand = Set(hostCommands.map(\.name))
    static let propsReaders: Set<String> = ["validate", "show", "show-json", "model-compare", "model-baseline"]

    /// Runs SQL on `path` with foreign keys off (damage a reader must survive).
    static func sql(_ path: String, _ statements: String...) throws {
        var config = Configuration()
        config.foreignKeysEnabled = false
        let db = try DatabaseQueue(path: path, configuration: config)
        try db.writeWithoutTransaction { db in for s in statements { try db.execute(sql: s) } }
        try db.close()
    }

    /// Drops `NOT NULL` from `column` of `table` (as a hand-edited file may), then sets it NULL where `filter`.
    static func null(_ path: String, table: String, column: String, type: String, filter: String) throws {
        try sql(path, "PRAGMA writable_schema = ON",
                "UPDATE sqlite_schema SET sql = replace(sql, '\(column) \(type) NOT NULL', '\(column) \(type)') WHERE name = '\(table)'")
        try sql(path, "UPDATE \(table) SET \(column) = NULL WHERE \(filter)")
    }

    /// Overwrites the root pages of `tables` with 0xA5 bytes.
    static func corruptRoots(_ path: String, _ tables: [String]) throws {
        let db = try DatabaseQueue(path: path)
        let (pageSize, roots) = try db.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096,
             try tables.map { try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_schema WHERE name = ?", arguments: [$0]) ?? 2 })
        }
        try db.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        for root in roots {
            try handle.seek(toOffset: UInt64((root - 1) * pageSize))
            try handle.write(contentsOf: Data(repeating: 0xA5, count: pageSize))
        }
        try handle.close()
    }

    static func fifo(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o644) == 0)
    }

    static let nfcNFD = "INSERT INTO meta VALUES ('caf' || char(233), 'x'), ('cafe' || char(769), 'y')"

    static let snapshotDamage: [Damage] = [
        Damage(name: "a 20-digit prop id", refusedBy: propsReaders) { try sql($0, "UPDATE propset SET overrides = '[12345678901234567890]'") },
        Damage(name: "meta keys café in NFC and NFD", refusedBy: everySnapshotCommand) { try sql($0, nfcNFD) },
        Damage(name: "a shape listing a prop twice", refusedBy: propsReaders) {
            try sql($0, #"UPDATE shape SET names = replace(names, '"avx2"', '"avx2","avx2"')"#)
        },
        Damage(name: "a feature twice in the s390x model table", refusedBy: ["validate", "model-compare", "model-baseline"]) {
            try sql($0, "UPDATE meta SET value = json_set(value, '$.features[#]', json_extract(value, '$.features[0]')) WHERE key = 'model_table:qemu-system-s390x'")
        },
        Damage(name: "machine types of a binary id with no row", refusedBy: ["validate", "show", "show-json", "models"]) {
            try sql($0, "UPDATE machine SET binary_id = 99 WHERE binary_id = (SELECT id FROM binary WHERE name = 'qemu-system-x86_64')")
        },
        Damage(name: "models of a binary id with no row", refusedBy: ["validate", "show", "show-json", "models"]) {
            try sql($0, "UPDATE model SET binary_id = 99 WHERE binary_id = (SELECT id FROM binary WHERE name = 'qemu-system-x86_64')")
        },
        Damage(name: "a NULL model name where NOT NULL was dropped", refusedBy: ["validate", "show", "show-json", "models"]) {
            try null($0, table: "model", column: "name", type: "TEXT", filter: "name = 'Cascadelake-Server'")
        },
        Damage(name: "truncated overrides arrays", refusedBy: propsReaders) {
            try sql($0, "UPDATE propset SET overrides = substr(overrides, 1, length(overrides) - 1)")
        },
        Damage(name: "truncated feature lists", refusedBy: ["validate", "show", "show-json", "models"]) {
            try sql($0, "UPDATE feature_list SET features = substr(features, 1, length(features) - 1)")
        },
        Damage(name: "corrupt pages", refusedBy: ["validate", "info", "show", "show-json", "models"]) {
            try corruptRoots($0, ["cpu_definition", "propset"])
        },
        Damage(name: "a FIFO", refusedBy: everySnapshotCommand) { try fifo($0) },
    ]

    static let hostDamage: [Damage] = [
        Damage(name: "a 20-digit prop id", refusedBy: everyHostCommand) { try sql($0, "UPDATE propset SET overrides = '[12345678901234567890]'") },
        Damage(name: "meta keys café in NFC and NFD", refusedBy: everyHostCommand) { try sql($0, nfcNFD) },
        Damage(name: "a shape listing a prop twice", refusedBy: everyHostCommand) {
            try sql($0, #"UPDATE shape SET names = replace(names, '"avx2"', '"avx2","avx2"')"#)
        },
        Damage(name: "sessions of a host id with no row", refusedBy: everyHostCommand) { try sql($0, "UPDATE session SET host_id = 99 WHERE host_id IS NOT NULL") },
        Damage(name: "machine types of a binary id with no row", refusedBy: everyHostCommand) { try sql($0, "UPDATE machine SET binary_id = 99") },
        Damage(name: "a NULL vendor where NOT NULL was dropped", refusedBy: everyHostCommand) {
            try null($0, table: "host", column: "vendor", type: "TEXT", filter: "1")
        },
        Damage(name: "truncated overrides arrays", refusedBy: everyHostCommand) {
            try sql($0, "UPDATE propset SET overrides = substr(overrides, 1, length(overrides) - 1)")
        },
        Damage(name: "corrupt pages", refusedBy: everyHostCommand) { try corruptRoots($0, ["propset"]) },
        Damage(name: "a FIFO", refusedBy: everyHostCommand) { try fifo($0) },
    ]

    struct Outcome: Equatable {
        var status: Int32, stdout: String, stderr: String
    }

    /// Runs qcpu (killed after 60 s: `timeout` exits 124 then, 128+N for a signal) in an empty
    /// home; `file`'s directory is written `DIR` in the output, so copies in two directories compare.
    static func run(_ arguments: [String], file: String, home: String) throws -> Outcome {
        let run = try TestSupport.runQCPU(["-s", "KILL", "60", TestSupport.qcpuBinary] + arguments,
                                          environment: ["HOME": home, "XDG_CACHE_HOME": home + "/cache",
                                                        "XDG_DATA_HOME": home + "/data", "QCPU_SNAPSHOT_PATH": ""],
                                          executable: "/usr/bin/timeout")
        let dir = (file as NSString).deletingLastPathComponent
        return Outcome(status: run.status, stdout: run.stdout.replacingOccurrences(of: dir, with: "DIR"),
                       stderr: run.stderr.replacingOccurrences(of: dir, with: "DIR"))
    }

    /// The damaged file through every command: refused with `status` and one stderr line where
    /// `damage` says it must be, else refused so or answered as on the good copy.
    static func check(_ damage: Damage, good: String, commands: [(name: String, arguments: @Sendable (String) -> [String])],
                      status: Int32) async throws {
        let home = try TestSupport.temporaryDirectory()
        let dir = try TestSupport.temporaryDirectory()
        let file = dir + "/" + (good as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: good, toPath: file)
        try damage.apply(file)
        for (name, arguments) in commands {
            await Task.yield()  // each run blocks a thread of the cooperative pool while qcpu runs
            let key = arguments(good).joined(separator: "\u{0}")
            let known = expectedOutcomes.withLock { $0[key] }
            let expected = try known ?? run(arguments(good), file: good, home: home)
            expectedOutcomes.withLock { $0[key] = expected }
            let got = try run(arguments(file), file: file, home: home)
            #expect(got.status != 124, "\(damage) \(name): hung")
            #expect(got.status < 128, "\(damage) \(name): killed by signal \(got.status - 128): \(got.stderr.prefix(300))")
            if got == expected, !damage.refusedBy.contains(name) { continue }
            let lines = got.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(got.status == status, "\(damage) \(name): status \(got.status), stderr \(got.stderr.prefix(300))")
            #expect(lines.count == 1, "\(damage) \(name): \(lines.count) stderr lines: \(got.stderr.prefix(300))")
            #expect(got.stdout.isEmpty || name == "validate", "\(damage) \(name): answered \(got.stdout.prefix(200))")
        }
    }

    /// The good copies' outcomes, by arguments: each run once.
    static let expectedOutcomes = Mutex<[String: Outcome]>([:])

    /// One replayed host record for every case.
    static let goodRecord = Task { try await TestSupport.recordedHostRecord(named: "host") }

    static let goodSnapshot: String = {
        let dir = (try? TestSupport.temporaryDirectory()) ?? NSTemporaryDirectory()
        try? FileManager.default.copyItem(atPath: shipped, toPath: dir + "/qemu-7.2.22.sqlite")
        return dir + "/qemu-7.2.22.sqlite"
    }()

    @Test(arguments: snapshotDamage)
    func aDamagedSnapshotIsRefusedInOneLineOrAnsweredUnchanged(_ damage: Damage) async throws {
        try await Self.check(damage, good: Self.goodSnapshot, commands: Self.snapshotCommands, status: damage.name == "a FIFO" ? 66 : 65)
    }

    @Test(arguments: hostDamage)
    func aDamagedHostRecordIsRefusedInOneLine(_ damage: Damage) async throws {
        try await Self.check(damage, good: try await Self.goodRecord.value, commands: Self.hostCommands, status: 65)
    }

    @Test func validateNamesTheTableAndRowAndTheReaderSaysTheSame() throws {
        let dir = try TestSupport.temporaryDirectory()
        let file = dir + "/qemu-7.2.22.sqlite"
        try FileManager.default.copyItem(atPath: Self.shipped, toPath: file)
        let id = try DatabaseQueue(path: file).read { db in
            try Int.fetchOne(db, sql: """
                SELECT e.propset_id FROM expansion e JOIN machine m ON m.id = e.machine_id JOIN model mo ON mo.id = e.model_id
                WHERE m.name = 'pc-q35-7.2' AND mo.name = 'Cascadelake-Server' AND e.accel = 'tcg' AND e.type = 'full'
                """)
        }
        let set = try #require(id)
        try Self.sql(file, "UPDATE propset SET overrides = '[1,12345678901234567890]' WHERE id = \(set)")
        let home = try TestSupport.temporaryDirectory()
        let validate = try Self.run(["validate", file], file: file, home: home)
        #expect(validate.status == 65)
        #expect(validate.stdout.contains("  table propset, id \(set): overrides hold an id out of range\n"))
        #expect(validate.stderr.hasPrefix("qcpu: DIR/qemu-7.2.22.sqlite: invalid: table propset, id \(set): overrides hold an id out of range"))
        #expect(validate.stderr.split(separator: "\n").count == 1)
        let show = try Self.run(Self.snapshotCommands[2].arguments(file), file: file, home: home)
        #expect(show == Outcome(status: 65, stdout: "", stderr: "qcpu: DIR/qemu-7.2.22.sqlite: table propset, id \(set): overrides hold an id out of range\n"))
    }
}
