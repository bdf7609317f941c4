import CEventLoopShims
import Glibc

/// File-system calls for the state directory (history database) and the web root: same rules as the socket
/// wrappers in Posix.swift — EINTR retried, other errno thrown.
extension Posix {
    /// rename(2): atomic within one file system (moving a damaged database aside).
    public static func rename(_ from: String, _ to: String) throws(Errno) {
        _ = try mustSucceed("rename") { Glibc.rename(from, to) }
    }

    /// unlink(2); a missing file is not an error (the goal is that it is gone).
    public static func chmod(_ path: String, _ mode: mode_t) throws(Errno) {
        _ = try mustSucceed("chmod") { Glibc.chmod(path, mode) }
    }

    public static func unlinkIfPresent(_ path: String) throws(Errno) {
        do {
            _ = try mustSucceed("unlink") { Glibc.unlink(path) }
        } catch where error.rawValue == ENOENT {}
    }

    /// open(2) of a regular file, with O_CLOEXEC.
    public static func openFile(_ path: String, flags: CInt, mode: mode_t = 0o600) throws(Errno) -> CInt {
        try mustSucceed("open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// The size of the file at `path` (fstatat(2), following symlinks), nil if it does not exist.
    public static func fileSize(_ path: String) throws(Errno) -> Int? {
        var st = stat()
        do {
            _ = try mustSucceed("stat") { fstatat(AT_FDCWD, path, &st, 0) }
        } catch where error.rawValue == ENOENT {
            return nil
        }
        return Int(st.st_size)
    }

    /// True if `path` exists (access(2) with F_OK).
    public static func exists(_ path: String) -> Bool {
        Glibc.access(path, F_OK) == 0
    }

    /// mkdir -p with `mode` for the directories it creates (mkdir(2); EEXIST is fine).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(Errno) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            do {
                _ = try mustSucceed("mkdir") { Glibc.mkdir(prefix, mode) }
            } catch where error.rawValue == EEXIST {}
            prefix += "/"
        }
    }

    /// The whole regular file at `path` (open(2), fstat(2), read(2) to EOF); EFBIG when it is
    /// larger than `maxBytes`, so a stray huge file cannot be pulled into memory.
    public static func readFile(_ path: String, maxBytes: Int) throws(Errno) -> [UInt8] {
        let fd = try openFile(path, flags: O_RDONLY)
        defer { close(fd) }
        let st = try fstat(fd)
        guard st.st_mode & S_IFMT == S_IFREG else { throw Errno(EISDIR, function: "read") }
        guard Int(st.st_size) <= maxBytes else { throw Errno(EFBIG, function: "read") }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let n: Int
            switch try read(fd, chunk) {
            case .processed(let count): n = count
            case .wouldBlock: n = 0  // a regular file never blocks (read(2))
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            if bytes.count > maxBytes { throw Errno(EFBIG, function: "read") }
        }
    }

    /// The names in directory `path` except "." and "..", sorted (opendir(3)/readdir(3) over
    /// getdents(2)).
    public static func listDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw Errno(chatd_errno(), function: "opendir") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
