// ChatServer as a library (DESIGN.md §1: "A library, so tests start a real daemon in-process"):
// an embedding process that does not handle signals itself must survive its clients.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E library mode") struct E2ELibraryModeTests {
    /// Regression test: WriteQueue.flush uses writev(2), which cannot take MSG_NOSIGNAL, so
    /// ChatServer must ignore SIGPIPE itself, also with `handleSignals: false` (it once did so
    /// only in ControlLoop.setUp, i.e. only when handling signals). A client that closes while
    /// the daemon is not reading it (paused by the rate limit, so the FIN goes unnoticed)
    /// answers the next delivery with an RST; the socket is in CLOSE_WAIT, so the kernel
    /// records EPIPE and the following writev raises SIGPIPE. Runs in a child process (exit
    /// test) with SIGPIPE at its default action and unblocked, as in a plain program.
    @Test func peerClosingWhileRatePausedDoesNotKillTheProcess() async {
        await #expect(processExitsWith: .success) {
            // As in a plain program: default action, not blocked (test threads are often
            // dispatch workers that block every signal; loop threads inherit the mask).
            signal(SIGPIPE, SIG_DFL)
            var pipeSet = sigset_t()
            sigemptyset(&pipeSet)
            sigaddset(&pipeSet, SIGPIPE)
            pthread_sigmask(SIG_UNBLOCK, &pipeSet, nil)
            let d = try E2EDaemon(ignoreSIGPIPE: false) { $0.msgRate = 1; $0.msgBurst = 50 }
            let victim = try E2EClient.login(port: d.port, name: "victim")
            let sender = try E2EClient.login(port: d.port, name: "sender")
            // Paused: the burst is used up and 50 more messages wait in the socket.
            victim.sendRaw((0..<100).flatMap { encodeFrame("queued \($0)") })
            _ = victim.drain(for: 0.2)  // nothing unread, so close() sends a FIN, not an RST
            victim.close()  // the paused daemon does not read the FIN
            usleep(100_000)
            for i in 0..<40 {
                sender.sendRaw(encodeFrame("to everyone \(i)"))
                usleep(20_000)
            }
            usleep(200_000)
            // The victim is gone (its socket failed with EPIPE), the sender remains.
            let deadline = e2eNow() + 3
            while d.server.stats.connections != 1 && e2eNow() < deadline { usleep(20_000) }
            guard d.server.stats.connections == 1 else { exit(3) }
            d.stop()
            exit(0)
        }
    }
}
