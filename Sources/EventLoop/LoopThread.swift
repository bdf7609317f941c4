import CEventLoopShims
import Glibc

/// A plain pthread running one closure: event loops want a dedicated OS thread each, not a
/// task on a cooperative pool, and EventLoop must not depend on Foundation.
public struct LoopThread: @unchecked Sendable {
    // @unchecked: pthread_t is an integer handle; joining is the only operation.
    let handle: pthread_t

    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> LoopThread {
        // Thread names show in top -H and /proc/PID/task/*/comm (pthread_setname_np(3): ≤15 chars).
        // Set by the thread itself before its body runs, so the body never sees it unnamed.
        let box = Unmanaged.passRetained(Box(String(name.prefix(15)), body)).toOpaque()
        var tid = pthread_t()
        let r = pthread_create(&tid, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            _ = pthread_setname_np(pthread_self(), box.name)
            box.body()
            return nil
        }, box)
        precondition(r == 0, "pthread_create failed: \(r)")
        return LoopThread(handle: tid)
    }

    public func join() {
        pthread_join(handle, nil)
    }
}
