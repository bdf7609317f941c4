@testable import ChatDaemon
import CEventLoopShims
import EventLoop
import Glibc
import Room
import Testing

/// docs/ARCHITECTURE.md states what one idle connection costs the daemon besides kernel buffers;
/// this measures the object that claim is about, so the document cannot drift from the code.
@Suite("Connection footprint")
struct ConnectionFootprintTests {
    @Test("a greeted idle connection's object is the size docs/ARCHITECTURE.md states")
    func connectionObjectSize() throws {
        let connection = Connection(
            fd: -1, id: ConnectionID(loop: 0, slot: 1, generation: 1), wire: .framed,
            peer: try SocketAddress(host: "127.0.0.1", port: 1), admitted: true,
            bucket: TokenBucket(ratePerSecond: 10, burst: 20, now: 0), now: 0)
        connection.name = "alice"
        // malloc_usable_size(3): the heap block the instance occupies, header and padding included.
        let bytes = malloc_usable_size(Unmanaged.passUnretained(connection).toOpaque())
        print("Connection instance: \(bytes) bytes")
        #expect(bytes <= 512, "Connection instance is \(bytes) bytes; docs/ARCHITECTURE.md says ≤ 512")
    }
}
