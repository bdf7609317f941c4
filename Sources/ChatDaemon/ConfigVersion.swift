/// The one place chatd's version is written (`chatd --version`, logs, the client's banner).
public enum ChatDaemonVersion {
    public static let string = "0.1.0"
}
