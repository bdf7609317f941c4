import EventLoop
import Glibc

/// Whether this kernel can take over the TLS record layer (kTLS, Documentation/networking/tls.rst).
/// OpenSSL attempts it on every connection of a context with SSL_OP_ENABLE_KTLS after the
/// handshake; this probe says in one start-up log line whether that can ever succeed here.
public enum KernelTLS: Equatable, Sendable, CustomStringConvertible {
    /// The `tls` upper-layer protocol exists (OpenSSL still falls back per connection when the
    /// negotiated cipher is one the kernel lacks: see `TLSConnection.kernelTLS`).
    case available
    /// setsockopt(TCP_ULP, "tls") reports ENOENT: no `tls` module (this project's CI and dev
    /// VMs: `/proc/sys/net/ipv4/tcp_available_ulp` lists only mptcp).
    case unavailable
    /// The probe itself failed.
    case unknown(Errno)

    /// Asks the kernel rather than reading tcp_available_ulp, which lists only ULPs already
    /// loaded: on an unconnected TCP socket setsockopt(TCP_ULP, "tls") fails with ENOENT when
    /// no such ULP can be found (the kernel autoloads modules first) and with ENOTCONN from the
    /// tls ULP's own init when it exists (tcp(7) TCP_ULP; net/tls/tls_main.c tls_init).
    public static func probe() -> KernelTLS {
        let fd: CInt
        do { fd = try Posix.socket(AF_INET, Int32(SOCK_STREAM.rawValue)) } catch { return .unknown(error) }
        defer { Posix.close(fd) }
        do {
            try Posix.setOption(fd, CInt(IPPROTO_TCP), 31 /* TCP_ULP */, (UInt8(ascii: "t"), UInt8(ascii: "l"), UInt8(ascii: "s")))
            return .available  // not expected on an unconnected socket, but then it exists
        } catch {
            switch error.rawValue {
            case ENOTCONN: return .available
            case ENOENT: return .unavailable
            default: return .unknown(error)
            }
        }
    }

    public var description: String {
        switch self {
        case .available: "kTLS available (kernel tls ULP present): OpenSSL hands established connections' records to the kernel"
        case .unavailable: "kTLS unavailable (kernel has no tls ULP): records are encrypted in user space by OpenSSL"
        case .unknown(let e): "kTLS unknown (probe failed: \(e)): OpenSSL tries per connection"
        }
    }
}
