import CEventLoopShims
import Glibc

/// What a process can learn about itself (the Prometheus process metrics): small reads of
/// procfs (proc(5)) and getrlimit(2). Called on a scrape, never on a chat loop.
extension Posix {
    /// The soft RLIMIT_NOFILE (getrlimit(2)): the fd count at which accept(2) fails with EMFILE.
    public static func fileLimit() throws(Errno) -> Int {
        var lim = rlimit()
        _ = try mustSucceed("getrlimit") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) }
        return Int(clamping: lim.rlim_cur)  // RLIM_INFINITY (all ones) clamps to Int.max
    }

    /// Reads a small file whole into `buffer` (procfs files report size 0, so no fstat): the
    /// bytes read, at most `buffer.count`.
    public static func readFile(_ path: String, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let fd = try open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        var filled = 0
        while filled < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
            guard case .processed(let n) = try read(fd, rest), n > 0 else { break }
            filled += n
        }
        return filled
    }

    /// The number of entries in a directory other than `.` and `..` (opendir(3), readdir(3)):
    /// `/proc/self/fd` gives the open descriptors (one of them the directory being read).
    public static func directoryEntryCount(_ path: String) throws(Errno) -> Int {
        guard let dir = opendir(path) else { throw Errno(chatd_errno(), function: "opendir") }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return count
    }

    /// sysconf(3) `_SC_CLK_TCK`: the unit of /proc/self/stat's CPU times and start time.
    public static var clockTicksPerSecond: Int { max(1, Int(sysconf(Int32(_SC_CLK_TCK)))) }

    /// sysconf(3) `_SC_PAGESIZE`: the unit of /proc/self/stat's rss.
    public static var pageSize: Int { max(1, Int(sysconf(Int32(_SC_PAGESIZE)))) }
}
