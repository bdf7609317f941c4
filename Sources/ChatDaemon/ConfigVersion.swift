import CBuildInfo

/// The one place chatd's version is written (`chatd --version`, logs, the client's banner).
public enum ChatDaemonVersion {
    public static let string = "0.1.0"

    /// The git commit the binary was built from (set by the Makefile's release and deb builds,
    /// see Sources/CBuildInfo), or "unknown" for a plain `swift build`.
    public static let commit = String(cString: chatd_build_commit())

    /// `0.1.0 (commit 1a2b3c4d5e6f)`: what `chatd --version` prints and the start line logs.
    public static let description = "\(string) (commit \(commit))"
}
