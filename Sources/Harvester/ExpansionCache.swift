import QMP
import SnapshotStore
import Synchronization

/// Shares identical expansion answers across a harvest's sessions.
///
/// QEMU prints equal props in equal order, and most (machine type, model) pairs give an
/// answer some other session already gave (31,000 expansions, 3,000 distinct sets for
/// x86_64), so the raw `return` text is looked up before it is parsed. The result is the same
/// as parsing every answer; only the work is saved.
package final class ExpansionCache: Sendable {
    /// Raw bytes hashed as one block (an `Array<UInt8>` hashes byte by byte).
    private struct Key: Hashable, @unchecked Sendable {
        let bytes: ArraySlice<UInt8>
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
        static func == (a: Key, b: Key) -> Bool {
            a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in x.elementsEqual(y) } }
        }
    }

    /// Creates an empty cache.
    package init() {}

    private let entries = Mutex<[Key: (model: String, props: PropertySet)]>([:])

    /// The model name and props of an expansion's `return` value.
    package func expansion(_ reply: QMPClient.Reply) throws(QMPError) -> (model: String, props: PropertySet) {
        if case .text(let bytes) = reply, let hit = entries.withLock({ $0[Key(bytes: bytes)] }) { return hit }
        let value = try reply.parsed()
        let model = value["model"]
        let result = (model?["name"]?.stringValue ?? "", PropertySet(model?["props"]?.objectValue ?? [:]))
        if case .text(let bytes) = reply { entries.withLock { $0[Key(bytes: bytes)] = result } }
        return result
    }
}
