import Glibc

/// File-system calls for the state directory (history database): same rules as the socket
/// wrappers in Posix.swift — EINTR retried, other errno thrown.
extension Posix {
    /// rename(2): atomic within one file system (moving a damaged database aside).
    public static func rename(_ from: String, _ to: String) throws(Errno) {
        _ = try mustSucceed("rename") { Glibc.rename(from, to) }
    }

    /// unlink(2); a missing file is not an error (the goal is that it is gone).
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
}
