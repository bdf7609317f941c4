#!/usr/bin/env bash
# Shows that ThreadSanitizer reports a false "Swift access race" for state guarded by
# Synchronization.Mutex on Linux, and none for the same code with pthread_mutex_t.
# Exit 0 when the false positive is still there (the suppressions in tsan-mutex.supp are
# needed), 1 when Mutex is clean under TSan (delete the suppressions).
set -uo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
body='
var threads: [pthread_t] = []
for _ in 0..<4 {
    var t = pthread_t()
    pthread_create(&t, nil, { _ in
        for i in 0..<20000 { shared.withLock { st in st.append(i); if st.count > 100 { st.removeAll() } } }
        return nil
    }, nil)
    threads.append(t)
}
for t in threads { pthread_join(t, nil) }'
cat > "$dir/mutex.swift" <<SWIFT
import Glibc
import Synchronization
let shared = Mutex<[Int]>([])
$body
SWIFT
cat > "$dir/pthread.swift" <<SWIFT
import Glibc
final class Lock<State>: @unchecked Sendable {
    let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    var state: State
    init(_ s: State) { state = s; pthread_mutex_init(m, nil) }
    func withLock<R>(_ body: (inout State) -> R) -> R { pthread_mutex_lock(m); defer { pthread_mutex_unlock(m) }; return body(&state) }
}
let shared = Lock<[Int]>([])
$body
SWIFT
for v in mutex pthread; do
    swiftc -sanitize=thread -g "$dir/$v.swift" -o "$dir/$v" 2>/dev/null || { echo "build of $v failed"; exit 2; }
    if TSAN_OPTIONS=halt_on_error=1 "$dir/$v" >/dev/null 2>"$dir/$v.log"; then r=clean; else r=race; fi
    echo "$v: $r"
    eval "result_$v=$r"
done
[[ $result_mutex == race && $result_pthread == clean ]]
