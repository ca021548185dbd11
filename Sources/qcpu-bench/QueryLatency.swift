import CPUQuery
import Foundation
import SnapshotStore

/// `qcpu-bench SNAPSHOT MODEL MACHINE [ITERATIONS]`: in-process latency of the model-detail
/// question (`CPUQuery.detail`), offline. The timed questions rotate over every model on four
/// machine types (MACHINE among them), so they are not all the same cached answer; MODEL on
/// MACHINE is asked first (cold). Prints one JSON line: p50, p99, mean in microseconds.
/// `qcpu-bench host ...` times the host questions instead (``HostLatency``); `qcpu-bench fleet ...`
/// writes a synthetic fleet of host records (``FleetRecords``).
@main
struct QueryLatency {
    static func main() async throws {
        let args = CommandLine.arguments
        if args.count > 1, args[1] == "host" { return try HostLatency.run(Array(args.dropFirst(2))) }
        if args.count > 1, args[1] == "fleet" { return try FleetRecords.run(Array(args.dropFirst(2))) }
        guard args.count >= 4 else {
            FileHandle.standardError.write(Data("usage: qcpu-bench SNAPSHOT MODEL MACHINE [ITERATIONS]\n".utf8))
            exit(64)
        }
        let iterations = args.count > 4 ? Int(args[4]) ?? 2000 : 2000
        let query = try CPUQuery(locator: SnapshotLocator(explicitFiles: [args[1]], environment: [:], executable: ""),
                                 mode: .offline)
        let clock = ContinuousClock()
        let coldStart = clock.now
        _ = try await query.detail(model: args[2], machine: args[3])
        let cold = clock.now - coldStart
        let machines = [args[3], "pc-q35-7.2", "pc-i440fx-2.12", "microvm"]
        let models = try await query.models(machine: args[3]).value.models.flatMap { [$0.name] + $0.versions }
        let questions = machines.flatMap { m in models.map { (m, $0) } }
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for i in 0..<iterations {
            let (machine, model) = questions[i % questions.count]
            let start = clock.now
            let answer = try await query.detail(model: model, machine: machine)
            let elapsed = clock.now - start
            precondition(!answer.value.features.isEmpty || answer.value.model == "host")
            samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
        }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        let mean = samples.reduce(0, +) / Double(samples.count)
        let coldUS = Double(cold.components.attoseconds) / 1e12 + Double(cold.components.seconds) * 1e6
        print(String(format: "{\"iterations\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"first_us\": %.1f}",
                     iterations, p50, p99, mean, coldUS))
    }
}
