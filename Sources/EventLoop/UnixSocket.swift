import CEventLoopShims
import Glibc

/// The credentials of the process at the other end of a Unix stream socket, as the kernel
/// recorded them at connect(2) (SO_PEERCRED, unix(7)): they cannot be forged by the peer.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// AF_UNIX stream sockets (unix(7)): the daemon's local control socket and its client.
public enum UnixSocket {
    /// sun_path's capacity (108 on Linux) less the terminating NUL.
    public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A non-blocking listening socket at `path`, with file mode `mode`. A file already at
    /// `path` is removed first: a socket file outlives its daemon (unix(7), "Pathname sockets"),
    /// and binding over it fails with EADDRINUSE.
    public static func listen(path: String, mode: mode_t, backlog: CInt = 64) throws(Errno) -> CInt {
        var address = try self.address(path)
        try Posix.unlinkIfPresent(path)
        let fd = try Posix.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        do throws(Errno) {
            try withUnsafePointer(to: &address) { p throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in
                    try Posix.bind(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            // bind(2) creates the file with the umask applied; the mode is what grants access.
            try Posix.chmod(path, mode)
            try Posix.listen(fd, backlog: backlog)
            return fd
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// A blocking connection to the socket at `path` (the `chatd ctl` client).
    public static func connect(path: String) throws(Errno) -> CInt {
        var address = try self.address(path)
        let fd = try Posix.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        do throws(Errno) {
            let result = try withUnsafePointer(to: &address) { p throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in
                    try Posix.connect(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            // A blocking socket interrupted by a signal keeps connecting (connect(2)): not here.
            if case .wouldBlock = result { throw Errno(EINTR, function: "connect") }
            return fd
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// Starts a non-blocking connect for an event loop (the Redis client's `unix://`):
    /// `.wouldBlock` means in progress (EAGAIN: the listener's backlog is full; wait for
    /// writability, then check `Socket.pendingError`).
    public static func connectNonBlocking(path: String) throws(Errno) -> (fd: CInt, result: IOResult<Void>) {
        var address = try self.address(path)
        let fd = try Posix.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        do throws(Errno) {
            let result = try withUnsafePointer(to: &address) { p throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in
                    try Posix.connect(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            return (fd, result)
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    public static func peerCredentials(_ fd: CInt) throws(Errno) -> PeerCredentials {
        // struct ucred {pid_t; uid_t; gid_t} (socket(7)); Glibc's module hides it behind _GNU_SOURCE.
        var credentials = PeerCredentials(pid: 0, uid: 0, gid: 0)
        try Posix.getOption(fd, SOL_SOCKET, SO_PEERCRED, into: &credentials)
        return credentials
    }

    static func address(_ path: String) throws(Errno) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maxPathBytes, !bytes.contains(0) else {
            throw Errno(ENAMETOOLONG, function: "sockaddr_un")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }
}
