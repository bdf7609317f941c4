// A real AF_UNIX datagram socket standing in for systemd's notification socket, so tests
// see exactly the bytes SystemdNotifier puts on the wire.

import Glibc

final class NotifySocket {
    let fd: Int32
    /// The address as NOTIFY_SOCKET would carry it: a path, or "@name" for the abstract namespace.
    let address: String
    private let directory: String?

    /// Binds in a fresh temporary directory (filesystem path) or, with `abstract`, under a
    /// unique abstract name.
    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestError.system("socket", errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var name: [UInt8]
        if abstract {
            address = "@chatd-test-notify-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            directory = nil
            name = Array(address.utf8)
            name[0] = 0
        } else {
            var template = Array("/tmp/chatd-notify-XXXXXX".utf8CString)
            guard let dir = mkdtemp(&template) else { throw TestError.system("mkdtemp", errno) }
            directory = String(cString: dir)
            address = directory! + "/notify"
            name = Array(address.utf8) + [0]
        }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &sa.sun_path) { raw in name.withUnsafeBytes { raw.copyMemory(from: $0) } }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw TestError.system("bind", errno) }
    }

    /// The next datagram as text, or nil after the 5 s receive timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// True when no datagram is waiting.
    func isEmpty() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    deinit {
        close(fd)
        if let directory {
            unlink(address)
            rmdir(directory)
        }
    }
}

enum TestError: Error, CustomStringConvertible {
    case system(String, Int32)
    var description: String {
        switch self {
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        }
    }
}
