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
            let observer = try E2EClient.login(port: d.port, name: "observer")
            // Paused: the burst is used up and 50 more messages wait in the socket.
            victim.sendRaw((0..<100).flatMap { encodeFrame("queued \($0)") })
            // Nothing unread, so close() sends a FIN, not an RST: wait until the victim has
            // received what the daemon sent it (the observer's join notice comes last).
            _ = victim.receiveUntil(.notice("observer joined #lobby"))
            victim.close()  // the paused daemon does not read the FIN
            // Each message is written to the closed victim (RST, then EPIPE on the next write);
            // the observer receiving it proves the daemon flushed that tick. Stop once the
            // victim is gone (deadline: the sender's burst of 50).
            var i = 0
            while d.server.stats.connections != 2 && i < 45 {
                sender.sendRaw(encodeFrame("to everyone \(i)"))
                guard observer.receiveUntil(Msg("sender", "to everyone \(i)")) != nil else { exit(4) }
                i += 1
            }
            // The victim is gone (its socket failed with EPIPE), sender and observer remain.
            guard d.server.stats.connections == 2 else { exit(3) }
            d.stop()
            exit(0)
        }
    }
}
