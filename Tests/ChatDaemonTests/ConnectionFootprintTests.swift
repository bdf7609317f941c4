@testable import ChatDaemon
import CEventLoopShims
import EventLoop
import Glibc
import IRCProtocol
import Room
import Testing
import WebProtocol

/// docs/ARCHITECTURE.md ("Memory per connection") states what one idle connection costs the
/// daemon besides kernel buffers, field by field; this measures the objects that claim is about,
/// so the document cannot drift from the code. A new stored property that pushes an object into
/// the next malloc size class fails here: put rarely used state in `ConnectionExtras` instead.
@Suite("Connection footprint")
struct ConnectionFootprintTests {
    /// malloc_usable_size(3): the heap block an instance occupies, header and padding included.
    static func heapBytes(_ object: AnyObject) -> Int {
        malloc_usable_size(Unmanaged.passUnretained(object).toOpaque())
    }

    static func connection(_ wire: ListenScheme) throws -> Connection {
        let connection = Connection(
            fd: -1, id: ConnectionID(loop: 0, slot: 1, generation: 1), wire: wire,
            peer: try SocketAddress(host: "127.0.0.1", port: 1), admitted: true,
            bucket: TokenBucket(ratePerSecond: 10, burst: 20, now: 0), now: 0)
        connection.name = "alice"
        connection.user = "alice"
        connection.host = wire.defaultHost
        return connection
    }

    @Test("a greeted idle connection's object is the size docs/ARCHITECTURE.md states, with no side object")
    func connectionObjectSize() throws {
        let connection = try Self.connection(.framed)
        let bytes = Self.heapBytes(connection)
        print("Connection instance: \(bytes) bytes")
        #expect(bytes <= 200, "Connection instance is \(bytes) bytes; docs/ARCHITECTURE.md says 200")
        // The defaults (user = name, the protocol's host, open, within limits) need no side object.
        #expect(connection.extras == nil)
        #expect(connection.source == EventSource(nick: "alice", user: "alice", host: "framed"))
    }

    @Test("a rename keeps the login's user, as before the side object")
    func renameKeepsUser() throws {
        let connection = try Self.connection(.framed)
        connection.name = "bob"
        #expect(connection.source == EventSource(nick: "bob", user: "alice", host: "framed"))
    }

    @Test("IRC and http:// protocol state objects are the sizes docs/ARCHITECTURE.md states")
    func protocolStateSizes() throws {
        let irc = IRCState(registration: IRCRegistration(IRCRegistration.Configuration(server: "chatd.test")))
        let web = WebState(limits: HTTPLimits(), deadline: 0)
        let ircBytes = Self.heapBytes(irc), webBytes = Self.heapBytes(web)
        print("IRCState instance: \(ircBytes) bytes, WebState instance: \(webBytes) bytes")
        #expect(ircBytes <= 248, "IRCState is \(ircBytes) bytes; docs/ARCHITECTURE.md says 248")
        #expect(webBytes <= 200, "WebState is \(webBytes) bytes; docs/ARCHITECTURE.md says 200")
    }
}
