import CEventLoopShims

extension Posix {
    /// malloc_trim(3): hands free heap pages back to the kernel, in every arena (glibc ≥ 2.8
    /// releases whole free pages in the middle of a heap with MADV_DONTNEED, not only the top).
    /// Large frames freed in FIFO order (history evicted by the daemon-wide budget) leave holes
    /// glibc would otherwise keep resident indefinitely in the loops' arenas. Returns whether
    /// any memory was released. Not a syscall wrapper in the EINTR sense: it cannot fail.
    public static func trimHeap() -> Bool {
        malloc_trim(0) == 1
    }
}
