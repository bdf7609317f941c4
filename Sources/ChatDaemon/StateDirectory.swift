/// Where chatd keeps its state (the history database), decided once at start-up:
/// `--state-dir` if given; else `$STATE_DIRECTORY`, which systemd sets for a unit with
/// `StateDirectory=chatd` (systemd.exec(5): absolute paths, colon-separated when the unit lists
/// several — chatd uses the first); else a per-user directory for `make run`:
/// `$XDG_STATE_HOME/chatd`, or `~/.local/state/chatd` (XDG Base Directory Specification).
public enum StateDirectory {
    public enum Source: String, Sendable {
        case flag = "--state-dir"
        case systemd = "STATE_DIRECTORY"
        case user = "per-user default"
    }

    /// `environment` is the process environment (a parameter so tests can pass their own).
    public static func resolve(flag: String?, environment: [String: String]) -> (path: String, source: Source)? {
        if let flag, !flag.isEmpty { return (flag, .flag) }
        if let list = environment["STATE_DIRECTORY"],
           let first = list.split(separator: ":").first(where: { $0.hasPrefix("/") }) {
            return (String(first), .systemd)
        }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return (xdg + "/chatd", .user) }
        if let home = environment["HOME"], home.hasPrefix("/") { return (home + "/.local/state/chatd", .user) }
        return nil
    }
}
