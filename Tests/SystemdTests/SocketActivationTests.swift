import Glibc
import Logging
import Testing

@testable import Systemd

/// takeListeners() itself reads fds 3… named by LISTEN_FDS, which cannot be arranged safely
/// inside a test process whose low fds belong to the test runner; the whole path
/// (systemd → chatd.socket → LISTEN_* → accept) is exercised in Tests/system/test-systemd.sh.
/// Here: the per-fd check on real sockets, and the environment handling (EnvironmentTests).
struct SocketActivationTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func listeningStreamSocketIsAdoptedNonBlocking() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 16) == 0)
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK == 0)

        let adopted = SocketActivation.adopt(fd: fd, name: "chatd", logger: logger)
        #expect(adopted == ListenedSocket(fd: fd, name: "chatd"))
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
    }

    @Test func unixStreamListenerIsAdopted() throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        // Autobind (unix(7)): an address of just the family gets a unique abstract name.
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sa_family_t>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 16) == 0)
        #expect(SocketActivation.adopt(fd: fd, name: "local", logger: logger) != nil)
    }

    @Test func datagramSocketIsRejectedAndClosed() {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        // Closed by adopt (pipeIsRejected proves the close without racing fd reuse).
        #expect(SocketActivation.adopt(fd: fd, name: "udp", logger: logger) == nil)
    }

    @Test func nonListeningStreamSocketIsRejected() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(SocketActivation.adopt(fd: fd, name: "x", logger: logger) == nil)
    }

    @Test func pipeIsRejected() throws {
        let pipe = try Pipe()
        // adopt closes the write end; readAll then sees EOF instead of blocking forever.
        #expect(SocketActivation.adopt(fd: pipe.writeEnd, name: "fifo", logger: logger) == nil)
        #expect(pipe.readAll() == "")
    }
}
