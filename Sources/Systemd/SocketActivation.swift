// Socket activation (sd_listen_fds(3), systemd.socket(5)): systemd binds the listening
// sockets of chatd.socket itself and passes them to the service as fds 3, 4, … with
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES (the FileDescriptorName= of each socket).
// The daemon then accepts on those instead of binding its --listen addresses, so the port
// stays open across restarts and the first connection can start the service on demand.

import CSystemd
import EventLoop
import Glibc
import Logging

/// A listening socket handed over by the service manager.
public struct ListenedSocket: Sendable, Equatable {
    /// The file descriptor (≥ 3), close-on-exec and non-blocking, owned by the caller.
    public let fd: Int32
    /// The FileDescriptorName= of the socket unit ("chatd" in packaging/chatd.socket), or
    /// "unknown" when systemd passed no names (sd_listen_fds_with_names(3)).
    public let name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }
}

public enum SocketActivation {
    /// The fds systemd passed to this process (sd_listen_fds_with_names(1, …)): LISTEN_PID must
    /// equal getpid(), otherwise the variables were meant for another process and nothing is
    /// taken. LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES are unset so that nothing started later
    /// mistakes them for its own. Call once, early, before other threads read the environment.
    ///
    /// Only listening stream sockets (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1)) are
    /// returned — TCP on IPv4/IPv6 or AF_UNIX stream, which is all chatd serves. Any other
    /// passed fd (a datagram socket, a FIFO, a non-listening socket from Accept=yes) is a
    /// unit misconfiguration: it is logged at error level and closed here, because the caller
    /// could not use it and leaving it open would only leak it.
    ///
    /// Returned fds are close-on-exec (sd_listen_fds does that) and set non-blocking here,
    /// because the event loops accept edge-triggered until EAGAIN; systemd passes them
    /// blocking unless the socket unit says NonBlocking=yes.
    public static func takeListeners() -> [ListenedSocket] {
        takeListeners(logger: Logger(label: "chatd.systemd"))
    }

    /// As `takeListeners()`, logging rejected fds to `logger`.
    public static func takeListeners(logger: Logger) -> [ListenedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        defer {
            // The array and each string are malloc'ed for us (sd_listen_fds_with_names(3)).
            if let names {
                for i in 0..<Int(max(count, 0)) { free(names[i]) }
                free(names)
            }
        }
        guard count > 0 else {
            if count < 0 {
                logger.error("ignoring malformed socket-activation environment",
                             metadata: ["reason": "\(errnoDescription(-count))"])
            }
            return []
        }
        var result: [ListenedSocket] = []
        for i in 0..<Int(count) {
            let fd = SD_LISTEN_FDS_START + Int32(i)
            let name = names?[i].map { String(cString: $0) } ?? "unknown"
            if let listener = adopt(fd: fd, name: name, logger: logger) { result.append(listener) }
        }
        return result
    }

    /// Checks one passed fd and makes it ready for an edge-triggered accept loop; nil (and the
    /// fd closed) when it is not a listening stream socket.
    static func adopt(fd: Int32, name: String, logger: Logger) -> ListenedSocket? {
        let check = sd_is_socket(fd, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1)
        guard check > 0 else {
            logger.error("closing socket-activation fd that is not a listening stream socket",
                         metadata: ["fd": "\(fd)", "fd.name": "\(name)",
                                    "reason": "\(check < 0 ? errnoDescription(-check) : "wrong type")"])
            Posix.close(fd)
            return nil
        }
        do {
            let flags = try Posix.fcntl(fd, F_GETFL)
            if flags & O_NONBLOCK == 0 { try Posix.fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        } catch {
            // A blocking listener would stall its loop in accept(2): refuse it like a bad fd.
            logger.error("closing socket-activation fd that cannot be made non-blocking",
                         metadata: ["fd": "\(fd)", "fd.name": "\(name)", "reason": "\(error)"])
            Posix.close(fd)
            return nil
        }
        return ListenedSocket(fd: fd, name: name)
    }
}

func errnoDescription(_ code: Int32) -> String {
    String(cString: strerror(code))
}
