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

    /// eventfd(2): a write of fewer than 8 bytes is EINVAL. (EBADF is a crash, tested below.)
    @Test func errorsAreThrownAsErrnoNamingTheCall() throws {
        let doorbell = try EventFD()
        let buf = [UInt8](repeating: 1, count: 4)
        do {
            _ = try buf.withUnsafeBytes { try Posix.write(doorbell.fd, $0) }
            Issue.record("a 4-byte eventfd write did not throw")
        } catch let error as Errno {
            #expect(error.rawValue == EINVAL)
            #expect(error.description == "write: Invalid argument")
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

    @Test func fileLimitIsRaisedToTheHardLimit() {
        let limit = Posix.raiseFileLimit()
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        #expect(limit == Int(lim.rlim_cur))
        #expect(lim.rlim_cur == lim.rlim_max)
    }

    /// Against an independent source: the kernel's list of online CPUs ("0-1", "0,2-5"; see
    /// Documentation/ABI/testing/sysfs-devices-system-cpu).
    @Test func cpuCountIsTheNumberOfOnlineCPUs() throws {
        let text = try #require(readSmallFile("/sys/devices/system/cpu/online"))
        var online = 0
        for range in text.split(separator: ",") {
            let ends = range.split(separator: "-").compactMap { Int($0.filter(\.isNumber)) }
            online += ends.count == 2 ? ends[1] - ends[0] + 1 : 1
        }
        #expect(Posix.cpuCount == online, "sysfs says \(text)")
    }

    /// EBADF means chatd closed an fd twice (the second time possibly another thread's):
    /// a crash, not a silently ignored error (NIOPosix does the same).
    @Test func closingAClosedDescriptorCrashes() async {
        await #expect(processExitsWith: .failure) {
            let fd = Glibc.dup(1)
            Glibc.close(fd)
            Posix.close(fd)
        }
    }

    @Test func readOnAClosedDescriptorCrashes() async {
        await #expect(processExitsWith: .failure) {
            var byte: UInt8 = 0
            _ = try? withUnsafeMutableBytes(of: &byte) { try Posix.read(-1, $0) }
        }
    }

    /// epoll_wait(2) errors used to read as "0 events", so a broken epoll set spun silently.
    @Test func epollWaitThrowsInsteadOfReportingNoEvents() throws {
        let ep = try Epoll(maxEvents: 0)                       // maxevents ≤ 0: EINVAL
        #expect(throws: Errno(EINVAL)) { try ep.wait(timeoutMilliseconds: 0) }
    }

    /// A daemon started with stderr closed must not hand fd 2 to a client socket.
    @Test func openStandardDescriptorsFillsAClosedStderr() async {
        await #expect(processExitsWith: .success) {
            Glibc.close(2)
            Posix.openStandardDescriptors()
            let fd = try? Posix.socket(AF_INET, Int32(SOCK_STREAM.rawValue))
            exit(Posix.isOpen(2) && fd != nil && fd != 2 ? 0 : 1)
        }
    }
}

private func readSmallFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var buf = [CChar](repeating: 0, count: 4096)
    guard fgets(&buf, Int32(buf.count), f) != nil else { return nil }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
