import CEventLoopShims
import Glibc

/// A plain pthread running one closure: event loops want a dedicated OS thread each, not a
/// task on a cooperative pool, and EventLoop must not depend on Foundation.
public struct LoopThread: @unchecked Sendable {
    // @unchecked: pthread_t is an integer handle; joining is the only operation.
    let handle: pthread_t

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> LoopThread {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let r = pthread_create(&tid, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(r == 0, "pthread_create failed: \(r)")
        // Thread names show in top -H and /proc/PID/task/*/comm (pthread_setname_np(3): ≤15 chars).
        _ = pthread_setname_np(tid, String(name.prefix(15)))
        return LoopThread(handle: tid)
    }

    public func join() {
        pthread_join(handle, nil)
    }
}
