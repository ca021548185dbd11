import ArgumentParser
import CPUQuery
import Exports
import Foundation
import Harvester
import HostCPU
import SnapshotStore

/// qcpu's documented exit statuses (sysexits.h where one fits).
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74

    /// The status for a query error.
    static func of(_ error: QueryError) -> Int32 {
        switch error.code {
        case .noSnapshot: return noInput
        case .unreadableSearchPath: return ioError
        case .badSnapshot: return error.snapshotError.map { of($0) } ?? dataError
        case .unknownName: return usage
        case .qemuUnavailable: return unavailable
        default: return failure
        }
    }

    /// The status for a snapshot error.
    static func of(_ error: SnapshotError) -> Int32 {
        switch error.code {
        case .notFound: return noInput
        case .cannotWrite: return cannotCreate
        case .unreadable: return noInput
        default: return dataError
        }
    }

    /// The status for a host-record error.
    static func of(_ error: HostCPUError) -> Int32 {
        switch error.code {
        case .unknownName, .noHosts: return usage
        case .badGuest, .mismatch, .notHostRecord, .unreadableRecords: return dataError
        case .noModelTable, .noSnapshot: return unavailable
        default: return failure
        }
    }

    /// The status for an export error.
    static func of(_ error: ExportError) -> Int32 {
        switch error.code {
        case .mapNotFound: return noInput
        case .badMap, .badInput: return dataError
        default: return failure
        }
    }

    /// The status for a harvest error.
    static func of(_ error: HarvestError) -> Int32 {
        switch error.code {
        case .badInput: return usage
        case .noQEMU, .noKVM: return unavailable
        case .badRecording: return dataError
        default: return failure
        }
    }
}

/// Prints `qcpu: message` on stderr and exits with `status`.
func fail(_ message: String, status: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("qcpu: \(message)\n".utf8))
    return ExitCode(status)
}

/// Runs `body`, turning qcpu's typed errors into one stderr line and the documented status.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as SnapshotError {
        throw fail("\(error)", status: ExitStatus.of(error))
    } catch let error as QueryError {
        throw fail("\(error)", status: ExitStatus.of(error))
    } catch let error as HostCPUError {
        throw fail("\(error)", status: ExitStatus.of(error))
    } catch let error as ExportError {
        throw fail("\(error)", status: ExitStatus.of(error))
    } catch let error as HarvestError {
        var text = error.message
        for f in error.failures { text += "\n  \(f)" }
        throw fail(text, status: ExitStatus.of(error))
    }
}

/// Output formats of the inspecting commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, plain
}

/// Writes a line to stderr.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
