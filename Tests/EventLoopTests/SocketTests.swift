import CEventLoopShims
import EventLoop
import Glibc
import Testing

@Suite("SocketAddress and Socket")
struct SocketTests {
    @Test func parsesAndPrintsIPv4() throws {
        let a = try SocketAddress(host: "127.0.0.1", port: 8080)
        #expect(a.family == AF_INET)
        #expect(a.length == socklen_t(MemoryLayout<sockaddr_in>.size))
        #expect(a.host == "127.0.0.1")
        #expect(a.port == 8080)
        #expect(a.description == "127.0.0.1:8080")
        #expect(try SocketAddress(host: "0.0.0.0", port: 0).description == "0.0.0.0:0")
        #expect(try SocketAddress(host: "localhost", port: 1).description == "127.0.0.1:1")
    }

    @Test func parsesAndPrintsIPv6() throws {
        let a = try SocketAddress(host: "::1", port: 443)
        #expect(a.family == AF_INET6)
        #expect(a.length == socklen_t(MemoryLayout<sockaddr_in6>.size))
        #expect(a.host == "::1")
        #expect(a.port == 443)
        #expect(a.description == "[::1]:443")
        #expect(try SocketAddress(host: "[2001:db8::17]", port: 65535).description == "[2001:db8::17]:65535")
        #expect(try SocketAddress(host: "2001:DB8:0:0:0:0:0:17", port: 1).host == "2001:db8::17")
    }

    @Test func emptyAndStarMeanTheIPv6Wildcard() throws {
        #expect(try SocketAddress(host: "", port: 7000).description == "[::]:7000")
        #expect(try SocketAddress(host: "*", port: 7000).description == "[::]:7000")
        #expect(try SocketAddress(host: "*", port: 7000).family == AF_INET6)
    }

    @Test func ipv4MappedIPv6IsShownAsIPv4() throws {
        let a = try SocketAddress(host: "::ffff:10.1.2.3", port: 5000)
        #expect(a.family == AF_INET6)
        #expect(a.host == "10.1.2.3")
        #expect(a.description == "10.1.2.3:5000")
        #expect(try SocketAddress(host: "::ffff:0a01:0203", port: 5000).host == "10.1.2.3")
    }

    /// Only the last 32 bits dotted, other IPv6 must keep its brackets so the port stays apart.
    @Test func ipv6ThatGlibcPrintsWithADottedTailKeepsBrackets() throws {
        // inet_ntop prints ::2:3 (an old "IPv4-compatible" address) as "::0.2.0.3".
        let a = try SocketAddress(host: "::2:3", port: 80)
        #expect(a.family == AF_INET6)
        #expect(a.description == "[\(a.host)]:80")
    }

    @Test func rejectsBadHostsAndPorts() {
        for host in ["256.1.1.1", "1.2.3", "example.com", "::g", "1.2.3.4.5", "[::1"] {
            #expect(throws: Errno(EINVAL), "\(host)") { _ = try SocketAddress(host: host, port: 80) }
        }
        #expect(throws: Errno(EINVAL)) { _ = try SocketAddress(host: "127.0.0.1", port: 65536) }
        #expect(throws: Errno(EINVAL)) { _ = try SocketAddress(host: "::1", port: -1) }
    }

    @Test func equalityAndHashingFollowTheBytes() throws {
        let a = try SocketAddress(host: "10.0.0.1", port: 1)
        let b = try SocketAddress(host: "10.0.0.1", port: 1)
        let c = try SocketAddress(host: "10.0.0.1", port: 2)
        let d = try SocketAddress(host: "10.0.0.2", port: 1)
        #expect(a == b)
        #expect(a != c)
        #expect(a != d)
        #expect(Set([a, b, c, d]).count == 3)
    }

    @Test func listenOnPortZeroGetsARealPort() throws {
        let fd = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Posix.close(fd) }
        let local = try Socket.localAddress(fd)
        #expect(local.host == "127.0.0.1")
        #expect(local.port > 0)
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
    }

    @Test func reusePortAllowsTwoListenersOnOnePort() throws {
        let first = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: true)
        defer { Posix.close(first) }
        let port = try Socket.localAddress(first).port
        let second = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: port), reusePort: true)
        defer { Posix.close(second) }
        #expect((try Socket.localAddress(second)).port == port)
        // Without SO_REUSEPORT on the newcomer the port is taken.
        #expect(throws: Errno.addressInUse) {
            let fd = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: port), reusePort: false)
            Posix.close(fd)
        }
    }

    @Test func connectAcceptAndPeerAddress() throws {
        let listener = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Posix.close(listener) }
        let port = try Socket.localAddress(listener).port
        let (client, _) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: port))
        defer { Posix.close(client) }
        let server = try acceptOne(listener)
        defer { Posix.close(server.fd) }
        #expect(server.peer.host == "127.0.0.1")
        #expect(server.peer.port == (try Socket.localAddress(client)).port)
        #expect(fcntl(server.fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(server.fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(waitUntil { Socket.pendingError(client) == 0 })
    }

    @Test func connectFromAChosenSourceAddress() throws {
        let listener = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Posix.close(listener) }
        let port = try Socket.localAddress(listener).port
        let (client, _) = try Socket.connect(
            try SocketAddress(host: "127.0.0.1", port: port), from: try SocketAddress(host: "127.0.0.7", port: 0))
        defer { Posix.close(client) }
        let server = try acceptOne(listener)
        defer { Posix.close(server.fd) }
        #expect(server.peer.host == "127.0.0.7")
    }

    @Test func dualStackListenerReportsIPv4PeersAsIPv4() throws {
        let listener = try Socket.listen(try SocketAddress(host: "::", port: 0), reusePort: false)
        defer { Posix.close(listener) }
        let port = try Socket.localAddress(listener).port
        let (client, _) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: port))
        defer { Posix.close(client) }
        let server = try acceptOne(listener)
        defer { Posix.close(server.fd) }
        #expect(server.peer.family == AF_INET6)
        #expect(server.peer.host == "127.0.0.1")
        #expect(server.peer.description.hasPrefix("127.0.0.1:"))
    }

    @Test func v6OnlyListenerRefusesIPv4() throws {
        let listener = try Socket.listen(try SocketAddress(host: "::", port: 0), reusePort: false, v6Only: true)
        defer { Posix.close(listener) }
        let port = try Socket.localAddress(listener).port
        var refused = false
        do {
            let (client, _) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: port))
            defer { Posix.close(client) }
            refused = waitUntil { Socket.pendingError(client) == ECONNREFUSED }
        } catch let e {
            refused = e == Errno(ECONNREFUSED)
        }
        #expect(refused)
    }

    @Test func connectToAClosedPortReportsRefused() throws {
        // Bind then close to find a port nobody listens on.
        let probe = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        let port = try Socket.localAddress(probe).port
        Posix.close(probe)
        do {
            let (client, result) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: port))
            defer { Posix.close(client) }
            if case .wouldBlock = result {
                #expect(waitUntil { Socket.pendingError(client) == ECONNREFUSED })
            } else {
                Issue.record("connect to a closed port succeeded")
            }
        } catch let e {
            #expect(e == Errno(ECONNREFUSED))
        }
    }

    func acceptOne(_ listener: CInt) throws -> (fd: CInt, peer: SocketAddress) {
        var storage = sockaddr_storage()
        let deadline = Monotonic.now() + 5_000_000_000
        while Monotonic.now() < deadline {
            if case .processed(let fd) = try Posix.accept(listener, &storage) {
                return (fd, SocketAddress(storage: storage))
            }
            usleep(1000)
        }
        throw Errno(ETIMEDOUT, function: "accept")
    }
}
