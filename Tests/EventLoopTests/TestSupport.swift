import CEventLoopShims
import EventLoop
import Glibc
import Synchronization

/// SplitMix64: seeded so every run sees the same "random" inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A connected AF_UNIX stream pair, both ends non-blocking; closed on deinit unless taken.
final class SocketPair {
    var a: CInt
    var b: CInt

    init() {
        var fds: [CInt] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let r = socketpair(AF_UNIX, type, 0, &fds)
        precondition(r == 0, "socketpair failed")
        a = fds[0]
        b = fds[1]
    }

    func closeA() { if a >= 0 { Glibc.close(a); a = -1 } }
    func closeB() { if b >= 0 { Glibc.close(b); b = -1 } }

    deinit {
        closeA()
        closeB()
    }
}

/// A connected loopback TCP pair (server side accepted with accept4), both non-blocking.
final class TCPPair {
    private(set) var client: CInt
    let server: CInt

    init() throws {
        let listener = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Glibc.close(listener) }
        let port = (try! Socket.localAddress(listener)).port
        let (fd, _) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: port))
        client = fd
        var peer = sockaddr_storage()
        var accepted: CInt = -1
        let deadline = Monotonic.now() + 5_000_000_000
        while accepted < 0 && Monotonic.now() < deadline {
            switch try Posix.accept(listener, &peer) {
            case .processed(let s): accepted = s
            case .wouldBlock: usleep(1000)
            }
        }
        precondition(accepted >= 0, "accept timed out")
        server = accepted
    }

    func closeClient() { if client >= 0 { Glibc.close(client); client = -1 } }

    deinit {
        closeClient()
        Glibc.close(server)
    }
}

/// Reads everything currently available from a non-blocking fd (until EAGAIN or EOF).
@discardableResult
func drainAvailable(_ fd: CInt, into out: inout [UInt8]) -> Int {
    var buf = [UInt8](repeating: 0, count: 65536)
    var total = 0
    while true {
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return total }
        out.append(contentsOf: buf[0..<n])
        total += n
    }
}

/// Ignores SIGPIPE process-wide (what the daemon's control loop does), so writes to a closed
/// peer report EPIPE instead of killing the test runner.
func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }

/// Polls `condition` every millisecond until it holds or `seconds` pass.
@discardableResult
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: seconds)
    while !condition() {
        if Monotonic.now() > deadline { return false }
        usleep(1000)
    }
    return true
}

/// Frames with distinct, position-dependent bytes so any reordering or loss is visible.
func patternedFrames(sizes: [Int], seed: UInt64) -> (frames: [SharedBytes], stream: [UInt8]) {
    var rng = SeededGenerator(seed: seed)
    let total = sizes.reduce(0, +)
    var stream = [UInt8](repeating: 0, count: (total + 7) & ~7)
    stream.withUnsafeMutableBytes { raw in
        for i in stride(from: 0, to: raw.count, by: 8) {
            raw.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
        }
    }
    stream.removeLast(stream.count - total)
    var frames: [SharedBytes] = []
    var offset = 0
    stream.withUnsafeBytes { all in
        for size in sizes {
            let start = offset
            frames.append(SharedBytes.make(count: size) { dst in
                if size > 0 { dst.copyMemory(from: all.baseAddress! + start, byteCount: size) }
            })
            offset += size
        }
    }
    return (frames, stream)
}

/// A counter that several threads may bump.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func increment() { value.wrappingAdd(1, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

/// A start line for threads: each arrives, then all spin until everyone has arrived.
final class StartBarrier: Sendable {
    let arrived = Atomic<Int>(0)
    let parties: Int
    init(parties: Int) { self.parties = parties }
    func arriveAndWait() {
        arrived.wrappingAdd(1, ordering: .acquiringAndReleasing)
        while arrived.load(ordering: .acquiring) < parties { sched_yield() }
    }
}
