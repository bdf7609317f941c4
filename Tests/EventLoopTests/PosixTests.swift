import CEventLoopShims
import EventLoop
import Glibc
import Testing

@Suite("Posix wrappers")
struct PosixTests {
    @Test func readOnEmptyNonBlockingSocketIsWouldBlock() throws {
        let pair = SocketPair()
        var buf = [UInt8](repeating: 0, count: 16)
        let r = try buf.withUnsafeMutableBytes { try Posix.read(pair.a, $0) }
        guard case .wouldBlock = r else {
            Issue.record("expected .wouldBlock, got \(r)")
            return
        }
    }

    @Test func writeThenReadRoundTrip() throws {
        let pair = SocketPair()
        let out: [UInt8] = [1, 2, 3, 4, 5]
        let w = try out.withUnsafeBytes { try Posix.write(pair.a, $0) }
        guard case .processed(5) = w else {
            Issue.record("expected .processed(5), got \(w)")
            return
        }
        var buf = [UInt8](repeating: 0, count: 16)
        let r = try buf.withUnsafeMutableBytes { try Posix.read(pair.b, $0) }
        guard case .processed(let n) = r else {
            Issue.record("expected data, got \(r)")
            return
        }
        #expect(Array(buf[0..<n]) == out)
    }

    @Test func readAtEOFIsProcessedZero() throws {
        let pair = SocketPair()
        pair.closeA()
        var buf = [UInt8](repeating: 0, count: 16)
        let r = try buf.withUnsafeMutableBytes { try Posix.read(pair.b, $0) }
        guard case .processed(0) = r else {
            Issue.record("expected .processed(0) at EOF, got \(r)")
            return
        }
    }

    @Test func badDescriptorThrowsErrnoNamingTheCall() {
        var buf = [UInt8](repeating: 0, count: 4)
        #expect(throws: Errno(EBADF)) {
            _ = try buf.withUnsafeMutableBytes { try Posix.read(-1, $0) }
        }
        do {
            _ = try buf.withUnsafeBytes { try Posix.write(-1, $0) }
            Issue.record("write(-1) did not throw")
        } catch let error as Errno {
            #expect(error.rawValue == EBADF)
            #expect(error.description == "write: Bad file descriptor")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func errnoEqualityIgnoresFunctionAndNamesCommonCases() {
        #expect(Errno(EPIPE, function: "writev") == Errno.brokenPipe)
        #expect(Errno(EAGAIN) == Errno.wouldBlock)
        #expect(Errno(EADDRINUSE) == Errno.addressInUse)
        #expect(Errno(EPIPE) != Errno.connectionReset)
        #expect(Errno(EMFILE).isFileDescriptorExhaustion)
        #expect(Errno(ENFILE).isFileDescriptorExhaustion)
        #expect(!Errno(EBADF).isFileDescriptorExhaustion)
        #expect(Errno(ECONNRESET).description == "Connection reset by peer")
        #expect(Set([Errno(EPIPE, function: "a"), Errno(EPIPE, function: "b")]).count == 1)
    }

    @Test func acceptWithNothingPendingIsWouldBlock() throws {
        let listener = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Posix.close(listener) }
        var peer = sockaddr_storage()
        let r = try Posix.accept(listener, &peer)
        guard case .wouldBlock = r else {
            Issue.record("expected .wouldBlock, got \(r)")
            return
        }
    }

    @Test func socketIsNonBlockingAndCloseOnExec() throws {
        let fd = try Posix.socket(AF_INET, Int32(SOCK_STREAM.rawValue))
        defer { Posix.close(fd) }
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func monotonicClock() {
        let a = Monotonic.now()
        usleep(2000)
        let b = Monotonic.now()
        #expect(b > a)
        #expect(b - a >= 2_000_000)
        #expect(Monotonic.nanoseconds(seconds: 1.5) == 1_500_000_000)
        #expect(Monotonic.nanoseconds(seconds: 0) == 0)
        #expect(Monotonic.nanoseconds(seconds: -3) == 0)
    }

    @Test func fileLimitAndCPUCount() {
        let limit = Posix.raiseFileLimit()
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        #expect(limit == Int(lim.rlim_cur))
        #expect(lim.rlim_cur == lim.rlim_max)
        #expect(Posix.cpuCount >= 1)
        #expect(Posix.cpuCount == Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
