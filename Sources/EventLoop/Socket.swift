import CEventLoopShims
import Glibc

/// An IPv4 or IPv6 socket address, stored inline (no allocation) so accept can record the peer
/// of every connection cheaply.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public var storage: sockaddr_storage

    public init(storage: sockaddr_storage) { self.storage = storage }

    /// chatd's one set of host rules (the daemon's listen addresses, the client's and the
    /// benchmark's targets all come through here): numeric IPv4/IPv6 only, an IPv6 address may
    /// be bracketed, "" and "*" mean "::" (all addresses), "localhost" means "127.0.0.1" (the
    /// only name understood). chatd never does DNS (a blocking resolver has no place on an event
    /// loop or in a reload).
    public init(host: String, port: Int) throws(Errno) {
        var ss = sockaddr_storage()
        var h = host
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" { h = "127.0.0.1" }
        if h.isEmpty || h == "*" { h = "::" }
        var ok = false
        if h.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            ok = inet_pton(AF_INET6, h, &a.sin6_addr) == 1
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: a) { dst.copyMemory(from: $0) } }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            ok = inet_pton(AF_INET, h, &a.sin_addr) == 1
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: a) { dst.copyMemory(from: $0) } }
        }
        guard ok, (0...65535).contains(port) else { throw Errno(EINVAL, function: "inet_pton") }
        storage = ss
    }

    public var family: CInt { CInt(storage.ss_family) }

    public var length: socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    public var port: Int {
        withUnsafeBytes(of: storage) { raw in
            family == AF_INET6
                ? Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
                : Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
        }
    }

    /// The host part as text: the key for per-IP accounting. IPv4-mapped IPv6 addresses
    /// (::ffff:a.b.c.d, what a dual-stack listener reports for IPv4 peers) are shown as IPv4 so
    /// one client counts once whichever listener it used.
    public var host: String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafeBytes(of: storage) { raw -> String in
            if family == AF_INET6 {
                var a = raw.load(as: sockaddr_in6.self).sin6_addr
                if isIPv4Mapped {
                    return withUnsafeBytes(of: &a) { b in "\(b[12]).\(b[13]).\(b[14]).\(b[15])" }
                }
                inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
            } else {
                var a = raw.load(as: sockaddr_in.self).sin_addr
                inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
            }
            return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// `host` under the rules of `init(host:port:)`, in canonical inet_ntop(3) form (so
    /// `0::1` and `::1` compare equal), or nil when the rules reject it. Unlike `host`, an
    /// IPv4-mapped address stays IPv6: binding `::ffff:a.b.c.d` is not binding `a.b.c.d`.
    public static func canonicalHost(_ host: String) -> String? {
        guard let address = try? SocketAddress(host: host, port: 0) else { return nil }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: address.storage) { raw in
            if address.family == AF_INET6 {
                var a = raw.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
            } else {
                var a = raw.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
            }
        }
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// IPv6 in brackets (RFC 3986 §3.2.2), except IPv4-mapped addresses, which `host` prints as
    /// IPv4. (glibc prints some other IPv6 addresses with a dotted tail, so the test is on the
    /// mapped prefix, not on the text.)
    public var description: String { family == AF_INET6 && !isIPv4Mapped ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var isIPv4Mapped: Bool {
        guard family == AF_INET6 else { return false }
        return withUnsafeBytes(of: storage) { raw in
            var a = raw.load(as: sockaddr_in6.self).sin6_addr
            return withUnsafeBytes(of: &a) { b in b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xff && b[11] == 0xff }
        }
    }

    public static func == (a: SocketAddress, b: SocketAddress) -> Bool {
        withUnsafeBytes(of: a.storage) { x in withUnsafeBytes(of: b.storage) { y in x.elementsEqual(y) } }
    }

    public func hash(into h: inout Hasher) {
        withUnsafeBytes(of: storage) { h.combine(bytes: $0) }
    }
}

public enum Socket {
    /// A non-blocking listening TCP socket. SO_REUSEPORT lets every event loop own a listener on
    /// the same port so the kernel spreads accepts across loops (socket(7)); an IPv6 wildcard
    /// listener also takes IPv4 (IPV6_V6ONLY=0) unless `v6Only`.
    public static func listen(
        _ address: SocketAddress, reusePort: Bool, backlog: CInt = 4096, v6Only: Bool = false
    ) throws(Errno) -> CInt {
        let fd = try Posix.socket(address.family, Int32(SOCK_STREAM.rawValue))
        do {
            try Posix.setOption(fd, SOL_SOCKET, SO_REUSEADDR, CInt(1))
            if reusePort { try Posix.setOption(fd, SOL_SOCKET, SO_REUSEPORT, CInt(1)) }
            if address.family == AF_INET6 { try Posix.setOption(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, CInt(v6Only ? 1 : 0)) }
            var ss = address.storage
            let len = address.length
            try withUnsafePointer(to: &ss) { p throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in try Posix.bind(fd, sa, len) }
            }
            try Posix.listen(fd, backlog: backlog)
            return fd
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// Accepts one connection (accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC) and its peer address.
    @inlinable
    public static func accept(_ listener: CInt) throws(Errno) -> IOResult<(fd: CInt, peer: SocketAddress)> {
        var storage = sockaddr_storage()
        switch try Posix.accept(listener, &storage) {
        case .processed(let fd): return .processed((fd, SocketAddress(storage: storage)))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// The address a socket is bound to (the real port after binding port 0).
    public static func localAddress(_ fd: CInt) throws(Errno) -> SocketAddress {
        SocketAddress(storage: try Posix.localAddress(fd))
    }

    /// Starts a non-blocking connect; `.wouldBlock` means EINPROGRESS (wait for writability,
    /// then check `pendingError`). Clients and the benchmark use this; the daemon never connects.
    public static func connect(
        _ address: SocketAddress, from source: SocketAddress? = nil
    ) throws(Errno) -> (fd: CInt, result: IOResult<Void>) {
        let fd = try Posix.socket(address.family, Int32(SOCK_STREAM.rawValue))
        do throws(Errno) {
            if var src = source {
                // Spreading sources over 127.0.0.0/8 multiplies the ephemeral port space (ip(7)).
                try? Posix.setOption(fd, CInt(IPPROTO_IP), IP_BIND_ADDRESS_NO_PORT, CInt(1))
                let len = src.length
                try withUnsafePointer(to: &src.storage) { p throws(Errno) in
                    try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in try Posix.bind(fd, sa, len) }
                }
            }
            var ss = address.storage
            let len = address.length
            let result = try withUnsafePointer(to: &ss) { p throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in try Posix.connect(fd, sa, len) }
            }
            return (fd, result)
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// SO_ERROR: the result of an asynchronous connect (connect(2), EINPROGRESS).
    /// A failing getsockopt reports its own errno: either way the connection is not usable.
    public static func pendingError(_ fd: CInt) -> CInt {
        do { return try Posix.getOption(fd, SOL_SOCKET, SO_ERROR) } catch { return error.rawValue }
    }

    public static func setNoDelay(_ fd: CInt) {
        try? Posix.setOption(fd, CInt(IPPROTO_TCP), TCP_NODELAY, CInt(1))
    }

    /// SO_LINGER with a zero timeout: close sends RST (tests use it to simulate a crashed peer).
    public static func setLingerZero(_ fd: CInt) {
        try? Posix.setOption(fd, SOL_SOCKET, SO_LINGER, linger(l_onoff: 1, l_linger: 0))
    }
}
