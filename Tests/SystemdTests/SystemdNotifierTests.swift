import Glibc
import Testing

@testable import Systemd

/// Tests that read or change the process environment (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*)
/// live in this one serialized suite: Swift Testing runs everything else in parallel in the
/// same process, and setenv(3) racing getenv(3) is undefined behaviour.
@Suite(.serialized)
struct EnvironmentTests {
    @Test func notifierReadsNotifySocketFromEnvironment() throws {
        let socket = try NotifySocket(abstract: true)
        setenv("NOTIFY_SOCKET", socket.address, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        #expect(notifier.isEnabled)
        #expect(notifier.socketPath == socket.address)
        notifier.ready(status: "0 clients in 0 rooms")
        #expect(socket.receive() == "READY=1\nSTATUS=0 clients in 0 rooms")
    }

    @Test func notifierIsDisabledWithoutNotifySocket() {
        unsetenv("NOTIFY_SOCKET")
        let notifier = SystemdNotifier()
        #expect(!notifier.isEnabled)
        #expect(!notifier.send("READY=1"))
        notifier.ready()  // must be a harmless no-op
    }

    @Test func watchdogIntervalFromEnvironment() {
        setenv("WATCHDOG_USEC", "2000000", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        defer { unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        #expect(SystemdNotifier().watchdogInterval == .seconds(2))
    }

    @Test func watchdogMeantForAnotherProcessIsOff() {
        setenv("WATCHDOG_USEC", "2000000", 1)
        setenv("WATCHDOG_PID", "1", 1)
        defer { unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        #expect(SystemdNotifier().watchdogInterval == nil)
    }

    @Test func noWatchdogWithoutWatchdogUsec() {
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
        #expect(SystemdNotifier().watchdogInterval == nil)
    }

    /// LISTEN_PID of another process: nothing is taken, and the variables are removed so
    /// nothing started later inherits them (sd_listen_fds(3), unset_environment).
    @Test func socketActivationForAnotherProcessTakesNothing() {
        setenv("LISTEN_PID", "1", 1)
        setenv("LISTEN_FDS", "2", 1)
        setenv("LISTEN_FDNAMES", "a:b", 1)
        #expect(SocketActivation.takeListeners().isEmpty)
        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
    }

    @Test func noSocketActivationWithoutEnvironment() {
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        #expect(SocketActivation.takeListeners().isEmpty)
    }

    @Test func backendFollowsJournalStreamEnvironment() throws {
        // The test's stderr is not the journal here: a JOURNAL_STREAM naming another file
        // (a pipe's dev:inode) must not switch the process to native journal entries.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var info = stat()
        #expect(fstat(fds[1], &info) == 0)
        setenv("JOURNAL_STREAM", "\(info.st_dev):\(info.st_ino)", 1)
        defer { unsetenv("JOURNAL_STREAM") }
        #expect(SystemdLogging.backend() == .stderr)
    }
}

@Suite struct NotifierDatagramTests {
    @Test(arguments: [false, true])
    func exactDatagrams(abstract: Bool) throws {
        let socket = try NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(socketPath: socket.address)
        #expect(notifier.isEnabled)

        notifier.ready()
        #expect(socket.receive() == "READY=1")

        notifier.ready(status: "3 clients in 2 rooms, 10 msg/s in, 20 deliveries/s out")
        #expect(socket.receive() == "READY=1\nSTATUS=3 clients in 2 rooms, 10 msg/s in, 20 deliveries/s out")

        notifier.status("1,204 clients in 37 rooms")
        #expect(socket.receive() == "STATUS=1,204 clients in 37 rooms")

        notifier.stopping()
        #expect(socket.receive() == "STOPPING=1")

        notifier.watchdogPing()
        #expect(socket.receive() == "WATCHDOG=1")

        #expect(socket.isEmpty())
    }

    @Test func reloadingCarriesMonotonicTimestamp() throws {
        let socket = try NotifySocket(abstract: true)
        let notifier = SystemdNotifier(socketPath: socket.address)
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        notifier.reloading()
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &after)

        let datagram = try #require(socket.receive())
        let lines = datagram.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last)
        #expect(stamp.hasPrefix("MONOTONIC_USEC="))
        let usec = try #require(UInt64(stamp.dropFirst("MONOTONIC_USEC=".count)))
        let lower = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1_000
        let upper = UInt64(after.tv_sec) * 1_000_000 + UInt64(after.tv_nsec) / 1_000
        #expect(usec >= lower && usec <= upper)
    }

    @Test func statusNewlinesCannotInjectAssignments() throws {
        let socket = try NotifySocket(abstract: true)
        SystemdNotifier(socketPath: socket.address).status("ok\nREADY=1")
        #expect(socket.receive() == "STATUS=ok READY=1")
    }

    @Test func watchdogIntervalFromExplicitValue() {
        #expect(SystemdNotifier(socketPath: nil, watchdogMicroseconds: 10_000_000).watchdogInterval == .seconds(10))
        #expect(SystemdNotifier(socketPath: nil, watchdogMicroseconds: 0).watchdogInterval == nil)
        #expect(SystemdNotifier(socketPath: nil).watchdogInterval == nil)
    }

    @Test func unreachableSocketFailsQuietly() {
        let notifier = SystemdNotifier(socketPath: "/nonexistent/chatd/notify")
        #expect(notifier.isEnabled)
        #expect(!notifier.send("READY=1"))
        notifier.watchdogPing()
        // 108 bytes does not fit sun_path with its NUL terminator.
        #expect(!SystemdNotifier(socketPath: "/" + String(repeating: "x", count: 107)).send("READY=1"))
    }
}
