import Foundation
import GRDB
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Seeded mutation runs over a snapshot made from the shipped one and over a replayed host
/// record: hundreds of damaged copies (values, types, references, duplicates, truncation,
/// NULLs, deletions, bytes), each read in process as every command reads it and validated.
///
/// The property: nothing traps; every refusal is a ``SnapshotError`` with a one-line reason;
/// when `validate` passes, every answer is the undamaged file's; and any change to the content
/// (the rows, or the schema) makes `validate` fail, as the content digest promises.
@Suite struct SnapshotMutationTests {
    static let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"

    /// The shipped snapshot cut to some models of x86_64 on pc-q35-7.2 (TCG and KVM) and of
    /// s390x on s390-ccw-virtio-7.2, with the s390x model table, written by this qcpu (so with its
    /// content digest): small, so that hundreds of damaged copies are read in seconds.
    static func smallShipped() throws -> String {
        var s = try SnapshotReader(path: shipped).load()
        let machines: Set<String> = ["pc-q35-7.2", "s390-ccw-virtio-7.2"]
        let binaries: Set<String> = ["qemu-system-x86_64", "qemu-system-s390x"]
        func kept(_ model: String) -> Bool {
            ["Cascadelake-Server", "Skylake-Client", "EPYC", "host", "max", "z13", "z14", "gen15a"].contains { model.hasPrefix($0) }
        }
        s.binaries = s.binaries.filter { binaries.contains($0.name) }
        s.machines = s.machines.filter { machines.contains($0.name) }
        s.sessions = s.sessions.filter { machines.contains($0.key.machine) }
        s.definitions = s.definitions.filter { machines.contains($0.session.machine) && kept($0.name) }
        s.expansions = s.expansions.filter { machines.contains($0.key.session.machine) && kept($0.key.model) }
        s.qomTypes = s.qomTypes.filter { ["Skylake-Client-x86_64-cpu", "z14-s390x-cpu"].contains($0.typename) }
        s.meta.modelTables = s.meta.modelTables.filter { binaries.contains($0.key) }
        let path = try TestSupport.temporaryDirectory() + "/small.sqlite"
        try SnapshotWriter().write(s, to: path)
        return path
    }

    /// Everything the commands read from a file: the whole load, and the lookups `show`,
    /// `models`, `features`, host questions and the s390x model algebra make.
    struct Answers: Equatable {
        struct Labelled: Equatable { var label: String, props: PropertySet }
        var snapshot: Snapshot
        var meta: [String: String]
        var binaries: [BinaryRecord]
        var machines: [[SnapshotReader.MachineRow]] = []
        var sessions: [SessionRecord?] = []
        var definitions: [[CPUDefinitionRecord]] = []
        var expansions: [[Labelled]] = []
        var outcomes: [ExpansionRecord.Outcome?] = []
        var staticNames: [Set<String>?] = []
        var tables: [CPUModelTable?] = []
        var listings: [CPUDefinitionRecord], entries: [SnapshotReader.ExpansionEntry]
        var coverage: PartialCoverage?, filter: [String]
    }

    static func answers(_ path: String) throws -> Answers {
        let reader = try SnapshotReader(path: path)
        let snapshot = try reader.load()
        // The digest row is not an answer (and a file without it is read all the same).
        var a = Answers(snapshot: snapshot, meta: try reader.meta().filter { $0.key != ContentDigest.metaKey }, binaries: try reader.binaryRecords(),
                        listings: try reader.definitionRecords(), entries: try reader.expansionEntries(),
                        coverage: try reader.partialCoverage(), filter: try reader.coverageFilter("model-filter"))
        for b in snapshot.binaries {
            a.machines.append(try reader.machines(binary: b.name))
            a.staticNames.append(try reader.staticFeatureNames(binary: b.name))
            a.tables.append(try reader.modelTable(binary: b.name))
        }
        for s in snapshot.sessions {
            let k = s.key
            a.sessions.append(try reader.session(binary: k.binary, machine: k.machine, accel: k.accel))
            a.definitions.append(try reader.definitions(binary: k.binary, machine: k.machine, accel: k.accel))
            a.expansions.append(try reader.expansions(binary: k.binary, machine: k.machine, accel: k.accel).map { .init(label: $0.model, props: $0.props) })
            for model in ["Cascadelake-Server", "host", "z14"] {
                a.outcomes.append(try reader.expansion(binary: k.binary, machine: k.machine, accel: k.accel, model: model))
            }
        }
        _ = try reader.counts()
        return a
    }

    /// What one run found: cases applied, refused by the reader, failing validation.
    struct Tally: CustomStringConvertible {
        var applied = 0, refused = 0, invalid = 0, harmless = 0
        var description: String { "\(applied) applied: \(refused) refused by the reader, \(invalid) failing validate, \(harmless) harmless" }
    }

    /// The content digest of the file at `path`, through a plain connection.
    static func digest(_ path: String) throws -> String {
        try DatabaseQueue(path: path).read { try ContentDigest.compute($0) }
    }

    /// One seeded run of `cases` mutations of `base`.
    static func run(base: String, seed: UInt64, cases: Int, cli: (_ file: String) throws -> Void = { _ in }) async throws -> Tally {
        let original = try answers(base)
        #expect(try SnapshotValidator().check(path: base) == SnapshotValidator.Report())  // valid, with a digest
        let digest = try Self.digest(base)
        let dir = try TestSupport.temporaryDirectory()
        var mutator = SnapshotMutator(rng: SplitMix(state: seed))
        var tally = Tally()
        var attempt = 0
        while tally.applied < cases, attempt < cases * 3 {
            attempt += 1
            // Long and synchronous: let the other tests' tasks run on the cooperative pool meanwhile.
            await Task.yield()
            // The base's file name, so that answers naming the file (a host record's host) compare.
            let caseDir = dir + "/case-\(attempt)"
            let file = caseDir + "/" + (base as NSString).lastPathComponent
            try FileManager.default.createDirectory(atPath: caseDir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: base, toPath: file)
            defer { try? FileManager.default.removeItem(atPath: caseDir) }
            let kind = SnapshotMutator.Kind.allCases[attempt % SnapshotMutator.Kind.allCases.count]
            guard let what = try mutator.mutate(file, kind: kind) else { continue }
            tally.applied += 1
            let changed = (try? Self.digest(file)).map { $0 != digest }
            let read: Result<Answers, any Error> = Result { try answers(file) }
            let report: Result<SnapshotValidator.Report, SnapshotError> = Result { () throws(SnapshotError) in try SnapshotValidator().check(path: file) }
            if case .failure(let error) = read {
                tally.refused += 1
                let reason = (error as? SnapshotError)?.reason
                #expect(reason != nil, "\(what): not a SnapshotError: \(error)")
                #expect(reason.map { !$0.contains("\n") && $0.count < 400 } ?? false, "\(what): \(error)")
            }
            let valid = (try? report.get())?.problems.isEmpty ?? false
            if !valid { tally.invalid += 1 }
            if case .failure(let error) = report { #expect(!error.reason.contains("\n"), "\(what): \(error)") }
            if case .success(let r) = report { #expect(r.problems.allSatisfy { !$0.contains("\n") }, "\(what)") }
            if valid {
                #expect((try? read.get()) == original, "\(what): validate passed but the answers changed")
                #expect(changed != true, "\(what): the content changed and validate passed")
                tally.harmless += 1
            }
            if tally.applied % 40 == 1 { try cli(file) }
        }
        #expect(tally.applied == cases, "only \(tally.applied) of \(cases) mutations applied in \(attempt) attempts")
        return tally
    }

    /// The CLI on a damaged file: the undamaged file's answer, or 65 and one stderr line.
    static func expectCLI(_ arguments: [String], file: String, base: String) throws {
        let timeout = ["-s", "KILL", "60", TestSupport.qcpuBinary]
        let good = try TestSupport.runQCPU(timeout + arguments + [base], executable: "/usr/bin/timeout")
        let got = try TestSupport.runQCPU(timeout + arguments + [file], executable: "/usr/bin/timeout")
        if got.status == good.status, got.stdout == good.stdout { return }
        #expect(got.status == 65, "\(arguments) on \(file): status \(got.status): \(got.stderr.prefix(300))")
        #expect(got.stderr.split(separator: "\n").count == 1, "\(arguments): \(got.stderr.prefix(300))")
    }

    /// Cases per run: 200, or `QCPU_MUTATION_CASES` for a longer run.
    static let cases = ProcessInfo.processInfo.environment["QCPU_MUTATION_CASES"].flatMap { Int($0) } ?? 200

    @Test func mutationsOfTheShippedSnapshotAreRefusedOrHarmless() async throws {
        let base = try Self.smallShipped()
        let tally = try await Self.run(base: base, seed: 0x51435055, cases: Self.cases) { file in
            try Self.expectCLI(["show", "Cascadelake-Server", "--machine", "q35", "--offline", "--snapshot"], file: file, base: base)
            try Self.expectCLI(["model-compare", "z13s", "z14", "--arch", "s390x", "--snapshot"], file: file, base: base)
        }
        #expect(tally.refused > Self.cases / 2 && tally.invalid > Self.cases * 9 / 10, "\(tally)")
    }

    @Test func mutationsOfAHostRecordAreRefusedOrHarmless() async throws {
        let base = try await TestSupport.recordedHostRecord(named: "mutated")
        let tally = try await Self.run(base: base, seed: 0x686F7374, cases: Self.cases) { file in
            try Self.expectCLI(["check", "Cascadelake-Server", "--machine", "q35", "--host"], file: file, base: base)
        }
        #expect(tally.refused > Self.cases / 2 && tally.invalid > Self.cases * 9 / 10, "\(tally)")
    }
}
