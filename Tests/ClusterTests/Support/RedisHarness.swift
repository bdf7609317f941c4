import EventLoop
import Redis
import Synchronization

/// Runs one `RedisConnection` on its own event loop thread, as the daemon does, and records
/// what it reports; tests queue commands from their own thread (`send`), which the loop writes
/// in one tick — a pipeline.
final class RedisHarness: EventLoopHandler, RedisConnectionDelegate, @unchecked Sendable {
    // @unchecked: `connection` is touched only on the loop thread; the rest is locked.
    let loop: EventLoop
    private let connection: RedisConnection
    private let outbox = Locked<[[UInt8]]>([])
    private let openRequest = Locked<RedisEndpoint?>(nil)
    let replies = Locked<[RedisValue]>([])
    let closes = Locked<[String]>([])
    let connects = Atomic<Int>(0)
    private var thread: LoopThread?

    init() throws {
        loop = try EventLoop(index: 0)
        connection = RedisConnection(name: "test", loop: loop, baseToken: 7)
        connection.delegate = self
        thread = LoopThread.spawn(name: "redis-test") { [self] in loop.run(self) }
    }

    func stop() {
        loop.stop()
        thread?.join()
        thread = nil
    }

    func open(_ endpoint: RedisEndpoint) {
        openRequest.withLock { $0 = endpoint }
        loop.wakeUp()
    }

    func send(_ commands: [[String]]) {
        outbox.withLock { $0 += commands.map(RESPCommand.encode) }
        loop.wakeUp()
    }

    func send(raw commands: [[UInt8]]) {
        outbox.withLock { $0 += commands }
        loop.wakeUp()
    }

    var replyCount: Int { replies.withLock { $0.count } }

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        if token == connection.token { connection.handle(events) }
    }

    func loopWasWoken(_ loop: EventLoop) {
        if let endpoint = openRequest.withLock({ r -> RedisEndpoint? in defer { r = nil }; return r }) {
            do { try connection.open(endpoint) } catch { closes.withLock { $0.append("open: \(error)") } }
        }
        for c in outbox.withLock({ o -> [[UInt8]] in defer { o = [] }; return o }) { connection.send(c, flush: false) }
    }

    func loop(_ loop: EventLoop, timer: Timer) {}

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        connection.flush()
        return false
    }

    func redisConnectionDidConnect(_ connection: RedisConnection) { connects.add(1, ordering: .relaxed) }

    func redisConnection(_ connection: RedisConnection, didReceive value: RedisValue) {
        replies.withLock { $0.append(value) }
    }

    func redisConnection(_ connection: RedisConnection, didClose reason: String) {
        closes.withLock { $0.append(reason) }
    }
}
